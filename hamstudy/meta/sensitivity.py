"""Beyond the pooled estimate: tau² interval, small-study test, leave-one-out, cumulative, subgroups."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from hamstudy._result import FrameResultMixin, TestResult, check_confidence_level, frame_from_rows
from hamstudy.meta._core import fit
from hamstudy.meta._rma import fit_iv, qprofile_tau2_ci
from hamstudy.meta.result import MetaResult


def _check_result(result) -> MetaResult:
    if not isinstance(result, MetaResult):
        raise TypeError(f"result must be a MetaResult (from meta_binary, meta_continuous or meta_generic); "
                        f"got {type(result).__name__}")
    return result


def _included(result: MetaResult):
    t = result.table
    inc = t["included"].to_numpy()
    return t["yi"].to_numpy()[inc], t["vi"].to_numpy()[inc], inc


# --- tau² interval ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tau2Interval(FrameResultMixin):
    """tau², I² and H² with Q-profile confidence intervals.

    Attributes
    ----------
    tau2, tau2_low, tau2_high : float
        The model's tau² and its Q-profile interval.
    i2, i2_low, i2_high : float
        I² (percent) and the interval obtained by mapping the tau² bounds through
        100·tau²/(tau² + s²) (as metafor ``confint``).
    h2, h2_low, h2_high : float
        H² = tau²/s² + 1 and its interval.
    confidence_level : float
    method : str
    """

    tau2: float
    tau2_low: float
    tau2_high: float
    i2: float
    i2_low: float
    i2_high: float
    h2: float
    h2_low: float
    h2_high: float
    confidence_level: float
    method: str = "Q-profile (Viechtbauer 2007)"
    _html_title = "Between-study heterogeneity"

    def to_frame(self) -> pd.DataFrame:
        return frame_from_rows({
            "tau2": {"estimate": self.tau2, "ci_low": self.tau2_low, "ci_high": self.tau2_high, "method": self.method},
            "tau": {"estimate": np.sqrt(self.tau2), "ci_low": np.sqrt(self.tau2_low),
                    "ci_high": np.sqrt(self.tau2_high), "method": self.method},
            "i2": {"estimate": self.i2, "ci_low": self.i2_low, "ci_high": self.i2_high,
                   "method": "I² (%), bounds from the tau² interval"},
            "h2": {"estimate": self.h2, "ci_low": self.h2_low, "ci_high": self.h2_high,
                   "method": "H², bounds from the tau² interval"},
        })


def tau2_ci(result: MetaResult, *, confidence_level: float | None = None) -> Tau2Interval:
    """Q-profile confidence interval for tau², with the implied I² and H² intervals.

    Parameters
    ----------
    result : MetaResult
        Any pooled result; the interval uses its per-study ``yi``/``vi`` (the studies in the model).
    confidence_level : float, optional
        Defaults to the result's level.

    Returns
    -------
    Tau2Interval

    Notes
    -----
    Equal to metafor ``confint(rma(...))`` (type "QP"): the bounds solve
    Σ (y_i - μ̂(τ²))²/(v_i + τ²) = χ²_{k-1} quantiles (upper quantile for the lower bound), truncated
    at 0. metafor searches on [0, max(100, 10·tau²)] and prints ">" at that cap; we widen the search
    instead. metafor refuses common-effect models; here the interval is computed for them too (it
    does not depend on the tau² estimator), with the point estimate the model's tau² (0 for MH, Peto
    and common-effect fits).

    References
    ----------
    Viechtbauer W. Stat Med 2007;26:37-52.

    Examples
    --------
    >>> from hamstudy.meta import meta_generic, tau2_ci
    >>> ci = tau2_ci(meta_generic([0.1, 0.5, -0.3, 0.9], [0.04, 0.05, 0.06, 0.05], tau2="REML"))
    >>> ci.tau2_low <= ci.tau2 <= ci.tau2_high
    True
    """
    _check_result(result)
    level = result.confidence_level if confidence_level is None else check_confidence_level(confidence_level)
    yi, vi, _ = _included(result)
    if yi.size < 2:
        raise ValueError("the Q-profile interval for tau² needs at least 2 studies")
    lo, hi = qprofile_tau2_ci(yi, vi, level=level)
    w = 1 / vi
    vt = (yi.size - 1) / (w.sum() - (w**2).sum() / w.sum())
    i2 = lambda t: 100 * t / (vt + t)  # noqa: E731
    h2 = lambda t: t / vt + 1  # noqa: E731
    return Tau2Interval(tau2=result.tau2, tau2_low=lo, tau2_high=hi, i2=result.i2, i2_low=i2(lo), i2_high=i2(hi),
                        h2=result.h2, h2_low=h2(lo), h2_high=h2(hi), confidence_level=level)


# --- Egger --------------------------------------------------------------------------------------


def egger_test(result: MetaResult, *, model: str = "rma") -> TestResult:
    """Regression test for funnel-plot asymmetry (Egger's test), as metafor ``regtest``.

    Parameters
    ----------
    result : MetaResult
    model : {"rma", "lm"}
        "rma" (metafor's default): the meta-regression yi = b0 + b1·sqrt(vi) fitted with the
        result's own model (common effect for MH, Peto and ``tau2=None``; else its tau² estimator
        and, with HKSJ, the t test), testing b1 = 0 by z (or t with k-2 df). "lm": Egger's original
        weighted least-squares regression with a multiplicative dispersion, t with k-2 df.

    Returns
    -------
    TestResult
        ``statistic`` (z or t for the slope on the standard error), ``pvalue``, ``df``;
        ``details`` holds ``limit_estimate`` (the intercept: the effect as the standard error
        goes to 0, on the analysis scale) with ``limit_ci_low``/``limit_ci_high`` (model "rma"),
        and ``slope``.

    Notes
    -----
    Equal to metafor ``regtest(res)`` (default ``model="rma", predictor="sei"``) and
    ``regtest(res, model="lm")``. Fewer than 10 studies give the test little power (Cochrane
    Handbook, section 13.3.5.4); with zero-cell binary data the corrected per-study effects and
    their SEs are correlated, which can make the test anti-conservative for odds ratios.

    References
    ----------
    Egger M, Davey Smith G, Schneider M, Minder C. BMJ 1997;315:629-634. Sterne JAC, Egger M.
    In: Publication Bias in Meta-Analysis. Wiley; 2005:99-110.

    Examples
    --------
    >>> from hamstudy.meta import meta_generic, egger_test
    >>> res = meta_generic([0.1, 0.5, -0.3, 0.9, 0.2], [0.04, 0.05, 0.06, 0.05, 0.2])
    >>> 0 <= egger_test(res).pvalue <= 1
    True
    """
    _check_result(result)
    if model not in ("rma", "lm"):
        raise ValueError(f"model must be 'rma' or 'lm'; got {model!r}")
    yi, vi, _ = _included(result)
    k = yi.size
    if k < 3:
        raise ValueError("Egger's test needs at least 3 studies")
    X = np.column_stack([np.ones(k), np.sqrt(vi)])
    if model == "rma":
        method = "FE" if result.method in ("MH", "Peto") or result.tau2_method is None else result.tau2_method
        f = fit_iv(yi, vi, X, method=method, test="knha" if result.hksj else "z", level=result.confidence_level,
                   btt=[1])
        df = f.df if np.isfinite(f.df) else None
        return TestResult(statistic=float(f.statistic[1]), pvalue=float(f.pvalue[1]),
                          method=f"Egger's regression test (meta-regression on the SE, {method}"
                                 f"{', t test' if df else ', z test'})",
                          df=df, name="egger",
                          details={"limit_estimate": float(f.beta[0]), "limit_ci_low": float(f.ci_low[0]),
                                   "limit_ci_high": float(f.ci_high[0]), "slope": float(f.beta[1]), "tau2": f.tau2})
    # weighted least squares with dispersion (R lm with weights); 2x2 algebra, no need for statsmodels
    w = 1 / vi
    XtWX = X.T @ (X * w[:, None])
    beta = np.linalg.solve(XtWX, X.T @ (w * yi))
    resid = yi - X @ beta
    s2 = float(np.sum(w * resid**2) / (k - 2))
    se = np.sqrt(np.diag(s2 * np.linalg.inv(XtWX)))
    t = float(beta[1] / se[1])
    return TestResult(statistic=t, pvalue=float(2 * special.stdtr(k - 2, -abs(t))),
                      method="Egger's regression test (weighted least squares, t test)", df=float(k - 2),
                      name="egger", details={"limit_estimate": float(beta[0]), "slope": float(beta[1])})


# --- leave-one-out and cumulative ------------------------------------------------------------------

_SEQ_COLUMNS = ["study", "k", "estimate", "ci_low", "ci_high", "log_estimate", "se", "pvalue", "tau2", "i2", "q",
                "q_pvalue", "pi_low", "pi_high"]


def _row(label, res: MetaResult) -> dict:
    return {"study": label, "k": res.k, "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
            "log_estimate": res.log_estimate, "se": res.se, "pvalue": res.pvalue, "tau2": res.tau2, "i2": res.i2,
            "q": res.q, "q_pvalue": res.q_pvalue, "pi_low": res.pi_low, "pi_high": res.pi_high}


def leave_one_out(result: MetaResult) -> pd.DataFrame:
    """Refit the same model leaving out each study in the model in turn (metafor ``leave1out``).

    Returns
    -------
    pandas.DataFrame
        One row per study in the model (labelled by the study left out) with the pooled
        ``estimate``, ``ci_low``, ``ci_high`` (natural scale), ``log_estimate``, ``se``,
        ``pvalue``, ``tau2``, ``i2``, ``q``, ``q_pvalue``, ``pi_low``, ``pi_high`` and ``k``.

    Notes
    -----
    Same options as the original fit (measure, method, tau² estimator, HKSJ, level). metafor's
    ``leave1out`` reports ratio measures on the log scale: compare with ``log_estimate``.

    Examples
    --------
    >>> from hamstudy.meta import meta_generic, leave_one_out
    >>> leave_one_out(meta_generic([0.1, 0.5, -0.3], [0.04, 0.05, 0.06])).shape[0]
    3
    """
    _check_result(result)
    inc = result.table["included"].to_numpy()
    if inc.sum() < 2:
        raise ValueError("leave-one-out needs at least 2 studies in the model")
    n = len(inc)
    rows = []
    for i in np.flatnonzero(inc):
        keep = np.array([j for j in range(n) if j != i])
        rows.append(_row(result.table["study"].iat[i], fit(result._spec, keep)))
    return pd.DataFrame(rows, columns=_SEQ_COLUMNS)


def cumulative(result: MetaResult, order=None) -> pd.DataFrame:
    """Cumulative meta-analysis: add the studies one at a time (metafor ``cumul``).

    Parameters
    ----------
    result : MetaResult
    order : array-like, optional
        A sort key with one entry per study given to the original call (for example the
        publication year); ties keep the original order. Default: the original order.

    Returns
    -------
    pandas.DataFrame
        One row per study in the model, labelled by the study just added, with the columns of
        :func:`leave_one_out`. The first row is a one-study "model" (tau² = 0, z test, as metafor).

    Examples
    --------
    >>> from hamstudy.meta import meta_generic, cumulative
    >>> res = meta_generic([0.1, 0.5, -0.3], [0.04, 0.05, 0.06], study=["b", "c", "a"])
    >>> list(cumulative(res, order=[2004, 2013, 2001])["study"])
    ['a', 'b', 'c']
    """
    _check_result(result)
    n = len(result.table)
    if order is None:
        idx = np.arange(n)
    else:
        key = np.asarray(order)
        if key.ndim != 1 or key.size != n:
            raise ValueError(f"order must have one entry per study given ({n}); got {key.size}")
        idx = np.argsort(key, kind="stable")
    inc = result.table["included"].to_numpy()
    idx = [i for i in idx if inc[i]]
    rows = []
    for j in range(1, len(idx) + 1):
        rows.append(_row(result.table["study"].iat[idx[j - 1]], fit(result._spec, np.array(sorted(idx[:j])))))
    return pd.DataFrame(rows, columns=_SEQ_COLUMNS)


# --- subgroups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubgroupResult(FrameResultMixin):
    """Subgroup analysis with a test for subgroup differences.

    Attributes
    ----------
    results : dict
        Subgroup label -> :class:`MetaResult` (the same model fitted within the subgroup).
    statistic, df, pvalue : float
        Test for subgroup differences: Q-between (chi² with ``df`` = G - 1) for ``test="separate"``;
        for ``test="moderator"`` metafor's QM (chi² with G - 1 df, or F with (G - 1, k - G) df
        under HKSJ; ``df`` is then G - 1 and ``df2`` the denominator).
    df2 : float
        Denominator df of the F test (moderator test with HKSJ), else NaN.
    test : str
        "separate" or "moderator".
    tau2 : float
        The common residual tau² of the moderator model (NaN for "separate").
    method : str
    """

    results: dict = field(repr=False)
    statistic: float
    df: float
    pvalue: float
    test: str
    method: str
    df2: float = float("nan")
    tau2: float = float("nan")
    _html_title = "Subgroup analysis"

    def to_frame(self) -> pd.DataFrame:
        rows = {}
        for g, r in self.results.items():
            rows[f"subgroup: {g}"] = {"estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                                      "pvalue": r.pvalue, "method": f"{r.model}, k = {r.k}"}
        rows["difference"] = {"estimate": self.statistic, "pvalue": self.pvalue, "method": self.method}
        return frame_from_rows(rows)


def subgroup(result: MetaResult, groups, *, test: str = "separate") -> SubgroupResult:
    """Fit the same model within subgroups and test whether the subgroup effects differ.

    Parameters
    ----------
    result : MetaResult
    groups : array-like
        A subgroup label per study given to the original call (for example ``protocol_family``).
    test : {"separate", "moderator"}
        "separate" (default; RevMan's and the ``meta`` package's default): each subgroup gets its
        own model and tau²; the subgroup estimates are then compared by a common-effect Q test,
        Q_between = Σ (b_g - b̄)²/SE_g² on G - 1 df (equal to metafor ``rma(b_g, sei=SE_g,
        method="FE")$QE``). Works for every method, MH and Peto included. "moderator" (IV only):
        a meta-regression on subgroup indicators with one tau² shared by all subgroups, testing
        all indicator coefficients (equal to metafor ``rma(yi, vi, mods = ~ factor(group))``'s QM,
        an F test under HKSJ).

    Returns
    -------
    SubgroupResult

    Notes
    -----
    Subgroups are observational comparisons across trials, not randomised ones; with few studies
    per subgroup the test has little power and a non-significant result is not evidence of
    equal effects. Subgroups whose estimate is not estimable (for example MH with no events in
    one arm) are left out of the test, with the fact in ``method``.

    References
    ----------
    Borenstein M, Higgins JPT. Prev Sci 2013;14:134-143. Cochrane Handbook, section 10.11.3.

    Examples
    --------
    >>> from hamstudy.meta import meta_generic, subgroup
    >>> res = meta_generic([0.1, 0.5, -0.3, 0.8], [0.04, 0.05, 0.06, 0.05])
    >>> sg = subgroup(res, ["a", "a", "b", "b"])
    >>> sorted(sg.results)
    ['a', 'b']
    """
    _check_result(result)
    if test not in ("separate", "moderator"):
        raise ValueError(f"test must be 'separate' or 'moderator'; got {test!r}")
    g = np.asarray(groups, dtype=object)
    n = len(result.table)
    if g.ndim != 1 or g.size != n:
        raise ValueError(f"groups must have one label per study given ({n}); got {g.size}")
    if any(x is None or (isinstance(x, float) and np.isnan(x)) for x in g):
        raise ValueError("groups contains missing labels")
    g = np.array([str(x) for x in g], dtype=object)
    inc = result.table["included"].to_numpy()
    labels = list(dict.fromkeys(g[inc]))
    if len(labels) < 2:
        raise ValueError("subgroup analysis needs at least 2 subgroups with studies in the model")
    results = {lab: fit(result._spec, np.flatnonzero(g == lab)) for lab in labels}
    if test == "separate":
        ok = [lab for lab in labels if np.isfinite(results[lab].log_estimate) and results[lab].se > 0]
        if len(ok) < 2:
            raise ValueError("fewer than 2 subgroups have an estimable effect")
        b = np.array([results[lab].log_estimate for lab in ok])
        v = np.array([results[lab].se ** 2 for lab in ok])
        f = fit_iv(b, v, method="FE")
        left = sorted(set(labels) - set(ok))
        method = ("Q-between, separate tau² per subgroup" + (f" (not estimable, left out: {', '.join(left)})" if left else ""))
        return SubgroupResult(results=results, statistic=f.q, df=float(len(ok) - 1), pvalue=f.q_pvalue,
                              test=test, method=method)
    if result.method != "IV":
        raise ValueError("test='moderator' needs an inverse-variance result (method='IV'); "
                         "use test='separate' for Mantel-Haenszel or Peto")
    yi, vi, _ = _included(result)
    gi = g[inc]
    X = np.column_stack([np.ones(gi.size)] + [(gi == lab).astype(float) for lab in labels[1:]])
    if gi.size <= X.shape[1]:
        raise ValueError("test='moderator' needs more studies than subgroups")
    f = fit_iv(yi, vi, X, method=result.tau2_method or "FE", test="knha" if result.hksj else "z",
               level=result.confidence_level)
    m, d2 = f.qm_df
    kind = f"F({m}, {d2})" if d2 is not None else f"chi²({m})"
    return SubgroupResult(results=results, statistic=f.qm, df=float(m), pvalue=f.qm_pvalue, test=test,
                          method=f"moderator test, common tau² ({result.tau2_method or 'FE'}), {kind}",
                          df2=float(d2) if d2 is not None else float("nan"), tau2=f.tau2)
