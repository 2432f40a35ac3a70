"""Number formatting for reports: the one place where numbers become text.

Every number a report prints goes through this module, so that a manuscript's conventions (APA's
``p < .001`` without a leading zero, or NEJM's ``P<0.001``; significant digits; percentages) are set once,
in a :class:`NumberStyle`, and applied everywhere: HTML, Markdown, PDF and the Results sentences.

Results objects are never rounded (see :mod:`hamstudy._result`); only these functions round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "NumberStyle",
    "DEFAULT_STYLE",
    "fmt_num",
    "fmt_ci",
    "fmt_pct",
    "fmt_pct_ci",
    "fmt_p",
    "fmt_pvalue",
    "fmt_count",
    "fmt_int",
    "fmt_prob",
    "format_frame",
    "fmt_data",
]

_P_STYLES = ("apa", "leading-zero", "exact")

MINUS = "\u2212"  # a true minus sign: a hyphen before a number reads badly and wraps in tables
INFINITY = "\u221e"


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written.

    Parameters
    ----------
    p_style : {"apa", "leading-zero", "exact"}
        ``"apa"``: no leading zero and a floor (``p = .043``, ``p < .001``), as the APA manual asks for
        quantities that cannot exceed 1. ``"leading-zero"``: the same with a leading zero
        (``p = 0.043``, ``p < 0.001``), as most medical journals print. ``"exact"``: significant digits
        with no floor (``p = 0.000123``), for audit tables.
    p_digits : int
        Decimal places for p-values at or above ``0.01`` in the "apa" and "leading-zero" styles; p-values
        between the floor and 0.01 get one more, so that they do not print as ``.00``.
    p_floor : float
        The smallest p-value printed as a number; smaller ones print as ``< floor``.
    sig_digits : int
        Significant digits for estimates and their interval bounds.
    pct_digits : int
        Decimal places for percentages.
    """

    p_style: str = "apa"
    p_digits: int = 3
    p_floor: float = 0.001
    sig_digits: int = 3
    pct_digits: int = 1

    def __post_init__(self) -> None:
        if self.p_style not in _P_STYLES:
            raise ValueError(f"p_style must be one of {', '.join(map(repr, _P_STYLES))}; got {self.p_style!r}")
        for name in ("p_digits", "sig_digits", "pct_digits"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if name != "pct_digits" else 0):
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not 0.0 < self.p_floor < 1.0:
            raise ValueError(f"p_floor must be in (0, 1); got {self.p_floor!r}")


