"""Property tests (hypothesis): p-values in [0, 1], symmetry under swapping arms, batch == scalar."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hamstudy.binary import compare_binary, fisher_exact_batch
from hamstudy.binary.fisher import fisher_pvalues
from hamstudy.binary.noncentral import ConditionalDistribution, conditional_limits, conditional_mle


@st.composite
def tables(draw, max_n=40):
    n1 = draw(st.integers(1, max_n))
    n2 = draw(st.integers(1, max_n))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@st.composite
def batches(draw):
    size = draw(st.integers(1, 30))
    return [draw(tables(max_n=120)) for _ in range(size)]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(batches(), st.sampled_from(["two-sided", "less", "greater"]))
def test_batch_equals_scalar_and_is_a_probability(batch, alternative):
    e1, n1, e2, n2 = (np.array(c) for c in zip(*batch))
    p = fisher_exact_batch(e1, n1, e2, n2, alternative=alternative)
    assert np.all((p > 0) & (p <= 1))
    for i, t in enumerate(batch):
        single = float(fisher_exact_batch(*t, alternative=alternative))
        assert abs(single - p[i]) <= 1e-12 * p[i]
        if alternative == "two-sided":
            assert abs(fisher_pvalues(*t)[0] - p[i]) <= 1e-12 * p[i]


@SETTINGS
@given(tables(max_n=60))
def test_swapping_arms_leaves_two_sided_p_and_mirrors_one_sided(t):
    e1, n1, e2, n2 = t
    a = fisher_exact_batch(e1, n1, e2, n2)
    b = fisher_exact_batch(e2, n2, e1, n1)
    assert abs(a - b) <= 1e-12 * a
    less = fisher_exact_batch(e1, n1, e2, n2, alternative="less")
    greater_swapped = fisher_exact_batch(e2, n2, e1, n1, alternative="greater")
    assert abs(less - greater_swapped) <= 1e-12 * less
    # relabelling events as non-events mirrors too
    c = fisher_exact_batch(n1 - e1, n1, n2 - e2, n2)
    assert abs(a - c) <= 1e-12 * a


def _mirror(x: float) -> float:
    return math.inf if x == 0 else (0.0 if x == math.inf else 1.0 / x)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(max_n=15))
def test_compare_binary_swap_mirrors_every_estimate(t):
    e1, n1, e2, n2 = t
    a = compare_binary(e1, n1, e2, n2, labels=("A", "B"))
    b = compare_binary(e2, n2, e1, n1, labels=("B", "A"))
    for name in ("fisher", "fisher_midp", "barnard", "boschloo"):
        pa, pb = getattr(a, name).pvalue, getattr(b, name).pvalue
        assert 0 <= pa <= 1 and abs(pa - pb) <= 1e-9 * pa, name
    # ratios invert, differences change sign
    for name in ("odds_ratio", "risk_ratio"):
        x, y = getattr(a, name), getattr(b, name)
        if math.isnan(x.estimate):
            assert math.isnan(y.estimate)
        else:
            assert math.isclose(x.estimate, _mirror(y.estimate), rel_tol=1e-9)
        assert math.isclose(x.ci_low, _mirror(y.ci_high), rel_tol=1e-9)
        assert math.isclose(x.ci_high, _mirror(y.ci_low), rel_tol=1e-9)
    rd_a, rd_b = a.risk_difference, b.risk_difference
    assert math.isclose(rd_a.estimate, -rd_b.estimate, abs_tol=1e-15)
    assert math.isclose(rd_a.ci_low, -rd_b.ci_high, abs_tol=1e-14)
    assert math.isclose(a.bayes.prob_greater, 1 - b.bayes.prob_greater, abs_tol=1e-12)
    assert a.fragility_index == b.fragility_index or e1 == e2
    assert a.reverse_fragility_index == b.reverse_fragility_index
    # bounds are ordered and never NaN
    for name in ("odds_ratio", "risk_difference", "risk_ratio", "bayes"):
        est = getattr(a, name)
        assert not (math.isnan(est.ci_low) or math.isnan(est.ci_high)), name
        assert est.ci_low <= est.ci_high, name
        if not math.isnan(est.estimate):
            assert est.ci_low <= est.estimate <= est.ci_high, name


@settings(max_examples=40, deadline=None)
@given(tables(max_n=50), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_exact_limits_bracket_the_mle(t, level):
    dist = ConditionalDistribution.from_table(*t)
    mle = conditional_mle(dist)
    low, high = conditional_limits(dist, (1 - level) / 2, (1 - level) / 2)
    assert 0 <= low <= high
    if not math.isnan(mle):
        assert low <= mle <= high
    mlow, mhigh = conditional_limits(dist, (1 - level) / 2, (1 - level) / 2, mid=True)
    # mid-p limits lie inside the exact ones
    assert low <= mlow * (1 + 1e-9) and mhigh <= high * (1 + 1e-9)
