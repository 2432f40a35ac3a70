"""Exact unconditional tests (Barnard, Boschloo) for two independent binomials.

Written by hand because scipy's ``barnard_exact`` / ``boschloo_exact`` recompute everything per
table (about 0.1 s for 100 per arm) and maximise the nuisance parameter with a stochastic global
optimiser. Here the p-value is reduced to a one-dimensional polynomial first:

For a rejection region R (the tables at least as extreme as the observed one),

    p(pi) = sum_{(i, j) in R} C(n1, i) C(n2, j) pi^(i+j) (1 - pi)^(N-i-j)
          = sum_k q_k Binom(k; N, pi),      q_k = P_hypergeometric((i, j) in R | i + j = k),

by Vandermonde's identity. So p(pi) is the expectation of q_K with K ~ Binomial(N, pi); each
evaluation costs N + 1 terms instead of (n1 + 1)(n2 + 1). The maximum over [0, 1] is located on a
grid that is uniform in arcsin(sqrt(pi)) (where the binomial's width is constant) and polished by
safeguarded Newton steps on the exact derivative.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from hamstudy._result import check_alternative

#: scipy ``boschloo_exact``: tables whose one-sided Fisher p-value is at most ``1 + 1e-13`` times the
#: observed one are in the rejection region (gh-14178).
BOSCHLOO_TIE_TOLERANCE = 1e-13

_TESTS = ("barnard", "boschloo")


@lru_cache(maxsize=64)
def _log_comb_row(n: int) -> np.ndarray:
    """log C(n, k) for k = 0..n, each correctly rounded from the exact integer (no lgamma cancellation)."""
    out = np.empty(n + 1)
    c = 1
    for k in range(n + 1):
        out[k] = math.log(c)
        c = c * (n - k) // (k + 1)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def _comb_row(n: int) -> np.ndarray | None:
    """C(n, k) as floats (correctly rounded), or None when they overflow."""
    if n > 1020:
        return None
    out = np.array([float(math.comb(n, k)) for k in range(n + 1)])
    out.setflags(write=False)
    return out


@lru_cache(maxsize=16)
def _hypergeom_grid(n1: int, n2: int) -> np.ndarray:
    """H[i, j] = C(n1, i) C(n2, j) / C(N, i + j): the probability of table (i, j) given its margin."""
    c1, c2, cn = _comb_row(n1), _comb_row(n2), _comb_row(n1 + n2)
    i = np.arange(n1 + 1)[:, None]
    j = np.arange(n2 + 1)[None, :]
    if cn is not None:
        h = (c1[:, None] * c2[None, :]) / cn[i + j]
    else:
        l1, l2, ln = _log_comb_row(n1), _log_comb_row(n2), _log_comb_row(n1 + n2)
        h = np.exp(l1[:, None] + l2[None, :] - ln[i + j])
    h.setflags(write=False)
    return h


@lru_cache(maxsize=16)
def _fisher_one_sided_grid(n1: int, n2: int):
    """Conditional one-sided p-values of every table: P(X1 <= i | k) and P(X1 >= i | k)."""
    h = _hypergeom_grid(n1, n2)
    big_n = n1 + n2
    i = np.arange(n1 + 1)[:, None]
    k = i + np.arange(n2 + 1)[None, :]
    sheared = np.zeros((n1 + 1, big_n + 1))
    sheared[np.broadcast_to(i, k.shape), k] = h  # row i, column k = i + j
    less = np.cumsum(sheared, axis=0)
    greater = np.cumsum(sheared[::-1], axis=0)[::-1]
    less = less[np.broadcast_to(i, k.shape), k]
    greater = greater[np.broadcast_to(i, k.shape), k]
    less.setflags(write=False)
    greater.setflags(write=False)
    return less, greater


@lru_cache(maxsize=16)
def _pooled_score_grid(n1: int, n2: int) -> np.ndarray:
    """Pooled (score) z statistic of every table, with the same floating-point operations as scipy."""
    x1 = np.arange(n1 + 1, dtype=np.int64).reshape(-1, 1)
    x2 = np.arange(n2 + 1, dtype=np.int64).reshape(1, -1)
    p1, p2 = x1 / n1, x2 / n2
    p = (x1 + x2) / (n1 + n2)
    variances = p * (1 - p) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.divide(p1 - p2, np.sqrt(variances))
    z[np.broadcast_to(p1 == p2, z.shape)] = 0.0
    z.setflags(write=False)
    return z


def _extremeness(n1: int, n2: int, test: str, alternative: str):
    """An ordering key per table (smaller = more extreme) and the tie tolerance of the region.

    Returns ``key`` (shape (n1+1, n2+1)), ``relative`` (True if the region is key <= key_obs * (1+tol),
    else key <= key_obs) and the hypergeometric grid ``h``.
    """
    h = _hypergeom_grid(n1, n2)
    if test == "barnard":
        z = _pooled_score_grid(n1, n2)
        key = {"two-sided": -np.abs(z), "less": z, "greater": -z}[alternative]
        return key, False, h, z
    less, greater = _fisher_one_sided_grid(n1, n2)
    key = less if alternative == "less" else greater
    return key, True, h, key


def _binom_pmf_columns(big_n: int, pis: np.ndarray) -> np.ndarray:
    """Binomial(N, pi) pmf, shape (N + 1, len(pis)), exact at pi = 0 and 1."""
    k = np.arange(big_n + 1)[:, None]
    lc = _log_comb_row(big_n)[:, None]
    pis = np.asarray(pis, dtype=float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(k > 0, k * np.log(pis), 0.0) + np.where(k < big_n, (big_n - k) * np.log1p(-pis), 0.0)
    return np.exp(lc + logp)


# Grid density: the binomial's width in theta = arcsin(sqrt(pi)) is about 1 / (2 sqrt(N)); the
# grid puts several nodes within that width, so each local maximum is bracketed and then polished.
_GRID_PER_SQRT_N = 12.0
_GRID_MIN = 128


@lru_cache(maxsize=16)
def _grid(big_n: int):
    """Nuisance grid, uniform in arcsin(sqrt(pi)), and the binomial pmf at its nodes (cached)."""
    points = max(_GRID_MIN, int(math.ceil(_GRID_PER_SQRT_N * math.sqrt(big_n))))
    theta = np.linspace(0.0, math.pi / 2, points)
    pis = np.sin(theta) ** 2
    pis[0], pis[-1] = 0.0, 1.0
    pmf = _binom_pmf_columns(big_n, pis)
    pis.setflags(write=False)
    pmf.setflags(write=False)
    return pis, pmf


#: Number of the highest grid local maxima polished per row: a peak sampled off its top can rank
#: below a slightly lower peak sampled at its top, so the best few are all polished.
_CANDIDATES = 4
_POLISH_MARGIN = 0.05


def _polish(q: np.ndarray, big_n: int, x: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Newton steps for the maximum of log p(pi) inside brackets [a, b] (bisection as fallback).

    With w_k = q_k Binom(k; N, pi), the derivatives of p need only the moments sum(w), sum(w k)
    and sum(w k^2): d/dpi Binom = Binom (k - N pi) / (pi (1 - pi)).
    """
    k = np.arange(big_n + 1, dtype=float)
    powers = np.stack([np.ones_like(k), k, k * k], axis=1)  # (N + 1, 3)
    lc = _log_comb_row(big_n)[None, :]
    kk = k[None, :]
    nk = big_n - kk
    x, a, b = x.copy(), a.copy(), b.copy()
    active = np.arange(x.size)
    for _ in range(80):
        xa = x[active]
        w = q[active] * np.exp(lc + kk * np.log(xa)[:, None] + nk * np.log1p(-xa)[:, None])
        v0, m1, m2 = (w @ powers).T
        one_minus = 1.0 - xa
        var = xa * one_minus
        d1 = (m1 - big_n * xa * v0) / var
        d2 = (m2 - 2.0 * big_n * xa * m1 + (big_n * xa) ** 2 * v0) / var**2 - (
            m1 / xa**2 + (big_n * v0 - m1) / one_minus**2
        )
        # keep a bracket on the sign change of p'
        a[active] = np.where(d1 > 0, xa, a[active])
        b[active] = np.where(d1 <= 0, xa, b[active])
        aa, bb = a[active], b[active]
        # Newton on log p (p is close to log-concave near a peak; Newton on p itself overshoots
        # when p varies over many orders of magnitude within the bracket)
        curv = d2 * v0 - d1 * d1
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - d1 * v0 / curv
        # a step that leaves the bracket by rounding only (1e-12) is clipped to it
        ok = (curv < 0) & (newton > aa - 1e-12) & (newton < bb + 1e-12)
        x_new = np.where(ok, np.clip(newton, aa, bb), 0.5 * (aa + bb))
        x[active] = x_new
        # stop at 1e-12 in pi (p'(pi*) = 0, so the value is then exact to ~1e-24 relative), or
        # when p' is down to the rounding noise of its two terms
        moving = np.abs(x_new - xa) > 1e-12
        noisy = np.abs(m1 - big_n * xa * v0) <= 1e-13 * (np.abs(m1) + big_n * xa * v0)
        active = active[moving & (bb - aa > 4e-12) & ~noisy]
        if active.size == 0:
            break
    value = np.sum(q * np.exp(lc + kk * np.log(x)[:, None] + nk * np.log1p(-x)[:, None]), axis=1)
    return value, x


