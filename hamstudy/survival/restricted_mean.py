"""Restricted mean survival time (area under the Kaplan-Meier curve up to tau), per group and compared.

Written by hand: lifelines' ``restricted_mean_survival_time(..., return_variance=True)`` returns
Var[min(T, tau)], the variance of the truncated survival time itself, not the sampling variance of
the RMST estimator (lifelines issues #1456 and #1682), so its standard errors are grossly inflated.
Here the variance is the Greenwood-type sampling variance, as R ``print(survfit, rmean=tau)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import Estimate, FrameResultMixin, check_confidence_level, frame_from_rows, normal_quantile
from hamstudy.survival import _np_util as U


def _rmst_one(time: np.ndarray, event: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST and its standard error for one sample, following R ``survival:::survmean`` step by step."""
    tab = U.risk_table(time, event)
    surv, _ = U.km_curve(tab)
    n, d = tab.n_risk, tab.n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    keep = tab.time <= tau
    if not np.any(keep):
        return float(tau), 0.0
    last = np.flatnonzero(keep)[-1]
    # beyond the last observed time the curve is carried forward flat to tau, as R does
    temptime = np.append(tab.time[keep], tau)
    tempsurv = np.append(surv[keep], surv[last])
    hh = np.append(hh[keep], 0.0)
    delta = np.diff(np.concatenate(([0.0], temptime)))
    rect = delta * np.concatenate(([1.0], tempsurv[:-1]))
    area_after = np.cumsum(rect[1:][::-1])  # area between t_j and tau, from the last t_j backwards
    var = float(np.sum(area_after**2 * hh[::-1][1:]))
    return float(np.sum(rect)), math.sqrt(var)


