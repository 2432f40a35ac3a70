"""Log-rank and Fleming-Harrington tests (as R ``survdiff``) and an exact permutation log-rank test.

Written by hand: lifelines' ``multivariate_logrank_test`` has no strata and a different
Fleming-Harrington weight from R's, and none of scipy, statsmodels or lifelines has a permutation
log-rank test.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, stats

from hamstudy._result import TestResult
from hamstudy.survival import _np_util as U

#: Largest number of allocations C(n, n1) that ``logrank_exact`` enumerates completely.
EXACT_LIMIT = 3_000_000
_CHUNK = 50_000  # allocations evaluated per vectorised block (memory ~ _CHUNK * n * 8 bytes)
_DEFAULT_RESAMPLES = 100_000


@dataclass(frozen=True, eq=False)
class LogRankResult(TestResult):
    """Result of :func:`logrank`: a :class:`TestResult` with per-group quantities.

    Attributes
    ----------
    observed, expected : pandas.Series
        (Weighted) observed and expected events per group, summed over strata.
    variance : pandas.DataFrame
        Variance-covariance matrix of observed minus expected, summed over strata.
    n : pandas.Series
        Subjects per group.
    rho : float
        Fleming-Harrington exponent (0 = log-rank, 1 = Peto-Peto).
    """

    observed: pd.Series = field(default=None, compare=False)
    expected: pd.Series = field(default=None, compare=False)
    variance: pd.DataFrame = field(default=None, compare=False)
    n: pd.Series = field(default=None, compare=False)
    rho: float = 0.0


@dataclass(frozen=True, eq=False)
class LogRankExactResult(LogRankResult):
    """Result of :func:`logrank_exact`.

    Attributes
    ----------
    exact : bool
        True when every allocation was enumerated.
    n_allocations : int
        C(n, n1), the number of distinct allocations of the group labels.
    n_resamples : int or None
        Monte Carlo resamples (None when exact).
    mc_std_err : float
        Monte Carlo standard error of the p-value (0 when exact).
    asymptotic_pvalue : float
        The chi-square (1 df) p-value of the same statistic, for comparison.
    """

    exact: bool = True
    n_allocations: int = 0
    n_resamples: int | None = None
    mc_std_err: float = 0.0
    asymptotic_pvalue: float = float("nan")


def _stratum_sums(t, e, g, n_groups, rho):
    """Observed, expected and variance for one stratum (R ``survdiff2.c``)."""
    order = np.argsort(t, kind="stable")
    ts, es, gs = t[order], e[order], g[order]
    n = ts.size
    first = np.ones(n, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    tidx = np.cumsum(first) - 1
    n_times = int(tidx[-1]) + 1
    cell = tidx * n_groups + gs
    at = np.bincount(cell, minlength=n_times * n_groups).reshape(n_times, n_groups)
    dk = np.bincount(cell, weights=es, minlength=n_times * n_groups).reshape(n_times, n_groups)
    nk = np.cumsum(at[::-1], axis=0)[::-1].astype(float)  # at risk per group
    nr = nk.sum(axis=1)
    d = dk.sum(axis=1)
    if rho != 0:
        # left-continuous Kaplan-Meier of the pooled stratum, as survdiff's weight
        km = np.cumprod((nr - d) / nr)
        wt = np.concatenate(([1.0], km[:-1])) ** rho
    else:
        wt = np.ones(n_times)
    obs = (wt[:, None] * dk).sum(axis=0)
    exp = (wt * d / nr) @ nk
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where((d > 0) & (nr > 1), wt**2 * d * (nr - d) / (nr * nr * (nr - 1.0)), 0.0)
    var = np.diag((c * nr) @ nk) - (nk * c[:, None]).T @ nk
    return obs, exp, var


def _chisq(obs, exp, var):
    """R survdiff: drop groups with zero expected, solve on all groups but the first."""
    keep = exp > 0
    df = int(keep.sum()) - 1
    if keep.sum() < 2:
        return 0.0, df
    diff = (obs - exp)[keep][1:]
    vv = var[np.ix_(keep, keep)][1:, 1:]
    try:
        sol = linalg.solve(vv, diff, assume_a="sym")
    except (linalg.LinAlgError, ValueError):
        sol = np.linalg.pinv(vv) @ diff
    return float(np.sum(sol * diff)), df


def _prepare(time, event, group):
    t = U.as_time(time)
    e = U.as_event(event, t.size)
    levels, g = U.as_labels(group, t.size, "group")
    return t, e, levels, g


def logrank(time, event, group, *, rho: float = 0.0, strata=None) -> LogRankResult:
    """Log-rank test (and Fleming-Harrington G-rho tests) comparing survival between groups.

    Parameters
    ----------
    time : array_like
        Follow-up times (finite, non-negative).
    event : array_like
        1 for an event, 0 for censored.
    group : array_like
        Group label of each subject (two or more groups).
    rho : float, optional
        Fleming-Harrington exponent: weights are S(t-)**rho with S the left-continuous Kaplan-Meier
        of the pooled data (within stratum). 0 (default) is the log-rank test, 1 the Peto-Peto
        modification of the Gehan-Wilcoxon test.
    strata : array_like, optional
        Stratum of each subject; the test sums observed, expected and variance over strata.

    Returns
    -------
    LogRankResult
        ``statistic`` (chi-square), ``df``, ``pvalue``, ``observed``, ``expected``, ``variance``,
        ``n`` and ``rho``.

    Notes
    -----
    Equals R ``survdiff(Surv(time, event) ~ group + strata(strata), rho=rho)``: groups whose
    expected count is 0 are dropped, and the statistic is (O - E)' V^-1 (O - E) on the remaining
    groups but the first, with df = (groups with expected > 0) - 1. Where R would report df <= 0
    (no events, or only one group at risk at the event times) the test does not exist: the
    statistic is 0, df 0 and the p-value NaN (R gives a p-value of NaN or 0). R's ``timefix``
    merging of nearly equal times is not done.

    References
    ----------
    Harrington DP, Fleming TR (1982). A class of rank test procedures for censored survival data.
    Biometrika 69:553-566.

    Examples
    --------
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> res = hamstudy.logrank(ipd.time, ipd.event, ipd.arm)
    >>> res.observed.to_dict(), res.expected.round(3).to_dict()
    ({'PATS': 1.0, 'STST': 7.0}, {'PATS': 5.228, 'STST': 2.772})
    >>> round(res.statistic, 3), res.df, round(res.pvalue, 4)
    (10.231, 1, 0.0014)
    """
    t, e, levels, g = _prepare(time, event, group)
    try:
        rho = float(rho)
    except (TypeError, ValueError):
        raise TypeError(f"rho must be a number; got {rho!r}") from None
    if not math.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be finite and >= 0; got {rho!r}")
    if levels.size < 2:
        raise ValueError(f"group must have at least two distinct values; got {levels.size}")
    k = levels.size
    if strata is None:
        scodes = np.zeros(t.size, dtype=np.intp)
        n_strata = 1
    else:
        slevels, scodes = U.as_labels(strata, t.size, "strata")
        n_strata = slevels.size
    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    for s in range(n_strata):
        m = scodes == s
        o, x, v = _stratum_sums(t[m], e[m], g[m], k, rho)
        obs += o
        exp += x
        var += v
    return _result(obs, exp, var, levels, g, rho, n_strata)


def _result(obs, exp, var, levels, g, rho, n_strata, cls=LogRankResult, **extra):
    chi, df = _chisq(obs, exp, var)
    if df < 1:
        chi, df, p = 0.0, 0, float("nan")
    else:
        p = float(stats.chi2.sf(chi, df))
    labels = pd.Index(levels, name="group")
    if rho == 0:
        method = "Log-rank test"
    elif rho == 1:
        method = "Peto-Peto test (Fleming-Harrington rho=1)"
    else:
        method = f"Fleming-Harrington test (rho={rho:g})"
    if n_strata > 1:
        method += f", stratified ({n_strata} strata)"
    fields = dict(
        statistic=chi,
        pvalue=p,
        method=extra.pop("method", method),
        df=df,
        name=extra.pop("name", "logrank"),
        observed=pd.Series(obs, index=labels, name="observed"),
        expected=pd.Series(exp, index=labels, name="expected"),
        variance=pd.DataFrame(var, index=labels, columns=labels),
        n=pd.Series(np.bincount(g, minlength=levels.size), index=labels, name="n"),
        rho=rho,
    )
    fields.update(extra)
    return cls(**fields)


class _PermutationStatistic:
    """Vectorised two-group log-rank chi-square over many allocations of the group labels.

    Units are subjects, or cells of subjects sharing a (time, event) pair (``mult`` subjects each).
    For an allocation matrix Z (allocations x units; entries = how many of the unit's subjects are
    in the second group) the numbers at risk and the events of the second group at every event time
    are Z @ R and Z @ D for fixed 0/1 matrices R (unit time >= t_j) and D (unit is an event at
    t_j). The products are computed in float32, which is exact here because every partial sum is an
    integer below 2**24.
    """

    def __init__(self, t, e, mult=None):
        mult = np.ones(t.size) if mult is None else np.asarray(mult, dtype=float)
        utimes = np.unique(t[e == 1])
        risk = t[:, None] >= utimes[None, :]
        dead = (t[:, None] == utimes[None, :]) & (e[:, None] == 1)
        self.nr = mult @ risk
        self.d = mult @ dead
        self.m = np.hstack((risk, dead)).astype(np.float32)
        self.k = utimes.size
        with np.errstate(divide="ignore", invalid="ignore"):
            self.vfac = np.where(self.nr > 1, self.d * (self.nr - self.d) / (self.nr**2 * (self.nr - 1.0)), 0.0)
        self.efac = self.d / self.nr

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Chi-square statistics for allocations ``z`` (B x units)."""
        prod = (z.astype(np.float32) @ self.m).astype(float)
        n2, d2 = prod[:, : self.k], prod[:, self.k :]
        o_e = d2.sum(axis=1) - n2 @ self.efac
        v = (n2 * (self.nr - n2)) @ self.vfac
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, o_e * o_e / v, 0.0)


