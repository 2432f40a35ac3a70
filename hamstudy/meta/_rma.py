"""Inverse-variance (meta-regression) models, as metafor's ``rma.uni``.

Written by hand: statsmodels' ``combine_effects`` has DL and an iterated PM but no REML, no
Knapp-Hartung, no moderators and no Q-profile interval, so the whole ``rma.uni`` arithmetic lives
here. Every formula follows metafor 3.8 (``rma.uni``, ``predict.rma``, ``confint.rma.uni``); the only
deliberate difference is that the iterative estimators are solved to machine precision instead of
metafor's default ``threshold=1e-5`` / ``tol=eps^0.25``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

TAU2_METHODS = ("DL", "REML", "PM")

# Fisher-scoring / root-finding precision. metafor's defaults are threshold=1e-5 (REML) and
# tol=.Machine$double.eps^0.25 (PM, Q-profile); we go to (near) machine precision, and the R
# reference scripts pass the same tight control so that both sides sit on the exact root.
_THRESHOLD = 1e-13
_MAXITER = 10_000
_LL0_TOL = np.finfo(float).eps ** 0.25  # metafor's con$tol, used by its "ll0check"


@dataclass(frozen=True)
class IVFit:
    """The numbers of one ``rma.uni`` fit (internal)."""

    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: float
    q: float
    q_pvalue: float
    i2: float
    h2: float
    vt: float
    k: int
    p: int
    df: float  # residual df for t tests (k - p) or nan for z tests
    crit: float
    test: str
    method: str
    weights: np.ndarray  # 1 / (vi + tau2)
    s2w: float  # Knapp-Hartung variance factor (1 without HKSJ)
    qm: float
    qm_pvalue: float
    qm_df: tuple


def _p_matrix(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """P = W - W X (X'WX)^-1 X'W."""
    WX = X * w[:, None]
    return np.diag(w) - WX @ np.linalg.solve(X.T @ WX, WX.T)


def _intercept_only(X: np.ndarray) -> bool:
    return X.shape[1] == 1 and bool(np.all(X == 1.0))


def q_of_tau2(tau2: float, yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    """Generalised Q statistic y'P(tau2)y (metafor's ``.QE.func`` with objective 0)."""
    w = 1.0 / (vi + tau2)
    if _intercept_only(X):  # P y = w (y - mu_hat): the same number without k x k matrices
        mu = np.sum(w * yi) / np.sum(w)
        return float(np.sum(w * (yi - mu) ** 2))
    P = _p_matrix(w, X)
    return float(yi @ P @ yi)


def _tau2_dl(yi, vi, X):
    k, p = X.shape
    P = _p_matrix(1.0 / vi, X)
    rss = float(yi @ P @ yi)
    return max(0.0, (rss - (k - p)) / np.trace(P))


def _tau2_pm(yi, vi, X):
    k, p = X.shape
    target = k - p
    f = lambda t: q_of_tau2(t, yi, vi, X) - target  # noqa: E731 (decreasing in t)
    if f(0.0) < 0:
        return 0.0
    hi = 100.0
    while f(hi) > 0:
        hi *= 10.0
        if hi > 1e12:
            raise ValueError("Paule-Mandel tau^2 search failed: Q(tau^2) stays above k-p")
    return optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=_MAXITER)


def _reml_ll(tau2, yi, vi, X):
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    WX = X * w[:, None]
    XWX = X.T @ WX
    beta = np.linalg.solve(XWX, WX.T @ yi)
    rss = float(np.sum(w * (yi - X @ beta) ** 2))
    return (-0.5 * (k - p) * np.log(2 * np.pi) - 0.5 * np.sum(np.log(vi + tau2))
            - 0.5 * np.linalg.slogdet(XWX)[1] - 0.5 * rss)


def _reml_score(tau2, yi, vi, X):
    """d ll_REML / d tau2 (times 2): y'PPy - tr(P)."""
    w = 1.0 / (vi + tau2)
    if _intercept_only(X):
        sw, sw2 = w.sum(), np.sum(w**2)
        mu = np.sum(w * yi) / sw
        return float(np.sum(w**2 * (yi - mu) ** 2)) - (sw - sw2 / sw)
    P = _p_matrix(w, X)
    return float(yi @ P @ P @ yi) - np.trace(P)


