"""Cumulative incidence of competing causes (Aalen-Johansen) with infinitesimal-jackknife variance.

Written by hand: lifelines' ``AalenJohansenFitter`` breaks tied times by adding random jitter (so
its estimate depends on a random seed and differs from R), and gives no per-time influence-based
variance matching R. Here ties are handled exactly and the variance is the one R ``survfit``
reports for a multi-state fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import FrameResultMixin, check_confidence_level, frame_from_rows, normal_quantile
from hamstudy.survival import _np_util as U

_CONF_TYPES = ("log", "plain")


def _aalen_johansen(time: np.ndarray, cause: np.ndarray, causes: np.ndarray) -> dict:
    """Aalen-Johansen estimates and their IJ standard errors for one group.

    ``cause`` holds 0 for censoring and values of ``causes`` otherwise. Returns per distinct time:
    ``time``, ``n_risk``, ``n_event`` (times x causes), ``n_censor``, ``pstate`` (times x (1 + K):
    event-free, then each cause) and ``std_err`` (same shape).

    The standard error is sqrt(sum_i U_i(t)**2), U_i(t) the derivative of the estimate with respect
    to subject i's case weight (the infinitesimal jackknife, as R survfit for multi-state data).
    Subjects who leave at the same time for the same reason have the same U_i, and after leaving
    U_i(t) is an affine function of the event-free probability and of the cumulative incidences, so
    the sums over subjects reduce to cumulative sums over distinct times: O(times x causes).
    """
    order = np.argsort(time, kind="stable")
    ts, cs = time[order], cause[order]
    n = ts.size
    first = np.ones(n, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    tidx = np.cumsum(first) - 1
    utime = ts[first]
    nt = utime.size
    k = causes.size
    code = np.searchsorted(causes, cs) + 1  # 1..K for causes
    code[cs == 0] = 0
    counts = np.bincount(tidx * (k + 1) + code, minlength=nt * (k + 1)).reshape(nt, k + 1).astype(float)
    exits = counts.sum(axis=1)
    n_risk = n - np.concatenate(([0.0], np.cumsum(exits)[:-1]))
    dk = counts[:, 1:]
    d = dk.sum(axis=1)
    hk = dk / n_risk[:, None]
    h = d / n_risk
    surv = np.cumprod((n_risk - d) / n_risk)
    s_prev = np.concatenate(([1.0], surv[:-1]))
    cif = np.cumsum(s_prev[:, None] * hk, axis=0)

    # influence path shared by everybody still at risk after t_j (dN = 0, Y = 1 so far)
    b = s_prev * h / n_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.cumsum(np.where(surv > 0, b / surv, 0.0))
    g0 = surv * ratio
    if surv[-1] == 0:
        g0[-1] = (g0[-2] if nt > 1 else 0.0) * 0.0 + b[-1]
    g0_prev = np.concatenate(([0.0], g0[:-1]))
    gk = np.cumsum(g0_prev[:, None] * hk - s_prev[:, None] * hk / n_risk[:, None], axis=0)
    gk_prev = np.vstack((np.zeros((1, k)), gk[:-1]))

    # influence at the exit time for each exit type c (0 = censored, 1..K = cause)
    ind = np.zeros((k + 1, k + 1))
    ind[1:, 1:] = np.eye(k)  # ind[c, j] = 1{c = cause j}
    any_event = np.array([0.0] + [1.0] * k)
    u0 = g0_prev[:, None] * (1.0 - h)[:, None] - s_prev[:, None] * (any_event[None, :] - h[:, None]) / n_risk[:, None]
    # uk[j, c, m] for cause m
    uk = (gk_prev + g0_prev[:, None] * hk)[:, None, :] + s_prev[:, None, None] * (
        ind[None, :, 1:] - hk[:, None, :]
    ) / n_risk[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(surv[:, None] > 0, u0 / surv[:, None], 0.0)  # U0(x) / S(x)
    a = uk - r[:, :, None] * cif[:, None, :]
    w = counts  # number of subjects of each exit type
    s_a2 = np.cumsum(np.einsum("jc,jcm->jm", w, a * a), axis=0)
    s_ar = np.cumsum(np.einsum("jc,jcm->jm", w, a * r[:, :, None]), axis=0)
    s_r2 = np.cumsum((w * r * r).sum(axis=1))
    remaining = n_risk - exits  # still at risk after t_j
    var_k = remaining[:, None] * gk**2 + s_a2 + 2.0 * cif * s_ar + cif**2 * s_r2[:, None]
    var_0 = remaining * g0**2 + surv**2 * s_r2
    if surv[-1] == 0:
        # those leaving at a time where the event-free probability drops to 0 carry U0 = 0 (S = 0)
        var_0[-1] = remaining[-1] * g0[-1] ** 2
    var = np.column_stack((var_0, var_k))
    # The expanded sum of squares cancels where the true variance is 0 (e.g. an incidence that has
    # reached 1); values within rounding error of 0, relative to the summed squares, are set to 0.
    scale_k = remaining[:, None] * gk**2 + s_a2 + 2.0 * np.abs(cif * s_ar) + cif**2 * s_r2[:, None]
    scale = np.column_stack((remaining * g0**2 + surv**2 * s_r2, scale_k))
    var[var <= 64.0 * np.finfo(float).eps * scale] = 0.0
    pstate = np.column_stack((surv, cif))
    return {
        "time": utime,
        "n_risk": n_risk,
        "n_event": dk,
        "n_censor": counts[:, 0],
        "pstate": pstate,
        "std_err": np.sqrt(np.maximum(var, 0.0)),
    }


def _ci(p: np.ndarray, se: np.ndarray, z: float, conf_type: str):
    """R survfit_confint(logse=FALSE) for a probability; [0, 0] where p = 0 and se = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            lo = np.maximum(p - z * se, 0.0)
            hi = np.minimum(p + z * se, 1.0)
        else:
            lse = np.where(se == 0, 0.0, se / p)
            lo = np.exp(np.log(p) - z * lse)
            hi = np.minimum(np.exp(np.log(p) + z * lse), 1.0)
            zero = p == 0
            lo[zero] = 0.0
            hi[zero] = np.where(se[zero] == 0, 0.0, np.nan)
    return lo, hi