def _pattern_counts(mult: np.ndarray, k: int) -> np.ndarray:
    """cnt[c, j]: number of count vectors for cells c.. with 0 <= k_c <= mult_c summing to j."""
    n_cells = mult.size
    cnt = np.zeros((n_cells + 1, k + 1))
    cnt[n_cells, 0] = 1.0
    for c in range(n_cells - 1, -1, -1):
        cs = np.cumsum(cnt[c + 1])
        shifted = np.concatenate((np.zeros(int(mult[c]) + 1), cs))[: k + 1]
        cnt[c] = cs - shifted
    return cnt


def _pattern_blocks(mult: np.ndarray, k: int):
    """Yield every count vector (k_c <= mult_c, sum k) in blocks of at most about _CHUNK rows.

    Subjects with the same (time, event) are exchangeable, so an allocation is determined, as far
    as the statistic goes, by how many of each cell's subjects are in the second group; each such
    pattern stands for prod_c C(mult_c, k_c) allocations.
    """
    n_cells = mult.size
    cnt = _pattern_counts(mult, k)

    @functools.lru_cache(maxsize=None)
    def build(c: int, j: int) -> np.ndarray:
        if c == n_cells:
            return np.zeros((1 if j == 0 else 0, 0), dtype=np.int32)
        parts = []
        for take in range(0, min(int(mult[c]), j) + 1):
            rest = build(c + 1, j - take)
            if rest.shape[0]:
                parts.append(np.hstack((np.full((rest.shape[0], 1), take, dtype=np.int32), rest)))
        return np.vstack(parts) if parts else np.zeros((0, n_cells - c), dtype=np.int32)

    def walk(c: int, j: int, prefix: tuple):
        if cnt[c, j] == 0:
            return
        if cnt[c, j] <= _CHUNK or c == n_cells:
            block = build(c, j)
            if prefix:
                pre = np.broadcast_to(np.array(prefix, dtype=np.int32), (block.shape[0], len(prefix)))
                block = np.hstack((pre, block))
            yield block
            return
        for take in range(0, min(int(mult[c]), j) + 1):
            yield from walk(c + 1, j - take, prefix + (take,))

    try:
        yield from walk(0, k, ())
    finally:
        build.cache_clear()