def _maximise(q: np.ndarray, big_n: int):
    """Maximise p_u(pi) = sum_k q[u, k] Binom(k; N, pi) over pi in [0, 1] for every row u.

    Returns the maxima and their locations.
    """
    pis, pmf = _grid(big_n)
    values = q @ pmf  # (U, G)
    rows = np.arange(q.shape[0])
    best = np.argmax(values, axis=1)
    p_best = values[rows, best]
    pi_best = pis[best].copy()
    # interior local maxima of the grid values, best few per row
    inner = values[:, 1:-1]
    is_peak = (inner >= values[:, :-2]) & (inner >= values[:, 2:]) & (inner > 0)
    scores = np.where(is_peak, inner, -np.inf)
    m = min(_CANDIDATES, scores.shape[1])
    top = np.argpartition(-scores, m - 1, axis=1)[:, :m] if m < scores.shape[1] else np.tile(np.arange(m), (q.shape[0], 1))
    cand_rows = np.repeat(rows, m)
    cand_idx = top.ravel() + 1  # index into the grid
    # the grid spacing is about a quarter of the binomial kernel's width in theta, so a peak's top
    # exceeds its best node by under 1%; peaks more than _POLISH_MARGIN below the row's best node
    # cannot win
    keep = scores[cand_rows, cand_idx - 1] >= p_best[cand_rows] * (1.0 - _POLISH_MARGIN)
    cand_rows, cand_idx = cand_rows[keep], cand_idx[keep]
    if cand_rows.size:
        val, x = _polish(q[cand_rows], big_n, pis[cand_idx], pis[cand_idx - 1], pis[cand_idx + 1])
        # per row maximum over its polished candidates
        order = np.lexsort((-val, cand_rows))
        first = np.ones(order.size, dtype=bool)
        first[1:] = cand_rows[order][1:] != cand_rows[order][:-1]
        r, v, xv = cand_rows[order][first], val[order][first], x[order][first]
        better = v > p_best[r]
        p_best[r] = np.where(better, v, p_best[r])
        pi_best[r] = np.where(better, xv, pi_best[r])
    return np.minimum(p_best, 1.0), pi_best


