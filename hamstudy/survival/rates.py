"""Injury incidence rates per exposure time with exact Poisson intervals, and exact rate ratios.

scipy supplies the chi-square quantiles and the exact binomial test / Clopper-Pearson interval;
what is written here is only the Poisson-to-binomial conditioning of R ``poisson.test`` and the
zero-event conventions.
"""

from __future__ import annotations

import math

from scipy import stats

from hamstudy._result import Estimate, check_confidence_level


def _check_count(x, name: str) -> int:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a non-negative whole number; got {x!r}") from None
    if not math.isfinite(xf) or xf < 0 or xf != round(xf):
        raise ValueError(f"{name} must be a non-negative whole number; got {x!r}")
    return int(round(xf))


def _check_exposure(x, name: str) -> float:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number; got {x!r}") from None
    if not math.isfinite(xf) or xf <= 0:
        raise ValueError(f"{name} must be positive and finite; got {x!r}")
    return xf


def _check_per(per) -> float:
    return _check_exposure(per, "per")


def _garwood(events: int, level: float) -> tuple[float, float]:
    """Exact (Garwood 1936) interval for a Poisson mean with ``events`` observed."""
    alpha = 1.0 - level
    low = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * events)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * events + 2)) / 2.0
    return low, high


def incidence_rate(events, exposure, *, per: float = 1000, confidence_level: float = 0.95) -> Estimate:
    """Incidence rate (e.g. injuries per 1,000 hours of exposure) with an exact Poisson interval.

    Parameters
    ----------
    events : int
        Number of events (injuries), >= 0.
    exposure : float
        Total exposure time (e.g. hours of training and match play), > 0.
    per : float, optional
        Rate is expressed per this much exposure (default 1000, the sports-injury convention).
    confidence_level : float, optional
        Coverage of the interval (default 0.95).

    Returns
    -------
    Estimate
        ``estimate = events / exposure * per`` with the Garwood exact interval.

    Notes
    -----
    The interval is the exact (Garwood) one: chi2(alpha/2, 2x) / 2 and chi2(1 - alpha/2, 2x + 2) / 2
    for the expected count, scaled by per / exposure; equal to R ``poisson.test(x, T)$conf.int``
    times ``per``. With 0 events the lower limit is 0 and the upper limit is finite
    (-log(alpha/2) events, 3.69 for 95%).

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-442.
    Knowles SB, Marshall SW, Guskiewicz KM (2006). Issues in estimating risks and rates in sports
    injury research. J Athl Train 41:207-215.

    Examples
    --------
    >>> from hamstudy import incidence_rate
    >>> r = incidence_rate(0, 2210.25)
    >>> r.estimate, r.ci_low
    (0.0, 0.0)
    """
    x = _check_count(events, "events")
    t = _check_exposure(exposure, "exposure")
    scale = _check_per(per)
    level = check_confidence_level(confidence_level)
    low, high = _garwood(x, level)
    return Estimate(
        estimate=x / t * scale,
        ci_low=low / t * scale,
        ci_high=high / t * scale,
        method=f"Incidence rate per {scale:g} exposure units (exact Poisson, Garwood)",
        confidence_level=level,
        name="incidence_rate",
    )


def rate_ratio(
    events1, exposure1, events2, exposure2, *, per: float = 1000, confidence_level: float = 0.95
) -> Estimate:
    """Ratio of two incidence rates with the exact conditional (binomial) interval and p-value.

    Parameters
    ----------
    events1, exposure1 : int, float
        Events and exposure in the first group (numerator).
    events2, exposure2 : int, float
        Events and exposure in the second group (denominator).
    per : float, optional
        Exposure unit of the rates quoted in ``method`` (the ratio itself does not depend on it).
    confidence_level : float, optional
        Coverage of the interval (default 0.95).

    Returns
    -------
    Estimate
        ``estimate = (events1 / exposure1) / (events2 / exposure2)``, exact interval and two-sided
        p-value for a ratio of 1.

    Notes
    -----
    Conditional on the total x1 + x2, x1 is binomial with p = r T1 / (r T1 + T2) for rate ratio r.
    The interval maps the Clopper-Pearson interval for p to r = p / (1 - p) * T2 / T1 and the
    p-value is the exact two-sided binomial test of p = T1 / (T1 + T2) (minimum-likelihood method),
    equal to R ``poisson.test(c(x1, x2), c(T1, T2))``. With x1 = 0 the estimate and lower limit
    are 0; with x2 = 0 the estimate and upper limit are ``inf``; with no events at all the ratio is
    undefined (NaN), the interval [0, inf] and the p-value 1 (R stops with an error).

    References
    ----------
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol. II. IARC, section 2.3.

    Examples
    --------
    >>> from hamstudy import rate_ratio
    >>> rr = rate_ratio(6, 1830, 0, 2210.25)
    >>> rr.estimate, rr.ci_high
    (inf, inf)
    """
    x1 = _check_count(events1, "events1")
    t1 = _check_exposure(exposure1, "exposure1")
    x2 = _check_count(events2, "events2")
    t2 = _check_exposure(exposure2, "exposure2")
    scale = _check_per(per)
    level = check_confidence_level(confidence_level)
    method = f"Rate ratio of arm 1 to arm 2 per {scale:g} exposure units; exact conditional binomial"
    n = x1 + x2
    if n == 0:
        return Estimate(math.nan, 0.0, math.inf, method, level, 1.0, "rate_ratio")
    p0 = t1 / (t1 + t2)
    test = stats.binomtest(x1, n, p0)
    alpha = 1.0 - level
    # Clopper-Pearson limits from beta quantiles, as R binom.test (scipy's proportion_ci solves
    # for them numerically and agrees only to ~1e-10)
    p_low = float(stats.beta.ppf(alpha / 2.0, x1, n - x1 + 1)) if x1 > 0 else 0.0
    p_high = float(stats.beta.ppf(1.0 - alpha / 2.0, x1 + 1, n - x1)) if x2 > 0 else 1.0

    def to_ratio(p: float) -> float:
        if p >= 1.0:
            return math.inf
        return p / (1.0 - p) * t2 / t1

    est = math.inf if x2 == 0 else (x1 / t1) / (x2 / t2)
    return Estimate(
        estimate=est,
        ci_low=0.0 if x1 == 0 else to_ratio(p_low),
        ci_high=math.inf if x2 == 0 else to_ratio(p_high),
        method=method,
        confidence_level=level,
        pvalue=float(test.pvalue),
        name="rate_ratio",
    )
