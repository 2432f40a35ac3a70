"""compare_binary: the whole exact two-arm analysis of a binary outcome."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import chi2_contingency

from hamstudy._result import Estimate, check_confidence_level
from hamstudy.audit import audit_pvalue
from hamstudy.binary._validate import check_table
from hamstudy.binary.bayes import beta_comparison
from hamstudy.binary.fisher import fisher_exact_batch, fisher_pvalues
from hamstudy.binary.fragility import fragility_index, reverse_fragility_index
from hamstudy.binary.intervals import koopman_ratio, newcombe_difference, nnt_from_difference, wilson_interval
from hamstudy.binary.noncentral import ConditionalDistribution, conditional_limits, conditional_mle
from hamstudy.binary.result import ArmSummary, BinaryComparison, ExactTest
from hamstudy.binary.unconditional import unconditional_pvalue


#: Barnard's and Boschloo's tests enumerate all (n1 + 1)(n2 + 1) tables (a few arrays of that
#: size); beyond this many they are not computed (NaN, with the reason in ``method``).
MAX_UNCONDITIONAL_TABLES = 2_500_000


def _check_labels(labels) -> tuple[str, str]:
    if labels is None:
        return ("arm 1", "arm 2")
    if isinstance(labels, str):
        parts = [p.strip() for p in labels.split(",")]
    elif isinstance(labels, Sequence):
        parts = list(labels)
    else:
        raise TypeError(f"labels must be two strings (or 'A,B'); got {labels!r}")
    if len(parts) != 2 or not all(isinstance(p, str) and p for p in parts):
        raise ValueError(f"labels must be two non-empty strings; got {labels!r}")
    if parts[0] == parts[1]:
        raise ValueError(f"labels must differ; got {labels!r}")
    return (parts[0], parts[1])


def _check_prior(prior) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise ValueError(f"prior must be two positive numbers (a, b) of a Beta prior; got {prior!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"prior must be two positive finite numbers; got {prior!r}")
    return a, b


def _chi2_pvalue(e1, n1, e2, n2, correction: bool) -> float:
    if e1 + e2 == 0 or e1 + e2 == n1 + n2:
        return math.nan  # a zero margin: the Pearson statistic is 0/0 (R's chisq.test gives NaN)
    table = [[e1, n1 - e1], [e2, n2 - e2]]
    return float(chi2_contingency(table, correction=correction).pvalue)


def compare_binary(
    events1,
    total1,
    events2,
    total2,
    *,
    labels=None,
    confidence_level=0.95,
    reported_p=None,
    prior=(1.0, 1.0),
) -> BinaryComparison:
    """Exact two-arm comparison of an event proportion (for example reinjury).

    Parameters
    ----------
    events1, total1 : int
        Events and subjects in arm 1 (``total1 >= 1``).
    events2, total2 : int
        Events and subjects in arm 2.
    labels : (str, str) or str, optional
        Arm names (``"STST,PATS"`` is accepted too); default ``("arm 1", "arm 2")``.
    confidence_level : float
        Coverage of every interval (and the Bayesian credible interval).
    reported_p : float or str, optional
        A published p-value for these data (``0.0034``, ``"p < .05"``...). When given,
        ``result.audit`` compares it with the recomputed p-values of Fisher's test (two-sided,
        mid-p, one-sided), Barnard's, Boschloo's, and Pearson's chi-square with and without Yates'
        correction.
    prior : (float, float)
        Beta(a, b) prior for each arm's risk in ``result.bayes``.

    Returns
    -------
    BinaryComparison
        With ``fisher``, ``fisher_midp``, ``barnard``, ``boschloo``, ``odds_ratio``,
        ``risk_difference``, ``risk_ratio``, ``nnt``, ``fragility_index``,
        ``reverse_fragility_index``, ``bayes``, ``arms`` and ``audit``; ``to_frame()``,
        ``to_dict()`` and ``plot()``.

    Notes
    -----
    * Fisher: two-sided p as R ``fisher.test`` (tables with probability at most 1 + 1e-7 times the
      observed); the odds ratio is the conditional MLE with the exact conditional interval, each
      limit solved to 1e-13 in log odds (R's ``uniroot`` stops near 1e-4). With no events at all
      (or events in everyone) only one table is possible: R reports an odds ratio of 0; here it is
      NaN (undefined) with the interval [0, inf].
    * Mid-p: Fisher's p minus half the probability of the tables as probable as the observed one
      (Lancaster), hence 0.5 when only one table is possible; its interval inverts the mid-p
      one-sided tests, estimate as Fisher's.
    * Barnard (pooled score statistic) and Boschloo: the nuisance parameter is maximised over
      [0, 1]; the p-values equal ``scipy.stats.barnard_exact`` / ``boschloo_exact`` with the table
      ``[[events1, events2], [total1 - events1, total2 - events2]]``. A zero margin gives p = 1.
      They enumerate all (n1 + 1)(n2 + 1) tables; above 2.5 million tables (arms of about 1,600)
      they are reported as NaN with the reason in ``method``.
    * Risk difference: Newcombe (1998) method 10; risk ratio: Koopman (1984) score interval,
      finite at one zero arm (the ratio and one limit are then 0 or inf); NNT: Altman (1998).

    References
    ----------
    .. [1] Newcombe RG. Interval estimation for the difference between independent proportions:
       comparison of eleven methods. Stat Med 1998;17:873-890.
    .. [2] Koopman PAR. Confidence intervals for the ratio of two binomial proportions.
       Biometrics 1984;40:513-517.
    .. [3] Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.
    .. [4] Sherry MA, Best TM. A comparison of 2 rehabilitation programs in the treatment of acute
       hamstring strains. J Orthop Sports Phys Ther 2004;34:116-125.

    Examples
    --------
    >>> from hamstudy.binary import compare_binary
    >>> res = compare_binary(6, 11, 0, 13, labels=("STST", "PATS"))
    >>> round(res.fisher.pvalue, 5), res.odds_ratio.ci_high, res.fragility_index
    (0.00343, inf, 2)
    """
    e1, n1, e2, n2 = check_table(events1, total1, events2, total2)
    level = check_confidence_level(confidence_level)
    labels = _check_labels(labels)
    prior = _check_prior(prior)
    alpha = 1.0 - level

    p_fisher, p_mid = fisher_pvalues(e1, n1, e2, n2)
    dist = ConditionalDistribution.from_table(e1, n1, e2, n2)
    mle = conditional_mle(dist)
    or_low, or_high = conditional_limits(dist, alpha / 2, alpha / 2)
    mid_low, mid_high = conditional_limits(dist, alpha / 2, alpha / 2, mid=True)
    rd = newcombe_difference(e1, n1, e2, n2, level)

    fisher = ExactTest(
        statistic=mle,
        pvalue=p_fisher,
        method="Fisher exact test, two-sided (R fisher.test convention); conditional MLE odds ratio",
        name="fisher",
        estimate=mle,
        ci_low=or_low,
        ci_high=or_high,
        confidence_level=level,
    )
    fisher_midp = ExactTest(
        statistic=mle,
        pvalue=p_mid,
        method="Fisher mid-p, two-sided; mid-p exact conditional interval for the odds ratio",
        name="fisher_midp",
        estimate=mle,
        ci_low=mid_low,
        ci_high=mid_high,
        confidence_level=level,
    )
    unconditional = {}
    too_large = (n1 + 1) * (n2 + 1) > MAX_UNCONDITIONAL_TABLES
    for test in ("barnard", "boschloo"):
        if too_large:
            unconditional[test] = ExactTest(
                statistic=math.nan,
                pvalue=math.nan,
                method=f"{test.capitalize()} exact unconditional test: not computed, "
                f"(n1 + 1)(n2 + 1) > {MAX_UNCONDITIONAL_TABLES:,} tables",
                name=test,
                estimate=rd.estimate,
                confidence_level=level,
            )
            continue
        p, stat, pi = unconditional_pvalue(e1, n1, e2, n2, test=test)
        unconditional[test] = ExactTest(
            statistic=stat,
            pvalue=p,
            method=(
                "Barnard exact unconditional test (pooled score), two-sided; estimate: risk difference"
                if test == "barnard"
                else "Boschloo exact unconditional test, two-sided (twice the smaller one-sided); estimate: risk difference"
            ),
            name=test,
            details={"nuisance": pi},
            estimate=rd.estimate,
            confidence_level=level,
        )
    odds_ratio = Estimate(
        mle,
        or_low,
        or_high,
        "conditional MLE, exact conditional interval (R fisher.test)",
        confidence_level=level,
        pvalue=p_fisher,
        name="odds_ratio",
    )
    rr = koopman_ratio(e1, n1, e2, n2, level)
    nnt = nnt_from_difference(rd, labels=labels)
    bayes = beta_comparison(e1, n1, e2, n2, prior=prior, confidence_level=level)
    arms = (
        ArmSummary(labels[0], e1, n1, wilson_interval(e1, n1, confidence_level=level)),
        ArmSummary(labels[1], e2, n2, wilson_interval(e2, n2, confidence_level=level)),
    )
    audit = None
    if reported_p is not None:
        one_sided = min(
            float(fisher_exact_batch(e1, n1, e2, n2, alternative="less")),
            float(fisher_exact_batch(e1, n1, e2, n2, alternative="greater")),
        )
        candidates = {
            "fisher": p_fisher,
            "fisher_midp": p_mid,
            "fisher_one_sided": one_sided,
            "barnard": unconditional["barnard"].pvalue,
            "boschloo": unconditional["boschloo"].pvalue,
            "chi2": _chi2_pvalue(e1, n1, e2, n2, correction=False),
            "chi2_yates": _chi2_pvalue(e1, n1, e2, n2, correction=True),
        }
        audit = audit_pvalue(reported_p, candidates)
    return BinaryComparison(
        arms=arms,
        fisher=fisher,
        fisher_midp=fisher_midp,
        barnard=unconditional["barnard"],
        boschloo=unconditional["boschloo"],
        odds_ratio=odds_ratio,
        risk_difference=rd,
        risk_ratio=rr,
        nnt=nnt,
        fragility_index=fragility_index(e1, n1, e2, n2),
        reverse_fragility_index=reverse_fragility_index(e1, n1, e2, n2),
        bayes=bayes,
        confidence_level=level,
        audit=audit,
    )
