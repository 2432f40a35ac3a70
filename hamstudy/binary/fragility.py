"""Fragility index (Walsh et al. 2014) and reverse fragility index (Khan et al. 2020).

Both walk a sequence of modified tables; all of them are evaluated in one
:func:`~hamstudy.binary.fisher_exact_batch` call and the first crossing of ``alpha`` is taken.
"""

from __future__ import annotations

import numpy as np

from hamstudy._result import check_alpha
from hamstudy.binary._validate import check_table
from hamstudy.binary.fisher import fisher_exact_batch


def _first_index(condition: np.ndarray) -> int | None:
    hits = np.flatnonzero(condition)
    return int(hits[0]) + 1 if hits.size else None


def _walk(e1: int, n1: int, e2: int, n2: int, arm: int, step: int, significant_target: bool, alpha: float):
    """Number of one-at-a-time changes in ``arm`` (``step`` = +1 adds events, -1 removes) until the
    two-sided Fisher p crosses alpha; None if the arm runs out first."""
    e, n = (e1, n1) if arm == 1 else (e2, n2)
    count = (n - e) if step > 0 else e
    if count == 0:
        return None
    # evaluate the walk in blocks of doubling length and stop at the first crossing
    start, block = 1, 16
    while start <= count:
        j = np.arange(start, min(count, start + block - 1) + 1)
        if arm == 1:
            p = fisher_exact_batch(e1 + step * j, n1, e2, n2)
        else:
            p = fisher_exact_batch(e1, n1, e2 + step * j, n2)
        hit = _first_index(p < alpha if significant_target else p >= alpha)
        if hit is not None:
            return int(j[hit - 1])
        start += block
        block *= 2
    return None


def fragility_index(e1, n1, e2, n2, *, alpha=0.05):
    """Fragility index of a statistically significant two-arm result (Walsh et al. 2014).

    Parameters
    ----------
    e1, n1, e2, n2 : int
        Events and totals in arm 1 and arm 2.
    alpha : float
        Significance threshold for the two-sided Fisher exact p-value.

    Returns
    -------
    int or None
        The number of subjects in the arm with fewer events whose outcome must change from
        non-event to event, one at a time, before the two-sided Fisher p-value reaches ``alpha`` or
        more. ``None`` when the result is not significant (p >= alpha).

    Notes
    -----
    When both arms have the same number of events, events are added to the arm with the lower
    proportion (the larger arm). Walsh's definition adds events to the arm with fewer events
    even when that arm has the higher proportion; in that rare case adding events can never
    remove significance, and the index is None. R: ``fragility::frag.study`` (Lin 2021) with
    ``methods = "Fisher"`` and modifications restricted to that arm.

    References
    ----------
    .. [1] Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized
       controlled trial results is frequently fragile: a case for a Fragility Index.
       J Clin Epidemiol 2014;67:622-628.

    Examples
    --------
    >>> from hamstudy.binary import fragility_index
    >>> fragility_index(6, 11, 0, 13)
    2
    """
    e1, n1, e2, n2 = check_table(e1, n1, e2, n2)
    alpha = check_alpha(alpha)
    if float(fisher_exact_batch(e1, n1, e2, n2)) >= alpha:
        return None
    if e1 != e2:
        arm = 1 if e1 < e2 else 2
    else:
        arm = 1 if e1 / n1 <= e2 / n2 else 2
    return _walk(e1, n1, e2, n2, arm, +1, False, alpha)


def reverse_fragility_index(e1, n1, e2, n2, *, alpha=0.05):
    """Reverse fragility index of a non-significant two-arm result (Khan et al. 2020).

    Parameters
    ----------
    e1, n1, e2, n2 : int
        Events and totals in arm 1 and arm 2.
    alpha : float
        Significance threshold for the two-sided Fisher exact p-value.

    Returns
    -------
    int or None
        The smallest number of outcome changes, made one at a time within a single arm, that makes
        the two-sided Fisher p-value fall below ``alpha``. ``None`` when the result is already
        significant, or when no single-arm sequence of changes reaches significance.

    Notes
    -----
    Khan et al. change events in one group until the result becomes significant. Here all four
    single-arm directions (adding or removing events in arm 1 or in arm 2) are walked and the
    shortest is reported, so the index does not depend on which arm is called the control; for
    trials with a clear direction the shortest walk is the one that widens the observed difference.

    References
    ----------
    .. [1] Khan MS, Fonarow GC, Friede T, et al. Application of the reverse fragility index to
       statistically nonsignificant randomized clinical trial results. JAMA Netw Open
       2020;3:e2012469.

    Examples
    --------
    >>> from hamstudy.binary import reverse_fragility_index
    >>> reverse_fragility_index(3, 11, 1, 13)
    3
    """
    e1, n1, e2, n2 = check_table(e1, n1, e2, n2)
    alpha = check_alpha(alpha)
    if float(fisher_exact_batch(e1, n1, e2, n2)) < alpha:
        return None
    counts = [
        _walk(e1, n1, e2, n2, arm, step, True, alpha) for arm in (1, 2) for step in (+1, -1)
    ]
    counts = [c for c in counts if c is not None]
    return min(counts) if counts else None
