"""Closed-form and score intervals for proportions, their difference and ratio, and the NNT.

statsmodels has these intervals (``proportion_confint``, ``confint_proportions_2indep``), but
returns NaN or raises at the zero cells this package exists for, and has no NNT. They are written
here so that every bound is defined (or explicitly infinite) at zero cells; statsmodels serves as
the reference in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq

from hamstudy._result import Estimate, check_confidence_level, normal_quantile
from hamstudy.binary._validate import as_count


def _wilson_bounds(x: int, n: int, z: float) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = x / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # exact ends at zero and full counts (the formula gives them up to rounding)
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


def wilson_interval(events, total, *, confidence_level=0.95) -> Estimate:
    """Proportion with its Wilson score interval (no continuity correction).

    Parameters
    ----------
    events, total : int
        Number of events and of subjects (``total >= 1``).
    confidence_level : float
        Two-sided coverage of the interval.

    Returns
    -------
    Estimate
        ``estimate = events / total`` with the score interval; the lower bound is exactly 0 when
        ``events == 0`` and the upper bound exactly 1 when ``events == total``.

    Notes
    -----
    Method 3 of Newcombe (1998a). R: ``prop.test(x, n, correct = FALSE)$conf.int`` and
    ``binom::binom.wilson``; statsmodels: ``proportion_confint(method="wilson")``.

    References
    ----------
    .. [1] Wilson EB. Probable inference, the law of succession, and statistical inference.
       J Am Stat Assoc 1927;22:209-212.
    .. [2] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
       seven methods. Stat Med 1998;17:857-872.

    Examples
    --------
    >>> from hamstudy.binary import wilson_interval
    >>> est = wilson_interval(0, 13)
    >>> est.ci_low, round(est.ci_high, 4)
    (0.0, 0.2281)
    """
    x = as_count(events, "events")
    n = as_count(total, "total")
    if n < 1:
        raise ValueError(f"total must be at least 1; got {total!r}")
    if x > n:
        raise ValueError(f"events must not exceed total; got {x} > {n}")
    level = check_confidence_level(confidence_level)
    low, high = _wilson_bounds(x, n, normal_quantile(level))
    return Estimate(x / n, low, high, "Wilson score interval", confidence_level=level, name="proportion")


def newcombe_difference(e1: int, n1: int, e2: int, n2: int, confidence_level: float) -> Estimate:
    """Risk difference p1 - p2 with Newcombe's hybrid score interval (method 10, no correction)."""
    z = normal_quantile(confidence_level)
    p1, p2 = e1 / n1, e2 / n2
    l1, u1 = _wilson_bounds(e1, n1, z)
    l2, u2 = _wilson_bounds(e2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Estimate(
        d,
        max(-1.0, low),
        min(1.0, high),
        "Newcombe hybrid score (method 10)",
        confidence_level=confidence_level,
        name="risk_difference",
    )


def _koopman_statistic(phi: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """Koopman's score chi-square for H0: p1 / p2 = phi (Miettinen-Nurminen without (N-1)/N)."""
    big_n = n1 + n2
    # constrained MLE of p2 under p1 = phi * p2 (Miettinen & Nurminen 1985, eq. for the ratio)
    a = big_n * phi
    b = -(n1 * phi + x1 + n2 + x2 * phi)
    c = float(x1 + x2)
    disc = max(b * b - 4.0 * a * c, 0.0)
    # numerically stable root of a t^2 + b t + c = 0 (the smaller one, in [0, 1])
    q = -0.5 * (b - math.sqrt(disc))  # b < 0 so this has no cancellation
    p2 = c / q if q != 0 else 0.0
    p2 = min(max(p2, 0.0), 1.0)
    p1 = min(max(phi * p2, 0.0), 1.0)
    # (p1^ - phi p2^)^2 / (p1~(1 - p1~)/n1 + phi^2 p2~(1 - p2~)/n2), multiplied through by n1^2
    num = (x1 - phi * n1 * x2 / n2) ** 2
    var = n1 * p1 * (1.0 - p1) + phi * phi * n1 * n1 * p2 * (1.0 - p2) / n2
    if var <= 0.0:
        return math.inf if num > 0 else 0.0
    return num / var


def koopman_ratio(e1: int, n1: int, e2: int, n2: int, confidence_level: float) -> Estimate:
    """Risk ratio p1 / p2 with Koopman's (1984) score interval.

    The interval is {phi : T(phi) <= chi2_{1, level}}, where T is the score statistic for
    H0: p1 = phi p2 with the constrained maximum-likelihood estimates of Miettinen & Nurminen
    (1985) (their interval multiplies T by (N - 1) / N). Each limit is found by Brent's method in
    log(phi) to 1e-13. With no events in arm 2 the ratio and its upper limit are infinite and the
    lower limit is finite; with no events in arm 1 the ratio and the lower limit are 0 and the
    upper limit is finite; with no events at all the ratio is undefined (NaN) and the interval is
    [0, inf].
    """
    crit = normal_quantile(confidence_level) ** 2  # chi-square(1) quantile
    method = "Koopman asymptotic score"
    if e1 == 0 and e2 == 0:
        return Estimate(math.nan, 0.0, math.inf, method, confidence_level=confidence_level, name="risk_ratio")
    estimate = math.inf if e2 == 0 else (e1 / n1) / (e2 / n2)

    def excess(log_phi: float) -> float:
        return _koopman_statistic(math.exp(log_phi), e1, n1, e2, n2) - crit

    def root(lo: float, hi: float) -> float:
        # f(lo) and f(hi) of opposite signs; widen the outer end until they are
        return math.exp(brentq(excess, lo, hi, xtol=1e-13, rtol=4 * 2.220446049250313e-16, maxiter=500))

    if e1 == 0:
        low = 0.0
    else:
        centre = math.log(estimate) if math.isfinite(estimate) else math.log((e1 + 0.5) / n1 / (0.5 / n2))
        lo = centre - 1.0
        while excess(lo) < 0:
            lo -= 2.0 * (centre - lo)
        low = root(lo, centre)
    if e2 == 0:
        high = math.inf
    else:
        centre = math.log(estimate) if estimate > 0 else math.log((0.5 / n1) / ((e2 + 0.5) / n2))
        hi = centre + 1.0
        while excess(hi) < 0:
            hi += 2.0 * (hi - centre)
        high = root(centre, hi)
    return Estimate(estimate, low, high, method, confidence_level=confidence_level, name="risk_ratio")


@dataclass(frozen=True)
class NNTEstimate(Estimate):
    """Number needed to treat, signed as in Altman (1998).

    ``estimate = 1 / (p2 - p1)``: positive values are a number needed to treat for one to benefit
    (NNTB) with arm 1 instead of arm 2, negative values a number needed to treat for one to be
    harmed (NNTH), when the event is harmful (as a reinjury is). ``inf`` when the risks are equal.

    When the risk-difference interval excludes 0, the NNT interval is ``[ci_low, ci_high]``. When it
    includes 0 (``crosses_infinity``), the NNT interval is the union of ``(-inf, ci_low]`` and
    ``[ci_high, inf)``: "NNTH |ci_low| to infinity to NNTB ci_high" in Altman's words.
    """

    crosses_infinity: bool = False
    arm_labels: tuple[str, str] = ("arm 1", "arm 2")

    def describe(self, digits: int = 1) -> str:
        """Altman's wording, e.g. ``"NNTB 10.0 (95% CI NNTH 20.0 to infinity to NNTB 4.0)"``."""

        def part(v: float) -> str:
            if math.isinf(v):
                return "infinity"
            return f"{'NNTB' if v > 0 else 'NNTH'} {abs(v):.{digits}f}"

        level = f"{100 * self.confidence_level:g}% CI"
        if math.isnan(self.estimate):
            return "NNT undefined"
        if self.crosses_infinity:
            ci = f"{part(self.ci_low)} to infinity to {part(self.ci_high)}"
        else:
            ci = f"{part(self.ci_low)} to {part(self.ci_high)}"
        head = part(self.estimate) if math.isfinite(self.estimate) else "infinity"
        return f"{head} ({level} {ci}) with {self.arm_labels[0]} instead of {self.arm_labels[1]}"


def nnt_from_difference(rd: Estimate, *, labels: tuple[str, str] = ("arm 1", "arm 2")) -> NNTEstimate:
    """Number needed to treat from a risk difference ``p1 - p2`` and its interval (Altman 1998).

    Parameters
    ----------
    rd : Estimate
        Risk difference p1 - p2 (arm 1 minus arm 2) with its interval, e.g. Newcombe's.
    labels : (str, str)
        Arm names used by :meth:`NNTEstimate.describe`.

    Returns
    -------
    NNTEstimate
        ``estimate = 1 / (p2 - p1)``: positive is an NNTB with arm 1 instead of arm 2, negative
        an NNTH (for a harmful event such as reinjury); ``inf`` when the risks are equal.

    Notes
    -----
    The absolute risk reduction with arm 1 is ``ARR = p2 - p1 = -rd``; NNT = 1 / ARR with the
    limits of the ARR interval inverted and exchanged. When the ARR interval contains 0 the NNT
    interval is in two pieces through infinity (``crosses_infinity``). R has no base equivalent.

    References
    ----------
    .. [1] Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.

    Examples
    --------
    Altman (1998): ARR 10% (95% CI -5% to 25%) gives NNTB 10 (NNTH 20 to infinity to NNTB 4).

    >>> from hamstudy._result import Estimate
    >>> from hamstudy.binary.intervals import nnt_from_difference
    >>> nnt = nnt_from_difference(Estimate(-0.10, -0.25, 0.05, "given"))
    >>> nnt.describe()
    'NNTB 10.0 (95% CI NNTH 20.0 to infinity to NNTB 4.0) with arm 1 instead of arm 2'
    """

    def inv(v: float) -> float:
        if v == 0.0:
            return math.inf
        return 1.0 / v

    arr, arr_low, arr_high = -rd.estimate, -rd.ci_high, -rd.ci_low
    estimate = inv(arr) if not math.isnan(arr) else math.nan
    crosses = arr_low < 0.0 < arr_high
    if crosses:
        low, high = inv(arr_low), inv(arr_high)  # NNTH (negative) and NNTB (positive) limits
    else:
        # same sign: inverting reverses the order; a zero limit maps to infinity of that side
        if arr_low >= 0.0:
            low, high = inv(arr_high), (math.inf if arr_low == 0.0 else 1.0 / arr_low)
        else:
            low, high = (-math.inf if arr_high == 0.0 else 1.0 / arr_high), inv(arr_low)
    if arr == 0.0:
        estimate = math.inf
    method = "1 / ARR with inverted Newcombe limits (Altman 1998)" if rd.method.startswith("Newcombe") else (
        "1 / ARR with inverted limits (Altman 1998)"
    )
    return NNTEstimate(
        estimate,
        low,
        high,
        method,
        confidence_level=rd.confidence_level,
        name="nnt",
        crosses_infinity=crosses,
        arm_labels=tuple(labels),
    )
