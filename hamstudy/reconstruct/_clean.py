"""Validation and cleaning of digitised Kaplan-Meier points and published numbers at risk.

Every change made to the user's input is described in a plain-English log line, so that the
reconstruction can say exactly what it did (``df.attrs["cleaning"]``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Digitised survival may stray slightly outside [0, 1] (a point read a pixel above the top of the
# axis). Values within this distance of the range are clipped and the clipping is logged; values
# further out are treated as a data-entry error. 0.01 is one percentage point, about the reading
# error of a careful digitisation of a printed figure.
SURVIVAL_TOLERANCE = 0.01

# A curve whose largest value exceeds this is taken to be in percent. A proportion can exceed 1
# only by digitisation error (at most SURVIVAL_TOLERANCE); a percentage curve starts near 100.
PERCENT_THRESHOLD = 1.5


@dataclass
class CleanCurve:
    """Digitised points after cleaning: strictly increasing ``time`` starting at 0, ``survival``
    non-increasing in [0, 1] starting at 1; ``log`` lists what was changed."""

    time: np.ndarray
    survival: np.ndarray
    log: list[str] = field(default_factory=list)


@dataclass
class CleanAtRisk:
    """Published numbers at risk after cleaning: strictly increasing ``time`` starting at 0 and
    non-increasing integer ``n_risk``."""

    time: np.ndarray
    n_risk: np.ndarray
    log: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _require_frame(obj, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame with columns {', '.join(columns)}; got {type(obj).__name__}")
    missing = [c for c in columns if c not in obj.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"expected columns {', '.join(repr(c) for c in columns)}, got {list(obj.columns)!r}"
        )
    return obj


def _numeric(series: pd.Series, name: str, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}[{column!r}] must be numeric; got values such as {series.iloc[0]!r}") from None


def clean_curve(curve: pd.DataFrame, *, name: str = "curve") -> CleanCurve:
    """Validate and clean digitised Kaplan-Meier points.

    Steps, in order, each logged when it changes anything:

    1. rows with a missing time or survival are dropped;
    2. negative times raise ``ValueError``;
    3. percent is converted to a proportion when the largest value exceeds 1.5;
    4. values outside [0, 1] by at most :data:`SURVIVAL_TOLERANCE` are clipped, others raise;
    5. points are sorted by time (ties: higher survival first, so a vertical drop reads top to
       bottom);
    6. points at time 0 are set to survival 1, and (0, 1) is prepended if there is no point at 0;
    7. survival is made non-increasing by a running (cumulative) minimum: a point above an
       earlier point is lowered to it;
    8. points sharing a time are reduced to one, keeping the lowest survival (the value after the
       drop, since a Kaplan-Meier curve is right-continuous).
    """
    frame = _require_frame(curve, name, ("time", "survival"))
    log: list[str] = []
    t = _numeric(frame["time"], name, "time")
    s = _numeric(frame["survival"], name, "survival")
    if t.size == 0:
        raise ValueError(f"{name} has no rows; expected digitised points (time, survival)")
    bad = np.isnan(t) | np.isnan(s)
    if bad.any():
        log.append(f"dropped {int(bad.sum())} digitised point(s) with a missing time or survival")
        t, s = t[~bad], s[~bad]
    if t.size == 0:
        raise ValueError(f"{name} has no rows with both time and survival present")
    if not np.all(np.isfinite(t)) or not np.all(np.isfinite(s)):
        raise ValueError(f"{name} contains infinite values; expected finite times and survival")
    if (t < 0).any():
        first = t[t < 0][0]
        raise ValueError(
            f"{name}['time'] must be >= 0; got {int((t < 0).sum())} negative time(s), e.g. {_fmt(first)} "
            "(set digitised points left of the y-axis to 0 before reconstructing)"
        )
    if s.max() > PERCENT_THRESHOLD:
        s = s / 100.0
        log.append(f"survival read as percent (largest value {_fmt(s.max() * 100)} > {PERCENT_THRESHOLD}); divided by 100")
    low, high = -SURVIVAL_TOLERANCE, 1.0 + SURVIVAL_TOLERANCE
    if (s < low).any() or (s > high).any():
        worst = s[(s < low) | (s > high)][0]
        raise ValueError(
            f"{name}['survival'] must lie in [0, 1] (or [0, 100] in percent) after scaling; got {_fmt(worst)}"
        )
    outside = (s < 0) | (s > 1)
    if outside.any():
        largest = float(np.max(np.maximum(s - 1, -s)[outside]))
        s = np.clip(s, 0.0, 1.0)
        log.append(f"clipped {int(outside.sum())} survival value(s) to [0, 1] (largest excursion {_fmt(largest)})")

    order = np.lexsort((-s, t))  # by time, then survival descending within a time
    if not np.array_equal(order, np.arange(t.size)):
        log.append("sorted the digitised points by time")
    t, s = t[order], s[order]

    at_zero = t == 0
    if at_zero.any():
        below = at_zero & (s < 1)
        if below.any():
            log.append(
                f"set survival at time 0 to 1 ({int(below.sum())} point(s), lowest was {_fmt(s[below].min())}); "
                "a Kaplan-Meier curve starts at 1"
            )
            s = np.where(at_zero, 1.0, s)
    else:
        t = np.concatenate([[0.0], t])
        s = np.concatenate([[1.0], s])
        log.append("prepended the point (0, 1)")

    monotone = np.minimum.accumulate(s)
    changed = monotone < s
    if changed.any():
        log.append(
            f"made survival non-increasing by a running minimum: {int(changed.sum())} point(s) lowered, "
            f"largest adjustment {_fmt(float(np.max(s - monotone)))}"
        )
    s = monotone

    # keep one point per time: the last (lowest) after sorting
    keep = np.append(t[1:] != t[:-1], True)
    if not keep.all():
        log.append(f"dropped {int((~keep).sum())} point(s) sharing a time with another (kept the lowest survival)")
    t, s = t[keep], s[keep]
    if t.size < 2:
        raise ValueError(f"{name} needs at least one digitised point after time 0")
    return CleanCurve(time=t, survival=s, log=log)


def clean_at_risk(at_risk, *, t_max: float, name: str = "at_risk") -> CleanAtRisk:
    """Validate and clean the published numbers at risk.

    ``at_risk`` is a DataFrame ``time, n_risk`` or a single integer (the number randomised, that
    is, an at-risk table with the one row ``(0, n)``). Rows with a missing time or count are dropped
    (the two intervals on either side merge into one). Counts must be non-negative whole numbers,
    non-increasing in time; times must lie within the curve's range [0, ``t_max``] and the first
    must be 0. Rows after the first zero count are dropped.
    """
    log: list[str] = []
    if isinstance(at_risk, numbers.Integral) and not isinstance(at_risk, bool):
        if at_risk <= 0:
            raise ValueError(f"{name} given as a number must be the number randomised, a positive integer; got {at_risk!r}")
        return CleanAtRisk(time=np.array([0.0]), n_risk=np.array([int(at_risk)]), log=log)
    if isinstance(at_risk, numbers.Real) and not isinstance(at_risk, bool):
        raise ValueError(f"{name} given as a number must be a whole number of participants; got {at_risk!r}")
    frame = _require_frame(at_risk, name, ("time", "n_risk"))
    t = _numeric(frame["time"], name, "time")
    n = _numeric(frame["n_risk"], name, "n_risk")
    missing = np.isnan(t) | np.isnan(n)
    if missing.any():
        where = ", ".join(_fmt(x) for x in t[missing & ~np.isnan(t)])
        log.append(
            f"dropped {int(missing.sum())} at-risk row(s) with a missing value"
            + (f" (at time {where})" if where else "")
            + "; the intervals on either side are merged"
        )
        t, n = t[~missing], n[~missing]
    if t.size == 0:
        raise ValueError(f"{name} has no complete rows; at least the number at risk at time 0 is needed")
    if not np.all(np.isfinite(t)) or not np.all(np.isfinite(n)):
        raise ValueError(f"{name} contains infinite values")
    if (t < 0).any():
        raise ValueError(f"{name}['time'] must be >= 0; got {_fmt(t[t < 0][0])}")
    if (n < 0).any():
        raise ValueError(f"{name}['n_risk'] must be >= 0; got {_fmt(n[n < 0][0])}")
    if np.any(n != np.round(n)):
        raise ValueError(f"{name}['n_risk'] must be whole numbers of participants; got {_fmt(n[n != np.round(n)][0])}")
    order = np.argsort(t, kind="stable")
    if not np.array_equal(order, np.arange(t.size)):
        log.append("sorted the at-risk table by time")
    t, n = t[order], n[order].astype(np.int64)
    if np.any(np.diff(t) == 0):
        dup = t[1:][np.diff(t) == 0][0]
        raise ValueError(f"{name}['time'] has duplicate time {_fmt(dup)}; expected one count per time")
    if np.any(np.diff(n) > 0):
        i = int(np.argmax(np.diff(n) > 0))
        raise ValueError(
            f"{name}['n_risk'] must not increase over time; got {n[i]} at time {_fmt(t[i])} "
            f"then {n[i + 1]} at time {_fmt(t[i + 1])}"
        )
    if t[0] != 0:
        raise ValueError(
            f"{name} must start at time 0 with the number randomised; the first row is at time {_fmt(t[0])}"
        )
    if n[0] <= 0:
        raise ValueError(f"{name}['n_risk'] at time 0 must be positive; got {n[0]}")
    if t[-1] > t_max:
        raise ValueError(
            f"{name}['time'] must lie within the curve's range [0, {_fmt(t_max)}]; got {_fmt(t[-1])} "
            "(digitise the curve up to its end, or drop the at-risk rows beyond it)"
        )
    zero = np.flatnonzero(n == 0)
    if zero.size and zero[0] < t.size - 1:
        log.append(
            f"dropped {t.size - 1 - zero[0]} at-risk row(s) after the count reached 0 at time {_fmt(t[zero[0]])}"
        )
        t, n = t[: zero[0] + 1], n[: zero[0] + 1]
    return CleanAtRisk(time=t, n_risk=n, log=log)


def step_value(t: np.ndarray, s: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function through points ``(t, s)`` (t sorted, t[0] = 0) at ``at``."""
    idx = np.searchsorted(t, at, side="right") - 1
    return s[np.clip(idx, 0, None)]


def add_points_at(curve: CleanCurve, times: np.ndarray) -> tuple[CleanCurve, int]:
    """Insert points at ``times`` (read off the step curve) where the curve has none.

    Guyot et al. ask the user to read the curve at each at-risk time, so that every interval
    between published counts starts at a digitised point; this does it for them.
    """
    new = np.setdiff1d(np.asarray(times, dtype=float), curve.time)
    if new.size == 0:
        return curve, 0
    s_new = step_value(curve.time, curve.survival, new)
    t = np.concatenate([curve.time, new])
    s = np.concatenate([curve.survival, s_new])
    order = np.argsort(t, kind="stable")
    return CleanCurve(time=t[order], survival=s[order], log=list(curve.log)), int(new.size)
