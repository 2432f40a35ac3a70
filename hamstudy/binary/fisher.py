"""Fisher's exact test for many 2x2 tables at once.

scipy's ``fisher_exact`` handles one table per call (about a millisecond each); power, fragility and
simulation code needs hundreds of thousands. This module computes the hypergeometric distribution of
every table in a batch with array operations, following R ``fisher.test``'s conventions exactly.

Tables are given arm by arm: ``events1`` of ``total1`` in arm 1 and ``events2`` of ``total2`` in arm 2,
i.e. the R matrix ``matrix(c(events1, total1 - events1, events2, total2 - events2), 2)``. Given the
margins, ``X = events1`` is hypergeometric; large ``X`` means a larger odds of the event in arm 1.
"""

from __future__ import annotations

import numpy as np

from hamstudy._result import check_alternative
from hamstudy.binary._validate import as_count_arrays

#: R ``fisher.test``: tables whose probability is at most ``(1 + 1e-7)`` times the observed one count
#: as "at least as extreme" (``relErr <- 1 + 10^(-7)``).
RELATIVE_TOLERANCE = 1e-7

# Number of array elements processed at once (keeps the working set in cache).
_CHUNK_ELEMENTS = 1 << 17


def _margins(e1, n1, e2, n2):
    """Hypergeometric parameters: K events in all, support [lo, hi], mode."""
    k = e1 + e2
    lo = np.maximum(0, k - n2)
    hi = np.minimum(k, n1)
    mode = ((k + 1) * (n1 + 1)) // (n1 + n2 + 2)
    return k, lo, hi, mode


def _relative_pmf(n1, n2, k, mode, width):
    """Hypergeometric probabilities relative to the mode, walking outwards from it.

    Returns ``right[:, j] = P(X = mode + j) / P(X = mode)`` and ``left[:, j] = P(X = mode - j) /
    P(X = mode)`` for ``j < width``; both are exactly 0 (possibly -0.0) outside the support,
    because the ratio of consecutive probabilities is 0 at the support's ends and every later
    factor is finite (its denominator is at least 1). Successive ratios are rationals of
    integers, so each entry carries only a few rounding errors (no log-gamma cancellation).
    """
    rows = mode.shape[0]
    right = np.empty((rows, width))
    left = np.empty((rows, width))
    right[:, 0] = 1.0
    left[:, 0] = 1.0
    if width == 1:
        return right, left
    j = np.arange(1, width, dtype=np.float64)[None, :]
    m = mode.astype(np.float64)[:, None]
    kk = k.astype(np.float64)[:, None]
    a = n1.astype(np.float64)[:, None]
    b = n2.astype(np.float64)[:, None]
    # P(X = x + 1) / P(X = x) = (K - x)(n1 - x) / ((x + 1)(n2 - K + x + 1)) at x = mode + j - 1
    num = (kk - m + 1.0) - j
    tmp = (a - m + 1.0) - j
    num *= tmp
    den = m + j
    np.add(b - kk + m, j, out=tmp)
    den *= tmp
    num /= den
    np.cumprod(num, axis=1, out=right[:, 1:])
    # P(X = x - 1) / P(X = x) = x (n2 - K + x) / ((K - x + 1)(n1 - x + 1)) at x = mode - j + 1
    np.subtract(m + 1.0, j, out=num)
    np.subtract(b - kk + m + 1.0, j, out=tmp)
    num *= tmp
    np.add(kk - m, j, out=den)
    np.add(a - m, j, out=tmp)
    den *= tmp
    num /= den
    np.cumprod(num, axis=1, out=left[:, 1:])
    return right, left


def _chunk_pvalues(x, n1, n2, k, lo, hi, mode, alternative, want_midp):
    width = int(max(np.max(hi - mode), np.max(mode - lo))) + 1
    right, left = _relative_pmf(n1, n2, k, mode, width)
    cols = np.arange(width)
    off = x - mode  # observed position relative to the mode
    total = right.sum(axis=1) + left.sum(axis=1) - 1.0
    rows = np.arange(x.shape[0])
    above = off >= 0
    r_obs = np.where(above, right[rows, np.clip(off, 0, None)], left[rows, np.clip(-off, 0, None)])
    if alternative == "two-sided":
        thr = (r_obs * (1.0 + RELATIVE_TOLERANCE))[:, None]
        s = np.where(right <= thr, right, 0.0).sum(axis=1) + np.where(left <= thr, left, 0.0).sum(axis=1)
        s -= np.where(1.0 <= thr[:, 0], 1.0, 0.0)  # the mode was counted on both sides
        if want_midp:
            low = (r_obs * (1.0 - RELATIVE_TOLERANCE))[:, None]
            ties = (np.where((right <= thr) & (right >= low), right, 0.0).sum(axis=1)
                    + np.where((left <= thr) & (left >= low), left, 0.0).sum(axis=1)
                    - np.where((1.0 <= thr[:, 0]) & (1.0 >= low[:, 0]), 1.0, 0.0))
    else:
        # "less": P(X <= x); "greater": P(X >= x). Both computed as sums of the included terms.
        if alternative == "less":
            inc_right = cols[None, :] <= off[:, None]  # right side: mode + j <= x
            inc_left = cols[None, :] >= -off[:, None]  # left side: mode - j <= x
        else:
            inc_right = cols[None, :] >= off[:, None]
            inc_left = cols[None, :] <= -off[:, None]
        s = np.where(inc_right, right, 0.0).sum(axis=1) + np.where(inc_left, left, 0.0).sum(axis=1)
        s -= np.where(inc_right[:, 0] & inc_left[:, 0], 1.0, 0.0)
        ties = r_obs
    p = np.minimum(s / total, 1.0)
    if want_midp:
        return p, np.maximum(p - 0.5 * ties / total, 0.0)
    return p, None


