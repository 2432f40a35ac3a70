"""Proportional-hazards test from scaled Schoenfeld residuals, as R ``cox.zph`` (survival >= 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import rankdata

from hamstudy.survival import _cox_core as core

__all__ = ["ph_test"]

_TRANSFORMS = ("km", "identity", "rank", "log")


def _left_km(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Kaplan-Meier S(t-) at each subject's own time (the few lines ``transform="km"`` needs).

    Kept private so that this module does not depend on :func:`hamstudy.kaplan_meier`.
    """
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event.astype(float))
    n_at = np.bincount(inv)[::-1].cumsum()[::-1].astype(float)
    surv = np.cumprod(1.0 - d / n_at)
    before = np.r_[1.0, surv[:-1]]  # survival just before each distinct time
    return before[inv]


def ph_test(cox_result, *, transform: str = "km") -> pd.DataFrame:
    """Test proportional hazards with the Grambsch-Therneau score test, as R ``cox.zph``.

    Parameters
    ----------
    cox_result : CoxResult
        A fit from :func:`hamstudy.cox`.
    transform : {"km", "identity", "rank", "log"}
        Function of time ``g(t)`` against which each coefficient is allowed to drift: "km" is
        ``1 - S(t-)`` from the left-continuous Kaplan-Meier of the pooled data (R's default),
        "identity" the time itself, "rank" its rank, "log" its logarithm.

    Returns
    -------
    DataFrame
        One row per term (the data column, so a factor with several levels is one row with
        ``df`` equal to its number of columns) and a final ``GLOBAL`` row; columns ``chisq, df,
        pvalue``.

    Notes
    -----
    R equivalent: ``cox.zph(fit, transform=, terms=TRUE, global=TRUE)$table``. Each statistic is
    the score test, at the fitted coefficients, of adding ``x * g(t)`` to the model: with
    ``u`` the score for the added terms (a weighted sum of Schoenfeld residuals) and ``I`` the full
    ``2p x 2p`` information (Efron or Breslow weights as in the fit), ``chisq = u' I^{-1} u``
    restricted to all ``p`` original columns plus the term's interaction columns (Therneau &
    Grambsch 2000, sec. 6.2; survival >= 3 uses this exact test rather than the older
    approximation). For a Firth fit the test is evaluated at the penalised estimate (Breslow),
    which R does not offer. A monotone (infinite-coefficient) fit is refused with ``ValueError``:
    R evaluates the test at its last, arbitrary iterate, where the information is numerically
    singular and the statistic meaningless.

    References
    ----------
    Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted
    residuals. Biometrika 81:515-526.

    Examples
    --------
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> fit = hamstudy.cox(ipd, "time", "event", ["arm"])
    >>> tab = hamstudy.ph_test(fit)
    >>> list(tab.index), list(tab.columns)
    (['arm', 'GLOBAL'], ['chisq', 'df', 'pvalue'])
    """
    state = getattr(cox_result, "_state", None)
    if state is None:
        raise TypeError("cox_result must be a CoxResult returned by hamstudy.cox")
    if cox_result.monotone and not cox_result.method.startswith("Firth"):
        raise ValueError(
            "the Cox fit is monotone (an infinite coefficient): the score test of proportional "
            "hazards at infinite coefficients is not defined; test a firth=True fit instead"
        )
    if transform not in _TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(repr(t) for t in _TRANSFORMS)}; got {transform!r}")
    data: core.CoxData = state.data
    time, event = data.time, data.event
    if transform == "identity":
        tt = time
    elif transform == "rank":
        tt = rankdata(time)  # average ranks, as R's rank()
    elif transform == "log":
        if np.any(time <= 0):
            raise ValueError("transform='log' needs positive times")
        tt = np.log(time)
    else:
        tt = 1.0 - _left_km(time, event)
    g = tt - tt[event].mean()
    gd = g[data.death_pos]
    pc = core.pieces(data, state.beta)
    p = data.p
    _, i11 = core.score_information(data, pc)
    u2, i12 = core.score_information(data, pc, gd)
    _, i22 = core.score_information(data, pc, gd * gd)
    imat = np.block([[i11, i12], [i12.T, i22]])
    def quad(mat, vec):
        # R's solve() refuses a matrix whose reciprocal condition number is below machine eps
        with np.errstate(divide="ignore", invalid="ignore"):
            rcond = 1.0 / np.linalg.cond(mat, 1)
        if not np.isfinite(rcond) or rcond < np.finfo(float).eps:
            raise ValueError(
                "the information matrix of the PH test is singular (for example all events at "
                "one time, or a covariate constant among the events); the test is not defined"
            )
        return float(vec @ np.linalg.solve(mat, vec))

    test_rows = {}
    for term, cols in state.terms.items():
        kk = np.r_[np.arange(p), p + np.asarray(cols)]
        u = np.r_[np.zeros(p), u2[list(cols)]]
        sub = imat[np.ix_(kk, kk)]
        chisq = quad(sub, u)
        test_rows[term] = (chisq, len(cols))
    u = np.r_[np.zeros(p), u2]
    test_rows["GLOBAL"] = (quad(imat, u), p)
    out = pd.DataFrame(
        {
            "chisq": [v[0] for v in test_rows.values()],
            "df": [v[1] for v in test_rows.values()],
            "pvalue": [float(stats.chi2.sf(v[0], v[1])) for v in test_rows.values()],
        },
        index=pd.Index(list(test_rows), name="term"),
    )
    return out