def logrank_exact(time, event, group, *, n_resamples: int | None = None, seed=None) -> LogRankExactResult:
    """Permutation (exact) log-rank test for two small groups.

    The reference distribution of the log-rank chi-square is that over all re-allocations of the
    group labels to the observed (time, event) pairs, keeping the group sizes: conditional on the
    observed times, as under the null hypothesis the labels are exchangeable.

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1 event, 0 censored).
    group : array_like
        Exactly two distinct labels.
    n_resamples : int, optional
        Monte Carlo resamples. When None (default) every allocation is enumerated if there are at
        most :data:`EXACT_LIMIT` (3,000,000) distinct ones, else 100,000 random allocations are
        drawn. Allocations that differ only by swapping subjects with the same (time, event) give
        the same statistic and are counted once, with their multiplicity, so heavily tied data are
        enumerated exactly far beyond 3,000,000 raw allocations. Giving a number forces Monte Carlo.
    seed : int or numpy.random.Generator, optional
        Seed of the Monte Carlo generator (``numpy.random.default_rng(seed)``).

    Returns
    -------
    LogRankExactResult
        ``statistic`` (the observed log-rank chi-square), ``pvalue``, ``exact``,
        ``n_allocations``, ``n_resamples``, ``mc_std_err``, ``asymptotic_pvalue`` and the
        observed / expected counts of :func:`logrank`.

    Notes
    -----
    Two-sided: the p-value is the proportion of allocations whose chi-square is at least the
    observed one (with a relative tolerance of 1e-9 for rounding). Exact enumeration visits all
    C(n, n1) allocations in vectorised blocks (about 1 s per million distinct allocations), each
    pattern of group-2 counts over tied (time, event) cells weighted by its number of allocations. The Monte Carlo p-value is (1 + b) / (1 + B) for b
    of B random allocations at least as extreme (Phipson & Smyth 2010), which is a valid p-value,
    with standard error sqrt(p (1 - p) / B). R ``survival`` has no permutation log-rank test;
    ``coin::logrank_test(..., distribution="exact")`` conditions in the same way but standardises
    the score by its permutation variance rather than the hypergeometric variance used here, so
    its p-values can differ slightly. The statistic of each allocation is the one of
    :func:`logrank` with ``rho=0`` (checked against brute force in the tests).

    References
    ----------
    Heimann G, Neuhaus G (1998). Permutational distribution of the log-rank statistic under random
    censorship with applications to carcinogenicity assays. Biometrics 54:168-184.
    Phipson B, Smyth GK (2010). Permutation p-values should never be zero. SAGMB 9:39.

    Examples
    --------
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> res = hamstudy.logrank_exact(ipd.time, ipd.event, ipd.arm)  # 2,496,144 allocations
    >>> res.exact, round(res.pvalue, 6)
    (True, 0.000407)
    """
    t, e, levels, g = _prepare(time, event, group)
    if levels.size != 2:
        raise ValueError(f"logrank_exact needs exactly two groups; got {levels.size}")
    if n_resamples is not None:
        if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
            raise ValueError(f"n_resamples must be a positive integer or None; got {n_resamples!r}")
        n_resamples = int(n_resamples)
    obs, exp, var = _stratum_sums(t, e, g, 2, 0.0)
    base = _result(obs, exp, var, levels, g, 0.0, 1)
    n = t.size
    n2 = int(g.sum())
    n_alloc = math.comb(n, n2)
    order = np.argsort(t, kind="stable")
    perm = _PermutationStatistic(t[order], e[order])
    z_obs = g[order].astype(bool)
    observed = float(perm(z_obs[None, :])[0])
    threshold = observed * (1.0 - 1e-9) - 1e-12
    # cells of exchangeable subjects (same time and event): enumeration runs over count patterns
    pairs = np.unique(np.column_stack((t, e)), axis=0, return_inverse=True, return_counts=True)
    cells, cell_of, mult = pairs[0], pairs[1].reshape(-1), pairs[2].astype(float)
    n_patterns = float(_pattern_counts(mult, n2)[0, n2])
    exact = n_resamples is None and n_patterns <= EXACT_LIMIT
    if exact:
        cell_stat = _PermutationStatistic(cells[:, 0], cells[:, 1], mult)
        tied = np.flatnonzero(mult > 1)  # only cells with several subjects carry weights != 1
        mmax = int(mult.max())
        comb_table = np.array(
            [[math.comb(int(m), j) if j <= m else 0 for j in range(mmax + 1)] for m in mult[tied]], dtype=float
        )
        cols = np.arange(tied.size)[None, :]
        hit = total = 0.0
        for z in _pattern_blocks(mult, n2):
            w = np.prod(comb_table[cols, z[:, tied]], axis=1) if tied.size else np.ones(z.shape[0])
            total += float(w.sum())
            hit += float(w[cell_stat(z) >= threshold].sum())
        p = min(1.0, hit / total)
        mc_se = 0.0
        used = None
        method = f"Exact permutation log-rank test ({n_alloc:,} allocations)"
    else:
        used = n_resamples if n_resamples is not None else _DEFAULT_RESAMPLES
        rng = np.random.default_rng(seed)
        count = 0
        done = 0
        while done < used:
            b = min(_CHUNK, used - done)
            z = rng.permuted(np.broadcast_to(z_obs, (b, n)), axis=1)
            count += int(np.count_nonzero(perm(z) >= threshold))
            done += b
        p = (1.0 + count) / (1.0 + used)
        mc_se = math.sqrt(p * (1.0 - p) / used)
        method = f"Monte Carlo permutation log-rank test ({used:,} resamples)"
    asym = float(stats.chi2.sf(observed, 1)) if observed > 0 or base.df >= 1 else float("nan")
    return LogRankExactResult(
        statistic=observed,
        pvalue=float(p),
        method=method,
        df=base.df,
        name="logrank_exact",
        observed=base.observed,
        expected=base.expected,
        variance=base.variance,
        n=base.n,
        rho=0.0,
        exact=exact,
        n_allocations=n_alloc,
        n_resamples=used,
        mc_std_err=mc_se,
        asymptotic_pvalue=asym,
    )


__all__ = ["logrank", "logrank_exact", "LogRankResult", "LogRankExactResult", "EXACT_LIMIT"]