def _tau2_reml_direct(yi, vi, X):
    """Maximise the restricted likelihood on tau2 >= 0 directly (fallback when scoring oscillates)."""
    scale = max(float(np.var(yi)), float(np.max(vi)), 1e-8)
    grid = np.r_[0.0, np.geomspace(scale * 1e-8, scale * 1e4, 400)]
    ll = np.array([_reml_ll(t, yi, vi, X) for t in grid])
    j = int(np.argmax(ll))
    if j == 0 and _reml_score(0.0, yi, vi, X) <= 0:
        return 0.0
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    f = lambda t: _reml_score(t, yi, vi, X)  # noqa: E731
    if f(lo) > 0 > f(hi):
        return optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=_MAXITER)
    res = optimize.minimize_scalar(lambda t: -_reml_ll(t, yi, vi, X), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-14 * max(1.0, hi)})
    return float(res.x)


def _tau2_reml(yi, vi, X):
    """Fisher scoring exactly as metafor (HE start, step halving at 0, ll0check).

    Where metafor's scoring oscillates without converging (metafor then stops with an error and
    suggests ``control=list(stepadj=0.5)``), we maximise the restricted likelihood directly; that
    is the value metafor finds with a smaller step.
    """
    k, p = X.shape
    # Hedges (HE) starting value, as metafor
    Pols = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
    he = (float(yi @ Pols @ yi) - np.trace(Pols @ np.diag(vi))) / (k - p)
    tau2 = max(0.0, he)
    simple = _intercept_only(X)
    for _ in range(500):
        w = 1.0 / (vi + tau2)
        if simple:  # closed forms of y'PPy, tr(P), tr(PP) for P = W - w w'/sum(w)
            sw, sw2 = w.sum(), np.sum(w**2)
            mu = np.sum(w * yi) / sw
            ypp = float(np.sum(w**2 * (yi - mu) ** 2))
            trp = sw - sw2 / sw
            trpp = sw2 - 2 * np.sum(w**3) / sw + sw2**2 / sw**2
            adj = (ypp - trp) / trpp
        else:
            P = _p_matrix(w, X)
            PP = P @ P
            adj = (float(yi @ PP @ yi) - np.trace(P)) / np.trace(PP)
        if not np.isfinite(adj):
            adj = 0.0
        while tau2 + adj < 0:
            adj /= 2.0
        old = tau2
        tau2 = tau2 + adj
        if abs(old - tau2) <= _THRESHOLD * max(1.0, tau2):  # relative for large tau² (e.g. days²)
            break
    else:
        return _tau2_reml_direct(yi, vi, X)
    if tau2 > _THRESHOLD and _reml_ll(0.0, yi, vi, X) - _reml_ll(tau2, yi, vi, X) > _LL0_TOL:
        tau2 = 0.0  # metafor's ll0check: a local maximum below the boundary value
    return max(0.0, tau2)


def estimate_tau2(yi, vi, X, method: str) -> float:
    if method == "DL":
        return _tau2_dl(yi, vi, X)
    if method == "REML":
        return _tau2_reml(yi, vi, X)
    if method == "PM":
        return _tau2_pm(yi, vi, X)
    raise ValueError(f"unknown tau2 method {method!r}")


