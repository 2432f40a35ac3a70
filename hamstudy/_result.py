"""Shared building blocks for result objects.

Every analysis returns a frozen dataclass. The conventions below keep them alike:

* ``to_frame()`` returns a DataFrame whose columns are exactly :data:`FRAME_COLUMNS`
  (``estimate, ci_low, ci_high, pvalue, method``), one row per estimate or test, indexed by a
  short name. Nothing is rounded; formatting belongs to the report.
* ``_repr_html_`` renders that frame for Jupyter, with every string HTML-escaped.
* Infinite bounds are ``inf`` (never NaN) where the mathematics says infinite; NaN means "not
  applicable" (for example the p-value column of a pure estimate).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FRAME_COLUMNS: tuple[str, ...] = ("estimate", "ci_low", "ci_high", "pvalue", "method")

ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")


def check_alternative(alternative: str) -> str:
    """Return ``alternative`` if it is one of scipy's three words, else raise ``ValueError``."""
    if alternative not in ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {', '.join(repr(a) for a in ALTERNATIVES)}; got {alternative!r}"
        )
    return alternative


def _open_unit(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1); got {value!r}") from None
    if not 0.0 < number < 1.0 or math.isnan(number):
        raise ValueError(f"{name} must be in (0, 1); got {value!r}")
    return number


def check_confidence_level(confidence_level: float) -> float:
    """Return ``confidence_level`` as a float strictly between 0 and 1, else raise ``ValueError``."""
    return _open_unit(confidence_level, "confidence_level")


def check_alpha(alpha: float) -> float:
    """Return the significance level ``alpha`` as a float strictly between 0 and 1, else raise ``ValueError``."""
    return _open_unit(alpha, "alpha")


def normal_quantile(confidence_level: float) -> float:
    """The two-sided standard normal critical value z for ``confidence_level`` (1.959964... at 0.95)."""
    from scipy.special import ndtri

    return float(-ndtri((1.0 - confidence_level) / 2.0))


def frame_from_rows(rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Build a tidy result frame from ``{name: {estimate, ci_low, ci_high, pvalue, method}}``.

    Missing numeric entries become NaN and a missing method becomes an empty string, so that every
    frame has the same five columns in the same order.
    """
    records = []
    for name, row in rows.items():
        rec = {col: row.get(col, np.nan) for col in FRAME_COLUMNS}
        if not isinstance(rec["method"], str):
            rec["method"] = ""
        for col in FRAME_COLUMNS[:-1]:
            value = rec[col]
            rec[col] = np.nan if value is None else float(value)
        records.append(pd.Series(rec, name=name))
    frame = pd.DataFrame(records, columns=list(FRAME_COLUMNS))
    frame.index.name = "name"
    return frame


def row_of(result: Any) -> dict[str, Any]:
    """The five frame columns read off a result's attributes (``statistic`` stands in for a
    missing ``estimate``; absent intervals and p-values are NaN)."""
    estimate = getattr(result, "estimate", getattr(result, "statistic", np.nan))
    return {
        "estimate": estimate,
        "ci_low": getattr(result, "ci_low", np.nan),
        "ci_high": getattr(result, "ci_high", np.nan),
        "pvalue": getattr(result, "pvalue", np.nan),
        "method": result.method,
    }


def frame_to_html(frame: pd.DataFrame, *, title: str | None = None) -> str:
    """Render a result frame as an HTML table, escaping every string (index, columns and cells)."""
    body = frame.to_html(escape=True, na_rep="", float_format=lambda v: f"{v:.6g}", border=0)
    head = f"<p><strong>{html.escape(title)}</strong></p>" if title else ""
    return f"<div class=\"hamstudy-result\">{head}{body}</div>"


class FrameResultMixin:
    """Gives a result class ``_repr_html_`` from its ``to_frame()``.

    Subclasses implement ``to_frame()`` and may set ``_html_title`` (a property or attribute).
    """

    _html_title: str | None = None

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - always overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return frame_to_html(self.to_frame(), title=self._html_title)


@dataclass(frozen=True)
class Estimate(FrameResultMixin):
    """A point estimate with its confidence interval.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        The estimate and its interval. Bounds may be ``inf`` or ``-inf`` where the interval is
        unbounded; NaN only where the quantity is undefined (for example a ratio of 0/0).
    method : str
        A short human-readable description of the method (it is shown in reports).
    confidence_level : float
        The interval's nominal coverage.
    pvalue : float
        The p-value of the matching test where there is one, else NaN.
    name : str
        A short name used as the row label in ``to_frame()``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    method: str
    confidence_level: float = 0.95
    pvalue: float = float("nan")
    name: str = "estimate"

    def to_frame(self) -> pd.DataFrame:
        return frame_from_rows({self.name: row_of(self)})


@dataclass(frozen=True)
class TestResult(FrameResultMixin):
    """A hypothesis test.

    Attributes
    ----------
    statistic : float
        The test statistic (its meaning is given by ``method``).
    pvalue : float
        The p-value.
    method : str
        The test's name as a report would print it.
    alternative : str
        ``"two-sided"``, ``"less"`` or ``"greater"``.
    df : float or None
        Degrees of freedom for chi-square or t statistics, else None.
    details : dict
        Extra named quantities (for example observed and expected counts). Not part of the frame.
    name : str
        Row label in ``to_frame()``.
    """

    __test__ = False  # not a pytest test class

    statistic: float
    pvalue: float
    method: str
    alternative: str = "two-sided"
    df: float | None = None
    details: dict = field(default_factory=dict, compare=False, repr=False)
    name: str = "test"

    def to_frame(self) -> pd.DataFrame:
        return frame_from_rows({self.name: row_of(self)})