@dataclass(frozen=True, eq=False)
class CumulativeIncidenceResult(FrameResultMixin):
    """Result of :func:`cumulative_incidence`.

    Attributes
    ----------
    table : pandas.DataFrame
        Long format, one row per group, cause and distinct observed time: ``group, cause, time,
        n_risk, n_event, incidence, std_err, ci_low, ci_high``.
    event_free : pandas.DataFrame
        The Aalen-Johansen probability of being event-free (= overall Kaplan-Meier) with the same
        columns (``cause`` is 0).
    causes : tuple
        The causes (non-zero codes) in sorted order.
    conf_type : str
    confidence_level : float
    """

    table: pd.DataFrame
    event_free: pd.DataFrame
    causes: tuple
    conf_type: str
    confidence_level: float

    _html_title = "Cumulative incidence (Aalen-Johansen)"

    def at(self, times, *, cause, group=None) -> np.ndarray:
        """Cumulative incidence of ``cause`` at ``times`` (right-continuous; 0 before the first time)."""
        tab = self.table[self.table["cause"] == cause]
        if group is not None:
            tab = tab[tab["group"] == group]
        elif tab["group"].nunique() > 1:
            raise ValueError("group must be given when there are several groups")
        if tab.empty:
            raise ValueError(f"no rows for cause={cause!r}, group={group!r}")
        idx = np.searchsorted(tab["time"].to_numpy(), np.asarray(times, dtype=float), side="right")
        return np.concatenate(([0.0], tab["incidence"].to_numpy()))[idx]

    def to_frame(self) -> pd.DataFrame:
        """Final cumulative incidence per group and cause (at each group's last time)."""
        rows = {}
        for (grp, cause), sub in self.table.groupby(["group", "cause"], sort=True):
            last = sub.iloc[-1]
            rows[f"cif[{grp}, {cause}] at {last['time']:g}"] = {
                "estimate": last["incidence"],
                "ci_low": last["ci_low"],
                "ci_high": last["ci_high"],
                "method": f"Aalen-Johansen ({self.conf_type} CI, infinitesimal jackknife SE)",
            }
        return frame_from_rows(rows)

    def plot(self, ax=None, *, band: bool = True, colors=None):
        """Step curves of the cumulative incidence per cause (and group); ``colors`` maps a group to
        a colour (see :func:`hamstudy.survival.plots.plot_cumulative_incidence`)."""
        from hamstudy.survival.plots import plot_cumulative_incidence

        return plot_cumulative_incidence(self, ax=ax, band=band, colors=colors)