def _check_test(test: str) -> str:
    if test not in _TESTS:
        raise ValueError(f"test must be 'barnard' or 'boschloo'; got {test!r}")
    return test


def _region_q(key, h, k_index, big_n, observed_key, relative):
    """q_k of the region {tables with key <= observed key (within the tie tolerance)}."""
    limit = observed_key * (1.0 + BOSCHLOO_TIE_TOLERANCE) if relative else observed_key
    mask = key <= limit
    return np.bincount(k_index[mask], weights=h[mask], minlength=big_n + 1)


def unconditional_pvalue(events1, total1, events2, total2, *, test="boschloo", alternative="two-sided"):
    """Exact unconditional p-value, statistic and maximising nuisance value of one table.

    Same definitions as :func:`unconditional_pvalues`; returns ``(pvalue, statistic, nuisance)``.
    The statistic is the pooled score z (Barnard) or the one-sided Fisher p-value (Boschloo), as
    scipy reports them. A table with an arm of size 0 is rejected by the caller.
    """
    _check_test(test)
    check_alternative(alternative)
    e1, n1, e2, n2 = int(events1), int(total1), int(events2), int(total2)
    big_n = n1 + n2
    k_index = np.arange(n1 + 1)[:, None] + np.arange(n2 + 1)[None, :]
    if test == "boschloo" and alternative == "two-sided":
        p_less, s_less, pi_less = unconditional_pvalue(e1, n1, e2, n2, test=test, alternative="less")
        p_greater, s_greater, pi_greater = unconditional_pvalue(e1, n1, e2, n2, test=test, alternative="greater")
        if p_less < p_greater:
            return min(1.0, 2.0 * p_less), s_less, pi_less
        return min(1.0, 2.0 * p_greater), s_greater, pi_greater
    key, relative, h, stat = _extremeness(n1, n2, test, alternative)
    q = _region_q(key, h, k_index, big_n, key[e1, e2], relative)
    p, pi = _maximise(q[None, :], big_n)
    return float(p[0]), float(stat[e1, e2]), float(pi[0])