def fit_iv(yi, vi, X=None, *, method: str = "FE", test: str = "z", level: float = 0.95,
           btt=None) -> IVFit:
    """Fit ``rma.uni(yi, vi, mods=X, intercept=FALSE, method=method, test=test)``.

    ``method`` is "FE" or one of :data:`TAU2_METHODS`; ``test`` is "z" or "knha". With k = 1
    metafor sets tau2 = 0 and test = "z"; so do we.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = yi.size
    if X is None:
        X = np.ones((k, 1))
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    if k == 1:
        test = "z"
    if method == "FE" or k == 1:
        tau2 = 0.0
    else:
        tau2 = estimate_tau2(yi, vi, X, method)
    w = 1.0 / (vi + tau2)
    WX = X * w[:, None]
    vb = np.linalg.inv(X.T @ WX)
    beta = vb @ (WX.T @ yi)
    s2w = 1.0
    if test == "knha":
        rss = float(np.sum(w * (yi - X @ beta) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - p)
        vb = s2w * vb
        df = float(k - p)
    else:
        df = np.nan
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    alpha = 1.0 - level
    if test == "knha":
        # scipy.special rather than scipy.stats: same functions, without the per-call overhead
        pval = 2 * special.stdtr(df, -np.abs(stat)) if df > 0 else np.full(p, np.nan)
        crit = -special.stdtrit(df, alpha / 2) if df > 0 else np.nan
    else:
        pval = 2 * special.ndtr(-np.abs(stat))
        crit = -special.ndtri(alpha / 2)
    # omnibus test of the moderators (btt: indices of tested coefficients)
    if btt is None:
        btt = list(range(1, p)) if p > 1 else [0]
    btt = list(btt)
    b = beta[btt]
    try:
        qm = float(b @ np.linalg.solve(vb[np.ix_(btt, btt)], b))
    except np.linalg.LinAlgError:
        qm = np.nan
    m = len(btt)
    if test == "knha":
        qm = qm / m
        qm_df = (m, k - p)
        qm_p = float(special.fdtrc(m, k - p, qm)) if k - p > 0 else np.nan
    else:
        qm_df = (m, None)
        qm_p = float(special.chdtrc(m, qm))
    # heterogeneity: Q on the fixed-effect weights, I2 and H2 as metafor (i2def "1")
    if k > p:
        P = _p_matrix(1.0 / vi, X)
        q = max(0.0, float(yi @ P @ yi))
        q_p = float(special.chdtrc(k - p, q))
        vt = (k - p) / np.trace(P)
        if method == "FE":
            i2 = max(0.0, 100 * (q - (k - p)) / q) if q > 0 else 0.0
            h2 = q / (k - p)
        else:
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
    else:
        q, q_p, i2, h2, vt = 0.0, 1.0, 0.0, 1.0, 0.0
    return IVFit(beta=beta, vb=vb, se=se, statistic=stat, pvalue=np.asarray(pval, dtype=float),
                 ci_low=beta - crit * se, ci_high=beta + crit * se, tau2=float(tau2), q=q,
                 q_pvalue=q_p, i2=float(i2), h2=float(h2), vt=float(vt), k=k, p=p, df=df,
                 crit=float(crit), test=test, method=method if k > 1 else "FE", weights=w, s2w=float(s2w),
                 qm=qm, qm_pvalue=qm_p, qm_df=qm_df)


def prediction_interval(fit: IVFit) -> tuple[float, float]:
    """metafor ``predict.rma`` for an intercept-only model: pred +- crit * sqrt(se^2 + tau2)."""
    half = fit.crit * np.sqrt(fit.se[0] ** 2 + fit.tau2)
    return float(fit.beta[0] - half), float(fit.beta[0] + half)


def qprofile_tau2_ci(yi, vi, X=None, *, level: float = 0.95) -> tuple[float, float]:
    """Q-profile interval for tau^2 (Viechtbauer 2007), as metafor ``confint.rma.uni``.

    metafor searches on [0, max(100, 10*tau2)] and reports a bound at that cap with a ">" sign;
    we widen the bracket until the root is found instead.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = yi.size
    if X is None:
        X = np.ones((k, 1))
    p = X.shape[1]
    if k - p < 1:
        raise ValueError("the Q-profile interval for tau^2 needs at least p + 1 studies")
    alpha = 1 - level
    crit_u = stats.chi2.isf(alpha / 2, k - p)  # for the lower bound
    crit_l = stats.chi2.ppf(alpha / 2, k - p)  # for the upper bound

    def root(target):
        f = lambda t: q_of_tau2(t, yi, vi, X) - target  # noqa: E731 (decreasing in t)
        hi = 100.0
        while f(hi) > 0:
            hi *= 10.0
            if hi > 1e15:
                return np.inf
        return optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=_MAXITER)

    q0 = q_of_tau2(0.0, yi, vi, X)
    if q0 < crit_l:
        return 0.0, 0.0
    upper = root(crit_l)
    lower = 0.0 if q0 < crit_u else root(crit_u)
    return float(lower), float(upper)