DEFAULT_STYLE = NumberStyle()


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _minus(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def fmt_num(x: float | None, sig: int | None = None, *, style: NumberStyle = DEFAULT_STYLE, missing: str = "NA") -> str:
    """Write ``x`` with ``sig`` significant digits (default ``style.sig_digits``).

    Integers-valued large numbers keep all their integer digits (``1234.5`` -> ``1235`` at 3
    significant digits, not ``1.23e+03``); magnitudes below 1e-4 switch to scientific notation.
    Infinite values print as ``∞`` / ``−∞``; NaN and None as ``missing``.

    Examples
    --------
    >>> fmt_num(0.012345)
    '0.0123'
    >>> fmt_num(-2.5, 2)
    '−2.5'
    >>> fmt_num(float("inf"))
    '∞'
    """
    if _is_missing(x):
        return missing
    x = float(x)  # type: ignore[arg-type]
    sig = style.sig_digits if sig is None else sig
    if math.isinf(x):
        return INFINITY if x > 0 else MINUS + INFINITY
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude < -4:
        mantissa, exponent = f"{x:.{sig - 1}e}".split("e")
        return _minus(f"{mantissa}e{int(exponent)}")
    decimals = max(sig - 1 - magnitude, 0)
    text = _round_half_up(x, decimals)
    # rounding can carry into a new digit (0.09996 -> 0.1000): recompute with the new magnitude
    if decimals > 0 and len(text.replace("-", "").replace(".", "").lstrip("0")) > sig:
        decimals -= 1
        text = _round_half_up(x, decimals)
    if float(text) == 0:
        text = text.lstrip("-")
    return _minus(text)


def _round_half_up(x: float, decimals: int) -> str:
    # Python's round() is round-half-even on the binary value (round(1234.5) == 1234); readers and
    # journals expect half-up on the decimal value that repr() shows, so round that with Decimal.
    quantum = Decimal(1).scaleb(-decimals)
    return f"{Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP):f}"


def fmt_ci(low: float | None, high: float | None, sig: int | None = None, *, style: NumberStyle = DEFAULT_STYLE) -> str:
    """An interval as ``low to high`` (``to`` rather than a dash, which reads as a minus sign)."""
    return f"{fmt_num(low, sig, style=style)} to {fmt_num(high, sig, style=style)}"


def fmt_pct(x: float | None, *, style: NumberStyle = DEFAULT_STYLE, digits: int | None = None) -> str:
    """A proportion ``x`` in [0, 1] as a percentage with ``style.pct_digits`` decimals."""
    if _is_missing(x):
        return "NA"
    digits = style.pct_digits if digits is None else digits
    return _minus(f"{100.0 * float(x):.{digits}f}%")  # type: ignore[arg-type]


def fmt_pct_ci(low: float | None, high: float | None, *, style: NumberStyle = DEFAULT_STYLE) -> str:
    """A proportion's interval as ``low% to high%``."""
    return f"{fmt_pct(low, style=style)} to {fmt_pct(high, style=style)}"


def fmt_pvalue(p: float | None, *, style: NumberStyle = DEFAULT_STYLE) -> str:
    """A p-value as a table cell: ``.043``, ``< .001`` (APA) or ``0.043``, ``< 0.001``.

    Examples
    --------
    >>> fmt_pvalue(0.0021)
    '.002'
    >>> fmt_pvalue(0.00002)
    '< .001'
    >>> fmt_pvalue(1.0)
    '1'
    >>> fmt_pvalue(0.0021, style=NumberStyle(p_style="leading-zero"))
    '0.002'
    """
    if _is_missing(p):
        return "NA"
    p = float(p)  # type: ignore[arg-type]
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a p-value must be in [0, 1]; got {p!r}")
    if style.p_style == "exact":
        return fmt_num(p, style.sig_digits, style=style)
    if p < style.p_floor:
        floor = f"{style.p_floor:.{max(-math.floor(math.log10(style.p_floor)), 1)}f}"
        text = "< " + floor
    else:
        if p == 1.0:
            return "1"
        digits = style.p_digits if p >= 0.01 else max(style.p_digits, -math.floor(math.log10(style.p_floor)))
        text = _round_half_up(p, digits)
        # never let rounding carry a p-value across the 0.05 line (0.0499 -> .050) or up to 1
        while (p < 0.05 <= float(text) or float(text) >= 1.0) and digits < 6:
            digits += 1
            text = _round_half_up(p, digits)
        if float(text) >= 1.0:
            text = "> " + _round_half_up(1.0 - 10.0 ** -style.p_digits, style.p_digits)
    if style.p_style == "apa":
        text = text.replace("0.", ".", 1)
    return text


def fmt_p(p: float | None, *, style: NumberStyle = DEFAULT_STYLE, symbol: str = "p") -> str:
    """A p-value for running text: ``p = .043`` or ``p < .001``."""
    cell = fmt_pvalue(p, style=style)
    if cell == "NA":
        return f"{symbol} not available"
    if cell.startswith("<"):
        return f"{symbol} {cell}"
    return f"{symbol} = {cell}"


def fmt_prob(x: float | None, *, style: NumberStyle = DEFAULT_STYLE) -> str:
    """A probability that is not a p-value (for example a posterior probability), to 3 decimals.

    Values within 0.0005 of 0 or 1 print as ``> 0.999`` / ``< 0.001`` rather than a false ``1.000``.
    """
    if _is_missing(x):
        return "NA"
    x = float(x)  # type: ignore[arg-type]
    if x > 0.9995 and x < 1.0:
        return "> 0.999"
    if 0.0 < x < 0.0005:
        return "< 0.001"
    return f"{x:.3f}"


def fmt_data(x: float | None) -> str:
    """A number read from a data file, written with the precision it was published with (``8.3``, not
    ``8.30``): up to 6 significant digits, trailing zeros dropped. Computed numbers use :func:`fmt_num`.

    Examples
    --------
    >>> fmt_data(8.3), fmt_data(37.0), fmt_data(-0.25)
    ('8.3', '37', '−0.25')
    """
    if _is_missing(x):
        return "NA"
    return _minus(f"{float(x):.6g}")  # type: ignore[arg-type]


def fmt_count(events: int | float | None, total: int | float | None) -> str:
    """``events/total``."""
    return f"{fmt_int(events)}/{fmt_int(total)}"


def fmt_int(x: int | float | None) -> str:
    """An integer count; NA when missing."""
    if _is_missing(x):
        return "NA"
    value = float(x)  # type: ignore[arg-type]
    return _minus(str(int(value))) if value.is_integer() else fmt_num(value)


def format_frame(frame, *, style: NumberStyle = DEFAULT_STYLE):
    """A result frame (``estimate, ci_low, ci_high, pvalue, method``) with every number written as text.

    Estimates and bounds get ``style.sig_digits`` significant digits, p-values the p style; other
    columns are left as they are. Returns a new DataFrame of strings (the input is not changed).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"estimate": [0.5], "ci_low": [0.1234], "ci_high": [float("inf")],
    ...                       "pvalue": [0.0004], "method": ["x"]}, index=["rr"])
    >>> format_frame(frame).loc["rr"].tolist()
    ['0.500', '0.123', '∞', '< .001', 'x']
    """
    out = frame.copy().astype(object)
    for col in frame.columns:
        if col == "pvalue":
            out[col] = [fmt_pvalue(v, style=style) if not _is_missing(v) else "" for v in frame[col]]
        elif col in ("estimate", "ci_low", "ci_high") or str(frame[col].dtype).startswith(("float", "int")):
            out[col] = [fmt_num(v, style=style, missing="") for v in frame[col]]
    return out
