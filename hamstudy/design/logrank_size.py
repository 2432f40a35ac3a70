"""Events and athletes for a log-rank comparison: Schoenfeld events; Lachin-Foulkes sample size.

Closed forms only (numpy/scipy have no survival sample-size routine; statsmodels neither), so the
formulas are written here by hand, each with its reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import FrameResultMixin, check_alpha, frame_from_rows
from hamstudy.design._checks import (
    check_hazard_ratio,
    check_positive,
    check_power,
    check_probability,
)

METHODS: tuple[str, ...] = ("lachin-foulkes", "schoenfeld", "freedman")

_METHOD_NAMES = {
    "lachin-foulkes": "Lachin-Foulkes (log hazard ratio, null and alternative variances)",
    "schoenfeld": "Schoenfeld events / probability of an event",
    "freedman": "Freedman events / probability of an event",
}


def _z(alpha: float, power: float) -> tuple[float, float]:
    from scipy.stats import norm

    return float(norm.isf(alpha / 2.0)), float(norm.ppf(power))


def _check_allocation(allocation) -> float:
    return check_probability(allocation, "allocation", open_low=True, open_high=True)


def events_logrank(hazard_ratio, *, alpha=0.05, power=0.8, allocation=0.5) -> int:
    """Number of events a two-sided log-rank test needs (Schoenfeld), rounded up.

    Parameters
    ----------
    hazard_ratio : float
        Hazard in arm 2 (experimental) over hazard in arm 1 (control); positive, not 1.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Target power.
    allocation : float, default 0.5
        Fraction of athletes randomised to arm 1 (the formula is symmetric in the two arms).

    Returns
    -------
    int
        ``ceil((z_{1-alpha/2} + z_{power})^2 / (allocation (1 - allocation) log(hazard_ratio)^2))``.

    Notes
    -----
    Schoenfeld's (1983) formula from the asymptotic normality of the log-rank statistic under local
    proportional-hazards alternatives. It is ``gsDesign::nEvents(hr, alpha = alpha / 2, beta = 1 -
    power, sided = 1, ratio = (1 - allocation) / allocation)`` in R, rounded up. For large effects
    (hazard ratio far from 1) it is optimistic; :func:`simulate_logrank_power` gives the actual
    power of a design.

    References
    ----------
    Schoenfeld DA (1983). Sample-size formula for the proportional-hazards regression model.
    Biometrics 39:499-503.

    Examples
    --------
    >>> from hamstudy.design import events_logrank
    >>> events_logrank(0.5, power=0.9)
    88
    """
    hr = check_hazard_ratio(hazard_ratio)
    a = check_alpha(alpha)
    pw = check_power(power)
    q = _check_allocation(allocation)
    za, zb = _z(a, pw)
    d = (za + zb) ** 2 / (q * (1.0 - q) * math.log(hr) ** 2)
    return _ceil(d)


def _ceil(x: float) -> int:
    # guard against representation error (e.g. 65.00000000000001 from an exact 65)
    return int(math.ceil(x * (1.0 - 1e-12)))


def event_probability(rate, *, accrual=0.0, follow_up, dropout_rate=0.0):
    """Probability that an athlete's event is observed, under exponential times.

    Entry is uniform on ``[0, accrual]``; everyone is followed until ``accrual + follow_up`` (so
    from ``follow_up`` to ``accrual + follow_up``); dropout is exponential with hazard
    ``dropout_rate``. Accepts arrays for ``rate``.

    ``P = rate / (rate + eta) * (1 - exp(-(rate + eta) F) (1 - exp(-(rate + eta) A)) / ((rate + eta) A))``,
    which tends to ``rate / (rate + eta) * (1 - exp(-(rate + eta) F))`` as ``A -> 0`` (Lachin &
    Foulkes 1986, eq. 2.5 with uniform entry).
    """
    lam = np.asarray(rate, dtype=float)
    theta = lam + float(dropout_rate)
    A = float(accrual)
    F = float(follow_up)
    if A == 0.0:
        censored_free = -np.expm1(-theta * F)
    else:
        # mean over entry of exp(-theta * followup): exp(-theta F) * (1 - exp(-theta A)) / (theta A)
        censored_free = 1.0 + np.exp(-theta * F) * np.expm1(-theta * A) / (theta * A)
    return lam / theta * censored_free


@dataclass(frozen=True)
class LogrankSampleSize(FrameResultMixin):
    """Athletes and events for a log-rank comparison (see :func:`sample_size_logrank`).

    Attributes
    ----------
    events : int
        Events the design needs (Schoenfeld/Freedman: the formula's count; Lachin-Foulkes: the
        expected number under the alternative at the unrounded sample size), rounded up.
    n1, n2, total : int
        Athletes in arm 1 (control), arm 2 (experimental) and in all; each arm rounded up.
    n_exact : float
        The unrounded total from the formula.
    expected_events : float
        Expected events under the alternative with ``n1`` and ``n2`` athletes.
    event_probability1, event_probability2 : float
        Probability that an athlete of arm 1 / arm 2 has an observed event.
    method : str
        ``"lachin-foulkes"``, ``"schoenfeld"`` or ``"freedman"``.
    hazard_ratio, control_rate, accrual, follow_up, alpha, power, allocation, dropout_rate
        The design.
    """

    events: int
    n1: int
    n2: int
    total: int
    n_exact: float
    expected_events: float
    event_probability1: float
    event_probability2: float
    method: str
    hazard_ratio: float
    control_rate: float
    accrual: float
    follow_up: float
    alpha: float
    power: float
    allocation: float
    dropout_rate: float

    @property
    def _html_title(self) -> str:
        return f"Log-rank sample size ({_METHOD_NAMES[self.method]})"

    def to_frame(self) -> pd.DataFrame:
        label = _METHOD_NAMES[self.method]
        return frame_from_rows(
            {
                name: {"estimate": getattr(self, name), "method": label}
                for name in ("events", "n1", "n2", "total", "expected_events")
            }
        )


def sample_size_logrank(
    hazard_ratio,
    *,
    control_median=None,
    control_rate=None,
    accrual=0.0,
    follow_up,
    alpha=0.05,
    power=0.8,
    allocation=0.5,
    dropout_rate=0.0,
    method="lachin-foulkes",
) -> LogrankSampleSize:
    """Athletes needed for a two-sided log-rank test, from accrual, follow-up and the control rate.

    Parameters
    ----------
    hazard_ratio : float
        Hazard in arm 2 (experimental) over arm 1 (control).
    control_median, control_rate : float
        The control arm's median time to reinjury, or its (exponential) hazard rate; give exactly
        one. ``control_rate = log(2) / control_median``.
    accrual : float, default 0
        Length of the uniform recruitment period (same time unit as the medians, e.g. days).
    follow_up : float
        Follow-up after the end of accrual: the analysis is at ``accrual + follow_up``.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Target power.
    allocation : float, default 0.5
        Fraction of athletes randomised to arm 1 (control).
    dropout_rate : float, default 0
        Exponential dropout hazard (per time unit), the same in both arms.
    method : {"lachin-foulkes", "schoenfeld", "freedman"}
        See Notes.

    Returns
    -------
    LogrankSampleSize
        ``events``, ``n1``, ``n2``, ``total``, ``method`` and the design.

    Notes
    -----
    The default is Lachin & Foulkes (1986) in its log hazard-ratio form, as in R's
    ``gsDesign::nSurv(method = "LachinFoulkes")`` (fixed accrual duration and follow-up):

    ``N = (z_{1-alpha/2} sqrt(V0) + z_{power} sqrt(V1))^2 / log(HR)^2``, with
    ``V1 = 1/(q1 P(lambda1)) + 1/(q2 P(lambda2))`` and ``V0`` the same at the pooled hazard
    ``q1 lambda1 + q2 lambda2``, where ``P`` is :func:`event_probability`. It is chosen as the
    default because it turns events into athletes with each arm's own event probability (accrual,
    follow-up and dropout enter per arm) and uses the null variance for the critical value and the
    alternative variance for the power, which matters when the hazard ratio is far from 1, as in
    the small rehabilitation trials this package is for. ``"schoenfeld"`` divides
    :func:`events_logrank` by the average event probability; ``"freedman"`` divides Freedman's
    (1982) event count ``(z_a + z_b)^2 (q1 + q2 HR)^2 / (q1 q2 (1 - HR)^2)`` likewise (more
    conservative than Schoenfeld). Arms are rounded up separately. gsDesign is not in Debian; the
    tests check these numbers against an independent R script that integrates the event
    probability numerically.

    References
    ----------
    Lachin JM, Foulkes MA (1986). Evaluation of sample size and power for analyses of survival
    with allowance for nonuniform patient entry, losses to follow-up, noncompliance, and
    stratification. Biometrics 42:507-519.
    Freedman LS (1982). Tables of the number of patients required in clinical trials using the
    logrank test. Statistics in Medicine 1:121-129.

    Examples
    --------
    >>> from hamstudy.design import sample_size_logrank
    >>> res = sample_size_logrank(0.5, control_median=180, accrual=365, follow_up=365)
    >>> res.total > res.events
    True
    """
    hr = check_hazard_ratio(hazard_ratio)
    if (control_median is None) == (control_rate is None):
        raise ValueError("give exactly one of control_median and control_rate")
    if control_median is not None:
        lam1 = math.log(2.0) / check_positive(control_median, "control_median")
    else:
        lam1 = check_positive(control_rate, "control_rate")
    A = check_positive(accrual, "accrual", allow_zero=True)
    F = check_positive(follow_up, "follow_up", allow_zero=True)
    if A + F <= 0.0:
        raise ValueError("accrual + follow_up must be positive (nobody would be followed)")
    a = check_alpha(alpha)
    pw = check_power(power)
    q1 = _check_allocation(allocation)
    q2 = 1.0 - q1
    eta = check_positive(dropout_rate, "dropout_rate", allow_zero=True)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(repr(m) for m in METHODS)}; got {method!r}")

    lam2 = hr * lam1
    p1, p2 = (float(v) for v in event_probability([lam1, lam2], accrual=A, follow_up=F, dropout_rate=eta))
    za, zb = _z(a, pw)
    log_hr = abs(math.log(hr))
    if method == "lachin-foulkes":
        p0 = float(event_probability(q1 * lam1 + q2 * lam2, accrual=A, follow_up=F, dropout_rate=eta))
        v0 = 1.0 / (q1 * p0) + 1.0 / (q2 * p0)
        v1 = 1.0 / (q1 * p1) + 1.0 / (q2 * p2)
        n_exact = ((za * math.sqrt(v0) + zb * math.sqrt(v1)) / log_hr) ** 2
        events = _ceil(n_exact * (q1 * p1 + q2 * p2))
    else:
        if method == "schoenfeld":
            events = events_logrank(hr, alpha=a, power=pw, allocation=q1)
        else:
            events = _ceil((za + zb) ** 2 * (q1 + q2 * hr) ** 2 / (q1 * q2 * (1.0 - hr) ** 2))
        n_exact = events / (q1 * p1 + q2 * p2)
    n1 = _ceil(q1 * n_exact)
    n2 = _ceil(q2 * n_exact)
    return LogrankSampleSize(
        events=events,
        n1=n1,
        n2=n2,
        total=n1 + n2,
        n_exact=float(n_exact),
        expected_events=n1 * p1 + n2 * p2,
        event_probability1=p1,
        event_probability2=p2,
        method=method,
        hazard_ratio=hr,
        control_rate=lam1,
        accrual=A,
        follow_up=F,
        alpha=a,
        power=pw,
        allocation=q1,
        dropout_rate=eta,
    )


def power_logrank(
    n1,
    n2,
    hazard_ratio,
    *,
    control_median=None,
    control_rate=None,
    follow_up,
    accrual=0.0,
    dropout_rate=0.0,
    alpha=0.05,
) -> float:
    """Asymptotic (Schoenfeld) power of the two-sided log-rank test for a design.

    Same design as :func:`simulate_logrank_power` with exponential times: ``n1`` control and
    ``n2`` experimental athletes, uniform accrual, exponential dropout, analysis at
    ``accrual + follow_up``. With ``D`` the expected number of events and ``q1 = n1 / (n1 + n2)``,
    ``power = Phi(sqrt(D q1 q2) |log HR| - z) + Phi(-sqrt(D q1 q2) |log HR| - z)``,
    ``z = z_{1 - alpha/2}``. A quick, vectorisable companion to the simulation (which is exact up
    to Monte Carlo error); it is optimistic when the hazard ratio is far from 1.

    Returns
    -------
    float
        The approximate power.

    Notes
    -----
    The same quantity as ``gsDesign::nEvents(hr, n = D, alpha = alpha / 2, sided = 1,
    ratio = n2 / n1)`` in R, plus the (usually negligible) probability of rejecting in the wrong
    direction.

    References
    ----------
    Schoenfeld DA (1983). Sample-size formula for the proportional-hazards regression model.
    Biometrics 39:499-503.

    Examples
    --------
    >>> from hamstudy.design import power_logrank
    >>> 0.5 < power_logrank(100, 100, 0.6, control_median=100, follow_up=150) < 1
    True
    """
    from scipy.stats import norm

    from hamstudy.design._checks import check_count

    n1 = check_count(n1, "n1")
    n2 = check_count(n2, "n2")
    hr = check_positive(hazard_ratio, "hazard_ratio")
    if (control_median is None) == (control_rate is None):
        raise ValueError("give exactly one of control_median and control_rate")
    if control_median is not None:
        lam1 = math.log(2.0) / check_positive(control_median, "control_median")
    else:
        lam1 = check_positive(control_rate, "control_rate")
    A = check_positive(accrual, "accrual", allow_zero=True)
    F = check_positive(follow_up, "follow_up")
    eta = check_positive(dropout_rate, "dropout_rate", allow_zero=True)
    a = check_alpha(alpha)
    p1, p2 = event_probability([lam1, hr * lam1], accrual=A, follow_up=F, dropout_rate=eta)
    d = n1 * float(p1) + n2 * float(p2)
    q1 = n1 / (n1 + n2)
    drift = math.sqrt(d * q1 * (1.0 - q1)) * abs(math.log(hr))
    z = float(norm.isf(a / 2.0))
    return float(norm.cdf(drift - z) + norm.cdf(-drift - z))


def follow_up_logrank(
    hazard_ratio,
    total,
    *,
    control_median=None,
    control_rate=None,
    accrual=0.0,
    alpha=0.05,
    power=0.8,
    allocation=0.5,
    dropout_rate=0.0,
    method="lachin-foulkes",
) -> float:
    """Shortest follow-up after accrual with which ``total`` athletes give the target power.

    Answers "how long must follow-up be?" for a fixed number of athletes: the root in
    ``follow_up`` of ``sample_size_logrank(...).n_exact == total`` (the unrounded total, which
    falls as follow-up grows). Arguments are those of :func:`sample_size_logrank`.

    Returns
    -------
    float
        The follow-up (same time unit as ``control_median``); 0 if ``accrual`` alone suffices.

    Raises
    ------
    ValueError
        If even unlimited follow-up is not enough (with dropout, or too few athletes).

    Notes
    -----
    Solved with ``scipy.optimize.brentq`` to a relative tolerance of 1e-12. R has no direct
    equivalent; with gsDesign one would search ``nSurv(..., minfup = ...)`` by hand.

    Examples
    --------
    >>> from hamstudy.design import follow_up_logrank, sample_size_logrank
    >>> f = follow_up_logrank(0.5, 120, control_median=180, accrual=180)
    >>> round(sample_size_logrank(0.5, control_median=180, accrual=180, follow_up=f).n_exact, 6)
    120.0
    """
    from scipy.optimize import brentq

    target = check_positive(total, "total")
    common = dict(
        control_median=control_median, control_rate=control_rate, alpha=alpha, power=power,
        allocation=allocation, dropout_rate=dropout_rate, method=method,
    )
    A = check_positive(accrual, "accrual", allow_zero=True)

    def excess(follow_up: float) -> float:
        return sample_size_logrank(hazard_ratio, accrual=A, follow_up=follow_up, **common).n_exact - target

    base = sample_size_logrank(hazard_ratio, accrual=A, follow_up=1.0, **common)  # validates everything
    scale = 1.0 / base.control_rate  # mean control time: the natural unit of follow-up
    if A > 0 and excess(0.0) <= 0:
        return 0.0
    hi = scale
    for _ in range(200):
        if excess(hi) <= 0:
            break
        hi *= 2.0
    else:
        raise ValueError(
            f"{target:g} athletes are not enough for power {base.power:g} however long the follow-up "
            f"(about {excess(hi) + target:.1f} are needed with unlimited follow-up)"
        )
    lo = 0.0 if A > 0 else 1e-9 * scale  # with no accrual, a follow-up of 0 follows nobody
    return float(brentq(excess, lo, hi, xtol=1e-12 * hi, rtol=1e-12))
