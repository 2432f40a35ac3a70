"""Inversion of a Kaplan-Meier curve whose values are known to a stated precision.

Written by hand: neither the published algorithm (Guyot et al. 2012) nor IPDfromKM or
reconstructKM does this. A Kaplan-Meier drop multiplies survival by ``1 - d/n``: ``d`` events
among ``n`` at risk. When the survival values are exact (a curve exported at full precision, the
estimate printed in a table) or rounded finely (a curve read from a vector figure), the ratio
``S(t_k) / S(t_k-)`` at each drop pins ``d/n`` down to a narrow interval, so the numbers at risk at
every event time - and from them the number censored between consecutive events - can be read
off the curve rather than estimated. Guyot's algorithm estimates them between published at-risk
times and is off by a few participants there, which shows in the tail of the curve (one event
among 20 at risk is a step of 5%).

The numbers at risk are chosen by dynamic programming over the drops. At each drop every ``n``
is a candidate whose best ``d`` puts ``1 - d/n`` inside the interval the precision of the two
values allows. The sequence must fall over time (``n`` at a drop is at most ``n - d`` at the drop
before) and respect the published numbers at risk, and it minimises the summed squared distance
of each ``d/n`` from the drop read off the curve, in units of its allowed half-width, plus
TIE_COST for each tied event beyond the first. When ``total_events`` is given and that reading
misses it, the tie cost is tuned until a reading reproduces it, if one does.

The reading is used only if it exists, reproduces every digitised value to within ten times the
precision (and 0.005), and - for values so coarse that a single event could vanish in rounding
(VISIBILITY) - gives exactly the reported total. Otherwise the caller falls back to Guyot's
algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Relative error of a survival value that is an exact product of Kaplan-Meier factors written
# out in binary64: each factor and each product adds at most one unit roundoff, so a curve with
# k drops carries at most about k * 2.2e-16; 1e-12 allows 4,500 drops. Fractions with
# denominators up to n are at least 1/n**2 apart (2.5e-9 at n = 20,000), so at full precision the
# interval of each drop holds one fraction (and its multiples).
RELATIVE_PRECISION = 1e-12
MAX_RANDOMISED = 20_000
# Values that all sit on a grid of p decimal places (p <= 8) were rounded to p places: their
# precision is half a unit of the last place.
ROUNDED_DECIMALS = 8
# The drops can be read on their own only if every event shows as a drop: a one-event drop is at
# least S / n (S the lowest positive value of the curve, n the number randomised), and it cannot
# vanish in rounding when it exceeds twice the precision h. So h * n / S must stay below 1/2: with
# 250 randomised, 3 decimals pass for a curve that stays above 0.25 (0.0005 * 250 / 0.25) and 2
# decimals never do; with 20 randomised, 2 decimals pass above 0.2. Below
# that the reading is kept only when it reproduces the reported total number of events exactly
# (in simulated trials of 150 to 250 at 3 decimals it always did and matched the truth to 0.002;
# at 2 decimals a reading missed the total by up to 16% and is then refused).
VISIBILITY = 0.5
# The inverted curve must reproduce each digitised value to within this many times its precision
# (the per-drop errors add up along the curve).
REPRODUCTION_FACTOR = 10.0
# ... and never by more than half a percentage point, whatever the precision (at 2 decimals ten
# times the precision would let a reading miss the figure by 0.05).
REPRODUCTION_CAP = 0.005
# Cost of each tied event beyond the first at a drop, in the units of the squared distance (one
# allowed half-width squared): of two readings that fit a drop equally well (1 of 50 or 2 of 100),
# the one without ties is kept, as ties are rare on a continuous time scale.
TIE_COST = 1.0


@dataclass(frozen=True)
class ExactFit:
    """Events and numbers at risk at each drop of the curve, and the censoring times implied."""

    time: np.ndarray  # drop times
    n_risk: np.ndarray  # at risk just before each drop
    events: np.ndarray  # events at each drop
    censor_times: np.ndarray  # one entry per censored participant


def decimal_places(s: np.ndarray) -> int | None:
    """Smallest p <= ROUNDED_DECIMALS with every value on a p-decimal grid; None if there is none."""
    for p in range(ROUNDED_DECIMALS + 1):
        scaled = s * 10.0**p
        # binary64 error of the scaled value is a few ulp of 10**p, far below 1e-6
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6):
            return p
    return None


def precision(s: np.ndarray) -> np.ndarray:
    """Precision of each survival value: half a unit of its last decimal place, or binary64 noise."""
    places = decimal_places(s)
    h = RELATIVE_PRECISION * s if places is None else np.full(s.size, 0.5 * 10.0**-places)
    return h + 1e-15  # binary64 noise of values written with few digits


def events_visible(s: np.ndarray, h: np.ndarray, n0: int) -> bool:
    """Whether every single event must show as a drop at this precision (see VISIBILITY)."""
    positive = s[s > 0]
    return not positive.size or float(h.max()) * n0 / float(positive.min()) < VISIBILITY


def _bounds(times: np.ndarray, risk_t: np.ndarray, risk_n: np.ndarray):
    """Per-drop bounds from the at-risk table: n <= upper, n >= lower_n, n - d >= lower_after."""
    # latest at-risk time <= the drop: those at risk at the drop were at risk then
    i_le = np.searchsorted(risk_t, times, side="right") - 1
    upper = risk_n[i_le]
    lower_n = np.where(risk_t[i_le] == times, risk_n[i_le], 0)  # at-risk time equal to the drop time
    # first at-risk time after the drop: those left after it include everyone at risk then
    i_gt = np.searchsorted(risk_t, times, side="right")
    lower_after = np.where(i_gt < risk_t.size, risk_n[np.minimum(i_gt, risk_t.size - 1)], 0)
    return upper.astype(np.int64), lower_n.astype(np.int64), lower_after.astype(np.int64)


def _suffix_min(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each x: min(values[x:]) and the smallest index attaining it."""
    rev = values[::-1]
    run = np.minimum.accumulate(rev)
    pos = np.maximum.accumulate(np.where(rev == run, np.arange(rev.size), 0))
    return run[::-1], (rev.size - 1 - pos)[::-1]


