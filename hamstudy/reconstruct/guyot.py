"""The iterative algorithm of Guyot et al. (2012) on cleaned arrays.

Written by hand: no maintained Python implementation exists (R has IPDfromKM and reconstructKM).
The structure follows the authors' published R code step by step. ``censoring="even"`` is that
algorithm with only the safety guards of :data:`GUARDS`; ``censoring="adaptive"`` (the default of
:func:`hamstudy.reconstruct.reconstruct_ipd`) adds the refinements of :data:`REFINEMENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CENSORING_MODES = ("adaptive", "even")
# A fit whose event total is within this relative distance of the reported total counts as
# agreeing with it (noise in a digitised curve moves an event or two among a hundred).
EVENT_SLACK = 0.02
# ... unless its fitted curve is this far from a digitised point somewhere (a whole visible step
# left undrawn, such as the last drop to 0 of a curve): then the total does not excuse the misfit.
GAP_LIMIT = 0.1

GUARDS = (
    "numbers of events are clipped to [0, number at risk] (the published code can produce a "
    "negative count when rounding leaves the fitted curve below a digitised point)",
    "the number at risk is kept non-negative in every interval, not only the last",
    "divisions by a zero number at risk or a zero fitted survival give no events instead of NaN",
    "the censoring search stops when it revisits a count (the published while-loop can cycle for "
    "ever) and keeps the count whose result is closest to the target; when too few remain at risk "
    "it tries zero censorings before giving up (the published loop stops as soon as the next "
    "update would be <= 0)",
    "the censoring rate carried into the last interval is computed from the numbers actually "
    "censored in the earlier intervals",
)

REFINEMENTS = (
    "within each interval between published counts, censorings are spread in several shapes - "
    "evenly in time (the published rule), at a constant censoring hazard among those at risk, or "
    "front- or back-loaded - and the shape whose fitted curve follows the digitised points best "
    "is kept (ties go to the published even spread)",
    "after the last at-risk time every censoring count and shape is tried and the one whose fitted "
    "curve is closest to the digitised points is kept, among those giving the event total the "
    "published procedure reaches",
    "when the events needed before the last at-risk time already reach total_events, the published "
    "code places no events after it even where the curve falls; here that interval is fitted to "
    "the curve and a note reports the excess",
    "a fourth fit assumes a constant censoring hazard in every interval (steady dropout): with a "
    "noisy digitisation the distance to the curve cannot tell the shapes apart, and the even spread "
    "overstates the numbers at risk early in each interval, adding events",
    "of the refined and the published fits, the one closest to the digitised curve among those "
    "within 2% of total_events and 0.1 of every digitised point is kept (if none is, the one with "
    "the smallest larger-of relative event error and distance to the curve)",
)


@dataclass
class GuyotResult:
    """Events ``d[k]`` at ``t[k]`` and censorings ``cen[k]`` in ``(t[k], t[k+1])``."""

    d: np.ndarray
    cen: np.ndarray
    n_start: int
    notes: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Participants still at risk at the last digitised time (censored there)."""
        return int(self.n_start - self.d.sum() - self.cen.sum())


def _round(x: float) -> int:
    # R's round() rounds half to even, as numpy does.
    return int(np.round(x))


