"""Vectorised Cox partial-likelihood derivatives (Breslow and Efron ties).

Written by hand because neither lifelines nor statsmodels exposes what hamstudy needs in one place:
R-exact Efron derivatives *and* the per-subject score residuals (for the dfbeta sandwich), the
per-death quantities behind ``cox.zph`` and the third-derivative term of Firth's penalty. Everything
is O(n p^2) per evaluation: the risk-set sums are reverse cumulative sums over the time-sorted data
and every "sum over event times at or before T_i" is a forward cumulative sum indexed per subject,
so no n x p x p array is ever formed (except for Firth, whose data are small).

Notation (one row per death, deaths sorted by time; ``j`` indexes distinct event times, ``k`` the
position of a death inside its tie group of size ``d``; ``frac = k/d`` for Efron, 0 for Breslow):

* ``den = S0_j - frac * A0_j``: the (Efron-adjusted) risk-set sum of ``exp(eta)``,
* ``m = (S1_j - frac * A1_j) / den``: the matching weighted covariate mean.

A subject in the risk set at ``t_j`` that does not die there carries weight 1 in every one of the
``d`` terms; a subject dying at ``t_j`` carries weight ``1 - k/d`` in term ``k`` (Efron 1977; this is
survival's coxfit6/coxscore2 convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CoxData:
    """Time-sorted design with the event-time bookkeeping the derivatives need.

    ``x`` is centred by its column means (as coxph does); ``x_mean`` holds those means.
    """

    x: np.ndarray  # (n, p) centred, sorted by time
    x_mean: np.ndarray  # (p,)
    time: np.ndarray  # (n,) sorted ascending
    event: np.ndarray  # (n,) bool, sorted with time
    order: np.ndarray  # sorted position -> original row
    ties: str  # "efron" or "breslow"
    death_pos: np.ndarray  # (D,) sorted positions of the deaths
    death_j: np.ndarray  # (D,) event-time index of each death
    frac: np.ndarray  # (D,) k/d (Efron) or 0 (Breslow)
    tie_d: np.ndarray  # (D,) size of the death's tie group
    j_start: np.ndarray  # (J,) sorted position of the first subject at risk at t_j
    j_death_start: np.ndarray  # (J,) index into the deaths of the first death at t_j
    n_death_j: np.ndarray  # (J,) deaths at t_j
    last_j: np.ndarray  # (n,) index of the last event time <= own time (-1 if none)
    event_times: np.ndarray  # (J,)

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def p(self) -> int:
        return self.x.shape[1]


def prepare(x: np.ndarray, time: np.ndarray, event: np.ndarray, ties: str) -> CoxData:
    """Sort by time and build the risk-set bookkeeping."""
    # sort by time, deaths before censorings at equal times: the deaths at t_j then occupy
    # positions [j_start, j_start + d_j), so the risk-set sum without them is a plain suffix sum
    # (no cancellation when the dying subjects dominate, as in a monotone likelihood)
    order = np.lexsort((~np.asarray(event, dtype=bool), np.asarray(time, dtype=float)))
    t = np.asarray(time, dtype=float)[order]
    ev = np.asarray(event, dtype=bool)[order]
    xs = np.asarray(x, dtype=float)[order]
    x_mean = xs.mean(axis=0)
    xs = xs - x_mean
    death_pos = np.flatnonzero(ev)
    death_times = t[death_pos]
    event_times, j_death_start, n_death_j = np.unique(death_times, return_index=True, return_counts=True)
    death_j = np.repeat(np.arange(event_times.size), n_death_j)
    k_in_group = np.arange(death_pos.size) - j_death_start[death_j]
    tie_d = n_death_j[death_j]
    if ties == "efron":
        frac = k_in_group / tie_d
    else:
        frac = np.zeros(death_pos.size)
    j_start = np.searchsorted(t, event_times, side="left")
    last_j = np.searchsorted(event_times, t, side="right") - 1
    return CoxData(
        x=xs,
        x_mean=x_mean,
        time=t,
        event=ev,
        order=order,
        ties=ties,
        death_pos=death_pos,
        death_j=death_j,
        frac=frac.astype(float),
        tie_d=tie_d,
        j_start=j_start,
        j_death_start=j_death_start,
        n_death_j=n_death_j,
        last_j=last_j,
        event_times=event_times,
    )


def _revcumsum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


def _suffix_sums(a: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``sum(a[i:])`` for each ``i`` in ``at`` (``i`` may equal ``len(a)``)."""
    rc = _revcumsum(a)
    pad = np.zeros((1,) + a.shape[1:])
    return np.concatenate([rc, pad], axis=0)[at]