def _choose_counts(q_lo, q_mid, q_hi, n0, upper, lower_n, lower_after, tie_cost=None):
    """Numbers at risk and events at each drop (dynamic programming, see the module text); None if
    no sequence is consistent. ``tie_cost`` is the cost of each event beyond the first at a drop
    (TIE_COST by default; a lower or negative value favours more events, see _match_total)."""
    mu = TIE_COST if tie_cost is None else tie_cost
    n = np.arange(n0 + 1, dtype=np.int64)
    nf = np.maximum(n, 1).astype(np.float64)
    best_left = np.full(n0 + 1, np.inf)
    best_left[n0] = 0.0  # before the first drop everyone randomised is "left"
    steps = []
    for j in range(q_mid.size):
        g, pred = _suffix_min(best_left)  # cheapest path leaving at least n for this drop
        d_lo = np.maximum(np.ceil(q_lo[j] * nf), 1)
        d_hi = np.minimum(np.floor(q_hi[j] * nf), nf)
        half = max((q_hi[j] - q_lo[j]) / 2.0, 1e-300)

        def cost_of(dd):
            return ((dd / nf - q_mid[j]) / half) ** 2 + mu * (dd - 1)

        # the best d for each n: the cost is a parabola in d, minimised at d_star
        d_star = nf * q_mid[j] - mu * half**2 * nf**2 / 2.0
        d_a = np.clip(np.floor(d_star), d_lo, d_hi)
        d_b = np.clip(np.ceil(d_star), d_lo, d_hi)
        d = np.where(cost_of(d_b) < cost_of(d_a), d_b, d_a).astype(np.int64)
        ok = (
            (n >= 1)
            & (d_lo <= d_hi)
            & (n <= upper[j])
            & (n >= lower_n[j])
            & (n - d >= lower_after[j])
            & np.isfinite(g)
        )
        if not ok.any():
            return None
        cost = g[ok] + cost_of(d)[ok]
        n_ok, d_ok, pred_ok = n[ok], d[ok], pred[ok]
        left = n_ok - d_ok
        # for each number left, the cheapest (n, d); ties keep the larger n (fewer censored)
        order = np.lexsort((-n_ok, cost, left))
        first = np.ones(order.size, dtype=bool)
        first[1:] = left[order][1:] != left[order][:-1]
        win = order[first]
        best_left = np.full(n0 + 1, np.inf)
        best_left[left[win]] = cost[win]
        steps.append((left[win], n_ok[win], d_ok[win], pred_ok[win]))
    # backtrack from the cheapest end (ties: most left at risk)
    x = int(np.flatnonzero(best_left == best_left.min())[-1])
    n_out = np.empty(q_mid.size, dtype=np.int64)
    d_out = np.empty(q_mid.size, dtype=np.int64)
    for j in range(q_mid.size - 1, -1, -1):
        lefts, ns, ds, preds = steps[j]
        k = int(np.searchsorted(lefts, x))
        n_out[j], d_out[j], x = ns[k], ds[k], int(preds[k])
    return n_out, d_out


def _match_total(read, total: int, span: float):
    """The reading whose events add up to ``total``, found by bisection on the cost of a tied
    event (the total falls as that cost rises); None if no cost gives exactly ``total``."""
    lo, hi = -span, span
    at_lo, at_hi = read(lo), read(hi)
    if at_lo is None or at_hi is None:
        return None
    if int(at_lo[1].sum()) < total or int(at_hi[1].sum()) > total:
        return None
    for _ in range(60):
        mid = (lo + hi) / 2.0
        got = read(mid)
        if got is None:
            return None
        n_events = int(got[1].sum())
        if n_events == total:
            return got
        if n_events > total:
            lo = mid
        else:
            hi = mid
    return None


