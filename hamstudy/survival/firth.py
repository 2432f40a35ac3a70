"""Firth-penalised Cox regression (Heinze & Schemper 2001), as R ``coxphf``.

The penalised log partial likelihood is ``l*(beta) = l(beta) + 0.5 log det I(beta)`` (Breslow ties, as
coxphf). Its maximiser is finite even when the ordinary MLE is infinite (an arm with no events), and
inference uses the profile penalised likelihood: confidence limits where
``2 (l*(beta_hat) - max_{beta_-k} l*(beta_k = b, beta_-k))`` equals the chi-square quantile, and
penalised likelihood-ratio p-values.

Written by hand: neither lifelines nor statsmodels has a Firth Cox model, and coxphf is R-only. The
penalised score is exact (it needs the third derivatives of the log partial likelihood); the Newton
steps use the penalised Hessian from central differences of that score (coxphf uses ``I(beta)``,
which converges only linearly and can oscillate), with coxphf's step cap (0.5) and a line search.

Use :func:`hamstudy.cox` with ``firth=True``; this module holds the machinery.

References
----------
Heinze G, Schemper M (2001). A solution to the problem of monotone likelihood in Cox regression.
Biometrics 57:114-119.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from hamstudy.survival._cox_core import CoxData, pieces, safe_inverse, score_information

_MAX_STEP = 0.5  # coxphf's default maxstep: no coefficient moves more than this per iteration


@dataclass
class PenalisedPoint:
    beta: np.ndarray
    pl: float  # penalised log partial likelihood
    loglik: float  # unpenalised
    score: np.ndarray  # penalised score
    imat: np.ndarray  # information (unpenalised), I(beta)


def penalised(data: CoxData, beta: np.ndarray) -> PenalisedPoint:
    """Penalised log-likelihood, its exact gradient and the information at ``beta`` (Breslow ties)."""
    pc = pieces(data, beta)
    u, imat = score_information(data, pc)
    sign, logdet = np.linalg.slogdet(imat)
    if sign <= 0 or not np.isfinite(pc.loglik):
        return PenalisedPoint(beta, -np.inf, pc.loglik, np.full_like(beta, np.nan), imat)
    a = safe_inverse(imat)
    x = data.x
    r = pc.risk
    # risk-set sums at each event time; p x p per time is fine for the small data Firth is for
    js = data.j_start
    s0 = np.cumsum(r[::-1])[::-1][js]
    s1 = np.cumsum((r[:, None] * x)[::-1], axis=0)[::-1][js]
    outer = x[:, :, None] * x[:, None, :]
    s2 = np.cumsum((r[:, None, None] * outer)[::-1], axis=0)[::-1][js]
    q = np.einsum("ij,jk,ik->i", x, a, x)
    t3 = np.cumsum(((r * q)[:, None] * x)[::-1], axis=0)[::-1][js]
    d = data.n_death_j.astype(float)
    xbar = s1 / s0[:, None]
    qm = s2 / s0[:, None, None]
    q3 = t3 / s0[:, None]
    tr_aq = np.einsum("jk,tkj->t", a, qm)
    axbar = xbar @ a  # (J, p) = (A xbar)^T since A symmetric
    qaxbar = np.einsum("tij,tj->ti", qm, axbar)
    xax = np.einsum("ti,ti->t", xbar, axbar)
    term = q3 - tr_aq[:, None] * xbar - 2.0 * qaxbar + 2.0 * xax[:, None] * xbar
    grad_pen = 0.5 * (d[:, None] * term).sum(axis=0)
    return PenalisedPoint(beta, pc.loglik + 0.5 * logdet, pc.loglik, u + grad_pen, imat)


def _newton_direction(data: CoxData, pt: PenalisedPoint, free: np.ndarray) -> np.ndarray:
    """Newton direction on the penalised Hessian (central differences of the exact penalised
    score), falling back to coxphf's ``I(beta)^{-1} U*`` where that Hessian is not negative
    definite. With ``I`` alone the iteration converges only linearly and can oscillate (with one
    event and two subjects the full step overshoots by exactly a factor of 2)."""
    idx = np.flatnonzero(free)
    hess = np.empty((idx.size, idx.size))
    for a, k in enumerate(idx):
        h = 1e-5 * (1.0 + abs(pt.beta[k]))
        up = pt.beta.copy()
        dn = pt.beta.copy()
        up[k] += h
        dn[k] -= h
        hess[:, a] = (penalised(data, up).score[idx] - penalised(data, dn).score[idx]) / (2.0 * h)
    neg = -0.5 * (hess + hess.T)
    g = pt.score[idx]
    if np.all(np.isfinite(neg)):
        try:
            chol = np.linalg.cholesky(neg)
            return np.linalg.solve(chol.T, np.linalg.solve(chol, g))
        except np.linalg.LinAlgError:
            pass
    return np.linalg.solve(pt.imat[np.ix_(idx, idx)], g)


def _maximise(data: CoxData, start: np.ndarray, free: np.ndarray, *, tol: float = 1e-10, max_iter: int = 300):
    """Maximise the penalised likelihood over the coordinates ``free`` (others held fixed)."""
    beta = start.astype(float).copy()
    pt = penalised(data, beta)
    if not np.isfinite(pt.pl):
        raise FloatingPointError("penalised likelihood is not finite at the starting point")
    converged = False
    for _ in range(max_iter):
        if not free.any():
            converged = True
            break
        step_f = _newton_direction(data, pt, free)
        big = np.max(np.abs(step_f))
        if big > _MAX_STEP:
            step_f = step_f * (_MAX_STEP / big)
        if np.max(np.abs(step_f)) <= tol * (1.0 + np.max(np.abs(beta[free]))):
            converged = True
            break
        # Armijo line search far from the optimum; near it (steps < 1e-6) the Newton step on
        # the penalised Hessian is taken as it is, since l* cannot resolve the O(step^2) gain
        expected = float(step_f @ pt.score[free])
        accepted = False
        if np.max(np.abs(step_f)) < 1e-6 * (1.0 + np.max(np.abs(beta[free]))):
            trial = beta.copy()
            trial[free] += step_f
            new = penalised(data, trial)
            accepted = bool(np.isfinite(new.pl))
        for _half in range(0 if accepted else 60):
            trial = beta.copy()
            trial[free] += step_f
            new = penalised(data, trial)
            if np.isfinite(new.pl) and new.pl - pt.pl >= 1e-4 * expected:
                accepted = True
                break
            step_f = step_f / 2.0
            expected = expected / 2.0
        if not accepted:
            # no measurable ascent left: the step is below what l* can resolve
            converged = bool(np.max(np.abs(step_f)) * 2.0**60 <= 1e-7 * (1.0 + np.max(np.abs(beta[free]))))
            break
        beta, pt = trial, new
    return pt, converged


@dataclass
class FirthFit:
    beta: np.ndarray
    pl: float
    pl_null: float
    loglik: float
    imat: np.ndarray
    covariance: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    chisq: np.ndarray  # penalised likelihood-ratio statistic for beta_k = 0
    pvalue: np.ndarray
    lr_global: float
    converged: bool


def _profile(data: CoxData, k: int, value: float, warm: np.ndarray) -> tuple[float, np.ndarray]:
    start = warm.copy()
    start[k] = value
    free = np.ones(data.p, dtype=bool)
    free[k] = False
    pt, _ = _maximise(data, start, free)
    return pt.pl, pt.beta


def fit_firth(data: CoxData, confidence_level: float) -> FirthFit:
    """Penalised fit, profile penalised-likelihood confidence limits and PLR tests."""
    p = data.p
    everything = np.ones(p, dtype=bool)
    null = penalised(data, np.zeros(p))
    best, converged = _maximise(data, np.zeros(p), everything)
    beta_hat = best.beta
    cov = safe_inverse(best.imat)
    crit = stats.chi2.ppf(confidence_level, 1)
    target = best.pl - crit / 2.0
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    ci_low = np.empty(p)
    ci_high = np.empty(p)
    chisq = np.empty(p)
    for k in range(p):
        cache = {"warm": beta_hat.copy()}

        def f(b, k=k, cache=cache):
            pl, beta = _profile(data, k, b, cache["warm"])
            cache["warm"] = beta
            return pl - target

        for sign, out in ((-1.0, ci_low), (1.0, ci_high)):
            cache["warm"] = beta_hat.copy()
            width = max(se[k], 0.25)
            inner = beta_hat[k]
            bound = np.nan
            for _ in range(60):
                outer = beta_hat[k] + sign * width
                try:
                    val = f(outer)
                except FloatingPointError:
                    val = -np.inf
                if val < 0:
                    lo, hi = sorted((inner, outer))
                    cache["warm"] = beta_hat.copy()
                    bound = optimize.brentq(f, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=200)
                    break
                inner = outer
                width *= 2.0
            else:
                bound = sign * np.inf
            out[k] = bound
        if p == 1:
            pl0 = null.pl
        else:
            pl0, _ = _profile(data, k, 0.0, beta_hat)
        chisq[k] = max(2.0 * (best.pl - pl0), 0.0)
    pvalue = stats.chi2.sf(chisq, 1)
    return FirthFit(
        beta=beta_hat,
        pl=best.pl,
        pl_null=null.pl,
        loglik=best.loglik,
        imat=best.imat,
        covariance=cov,
        ci_low=ci_low,
        ci_high=ci_high,
        chisq=chisq,
        pvalue=pvalue,
        lr_global=max(2.0 * (best.pl - null.pl), 0.0),
        converged=converged,
    )
