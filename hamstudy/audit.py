"""Reported-versus-recomputed p-value audit, in the manner of statcheck.

A published p-value is compared with p-values recomputed from the published data by several
candidate tests. A reported ``p = .003`` is consistent with a recomputed p when the latter rounds
to it at the reported number of decimals; ``p < .05`` is consistent when the recomputed p is below
.05. The audit lists which candidate tests the report is consistent with, flags a disagreement
beyond rounding (no candidate consistent), and flags a decision error (the report and every
candidate fall on opposite sides of ``alpha``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import pandas as pd

from hamstudy._result import FrameResultMixin, check_alpha, frame_from_rows

_COMPARATORS = {"=": "=", "==": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}

_PATTERN = re.compile(
    r"""^\s*(?:p\s*(?:-?\s*value)?\s*)?          # optional "p", "p-value"
        (?P<cmp><=|>=|=<|=>|==|=|<|>|≤|≥)?\s*
        (?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)
        (?:\s*(?:x|×|\*)\s*10\s*\^?\s*(?P<exp>[-−+]?[0-9]+))?
        \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _decimals_of(text: str, exponent: int = 0) -> int:
    """Number of decimal places a number was reported with (``"3.4e-3"`` -> 4)."""
    d = Decimal(text)
    places = -d.as_tuple().exponent
    return int(places - exponent)


def _parse_reported(reported: Any) -> tuple[str, str, float, int | None]:
    """Return (text, comparator, value, decimals) of a reported p-value."""
    if isinstance(reported, bool):
        raise TypeError(f"reported must be a number or a string such as 'p = .003'; got {reported!r}")
    if isinstance(reported, (int, float)) and not isinstance(reported, bool):
        value = float(reported)
        if math.isnan(value):
            raise ValueError("reported must not be NaN")
        text = repr(value)
        try:
            decimals = _decimals_of(text)
        except InvalidOperation:
            decimals = None
        comparator, number = "=", value
    elif isinstance(reported, str):
        raw = reported.strip()
        if raw.lower().replace(".", "").replace(" ", "") in {"ns", "nonsignificant", "notsignificant"}:
            return reported, ">", 0.05, None
        m = _PATTERN.match(raw.replace("−", "-"))
        if m is None:
            raise ValueError(
                f"reported must look like '0.003', 'p = .003', 'p < .05' or '3.4e-4'; got {reported!r}"
            )
        comparator = _COMPARATORS[m.group("cmp") or "="]
        exp = int(m.group("exp").replace("−", "-")) if m.group("exp") else 0
        number = float(m.group("num")) * 10.0**exp
        decimals = _decimals_of(m.group("num"), exp)
        text = reported
    else:
        raise TypeError(f"reported must be a number or a string such as 'p = .003'; got {reported!r}")
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"reported p-value must be in [0, 1]; got {reported!r}")
    return text, comparator, number, decimals


@dataclass(frozen=True)
class PValueAudit(FrameResultMixin):
    """Result of :func:`audit_pvalue`.

    Attributes
    ----------
    reported : str
        The reported p-value as given (numbers are shown with ``repr``).
    comparator : str
        ``"="``, ``"<"``, ``"<="``, ``">"`` or ``">="``.
    value : float
        The reported number.
    decimals : int or None
        Decimal places of the reported number (None when it cannot be told, e.g. "ns").
    candidates : dict
        Recomputed p-value of each candidate test, in the order given.
    consistent_with : tuple of str
        Candidate tests the report is consistent with, allowing for its rounding.
    disagreement : bool
        True when no candidate is consistent: a disagreement beyond rounding.
    decision_error : bool
        True when the report and every candidate lie on opposite sides of ``alpha``.
    alpha : float
        Significance level used for ``decision_error``.
    """

    reported: str
    comparator: str
    value: float
    decimals: int | None
    candidates: dict = field(compare=False)
    consistent_with: tuple
    disagreement: bool
    decision_error: bool
    alpha: float = 0.05

    @property
    def _html_title(self) -> str:  # type: ignore[override]
        return f"Reported p {self.comparator} {self.value:g}: " + (
            "consistent with " + ", ".join(self.consistent_with) if self.consistent_with else "inconsistent with every test"
        )

    def describe(self) -> str:
        """One line for a report, e.g. ``"reported p = 0.003; consistent with fisher"``."""
        head = f"reported p {self.comparator} {self.value:g}"
        if self.consistent_with:
            tail = "consistent with " + ", ".join(self.consistent_with)
        else:
            best = min(self.candidates.items(), key=lambda kv: abs(kv[1] - self.value)) if self.candidates else None
            tail = "DISAGREES beyond rounding with every recomputed test"
            if best is not None:
                tail += f" (closest: {best[0]} p = {best[1]:.4g})"
        if self.decision_error:
            tail += f"; decision error at alpha = {self.alpha:g}"
        return f"{head}; {tail}"

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: its recomputed p (``pvalue``) and whether it matches the report."""
        rows = {
            "reported": {"estimate": self.value, "pvalue": self.value, "method": f"reported: {self.reported}"},
        }
        for name, p in self.candidates.items():
            verdict = "consistent" if name in self.consistent_with else "inconsistent"
            rows[f"recomputed_{name}"] = {"estimate": p, "pvalue": p, "method": f"{name}: {verdict} with report"}
        return frame_from_rows(rows)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (floats stay floats)."""
        return {
            "reported": self.reported,
            "comparator": self.comparator,
            "value": self.value,
            "decimals": self.decimals,
            "candidates": dict(self.candidates),
            "consistent_with": list(self.consistent_with),
            "disagreement": self.disagreement,
            "decision_error": self.decision_error,
            "alpha": self.alpha,
        }