class _State:
    """Arrays shared by the interval steps (the published code's global vectors)."""

    def __init__(self, t: np.ndarray, s: np.ndarray, n0: int):
        nk = t.size
        self.t = t
        self.s = s
        self.d = np.zeros(nk, dtype=np.int64)
        self.cen = np.zeros(nk, dtype=np.int64)
        self.km = np.ones(nk)
        self.nhat = np.full(nk + 1, n0 + 1, dtype=np.int64)

    def spread(self, n_censor: int, lo: int, end: int, lam: float | None = None) -> None:
        """Place ``n_censor`` censorings in (t[lo], t[end]) and count them per gap (t[k], t[k+1]].

        ``lam=None`` spaces them evenly in time, as the published code does (bins right-closed, as
        R's ``hist`` makes them). Otherwise they sit at equally spaced quantiles of the density
        S(t) exp(-lam (t - t[lo])): a constant censoring hazard ``lam`` among those still at risk
        (``lam < 0`` loads them towards the end). Counts go to ``cen[lo:end]``.
        """
        self.cen[lo:end] = 0
        if n_censor <= 0 or end <= lo:
            return
        j = np.arange(1, n_censor + 1)
        t = self.t[lo : end + 1]
        if lam is None:
            times = t[0] + j * (t[-1] - t[0]) / (n_censor + 1)
            bins = np.searchsorted(t, times, side="left") - 1
        else:
            left, right = t[:-1] - t[0], t[1:] - t[0]
            mass = (np.exp(-lam * left) - np.exp(-lam * right)) / lam if lam != 0 else right - left
            edges = np.concatenate([[0.0], np.cumsum(self.s[lo:end] * mass)])
            if edges[-1] <= 0:  # the curve is at 0 throughout: fall back to time alone
                edges = np.concatenate([[0.0], np.cumsum(mass)])
            bins = np.searchsorted(edges, j * edges[-1] / (n_censor + 1), side="left") - 1
        bins = np.clip(bins, 0, end - lo - 1)
        self.cen[lo:end] = np.bincount(bins, minlength=end - lo)

    def events(self, lo: int, hi: int, n_start: int, last: int, first: bool) -> int:
        """Fit events at points lo..hi so that the product-limit estimate follows the curve.

        Returns the index of the last point with an event (the published code's ``last``).
        """
        d, km, nhat, cen, s = self.d, self.km, self.nhat, self.cen, self.s
        nhat[lo] = n_start
        for k in range(lo, hi + 1):
            if first and k == lo:
                d[k] = 0
                km[k] = 1.0
            else:
                n_k = nhat[k]
                if n_k > 0 and km[last] > 0:
                    d[k] = min(max(_round(n_k * (1.0 - s[k] / km[last])), 0), n_k)  # guard: clip
                    km[k] = km[last] * (1.0 - d[k] / n_k)
                else:  # guard: nobody at risk or fitted curve at 0
                    d[k] = 0
                    km[k] = km[last]
            nxt = nhat[k] - d[k] - cen[k]
            if nxt < 0:  # guard (published: last interval only): no negative numbers at risk
                cen[k] = nhat[k] - d[k]
                nxt = 0
            nhat[k + 1] = nxt
            if d[k] != 0:
                last = k
        return last

    def gap(self, lo: int, hi: int) -> tuple[float, float]:
        """Largest and summed |fitted - digitised| over points lo..hi (rounded to ignore float noise)."""
        g = np.abs(self.km[lo : hi + 1] - self.s[lo : hi + 1])
        return round(float(g.max()), 12), round(float(g.sum()), 12)


def _censoring_hazard(n_start: int, n_end: int, s_ratio: float, span: float) -> float:
    """Constant censoring hazard taking ``n_start`` at risk to ``n_end`` over ``span`` while the
    curve falls by ``s_ratio`` (at risk = n_start x survival ratio x censoring-survival ratio)."""
    if n_start <= 0 or n_end <= 0 or s_ratio <= 0 or span <= 0:
        return 0.0
    g = (n_end / n_start) / s_ratio
    return float(-np.log(g) / span) if 0 < g < 1 else 0.0


def _shapes(mode: str, lam_star: float, span: float) -> list:
    """Censoring shapes to try: None (even in time, the published rule) first."""
    if mode == "even":
        return [None]
    if mode == "hazard":
        return [lam_star]
    extra = [k / span for k in (-3.0, -1.5, 0.0, 1.5, 3.0)] if span > 0 else []
    return [None, lam_star, *extra]


def _search(run, start: int, target: int, *, upper: int | None = None) -> tuple[int, int, bool]:
    """Adjust a censoring count until ``run(count)`` hits ``target``.

    ``run(c)`` fits the interval with ``c`` censorings and returns the statistic to match (the
    number at risk at the next published time, or the total number of events). The update is the
    published one, ``c <- c + (result - target)``, floored at 0 (and capped at ``upper``). It stops
    when the result equals the target, when the result is below the target with ``c = 0`` (no
    censoring left to remove), or when a count repeats (guard). Returns (count, result, converged);
    the state is left as fitted with the returned count.
    """
    tried: dict[int, int] = {}
    c = max(start, 0) if upper is None else min(max(start, 0), upper)
    while c not in tried:
        result = run(c)
        tried[c] = result
        if result == target or (result < target and c == 0):
            return c, result, result == target
        c_new = max(c + (result - target), 0)
        c = c_new if upper is None else min(c_new, upper)
    best = min(tried, key=lambda k: (abs(tried[k] - target), k))
    return best, run(best), False