def _per_subject_cumsum(per_time: np.ndarray, last_j: np.ndarray) -> np.ndarray:
    """For each subject, the sum of ``per_time`` over event times at or before its own time."""
    cum = np.cumsum(per_time, axis=0)
    pad = np.zeros((1,) + per_time.shape[1:])
    cum = np.concatenate([pad, cum], axis=0)
    return cum[last_j + 1]


@dataclass
class Pieces:
    """Per-death quantities at one beta (risks rescaled by ``exp(-shift)``)."""

    eta: np.ndarray
    risk: np.ndarray  # exp(eta - shift)
    shift: float
    den: np.ndarray  # (D,)
    m: np.ndarray  # (D, p)
    loglik: float


def pieces(data: CoxData, beta: np.ndarray) -> Pieces:
    """Risk-set sums, per-death denominators and means, and the log partial likelihood."""
    eta = data.x @ beta
    shift = float(eta.max()) if eta.size else 0.0
    risk = np.exp(eta - shift)
    rx = risk[:, None] * data.x
    after = data.j_start + data.n_death_j  # first position after the deaths at t_j
    s0_alive = _suffix_sums(risk, after)  # at risk at t_j and not dying there
    s1_alive = _suffix_sums(rx, after)
    dp = data.death_pos
    a0 = np.add.reduceat(risk[dp], data.j_death_start)
    a1 = np.add.reduceat(rx[dp], data.j_death_start, axis=0)
    jj = data.death_j
    keep = 1.0 - data.frac  # Efron: the tied deaths count (1 - k/d) in term k
    den = s0_alive[jj] + keep * a0[jj]
    num = s1_alive[jj] + keep[:, None] * a1[jj]
    with np.errstate(divide="ignore", invalid="ignore"):
        m = num / den[:, None]
        loglik = float(eta[dp].sum() - np.log(den).sum() - dp.size * shift)
    return Pieces(eta=eta, risk=risk, shift=shift, den=den, m=m, loglik=loglik)


