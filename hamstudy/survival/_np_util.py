"""Private helpers shared by the non-parametric survival functions: input checks and risk tables.

The risk-set tables are written by hand with numpy (one sort, then ``bincount`` and cumulative
sums) because lifelines builds them with pandas group-bys, which is several times slower on large
data and jitters tied competing-risk times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONF_TYPES: tuple[str, ...] = ("log-log", "log", "plain")


def as_time(time, name: str = "time") -> np.ndarray:
    """Return ``time`` as a 1-D float array of finite, non-negative values, else raise."""
    try:
        arr = np.asarray(time, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers; got {type(time).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one observation")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf); found {int(np.sum(~np.isfinite(arr)))} such values")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; the smallest value is {arr.min()!r}")
    return arr


def as_event(event, n: int, name: str = "event") -> np.ndarray:
    """Return ``event`` as a float 0/1 array of length ``n``, else raise."""
    try:
        arr = np.asarray(event, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of 0/1 (or booleans); got {type(event).__name__}") from None
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} must be 1-D with the same length as time ({n}); got shape {arr.shape}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only 0 (censored) and 1 (event)")
    return arr


def as_labels(values, n: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(levels, codes)`` for a label array of length ``n`` (levels sorted), else raise."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} must be 1-D with the same length as time ({n}); got shape {arr.shape}")
    if arr.dtype.kind in "fcOmM" and np.any(pd.isna(arr)):
        raise ValueError(f"{name} must not contain missing values")
    levels, codes = np.unique(arr, return_inverse=True)
    return levels, codes.reshape(-1)


def check_conf_type(conf_type: str) -> str:
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {', '.join(repr(c) for c in CONF_TYPES)}; got {conf_type!r}")
    return conf_type


@dataclass(frozen=True)
class RiskTable:
    """One row per distinct observed time (events or censorings), sorted increasingly."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray


def risk_table(time: np.ndarray, event: np.ndarray) -> RiskTable:
    """Distinct times with numbers at risk, events and censorings (as R ``survfit``'s rows).

    ``time`` must be finite and non-negative (see :func:`as_time`) and ``event`` 0/1. For such
    floats the IEEE-754 bit pattern read as an unsigned integer orders like the value, so one sort
    of ``bits * 2 + event`` orders the times and carries the event flags along; this is several
    times faster than an argsort followed by two gathers on a million rows.
    """
    bits = np.ascontiguousarray(time + 0.0, dtype=np.float64).view(np.uint64)  # + 0.0 maps -0.0 to 0.0
    key = (bits << np.uint64(1)) | (np.asarray(event) != 0).astype(np.uint64)
    key.sort()
    ts = (key >> np.uint64(1)).view(np.float64)
    es = (key & np.uint64(1)).astype(np.float64)
    n = ts.size
    if n > 1:
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(ts[1:], ts[:-1], out=first[1:])
        starts = np.flatnonzero(first)
    else:
        starts = np.zeros(1, dtype=np.intp)
    utime = ts[starts]
    n_risk = (n - starts).astype(float)
    ends = np.append(starts[1:], n)
    cum_e = np.concatenate(([0.0], np.cumsum(es)))
    n_event = cum_e[ends] - cum_e[starts]
    n_censor = (ends - starts) - n_event
    return RiskTable(utime, n_risk, n_event, n_censor)


def km_curve(tab: RiskTable) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival and the Greenwood sum (variance of log S) at each row of ``tab``.

    The Greenwood sum is infinite from a row where everybody at risk has the event (as in R).
    """
    n, d = tab.n_risk, tab.n_event
    surv = np.cumprod((n - d) / n)  # same rounding as R survfitkm.c
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    green = np.cumsum(term)
    return surv, green


def confint(surv: np.ndarray, logse: np.ndarray, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits for a survival curve, as R ``survival:::survfit_confint``.

    ``logse`` is the standard error of log S (R's ``std.err`` for a Kaplan-Meier curve). Where S is 0
    R returns NA and so do we (NaN); where S is 1 with zero variance we return the degenerate
    interval [1, 1] for every type (R gives [1, 1] for "log" and "plain" but NA for "log-log").
    """
    s = np.asarray(surv, dtype=float)
    se = np.asarray(logse, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * s * z
            lower = np.maximum(s - se2, 0.0)
            upper = np.minimum(s + se2, 1.0)
            zero = s == 0
            lower[zero] = np.nan
            upper[zero] = np.nan
        elif conf_type == "log":
            xx = np.where(s == 0, np.nan, s)
            se2 = z * se
            lower = np.exp(np.log(xx) - se2)
            upper = np.minimum(np.exp(np.log(xx) + se2), 1.0)
        else:  # log-log
            xx = np.where((s == 0) | (s == 1), np.nan, s)
            se2 = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
            one = (s == 1) & (se == 0)
            lower[one] = 1.0
            upper[one] = 1.0
    return lower, upper


def two_sided_normal_p(z: float) -> float:
    if math.isnan(z):
        return float("nan")
    return float(2.0 * stats.norm.sf(abs(z)))
