"""Exact detection of a monotone Cox partial likelihood (an infinite maximum-likelihood estimate).

Bryson & Johnson (1981): the log partial likelihood is monotone (the MLE is infinite) exactly when
there is a direction ``v != 0`` such that every death has the largest ``v . x`` in its risk set,

    v . x_i >= v . x_k   for every death i and every k at risk at t_i,

with strict inequality for at least one pair (otherwise the likelihood is flat along ``v``, which is
collinearity, not monotonicity). Along such a ``v`` every term of the log partial likelihood, Breslow
or Efron, is non-decreasing, and one is strictly increasing.

Because risk sets are nested, the pairwise constraints collapse to a linear programme of size
O(n + J): with ``M_j`` standing for ``max_{k at risk at t_j} v . x_k``,

    v . x_k <= M_{j(k)}  (j(k) = last event time at or before T_k),
    M_{j+1} <= M_j,      M_j <= v . x_i for each death i at t_j,

and we maximise the total slack ``sum_j sum_{k at risk} (M_j - v . x_k)`` over ``|v| <= 1``. A positive
optimum certifies monotonicity and returns a direction along which the likelihood increases for
ever. scipy's HiGHS solves it; nothing in lifelines or statsmodels does this check.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, sparse

from hamstudy.survival._cox_core import CoxData


def monotone_direction(data: CoxData) -> np.ndarray | None:
    """Return a direction of unbounded increase of the partial likelihood, or None.

    The direction's non-zero coordinates are exactly the coefficients that some such direction
    moves (the support of the cone of directions), on the original covariate scale.
    """
    x = data.x
    n, p = x.shape
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    z = x / sd  # standardised, so that the tolerance below is scale-free
    J = data.event_times.size
    if J == 0:
        return None
    at_risk = data.last_j >= 0
    kk = np.flatnonzero(at_risk)
    jk = data.last_j[kk]
    dp = data.death_pos
    nk, nd = kk.size, dp.size
    # one COO matrix, columns [v (p) | M (J)], rows: (1) v.z_k - M_j(k) <= 0,
    # (2) M_{j+1} - M_j <= 0, (3) M_j - v.z_i <= 0 for each death i at t_j
    r1 = np.repeat(np.arange(nk), p)
    c1 = np.tile(np.arange(p), nk)
    v1 = z[kk].ravel()
    r1b, c1b, v1b = np.arange(nk), p + jk, -np.ones(nk)
    o2 = nk
    r2 = np.arange(J - 1)
    rows2 = np.r_[o2 + r2, o2 + r2]
    cols2 = np.r_[p + r2 + 1, p + r2]
    vals2 = np.r_[np.ones(J - 1), -np.ones(J - 1)]
    o3 = nk + J - 1
    r3 = np.repeat(o3 + np.arange(nd), p)
    c3 = np.tile(np.arange(p), nd)
    v3 = -z[dp].ravel()
    r3b, c3b, v3b = o3 + np.arange(nd), p + data.death_j, np.ones(nd)
    a_ub = sparse.coo_matrix(
        (np.r_[v1, v1b, vals2, v3, v3b], (np.r_[r1, r1b, rows2, r3, r3b], np.r_[c1, c1b, cols2, c3, c3b])),
        shape=(o3 + nd, p + J),
    ).tocsc()
    b_ub = np.zeros(a_ub.shape[0])
    # objective: maximise sum_j n_j M_j - sum_k (j(k)+1) v.z_k
    n_risk = np.bincount(jk, minlength=J)[::-1].cumsum()[::-1].astype(float)
    cv = ((jk + 1.0)[:, None] * z[kk]).sum(axis=0)
    c = np.r_[cv, -n_risk]
    bounds = [(-1.0, 1.0)] * p + [(None, None)] * J
    res = optimize.linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    v = res.x[:p]
    if -res.fun <= 1e-7 or not np.any(np.abs(v) > 1e-9):
        return None
    v = np.where(np.abs(v) > 1e-7, v, 0.0)
    # The directions of unbounded increase form a convex cone; a coefficient is infinite iff some
    # direction in the cone moves it. The optimum above is a vertex and may leave such a
    # coordinate at 0, so ask for each remaining coordinate whether it can move, and add any
    # direction that moves it (a small multiple, so that no coordinate cancels).
    for k in np.flatnonzero(v == 0):
        for sgn in (1.0, -1.0):
            ck = np.zeros(p + J)
            ck[k] = -sgn
            rk = optimize.linprog(ck, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
            if rk.status == 0 and -rk.fun > 1e-7:
                w = np.where(np.abs(rk.x[:p]) > 1e-7, rk.x[:p], 0.0)
                lam = 0.5 * np.min(np.abs(v[v != 0])) / np.max(np.abs(w))
                v = v + lam * w
                break
    # certify directly on the pairwise definition (guards against solver tolerance)
    s = z @ v
    smax_suffix = np.maximum.accumulate(s[::-1])[::-1]  # max of v.z over positions >= i
    risk_max = smax_suffix[data.j_start]
    gap = risk_max[data.death_j] - s[dp]
    scale = max(1.0, float(np.max(np.abs(s))))
    if np.max(gap) > 1e-8 * scale:
        return None
    smin_suffix = np.minimum.accumulate(s[::-1])[::-1]
    strict = s[dp] - smin_suffix[data.j_start][data.death_j]
    if np.max(strict) <= 1e-8 * scale:
        return None
    return v / sd  # back to the original covariate scale (direction only)