def guyot(
    t: np.ndarray,
    s: np.ndarray,
    lower: np.ndarray,
    n_risk: np.ndarray,
    total_events: int | None = None,
    *,
    censoring: str = "adaptive",
) -> GuyotResult:
    """Run the algorithm of Guyot et al. (2012).

    Parameters
    ----------
    t, s : ndarray
        Cleaned digitised points, ``t[0] = 0``, ``s[0] = 1``, times strictly increasing.
    lower : ndarray of int
        Index of the first point of each at-risk interval (``lower[0] = 0``); the point sits at the
        at-risk time.
    n_risk : ndarray of int
        Published numbers at risk at the start of each interval.
    total_events : int, optional
        Total number of events, used to tune censoring in the last interval.
    censoring : {"adaptive", "even"}
        "even" is the published algorithm (with :data:`GUARDS`). "adaptive" also fits with
        :data:`REFINEMENTS` (in the intervals only, in the intervals and after the last at-risk
        time, and with a constant censoring hazard in the intervals) and keeps, of these and the
        published fit, the one closest to the digitised curve (largest distance) among those within
        EVENT_SLACK of ``total_events`` and GAP_LIMIT of the curve; if none is, the one with the
        smallest larger-of relative event error and distance.
    """
    if censoring not in CENSORING_MODES:
        raise ValueError(f"censoring must be one of {CENSORING_MODES}; got {censoring!r}")
    if censoring == "even":
        return _core(t, s, lower, n_risk, total_events, "even", False)[0]
    # Keep the best of four fits: refined intervals and tail, refined intervals only, published,
    # and a constant censoring hazard in every interval with a refined tail.
    # Fits within EVENT_SLACK of total_events (and within GAP_LIMIT of every digitised point) count
    # as agreeing with the data, and of those the closest to the digitised curve wins: noise can
    # move an event or two before the last at-risk time, and a fit that insists on the exact total
    # then leaves visible drops of the tail undrawn. If none agrees, the larger of relative event
    # error and distance decides (both proportions). Ties keep the earlier candidate.
    best = None
    for flags in (("adaptive", True), ("adaptive", False), ("even", False), ("hazard", True)):
        fit, gap = _core(t, s, lower, n_risk, total_events, *flags)
        miss = abs(int(fit.d.sum()) - total_events) / max(total_events, 1) if total_events is not None else 0.0
        agrees = miss <= EVENT_SLACK and gap <= GAP_LIMIT
        key = (not agrees, round(gap if agrees else max(miss, gap), 12))
        if best is None or key < best[0]:
            best = (key, fit)
    return best[1]


