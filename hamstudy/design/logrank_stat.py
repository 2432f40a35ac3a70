"""The two-sample log-rank statistic for many trials at once (one trial per row).

lifelines and hamstudy.survival test one data set per call; a power simulation needs the statistic
for thousands of trials, so it is vectorised here by hand with numpy: one sort per row, then
cumulative sums give every risk set.
"""

from __future__ import annotations

import numpy as np


def logrank_statistics(time, event, group) -> tuple[np.ndarray, np.ndarray]:
    """Log-rank score and variance for each row of a batch of two-arm trials.

    Parameters
    ----------
    time : array_like, shape (n_trials, n)
        Follow-up times; each row is one trial.
    event : array_like of bool, shape (n_trials, n)
        True for an event, False for a censored time.
    group : array_like of bool, shape (n_trials, n)
        True for arm 2. Arms may have different sizes in different rows.

    Returns
    -------
    score, variance : ndarray, shape (n_trials,)
        ``score = O2 - E2`` (observed minus expected events in arm 2) and its hypergeometric
        variance. ``score / sqrt(variance)`` is the signed log-rank Z and its square the chi-square
        statistic of ``survival::survdiff`` and ``lifelines.statistics.logrank_test``.

    Notes
    -----
    Tied times are handled exactly as in ``survdiff``: at each distinct event time with ``d``
    events among ``N`` at risk (``N2`` of them in arm 2), ``E2 = d N2 / N`` and the variance adds
    ``d (N2/N)(1 - N2/N)(N - d)/(N - 1)``; athletes censored at that time are still at risk. A
    row without events has score 0 and variance 0.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    group = np.asarray(group, dtype=bool)
    if time.ndim == 1:
        time, event, group = time[None, :], event[None, :], group[None, :]
    if not (time.shape == event.shape == group.shape) or time.ndim != 2:
        raise ValueError("time, event and group must be 2-D arrays of the same shape (one trial per row)")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ValueError("time must be finite and non-negative")
    n_rows, n = time.shape
    if n == 0:
        zeros = np.zeros(n_rows)
        return zeros, zeros.copy()

    order = np.argsort(time, axis=1)
    ts = np.take_along_axis(time, order, axis=1)
    # carry event and arm through the sort in one gather
    code = np.take_along_axis(event.view(np.int8) + 2 * group.view(np.int8), order, axis=1)
    es = (code & 1).astype(float)
    gs = (code >> 1).astype(float)
    n2_total = gs.sum(axis=1, keepdims=True)
    g_before = np.cumsum(gs, axis=1) - gs  # arm-2 athletes earlier in the order

    same_as_next = ts[:, 1:] == ts[:, :-1]
    tied_event = same_as_next & ((es[:, 1:] + es[:, :-1]) > 0)
    if not tied_event.any():
        # No event shares its time with anyone: every event is its own risk set.
        at_risk = (n - np.arange(n, dtype=float))[None, :]
        frac2 = (n2_total - g_before) / at_risk
        score = np.sum(es * (gs - frac2), axis=1)
        variance = np.sum(es * frac2 * (1.0 - frac2), axis=1)
        return score, variance

    # General path with ties: aggregate each block of equal times at its last position.
    idx = np.arange(n)
    starts = np.ones_like(ts, dtype=bool)
    starts[:, 1:] = ~same_as_next
    ends = np.ones_like(ts, dtype=bool)
    ends[:, :-1] = ~same_as_next
    start_idx = np.maximum.accumulate(np.where(starts, idx[None, :], 0), axis=1)
    cum_e = np.cumsum(es, axis=1)
    e2 = es * gs
    cum_e2 = np.cumsum(e2, axis=1)
    d = cum_e - np.take_along_axis(cum_e - es, start_idx, axis=1)
    d2 = cum_e2 - np.take_along_axis(cum_e2 - e2, start_idx, axis=1)
    at_risk = (n - start_idx).astype(float)
    frac2 = (n2_total - np.take_along_axis(g_before, start_idx, axis=1)) / at_risk
    use = ends & (d > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tie_factor = np.where(at_risk > 1, (at_risk - d) / (at_risk - 1.0), 0.0)
    score = np.sum(np.where(use, d2 - d * frac2, 0.0), axis=1)
    variance = np.sum(np.where(use, d * frac2 * (1.0 - frac2) * tie_factor, 0.0), axis=1)
    return score, variance