def _fisher_core(e1, n1, e2, n2, alternative, want_midp=False):
    """p-values (and mid-p values) for validated flat int64 arrays."""
    k, lo, hi, mode = _margins(e1, n1, e2, n2)
    width = np.maximum(hi - mode, mode - lo) + 1
    # tables sorted by support width and cut into chunks of similar width, so padding is small
    order = np.argsort(width, kind="stable")
    e1, n1, n2, k, lo, hi, mode, width = (v[order] for v in (e1, n1, n2, k, lo, hi, mode, width))
    size = e1.shape[0]
    p = np.empty(size)
    midp = np.empty(size) if want_midp else None
    start = 0
    while start < size:
        # widths increase along the sorted tables: take as many rows as the element budget allows
        stop = min(size, start + max(1, _CHUNK_ELEMENTS // int(width[start])))
        while stop - start > 1 and (stop - start) * int(width[stop - 1]) > 2 * _CHUNK_ELEMENTS:
            stop = start + max(1, (stop - start) // 2)
        sl = slice(start, stop)
        pc, mc = _chunk_pvalues(e1[sl], n1[sl], n2[sl], k[sl], lo[sl], hi[sl], mode[sl], alternative, want_midp)
        p[sl] = pc
        if want_midp:
            midp[sl] = mc
        start = stop
    out = np.empty(size)
    out[order] = p
    if want_midp:
        out_mid = np.empty(size)
        out_mid[order] = midp
        return out, out_mid
    return out, None


def fisher_exact_batch(events1, total1, events2, total2, *, alternative="two-sided"):
    """Fisher's exact test p-values for many two-arm tables at once.

    Parameters
    ----------
    events1, total1, events2, total2 : array_like of int
        Events and totals in arm 1 and arm 2; broadcast against each other. Totals may be 0 (the
        p-value is then 1).
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the odds of the event are lower in arm 1 than in arm 2 (p = P(X <= events1));
        ``"greater"``: higher (p = P(X >= events1)), where X is hypergeometric given the margins.

    Returns
    -------
    ndarray of float
        The p-values, in the broadcast shape of the inputs (a 0-d array for scalar input).

    Notes
    -----
    The two-sided p-value follows R ``fisher.test``: the sum of the probabilities of all tables with
    the observed margins whose probability is at most ``1 + 1e-7`` times that of the observed table.
    scipy's ``fisher_exact`` uses a relative tolerance of 1e-14 instead; the two can differ when
    another table's probability lies within 1e-7 (relative) of the observed one without being equal.

    Every table's hypergeometric probabilities are built outwards from the mode by products of the
    exact ratios of consecutive probabilities, in padded arrays grouped by support width; sums of the
    included terms are divided by the total, so tiny p-values keep full relative precision. The
    result for a table does not depend on the other tables in the batch. ``compare_binary`` uses the
    same code, so the batch and scalar paths agree to rounding.

    References
    ----------
    .. [1] R Core Team, ``fisher.test`` in package stats (``relErr <- 1 + 10^(-7)``).
    .. [2] Agresti A. Categorical Data Analysis, 3rd ed. Wiley; 2013. Section 3.5.

    Examples
    --------
    >>> from hamstudy.binary import fisher_exact_batch
    >>> p = fisher_exact_batch([6, 7], [11, 10], [0, 1], [13, 13])
    >>> [float(round(v, 6)) for v in p]
    [0.003432, 0.005898]
    """
    check_alternative(alternative)
    e1, n1, e2, n2 = as_count_arrays(events1, total1, events2, total2)
    shape = e1.shape
    p, _ = _fisher_core(e1.ravel(), n1.ravel(), e2.ravel(), n2.ravel(), alternative)
    return p.reshape(shape)


def fisher_pvalues(events1, total1, events2, total2, *, alternative="two-sided"):
    """Fisher p-value and Lancaster mid-p value of one table (both as floats)."""
    arrays = [np.array([v], dtype=np.int64) for v in (events1, total1, events2, total2)]
    p, midp = _fisher_core(*arrays, alternative, want_midp=True)
    return float(p[0]), float(midp[0])
