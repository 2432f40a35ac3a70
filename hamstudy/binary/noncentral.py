"""Conditional maximum-likelihood odds ratio and exact conditional confidence limits.

Written by hand because scipy has no conditional-MLE odds ratio CI for Fisher's test
(``scipy.stats.contingency.odds_ratio`` has one, but solves it with a tolerance of its own and no
mid-p version) and R's ``fisher.test`` solves with ``uniroot`` to about 1e-4. Here every equation is
solved in the log odds ratio with Brent's method to an absolute tolerance of 1e-13 (relative 1e-13
in the odds ratio).

Given the margins, X = events in arm 1 follows Fisher's noncentral hypergeometric distribution,
P(X = x) proportional to C(n1, x) C(n2, K - x) psi^x on max(0, K - n2) <= x <= min(K, n1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

_XTOL = 1e-13


@dataclass(frozen=True)
class ConditionalDistribution:
    """The conditional distribution of X = events1 given the margins of one table."""

    x: int
    lo: int
    hi: int
    support: np.ndarray
    log_h: np.ndarray  # log of the central hypergeometric weights, up to a constant

    @classmethod
    def from_table(cls, e1: int, n1: int, e2: int, n2: int) -> "ConditionalDistribution":
        k = e1 + e2
        lo, hi = max(0, k - n2), min(k, n1)
        support = np.arange(lo, hi + 1)
        # log of consecutive ratios C(n1, x+1)C(n2, K-x-1) / (C(n1, x)C(n2, K-x)), summed: one
        # rounding per ratio rather than the cancellation of large log-gamma values.
        x = support[:-1].astype(float)
        ratios = ((n1 - x) * (k - x)) / ((x + 1.0) * (n2 - k + x + 1.0))
        log_h = np.concatenate(([0.0], np.cumsum(np.log(ratios))))
        return cls(int(e1), int(lo), int(hi), support, log_h)

    def pmf(self, log_psi: float) -> np.ndarray:
        z = self.log_h + log_psi * self.support
        z = np.exp(z - z.max())
        return z / z.sum()

    def mean(self, log_psi: float) -> float:
        return float(np.dot(self.support, self.pmf(log_psi)))

    def cdf(self, log_psi: float, *, mid: bool = False) -> float:
        """P(X <= x), or P(X < x) + P(X = x) / 2 when ``mid``."""
        d = self.pmf(log_psi)
        i = self.x - self.lo
        return float(d[:i].sum() + (0.5 if mid else 1.0) * d[i])

    def sf(self, log_psi: float, *, mid: bool = False) -> float:
        """P(X >= x), or P(X > x) + P(X = x) / 2 when ``mid``."""
        d = self.pmf(log_psi)
        i = self.x - self.lo
        return float(d[i + 1:].sum() + (0.5 if mid else 1.0) * d[i])


def _solve_increasing(f, target: float) -> float:
    """Root in log(psi) of f(t) = target for an increasing function f, by bracketing then Brent."""
    lo, hi = -1.0, 1.0
    while f(lo) > target:
        lo *= 2.0
        if lo < -1e4:
            return -math.inf
    while f(hi) < target:
        hi *= 2.0
        if hi > 1e4:
            return math.inf
    return brentq(lambda t: f(t) - target, lo, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps, maxiter=500)


def conditional_mle(dist: ConditionalDistribution) -> float:
    """Conditional MLE of the odds ratio: the psi with E_psi[X] = x (0 at x = lo, inf at x = hi)."""
    if dist.lo == dist.hi:
        return math.nan  # a single possible table: every odds ratio fits equally (R returns 1)
    if dist.x == dist.lo:
        return 0.0
    if dist.x == dist.hi:
        return math.inf
    return math.exp(_solve_increasing(dist.mean, float(dist.x)))


def conditional_limits(dist: ConditionalDistribution, alpha_low: float, alpha_high: float, *, mid: bool = False):
    """Exact conditional limits (lower, upper) of the odds ratio.

    The lower limit solves P_psi(X >= x) = alpha_low (0 when x is the smallest possible value), the
    upper limit solves P_psi(X <= x) = alpha_high (inf when x is the largest). With ``mid`` the
    probabilities are mid-p ones (half of P(X = x)). ``alpha_low = 0`` gives a lower limit 0 and
    ``alpha_high = 0`` an upper limit inf (one-sided intervals).
    """
    if dist.lo == dist.hi:
        return 0.0, math.inf
    lower = 0.0
    upper = math.inf
    if dist.x > dist.lo and alpha_low > 0:
        # P(X >= x) increases with log(psi)
        lower = math.exp(_solve_increasing(lambda t: dist.sf(t, mid=mid), alpha_low))
    if dist.x < dist.hi and alpha_high > 0:
        # P(X <= x) decreases with log(psi): solve -P = -alpha
        upper = math.exp(_solve_increasing(lambda t: -dist.cdf(t, mid=mid), -alpha_high))
    return lower, upper