@dataclass(frozen=True, eq=False)
class RMSTResult(FrameResultMixin):
    """Result of :func:`rmst`.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``group, rmst, std_err, ci_low, ci_high`` (one row per group, or one row labelled
        ``"all"`` without groups).
    difference : Estimate or None
        RMST of the second group minus the first (groups in sorted order), with a normal-theory
        CI and p-value; None unless there are exactly two groups.
    ratio : Estimate or None
        RMST of the second group over the first, CI and p-value on the log scale (delta method).
    tau : float
        Truncation time.
    confidence_level : float
    """

    table: pd.DataFrame
    difference: Estimate | None
    ratio: Estimate | None
    tau: float
    confidence_level: float

    @property
    def _html_title(self) -> str:
        return f"Restricted mean survival time up to {self.tau:g}"

    def to_frame(self) -> pd.DataFrame:
        rows = {}
        for _, r in self.table.iterrows():
            rows[f"rmst[{r['group']}]"] = {
                "estimate": r["rmst"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "method": f"Kaplan-Meier RMST up to tau={self.tau:g}",
            }
        for est in (self.difference, self.ratio):
            if est is not None:
                rows[est.name] = {
                    "estimate": est.estimate,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "pvalue": est.pvalue,
                    "method": est.method,
                }
        return frame_from_rows(rows)


def rmst(time, event, group=None, *, tau: float, confidence_level: float = 0.95) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` from the Kaplan-Meier curve.

    Parameters
    ----------
    time, event : array_like
        Follow-up times (finite, non-negative) and event indicators (1 event, 0 censored).
    group : array_like, optional
        Group labels; with exactly two groups the difference and ratio are also given.
    tau : float
        Truncation time (positive, finite). Choose it in advance (e.g. 365 days); it should not
        exceed the follow-up of any group.
    confidence_level : float, optional
        Coverage of the intervals (default 0.95).

    Returns
    -------
    RMSTResult
        ``.table`` (``group, rmst, std_err, ci_low, ci_high``), ``.difference``, ``.ratio``.

    Notes
    -----
    Per group this equals R ``print(survfit(Surv(time, event) ~ group), rmean=tau)``: RMST is the
    area under the Kaplan-Meier curve on [0, tau] and its variance is
    sum_j A_j**2 d_j / (n_j (n_j - d_j)) with A_j the area between the j-th time and tau
    (Klein & Moeschberger 2003, eq. 4.4.4; terms with n_j = d_j count 0, as in R). When tau is
    beyond a group's last observed time, R (and this function) carries the curve's last value
    forward flat to tau; if that value is above 0 this extrapolates beyond the data, so prefer a
    tau within every group's follow-up. Intervals for the RMST and the difference are
    estimate +/- z * SE with the two groups independent; the ratio's interval and p-value are on the
    log scale with SE(log ratio) = sqrt(SE1**2 / RMST1**2 + SE2**2 / RMST2**2) (as R ``survRM2``).

    lifelines' ``restricted_mean_survival_time(..., return_variance=True)`` gives Var[min(T, tau)]
    instead of this sampling variance (lifelines issue #1682); it is not used.

    References
    ----------
    Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to the hazard ratio
    for the design and analysis of randomized trials with a time-to-event outcome. BMC Med Res
    Methodol 13:152.
    Klein JP, Moeschberger ML (2003). Survival Analysis, 2nd ed. Springer, section 4.5.

    Examples
    --------
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> res = hamstudy.rmst(ipd.time, ipd.event, ipd.arm, tau=365)
    >>> res.table.round(1).to_dict("list")["rmst"]
    [351.8, 148.8]
    >>> round(res.difference.estimate, 1), round(res.difference.pvalue, 5)
    (-202.9, 9e-05)
    """
    level = check_confidence_level(confidence_level)
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise TypeError(f"tau must be a positive number; got {tau!r}") from None
    if not math.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be positive and finite; got {tau!r}")
    t = U.as_time(time)
    e = U.as_event(event, t.size)
    if group is None:
        levels = np.array(["all"], dtype=object)
        codes = np.zeros(t.size, dtype=np.intp)
    else:
        levels, codes = U.as_labels(group, t.size, "group")
    z = normal_quantile(level)
    rows = []
    for k, lab in enumerate(levels):
        m = codes == k
        est, se = _rmst_one(t[m], e[m], tau)
        rows.append({"group": lab, "rmst": est, "std_err": se, "ci_low": est - z * se, "ci_high": est + z * se})
    table = pd.DataFrame(rows, columns=["group", "rmst", "std_err", "ci_low", "ci_high"])
    difference = ratio = None
    if len(levels) == 2:
        (r1, s1), (r2, s2) = table[["rmst", "std_err"]].to_numpy().astype(float).tolist()
        g1, g2 = levels
        se_d = math.hypot(s1, s2)
        diff = r2 - r1
        zd = diff / se_d if se_d > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        difference = Estimate(
            estimate=diff,
            ci_low=diff - z * se_d,
            ci_high=diff + z * se_d,
            method=f"RMST difference {g2} - {g1} up to tau={tau:g} (normal approximation)",
            confidence_level=level,
            pvalue=U.two_sided_normal_p(zd),
            name="rmst_difference",
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = float(np.log(r2) - np.log(r1))
            se_l = float(np.sqrt((s1 / r1) ** 2 + (s2 / r2) ** 2))
        if math.isnan(lr) or math.isnan(se_l):
            lo = hi = p = float("nan")
        else:
            lo, hi = math.exp(lr - z * se_l), math.exp(lr + z * se_l)
            zl = lr / se_l if se_l > 0 else (0.0 if lr == 0 else math.copysign(math.inf, lr))
            p = U.two_sided_normal_p(zl)
        ratio = Estimate(
            estimate=r2 / r1 if r1 > 0 else float("nan"),
            ci_low=lo,
            ci_high=hi,
            method=f"RMST ratio {g2} / {g1} up to tau={tau:g} (log scale, delta method)",
            confidence_level=level,
            pvalue=p,
            name="rmst_ratio",
        )
    return RMSTResult(table=table, difference=difference, ratio=ratio, tau=tau, confidence_level=level)