def _consistent(comparator: str, value: float, decimals: int | None, p: float) -> bool:
    if math.isnan(p):
        return False
    if comparator == "=":
        if decimals is None:
            return math.isclose(p, value, rel_tol=1e-9, abs_tol=0.0)
        half = 0.5 * 10.0 ** (-decimals)
        # p rounds to the reported value; the slack absorbs binary representation of both numbers
        return abs(p - value) <= half * (1.0 + 1e-9) + 1e-15
    if comparator == "<":
        return p < value
    if comparator == "<=":
        return p <= value
    if comparator == ">":
        return p > value
    return p >= value


def _reported_significant(comparator: str, value: float, alpha: float) -> bool | None:
    if comparator in ("<", "<="):
        return True if value <= alpha else None  # "p < .10" says nothing about .05
    if comparator in (">", ">="):
        return False if value >= alpha else None
    return value < alpha


def audit_pvalue(reported, candidates: Mapping[str, float], *, alpha: float = 0.05) -> PValueAudit:
    """Check a reported p-value against p-values recomputed by candidate tests.

    Parameters
    ----------
    reported : float or str
        The published p-value: a number (its decimal places are taken from its shortest
        representation, so ``0.0034`` has 4) or a string such as ``"0.003"``, ``"p = .003"``,
        ``"p < .05"``, ``"<0.001"``, ``"p = 3.4e-4"``, ``"3.4 x 10^-4"`` or ``"ns"`` (read as
        p > .05).
    candidates : mapping of str to float
        Recomputed p-value of each test the authors may have used (for example Fisher's exact
        test, chi-square with and without Yates' correction).
    alpha : float
        Significance level for the decision-error flag.

    Returns
    -------
    PValueAudit

    Notes
    -----
    statcheck (Nuijten et al. 2016) recomputes p from reported t, F, chi-square or r statistics
    and counts a reported ``p = x`` as consistent when the recomputed p rounds to ``x`` at the
    reported precision; inequalities are checked as stated. This function applies the same rule
    to any set of recomputed p-values. A decision error is flagged only when the report states a
    side of ``alpha`` (``p < .10`` states none for alpha = .05).

    References
    ----------
    .. [1] Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The prevalence of
       statistical reporting errors in psychology (1985-2013). Behav Res Methods 2016;48:1205-1226.

    Examples
    --------
    >>> from hamstudy.audit import audit_pvalue
    >>> a = audit_pvalue("p = .003", {"fisher": 0.00343, "chi2": 0.0061})
    >>> a.consistent_with, a.disagreement
    (('fisher',), False)
    """
    if not isinstance(candidates, Mapping):
        raise TypeError(f"candidates must be a mapping of test name to p-value; got {type(candidates).__name__}")
    alpha = check_alpha(alpha)
    text, comparator, value, decimals = _parse_reported(reported)
    clean: dict[str, float] = {}
    for name, p in candidates.items():
        if not isinstance(name, str):
            raise TypeError(f"candidate names must be strings; got {name!r}")
        p = float(p)
        if not (math.isnan(p) or 0.0 <= p <= 1.0):
            raise ValueError(f"candidate p-value {name!r} must be in [0, 1]; got {p!r}")
        clean[name] = p
    consistent = tuple(name for name, p in clean.items() if _consistent(comparator, value, decimals, p))
    reported_sig = _reported_significant(comparator, value, alpha)
    finite = [p for p in clean.values() if not math.isnan(p)]
    decision_error = bool(
        reported_sig is not None and finite and all((p < alpha) != reported_sig for p in finite)
    )
    return PValueAudit(
        reported=text,
        comparator=comparator,
        value=value,
        decimals=decimals,
        candidates=clean,
        consistent_with=consistent,
        disagreement=not consistent,
        decision_error=decision_error,
        alpha=alpha,
    )