def _core(t, s, lower, n_risk, total_events, interval_shapes: str, adaptive_last: bool) -> tuple[GuyotResult, float]:
    """One fit; returns it and the largest |fitted - digitised| over all points.

    ``interval_shapes`` is "even" (the published spread), "adaptive" (every shape of _shapes, the
    best-fitting kept) or "hazard" (a constant censoring hazard in every interval)."""
    nk = t.size
    nint = lower.size
    n_risk = np.asarray(n_risk, dtype=np.int64).copy()
    upper = np.append(lower[1:] - 1, nk - 1)
    st = _State(t, s, int(n_risk[0]))
    last_i = np.zeros(nint, dtype=np.int64)
    notes: list[str] = []
    lam_prev: float | None = None

    for i in range(nint - 1):
        lo, nxt = int(lower[i]), int(lower[i + 1])
        ratio = s[nxt] / s[lo] if s[lo] > 0 else 0.0
        first_guess = _round(n_risk[i] * ratio - n_risk[i + 1])
        span = t[nxt] - t[lo]
        target = int(n_risk[i + 1])
        box: dict = {}

        def run(c: int, i=i, lo=lo, nxt=nxt, box=box) -> int:
            st.spread(c, lo, nxt, box["lam"])
            box["last"] = st.events(lo, nxt - 1, int(n_risk[i]), int(last_i[i]), first=(i == 0))
            return int(st.nhat[nxt])

        best = None
        for shape in _shapes(interval_shapes, _censoring_hazard(n_risk[i], target, ratio, span), span):
            box["lam"] = shape
            c_i, got, ok = _search(run, first_guess, target, upper=int(n_risk[i]))
            key = (abs(got - target), *st.gap(lo, nxt - 1))
            if best is None or key < best[0]:
                best = (key, shape, c_i, got, ok)
        _, lam, c_i, got, ok = best
        box["lam"] = lam
        run(c_i)
        if got != target:
            notes.append(
                f"interval starting at t={t[lo]:.6g}: the curve is consistent with {got} at risk at "
                f"t={t[nxt]:.6g}, not the published {target}; {got} carried forward"
                + ("" if ok or got < target else " (censoring search cycled)")
            )
            n_risk[i + 1] = got
        last_i[i + 1] = box["last"]
        lam_prev = lam

    # last interval: from the last at-risk time to the end of the curve
    lo, hi = int(lower[-1]), nk - 1
    if nint > 1:
        span_before = t[upper[-2]] - t[lower[0]]
        censored_before = int(st.cen[:lo].sum())
        rate_guess = censored_before * (t[hi] - t[lo]) / span_before if span_before > 0 else 0.0
        c_last = max(min(_round(rate_guess), int(n_risk[-1])), 0)
    else:
        c_last = 0
    shapes_last = [lam_prev] if not adaptive_last else list(dict.fromkeys([lam_prev, *_shapes("adaptive", 0.0, t[hi] - t[lo])]))

    def run_last(c: int, shape=shapes_last[0]) -> int:
        st.spread(c, lo, hi, shape)
        st.events(lo, hi, int(n_risk[-1]), int(last_i[-1]), first=(nint == 1))
        return int(st.d[: hi + 1].sum())

    def refine(c_ref: int, keep_total: int | None) -> None:
        # refinement: best-fitting (count, shape) after the last at-risk time
        if hi <= lo or n_risk[-1] <= 0:
            run_last(c_ref)
            return
        best = None
        n_last = int(n_risk[-1])
        # every count when affordable, else a window around the published procedure's count
        width = max(10, int(300_000 / (len(shapes_last) * (hi - lo + 1))))
        counts = range(max(0, c_ref - width), min(n_last, c_ref + width) + 1)
        for rank, shape in enumerate(shapes_last):
            for c in counts:
                total = run_last(c, shape)
                if keep_total is not None and total != keep_total:
                    continue
                key = (*st.gap(lo, hi), rank, abs(c - c_ref))
                if best is None or key < best[0]:
                    best = (key, c, shape)
        if best is None:
            run_last(c_ref)
        else:
            run_last(best[1], best[2])

    run_last(c_last)
    adaptive = adaptive_last
    if total_events is None:
        if adaptive:
            refine(c_last, None)
    else:
        sum_before = int(st.d[:lo].sum()) if nint > 1 else 0
        if nint > 1 and sum_before >= total_events:
            if adaptive:
                refine(c_last, None)
            else:  # published: no events and no censorings after the last at-risk time
                st.d[lo : hi + 1] = 0
                st.cen[lo:hi] = 0
                # the fitted curve stays where it was before the interval (for the gap below)
                before = np.flatnonzero(st.d[:lo])
                st.km[lo : hi + 1] = st.km[before[-1]] if before.size else 1.0
            got = int(st.d[: hi + 1].sum())
            if got != total_events:
                notes.append(
                    f"the curve needs {sum_before} events before the last at-risk time (t={t[lo]:.6g}) "
                    f"and {got} in all, not the reported {total_events}"
                )
        else:
            c_used, got, _ = _search(run_last, c_last, int(total_events), upper=int(n_risk[-1]))
            if adaptive:
                refine(c_used, got)
            if got != total_events:
                notes.append(f"the curve is consistent with {got} events in total, not the reported {total_events}")

    fit = GuyotResult(d=st.d.copy(), cen=st.cen.copy(), n_start=int(n_risk[0]), notes=notes)
    return fit, st.gap(0, nk - 1)[0]
