"""Kaplan-Meier estimator with Greenwood standard errors, R-compatible bands and median."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import Estimate, FrameResultMixin, check_confidence_level, normal_quantile
from hamstudy.survival import _np_util as U

_TOL = math.sqrt(np.finfo(float).eps)  # R's tolerance in survmean()'s median search

_CONF_NAMES = {"log-log": "log-log", "log": "log", "plain": "plain (linear)"}


def _median_time(values: np.ndarray, time: np.ndarray) -> float:
    """First time a curve is <= 0.5, as ``minmin`` in R ``survival:::survmean``.

    NaN entries are skipped. If the curve equals 0.5 (within sqrt(eps)) over a flat stretch, the
    median is the midpoint between the start of that stretch and the next time the curve drops, as
    R prints it. Returns NaN when the curve never reaches 0.5.
    """
    keep = ~np.isnan(values) & (values < 0.5 + _TOL)
    if not np.any(keep):
        return float("nan")
    x = time[keep]
    y = values[keep]
    if abs(y[0] - 0.5) < _TOL:
        lower = np.flatnonzero(y < y[0])
        if lower.size:
            return float((x[0] + x[lower[0]]) / 2.0)
    return float(x[0])


@dataclass(frozen=True, eq=False)
class KaplanMeierResult(FrameResultMixin):
    """Result of :func:`kaplan_meier`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct observed time with columns ``time, n_risk, n_event, n_censor,
        survival, std_err, ci_low, ci_high``; ``std_err`` is the Greenwood standard error of S(t).
    median : Estimate
        Median survival time with its confidence interval (NaN estimate when the curve never
        reaches 0.5; ``ci_high`` is ``inf`` when the upper band never reaches 0.5).
    conf_type : str
        ``"log-log"``, ``"log"`` or ``"plain"``.
    confidence_level : float
        Coverage of the pointwise bands and of the median's interval.
    n, n_events : int
        Number of subjects and of events.
    """

    table: pd.DataFrame
    median: Estimate
    conf_type: str
    confidence_level: float
    n: int
    n_events: int

    @property
    def _html_title(self) -> str:
        return f"Kaplan-Meier ({self.n} subjects, {self.n_events} events)"

    def at(self, times) -> np.ndarray:
        """Survival probability at ``times`` (right-continuous step function).

        Times before the first observed time give 1; times after the last observed time give the
        last value (the curve is carried forward flat, as R's ``summary(fit, times, extend=TRUE)``).
        """
        t = np.asarray(times, dtype=float)
        if np.any(np.isnan(t)):
            raise ValueError("times must not contain NaN")
        idx = np.searchsorted(self.table["time"].to_numpy(), t, side="right")
        surv = np.concatenate(([1.0], self.table["survival"].to_numpy()))
        return surv[idx]

    def to_frame(self) -> pd.DataFrame:
        """The median survival time as a one-row result frame."""
        return self.median.to_frame()

    def plot(self, ax=None, at_risk: bool = True):
        """Step plot of the curve with its band; an at-risk table under the axis ticks."""
        from hamstudy.survival.plots import plot_km

        return plot_km({"all": self}, ax=ax, at_risk=at_risk)


def kaplan_meier(time, event, *, confidence_level: float = 0.95, conf_type: str = "log-log") -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function.

    Parameters
    ----------
    time : array_like
        Follow-up times (finite, non-negative), e.g. days from return to sport.
    event : array_like
        1 (or True) for an event (reinjury), 0 for a censored time.
    confidence_level : float, optional
        Coverage of the pointwise confidence band (default 0.95).
    conf_type : {"log-log", "log", "plain"}, optional
        Scale on which the Greenwood interval is symmetric, with R ``survfit``'s definitions:
        ``"log-log"`` on log(-log S) (default here; it stays inside [0, 1]), ``"log"`` on log S
        (R's default; upper bound capped at 1), ``"plain"`` on S (truncated to [0, 1]).

    Returns
    -------
    KaplanMeierResult
        ``.table`` (one row per distinct observed time), ``.median`` (an Estimate),
        ``.at(times)``, ``.plot(ax=None, at_risk=True)`` and ``.to_frame()``.

    Notes
    -----
    Equivalent to R ``survfit(Surv(time, event) ~ 1, conf.type=conf_type)``: the same rows,
    ``n.risk``, ``n.event``, ``n.censor``, ``surv``, ``lower`` and ``upper``. R's ``std.err`` is the
    standard error of the cumulative hazard (of log S); ``std_err`` here is that of S itself, i.e.
    R's ``std.err * surv``. Differences: where S(t) = 1 the "log-log" band is the degenerate
    [1, 1] (R gives NA), and R's ``timefix`` merging of times that differ by rounding error is not
    done. Where everybody at risk fails the Greenwood variance is infinite and S = 0; ``std_err``
    and the band are then NaN, as in R.

    The median and its interval follow R's ``print.survfit`` (``survival:::survmean``): the first
    time the curve (or the lower / upper band) is at or below 0.5, with the midpoint rule when the
    curve is exactly 0.5 over an interval.

    References
    ----------
    Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. JASA 53:457-481.
    Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer, section 2.1.
    Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
    Biometrics 38:29-41.

    Examples
    --------
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> stst = ipd[ipd.arm == "STST"]
    >>> km = hamstudy.kaplan_meier(stst.time, stst.event)
    >>> km.at([14, 365]).round(3)
    array([0.455, 0.341])
    >>> float(km.median.estimate), float(km.median.ci_low), km.median.ci_high
    (14.0, 2.0, inf)
    """
    level = check_confidence_level(confidence_level)
    U.check_conf_type(conf_type)
    t = U.as_time(time)
    e = U.as_event(event, t.size)
    tab = U.risk_table(t, e)
    surv, green = U.km_curve(tab)
    logse = np.sqrt(green)
    with np.errstate(invalid="ignore"):
        std_err = surv * logse  # S * sqrt(Greenwood sum); 0 * inf = NaN where S = 0, as R
    z = normal_quantile(level)
    lower, upper = U.confint(surv, logse, z, conf_type)
    columns = ["time", "n_risk", "n_event", "n_censor", "survival", "std_err", "ci_low", "ci_high"]
    # one 2-D float block: pandas does not copy it again to consolidate (as it does for a dict)
    values = np.empty((len(columns), tab.time.size))
    for row, col in enumerate((tab.time, tab.n_risk, tab.n_event, tab.n_censor, surv, std_err, lower, upper)):
        values[row] = col
    table = pd.DataFrame(values.T, columns=columns, copy=False)
    med = _median_time(surv, tab.time)
    med_low = _median_time(lower, tab.time)
    med_high = _median_time(upper, tab.time)
    if math.isnan(med_high):
        med_high = math.inf  # the upper band never reaches 0.5: the data bound the median from below only
    note = "" if not math.isnan(med) else "; not reached"
    median = Estimate(
        estimate=med,
        ci_low=med_low,
        ci_high=med_high,
        method=f"Kaplan-Meier median survival ({_CONF_NAMES[conf_type]} band{note})",
        confidence_level=level,
        name="median",
    )
    return KaplanMeierResult(
        table=table,
        median=median,
        conf_type=conf_type,
        confidence_level=level,
        n=int(t.size),
        n_events=int(e.sum()),
    )
