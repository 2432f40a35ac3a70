"""Argument checks shared by the design functions (each raises ``ValueError``/``TypeError``)."""

from __future__ import annotations

import math
import numbers


def check_real(value, name: str) -> float:
    """Return ``value`` as a finite float, else raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return out


def check_probability(value, name: str, *, open_low: bool = False, open_high: bool = False) -> float:
    """A probability in [0, 1] (ends optionally excluded)."""
    p = check_real(value, name)
    low_ok = p > 0.0 if open_low else p >= 0.0
    high_ok = p < 1.0 if open_high else p <= 1.0
    if not (low_ok and high_ok):
        lo = "(0" if open_low else "[0"
        hi = "1)" if open_high else "1]"
        raise ValueError(f"{name} must be in {lo}, {hi}; got {value!r}")
    return p


def check_power(power) -> float:
    return check_probability(power, "power", open_low=True, open_high=True)


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    x = check_real(value, name)
    if x < 0.0 or (x == 0.0 and not allow_zero):
        need = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {need}; got {value!r}")
    return x


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """An integer (Python or numpy) at least ``minimum``; floats with integral values are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    n = int(value)
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}")
    return n


def check_hazard_ratio(hazard_ratio) -> float:
    hr = check_positive(hazard_ratio, "hazard_ratio")
    if hr == 1.0:
        raise ValueError("hazard_ratio must differ from 1 (no effect leaves nothing to detect)")
    return hr