def cumulative_incidence(
    time, cause, group=None, *, confidence_level: float = 0.95, conf_type: str = "log"
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence of competing causes, with exact handling of ties.

    Parameters
    ----------
    time : array_like
        Follow-up times (finite, non-negative).
    cause : array_like of int
        0 for censored, otherwise the cause of the event (e.g. 1 = reinjury, 2 = other injury
        ending follow-up). Any non-negative integers.
    group : array_like, optional
        Group labels; each group is estimated separately.
    confidence_level : float, optional
        Coverage of the pointwise intervals (default 0.95).
    conf_type : {"log", "plain"}, optional
        Interval on the log scale (R ``survfit``'s default, upper limit capped at 1) or on the
        probability scale (truncated to [0, 1]).

    Returns
    -------
    CumulativeIncidenceResult
        ``.table`` (per group, cause and time), ``.event_free``, ``.at(times, cause=, group=)``,
        ``.plot()``, ``.to_frame()``.

    Notes
    -----
    Equals R ``survfit(Surv(time, factor(cause, levels = c(0, causes))) ~ group)``: ``pstate`` for
    each cause (and ``"(s0)"`` for the event-free state), and ``std.err``, which R computes for
    multi-state curves by the infinitesimal jackknife (the sum over subjects of the squared
    derivative of the estimate with respect to the subject's case weight), not by a Greenwood-type
    formula; the event-free state's IJ standard error therefore differs slightly from the
    Greenwood SE of :func:`kaplan_meier`. Tied times are processed together (all events at t, then
    censorings at t, which are still at risk at t), never jittered. Where the incidence is 0 the
    interval is [0, 0] (R gives NA for the log type). R's ``timefix`` merging of nearly equal times
    is not done.

    References
    ----------
    Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous Markov chains
    based on censored observations. Scand J Stat 5:141-150.
    Therneau T, Crowson C, Atkinson E (2024). Multi-state models and competing risks. Vignette of
    the R survival package.

    Examples
    --------
    >>> import hamstudy
    >>> res = hamstudy.cumulative_incidence([3, 5, 5, 8, 12], [1, 2, 0, 1, 0])
    >>> res.at([10], cause=1)
    array([0.5])
    """
    level = check_confidence_level(confidence_level)
    if conf_type not in _CONF_TYPES:
        raise ValueError(f"conf_type must be 'log' or 'plain'; got {conf_type!r}")
    t = U.as_time(time)
    c = np.asarray(cause)
    if c.ndim != 1 or c.size != t.size:
        raise ValueError(f"cause must be 1-D with the same length as time ({t.size}); got shape {c.shape}")
    try:
        cf = c.astype(float)
    except (TypeError, ValueError):
        raise TypeError("cause must hold non-negative integers (0 = censored)") from None
    if not np.all(np.isfinite(cf)) or np.any(cf < 0) or np.any(cf != np.round(cf)):
        raise ValueError("cause must hold non-negative integers (0 = censored)")
    c = cf.astype(np.int64)
    causes = np.unique(c[c > 0])
    if causes.size == 0:
        raise ValueError("cause has no events (all values are 0 = censored); nothing to estimate")
    if group is None:
        levels = np.array(["all"], dtype=object)
        codes = np.zeros(t.size, dtype=np.intp)
    else:
        levels, codes = U.as_labels(group, t.size, "group")
    z = normal_quantile(level)
    frames, free = [], []
    for gi, lab in enumerate(levels):
        m = codes == gi
        res = _aalen_johansen(t[m], c[m], causes)
        lo, hi = _ci(res["pstate"], res["std_err"], z, conf_type)
        for j in range(causes.size + 1):
            df = pd.DataFrame(
                {
                    "group": lab,
                    "cause": 0 if j == 0 else int(causes[j - 1]),
                    "time": res["time"],
                    "n_risk": res["n_risk"],
                    "n_event": res["n_event"].sum(axis=1) if j == 0 else res["n_event"][:, j - 1],
                    ("survival" if j == 0 else "incidence"): res["pstate"][:, j],
                    "std_err": res["std_err"][:, j],
                    "ci_low": lo[:, j],
                    "ci_high": hi[:, j],
                }
            )
            (free if j == 0 else frames).append(df)
    return CumulativeIncidenceResult(
        table=pd.concat(frames, ignore_index=True),
        event_free=pd.concat(free, ignore_index=True),
        causes=tuple(int(x) for x in causes),
        conf_type=conf_type,
        confidence_level=level,
    )