def score_information(data: CoxData, pc: Pieces, death_weight: np.ndarray | None = None):
    """Score vector and information matrix, each death's term weighted by ``death_weight``.

    With unit weights these are the ordinary first and (negated) second derivatives of the log
    partial likelihood. ``cox.zph`` uses weights ``g(t)`` and ``g(t)^2`` for its time-interaction
    blocks. Returns ``(u, imat)`` where ``u = sum_deaths w (x_i - m)``.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return _score_information(data, pc, death_weight)


def _score_information(data: CoxData, pc: Pieces, death_weight: np.ndarray | None):
    x = data.x
    dp = data.death_pos
    w = np.ones(dp.size) if death_weight is None else death_weight
    starts = data.j_death_start
    inv = w / pc.den
    c_j = np.add.reduceat(inv, starts)
    e_j = np.add.reduceat(inv * data.frac, starts)
    cc = _per_subject_cumsum(c_j, data.last_j)
    wt = pc.risk * cc
    wt[dp] -= pc.risk[dp] * e_j[data.death_j]
    imat = (x * wt[:, None]).T @ x - (pc.m * w[:, None]).T @ pc.m
    u = (x[dp] * w[:, None]).sum(axis=0) - (pc.m * w[:, None]).sum(axis=0)
    return u, 0.5 * (imat + imat.T)


def score_residuals(data: CoxData, pc: Pieces) -> np.ndarray:
    """Per-subject score residuals (rows in the original data order), as R ``residuals(fit, "score")``.

    ``L_i = delta_i (x_i - mbar_j(i)) - r_i sum_{j,k} w_ijk (x_i - m_jk) / den_jk`` with the Efron
    weights described in the module docstring; the rows sum to the score vector.
    """
    x = data.x
    dp = data.death_pos
    starts = data.j_death_start
    inv = 1.0 / pc.den
    c_j = np.add.reduceat(inv, starts)
    e_j = np.add.reduceat(inv * data.frac, starts)
    g_j = np.add.reduceat(pc.m * inv[:, None], starts, axis=0)
    f_j = np.add.reduceat(pc.m * (inv * data.frac)[:, None], starts, axis=0)
    mbar_j = np.add.reduceat(pc.m, starts, axis=0) / data.n_death_j[:, None]
    cc = _per_subject_cumsum(c_j, data.last_j)
    gg = _per_subject_cumsum(g_j, data.last_j)
    cc[dp] -= e_j[data.death_j]
    gg[dp] -= f_j[data.death_j]
    resid = -pc.risk[:, None] * (x * cc[:, None] - gg)
    resid[dp] += x[dp] - mbar_j[data.death_j]
    out = np.empty_like(resid)
    out[data.order] = resid
    return out


def schoenfeld_means(data: CoxData, pc: Pieces) -> np.ndarray:
    """Per-death mean used by Schoenfeld residuals (Efron: average of the tie group's means)."""
    mbar_j = np.add.reduceat(pc.m, data.j_death_start, axis=0) / data.n_death_j[:, None]
    return mbar_j[data.death_j]


def safe_inverse(imat: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive (semi)definite matrix; pseudo-inverse if it is singular."""
    try:
        chol = np.linalg.cholesky(imat)
        inv_chol = np.linalg.inv(chol)
        return inv_chol.T @ inv_chol
    except np.linalg.LinAlgError:
        return np.linalg.pinv(imat, hermitian=True)


def solve_step(imat: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Newton step ``I^{-1} u`` that degrades to a least-squares step when ``I`` is singular."""
    try:
        chol = np.linalg.cholesky(imat)
        y = np.linalg.solve(chol, u)
        return np.linalg.solve(chol.T, y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(imat, u, rcond=None)[0]


@dataclass
class NewtonFit:
    beta: np.ndarray
    pieces: Pieces
    u: np.ndarray
    imat: np.ndarray
    loglik_null: float
    score_test: float
    u0: np.ndarray
    imat0: np.ndarray
    iterations: int
    converged: bool  # a stationary point was reached (Newton step vanished)
    last_step: float


def newton(data: CoxData, *, max_iter: int = 60, step_tol: float = 1e-11,
           loose_eps: float | None = None) -> NewtonFit:
    """Maximise the log partial likelihood from beta = 0 by Newton-Raphson with step-halving.

    coxph stops when the relative change of the log-likelihood is below ``eps = 1e-9``. For exact
    agreement with references we go on until the Newton step itself is negligible (quadratic
    convergence makes that one or two more iterations). ``loose_eps`` restores coxph's own rule
    (used once the likelihood is known to be monotone, where the step never vanishes).
    """
    p = data.p
    beta = np.zeros(p)
    pc = pieces(data, beta)
    u, imat = score_information(data, pc)
    loglik_null = pc.loglik
    u0, imat0 = u.copy(), imat.copy()
    step0 = solve_step(imat, u)
    score_test = float(u @ step0)
    converged = False
    last_step = np.inf
    it = 0
    step = step0
    halvings = 0
    while it < max_iter:
        it += 1
        new_beta = beta + step
        new_pc = pieces(data, new_beta)
        if not np.isfinite(new_pc.loglik) or new_pc.loglik < pc.loglik - 1e-12 * abs(pc.loglik):
            # step-halving, as coxph does when the log-likelihood goes down
            halvings += 1
            step = step / 2.0
            if halvings > 40:
                break
            continue
        halvings = 0
        old_ll = pc.loglik
        beta, pc = new_beta, new_pc
        u, imat = score_information(data, pc)
        last_step = float(np.max(np.abs(step)))
        step = solve_step(imat, u)
        rel = abs(1.0 - old_ll / pc.loglik) if pc.loglik != 0 else abs(pc.loglik - old_ll)
        if loose_eps is not None:
            if rel <= loose_eps:
                break
            continue
        scale = 1.0 + float(np.max(np.abs(beta)))
        if float(np.max(np.abs(step))) <= step_tol * scale:
            # the pending step is negligible: take it (quadratic convergence puts the result at
            # rounding level) and stop
            final = pieces(data, beta + step)
            if np.isfinite(final.loglik) and final.loglik >= pc.loglik - 1e-15 * abs(pc.loglik):
                beta, pc = beta + step, final
                u, imat = score_information(data, pc)
            converged = True
            last_step = float(np.max(np.abs(step)))
            break
    return NewtonFit(
        beta=beta,
        pieces=pc,
        u=u,
        imat=imat,
        loglik_null=loglik_null,
        score_test=score_test,
        u0=u0,
        imat0=imat0,
        iterations=it,
        converged=converged,
        last_step=last_step,
    )