def _all_one_sided(n1, n2, test, alternative, block_rows=4096):
    big_n = n1 + n2
    key, relative, h, _ = _extremeness(n1, n2, test, alternative)
    k_index = (np.arange(n1 + 1)[:, None] + np.arange(n2 + 1)[None, :]).ravel()
    flat_key = key.ravel()
    flat_h = h.ravel()
    order = np.argsort(flat_key, kind="stable")
    sorted_key = flat_key[order]
    limits = flat_key * (1.0 + BOSCHLOO_TIE_TOLERANCE) if relative else flat_key
    ends = np.searchsorted(sorted_key, limits, side="right")  # region of table t = order[:ends[t]]
    unique_ends, inverse = np.unique(ends, return_inverse=True)
    # group of each sorted position: first region end strictly above it
    group = np.searchsorted(unique_ends, np.arange(order.size), side="right")
    out = np.empty(unique_ends.size)
    carry = np.zeros(big_n + 1)
    sorted_k = k_index[order]
    sorted_h = flat_h[order]
    for u0 in range(0, unique_ends.size, block_rows):
        u1 = min(unique_ends.size, u0 + block_rows)
        start = 0 if u0 == 0 else unique_ends[u0 - 1]
        stop = unique_ends[u1 - 1]
        block = np.zeros((u1 - u0, big_n + 1))
        np.add.at(block, (group[start:stop] - u0, sorted_k[start:stop]), sorted_h[start:stop])
        np.cumsum(block, axis=0, out=block)
        block += carry
        carry = block[-1].copy()
        out[u0:u1], _ = _maximise(block, big_n)
    return out[inverse].reshape(n1 + 1, n2 + 1)


def unconditional_pvalues(n1, n2, *, test="boschloo", alternative="two-sided"):
    """Exact unconditional p-values of every table with arm sizes ``n1`` and ``n2``.

    Parameters
    ----------
    n1, n2 : int
        Arm sizes (at least 1).
    test : {"boschloo", "barnard"}
        Boschloo: tables are ordered by their one-sided Fisher p-value; the two-sided p-value is
        twice the smaller one-sided one (capped at 1). Barnard: ordered by the pooled score
        statistic z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), two-sided on ``|z|``.
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: arm 1's event probability is lower than arm 2's.

    Returns
    -------
    ndarray, shape (n1 + 1, n2 + 1)
        ``out[x1, x2]`` is the p-value of ``x1`` events of ``n1`` in arm 1 and ``x2`` of ``n2``
        in arm 2.

    Notes
    -----
    Matches ``scipy.stats.boschloo_exact`` / ``barnard_exact`` (pooled) with the table
    ``[[x1, x2], [n1 - x1, n2 - x2]]``: the same ordering statistics, the same tie tolerance
    (1e-13 relative for Boschloo, none for Barnard) and the nuisance parameter maximised over
    [0, 1]. scipy maximises with ``shgo`` from 32 Sobol points; here every table's p-value is
    the polynomial ``sum_k q_k Binom(k; N, pi)``, maximised on a fine arcsine grid and polished by
    Newton steps, so the maximum is found to rounding. Tables with zero events in both arms (or
    events in every subject) have p = 1. R: ``Exact::exact.test(method = "boschloo")`` and
    ``"z-pooled"`` compute the same quantities. The cost is about (n1 + 1)(n2 + 1)(n1 + n2) grid
    work, done once for all tables.

    References
    ----------
    .. [1] Barnard GA. Significance tests for 2x2 tables. Biometrika 1947;34:123-138.
    .. [2] Boschloo RD. Raised conditional level of significance for the 2x2-table when testing the
       equality of two probabilities. Statistica Neerlandica 1970;24:1-9.
    .. [3] Mehrotra DV, Chan ISF, Berger RL. A cautionary note on exact unconditional inference for
       a difference between two independent binomial proportions. Biometrics 2003;59:441-450.

    Examples
    --------
    >>> from hamstudy.binary import unconditional_pvalues
    >>> p = unconditional_pvalues(11, 13, test="boschloo")
    >>> p.shape
    (12, 14)
    """
    _check_test(test)
    check_alternative(alternative)
    for name, value in (("n1", n1), ("n2", n2)):
        if isinstance(value, (bool, np.bool_)) or not float(value).is_integer() or int(value) < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    n1, n2 = int(n1), int(n2)
    if test == "boschloo" and alternative == "two-sided":
        p_less = _all_one_sided(n1, n2, test, "less")
        p_greater = _all_one_sided(n1, n2, test, "greater")
        return np.minimum(1.0, 2.0 * np.minimum(p_less, p_greater))
    return _all_one_sided(n1, n2, test, alternative)