def _spread(lo: float, hi: float, count: int, *, closed_right: bool) -> np.ndarray:
    """``count`` times evenly spaced in (lo, hi) (or (lo, hi] with ``closed_right``)."""
    if count <= 0:
        return np.empty(0)
    if closed_right:
        return lo + (hi - lo) * np.arange(1, count + 1) / count
    return lo + (hi - lo) * np.arange(1, count + 1) / (count + 1)


def exact_inversion(
    t: np.ndarray, s: np.ndarray, risk_t: np.ndarray, risk_n: np.ndarray, total_events: int | None = None
) -> ExactFit | None:
    """Read events and numbers at risk off a precisely known curve, or None when that is not possible.

    ``t, s`` are cleaned points (``t[0] = 0``, ``s[0] = 1``, ``s`` non-increasing); ``risk_t,
    risk_n`` the cleaned at-risk table (``risk_t[0] = 0``). Censorings are placed evenly in time
    between consecutive event and at-risk times, so that the published numbers at risk are
    reproduced; those still at risk after the last event or at-risk time are spread up to the end
    of the curve, the last at its end.

    Of the readings that fit, the one with fewest tied events is kept, unless ``total_events`` is
    given and another reading reproduces it (then that one). When the values are too coarse for
    every event to show as a drop (:func:`events_visible`), the reading is kept only if it gives
    exactly ``total_events`` (an independent check); without ``total_events`` it is not attempted.
    """
    n0 = int(risk_n[0])
    if n0 > MAX_RANDOMISED or n0 <= 0:
        return None
    h = precision(s)
    checked_by_total = not events_visible(s, h, n0)
    if checked_by_total and total_events is None:
        return None

    drop = np.flatnonzero(s[1:] < s[:-1]) + 1
    if drop.size == 0:
        if checked_by_total and total_events != 0:
            return None
        times, n_risk, events = np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    else:
        sp, sj, hp, hj = s[drop - 1], s[drop], h[drop - 1], h[drop]
        if np.any(sp - hp <= 0):
            return None
        r_lo = np.clip(sj - hj, 0.0, None) / (sp + hp)
        r_hi = np.minimum((sj + hj) / (sp - hp), 1.0)
        times = t[drop]
        upper, lower_n, lower_after = _bounds(times, risk_t, risk_n)
        def read(tie_cost=None):
            return _choose_counts(1.0 - r_hi, 1.0 - sj / sp, 1.0 - r_lo, n0, upper, lower_n, lower_after, tie_cost)

        chosen = read()
        if chosen is None:
            return None
        if total_events is not None and int(chosen[1].sum()) != total_events:
            # several readings fit the drops (2 of 20 or 1 of 10): the reported total decides;
            # each drop's squared distance is at most 1, so a tie cost beyond the number of
            # drops (+1) no longer changes with the distances
            matched = _match_total(read, total_events, float(drop.size + 1))
            if matched is not None:
                chosen = matched
            elif checked_by_total:
                return None
        n_risk, events = chosen
        fitted = np.cumprod(1.0 - events / n_risk)
        if np.any(np.abs(fitted - sj) > np.minimum(REPRODUCTION_FACTOR * hj, REPRODUCTION_CAP)):
            return None

    # checkpoints: (time, at risk, events there), from the drops and the at-risk table
    is_drop_time = np.isin(risk_t, times)
    cp_t = np.concatenate([times, risk_t[~is_drop_time]])
    cp_y = np.concatenate([n_risk, risk_n[~is_drop_time]]).astype(np.int64)
    cp_d = np.concatenate([events, np.zeros(int((~is_drop_time).sum()), np.int64)])
    order = np.argsort(cp_t, kind="stable")
    cp_t, cp_y, cp_d = cp_t[order], cp_y[order], cp_d[order]
    censor = []
    for k in range(cp_t.size - 1):
        c = int(cp_y[k] - cp_d[k] - cp_y[k + 1])
        if c < 0:  # cannot happen once the bounds hold; refuse rather than invent participants
            return None
        censor.append(_spread(cp_t[k], cp_t[k + 1], c, closed_right=False))
    remaining = int(cp_y[-1] - cp_d[-1])
    t_end = float(t[-1])
    censor.append(_spread(cp_t[-1], t_end, remaining, closed_right=True) if t_end > cp_t[-1] else np.full(remaining, t_end))
    return ExactFit(time=times, n_risk=n_risk, events=events, censor_times=np.concatenate(censor))
