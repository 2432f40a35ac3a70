"""compare_binary as a whole: result structure, frame, JSON, plot, Bayes, fragility."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hamstudy._result import FRAME_COLUMNS
from hamstudy.binary import (
    BinaryComparison,
    compare_binary,
    fisher_exact_batch,
    fragility_index,
    reverse_fragility_index,
)
from hamstudy.binary.bayes import _DifferenceCDF, beta_comparison

REF = Path(__file__).parent / "reference" / "binary_fisher_R.csv"
ESTIMATES = ("fisher", "fisher_midp", "barnard", "boschloo", "odds_ratio", "risk_difference", "risk_ratio", "nnt", "bayes")


@pytest.fixture(scope="module")
def seed() -> BinaryComparison:
    return compare_binary(6, 11, 0, 13, labels=("STST", "PATS"), reported_p=0.0034)


def test_every_estimate_has_the_common_attributes(seed):
    for name in ESTIMATES:
        obj = getattr(seed, name)
        for attr in ("estimate", "ci_low", "ci_high", "method"):
            assert hasattr(obj, attr), (name, attr)
        assert isinstance(obj.method, str) and obj.method
    for name in ("fisher", "fisher_midp", "barnard", "boschloo"):
        obj = getattr(seed, name)
        assert 0.0 <= obj.pvalue <= 1.0 and hasattr(obj, "statistic")


def test_seed_case_summary(seed):
    assert seed.labels == ("STST", "PATS")
    assert seed.events == (6, 0) and seed.totals == (11, 13)
    p1, p2 = seed.proportions
    assert p1.estimate == 6 / 11 and p2.estimate == 0.0 and p2.ci_low == 0.0
    # zero cell: odds ratio and risk ratio are infinite with finite lower limits, never NaN
    for est in (seed.odds_ratio, seed.risk_ratio):
        assert est.estimate == math.inf and est.ci_high == math.inf and 0 < est.ci_low < math.inf
    assert seed.risk_difference.estimate == pytest.approx(6 / 11)
    assert 0 < seed.risk_difference.ci_low < seed.risk_difference.ci_high < 1
    assert seed.nnt.estimate == pytest.approx(-11 / 6)  # NNTH with STST
    assert not seed.nnt.crosses_infinity and "NNTH" in seed.nnt.describe()
    assert seed.fisher.statistic == seed.odds_ratio.estimate
    assert seed.fisher_midp.pvalue < seed.fisher.pvalue
    assert seed.reverse_fragility_index is None
    assert seed.bayes.prob_greater > 0.99


def test_fragility_of_seed_case_by_brute_force(seed):
    # add reinjuries to PATS (fewer events) one at a time, with scipy as the p-value source
    k = 0
    while True:
        k += 1
        p = stats.fisher_exact([[6, k], [5, 13 - k]]).pvalue
        if p >= 0.05:
            break
    assert seed.fragility_index == k


def _brute_force_fragility(e1, n1, e2, n2, alpha=0.05):
    if fisher_exact_batch(e1, n1, e2, n2) >= alpha:
        return None
    arm = (1 if e1 < e2 else 2) if e1 != e2 else (1 if e1 / n1 <= e2 / n2 else 2)
    for k in range(1, (n1 - e1 if arm == 1 else n2 - e2) + 1):
        table = (e1 + k, n1, e2, n2) if arm == 1 else (e1, n1, e2 + k, n2)
        if fisher_exact_batch(*table) >= alpha:
            return k
    return None


def _brute_force_reverse(e1, n1, e2, n2, alpha=0.05):
    if fisher_exact_batch(e1, n1, e2, n2) < alpha:
        return None
    best = None
    for arm in (1, 2):
        for step in (1, -1):
            k, t = 0, [e1, n1, e2, n2]
            idx = 0 if arm == 1 else 2
            while 0 <= t[idx] + step <= t[idx + 1]:
                t[idx] += step
                k += 1
                if fisher_exact_batch(*t) < alpha:
                    best = k if best is None else min(best, k)
                    break
    return best


def test_fragility_indices_match_brute_force_on_random_tables():
    rng = np.random.default_rng(11)
    for _ in range(60):
        n1, n2 = (int(v) for v in rng.integers(1, 45, 2))
        e1, e2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        assert fragility_index(e1, n1, e2, n2) == _brute_force_fragility(e1, n1, e2, n2)
        assert reverse_fragility_index(e1, n1, e2, n2) == _brute_force_reverse(e1, n1, e2, n2)


def test_fragility_for_large_arms():
    fi = fragility_index(100, 1000, 150, 1000)
    assert fi == _brute_force_fragility(100, 1000, 150, 1000)
    assert fisher_exact_batch(100 + fi, 1000, 150, 1000) >= 0.05 > fisher_exact_batch(100 + fi - 1, 1000, 150, 1000)


def test_fragility_validation():
    with pytest.raises(ValueError):
        fragility_index(1, 10, 5, 10, alpha=1.5)
    with pytest.raises(ValueError):
        reverse_fragility_index(11, 10, 5, 10)


def test_to_frame_is_tidy(seed):
    frame = seed.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    for name in (*ESTIMATES, "risk1", "risk2", "bayes_prob_greater", "fragility_index", "reverse_fragility_index", "reported_p"):
        assert name in frame.index
    assert frame.loc["fisher", "pvalue"] == seed.fisher.pvalue  # nothing rounded
    assert frame.loc["odds_ratio", "ci_high"] == math.inf
    assert math.isnan(frame.loc["reverse_fragility_index", "estimate"])


def test_html_escapes_labels():
    res = compare_binary(1, 5, 2, 5, labels=("<b>A</b>", "B&C"))
    html = res._repr_html_()
    assert "<b>A</b>" not in html and "&lt;b&gt;A&lt;/b&gt;" in html and "B&amp;C" in html


def test_to_dict_is_json_serialisable(seed):
    d = seed.to_dict()
    text = json.dumps(d)
    back = json.loads(text)
    assert back["estimates"]["odds_ratio"]["ci_high"] == math.inf  # written as Infinity
    assert back["arms"][0]["label"] == "STST" and back["arms"][1]["events"] == 0
    assert back["fragility_index"] == seed.fragility_index
    assert back["audit"]["consistent_with"] == list(seed.audit.consistent_with)
    assert back["estimates"]["fisher"]["pvalue"] == seed.fisher.pvalue
    # NaN (not applicable) becomes null
    assert back["estimates"]["barnard"]["ci_low"] is None


def test_plot_returns_axes(seed):
    import matplotlib.pyplot as plt

    ax = seed.plot()
    assert ax.get_ylim()[0] < 0 < 1 < ax.get_ylim()[1]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["STST\n6/11", "PATS\n0/13"]
    fig, ax2 = plt.subplots()
    assert seed.plot(ax=ax2) is ax2
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs,exc",
    [
        ({"labels": ("A",)}, ValueError),
        ({"labels": ("A", "A")}, ValueError),
        ({"labels": 3}, TypeError),
        ({"confidence_level": 95}, ValueError),
        ({"prior": (0, 1)}, ValueError),
        ({"prior": "flat"}, ValueError),
        ({"reported_p": 2.0}, ValueError),
        ({"reported_p": "p is small"}, ValueError),
    ],
)
def test_compare_validation(kwargs, exc):
    with pytest.raises(exc):
        compare_binary(6, 11, 0, 13, **kwargs)


@pytest.mark.parametrize("args,exc", [((6, 0, 0, 13), ValueError), ((12, 11, 0, 13), ValueError), ((6.5, 11, 0, 13), TypeError)])
def test_compare_rejects_bad_tables(args, exc):
    with pytest.raises(exc):
        compare_binary(*args)


def test_labels_as_comma_string():
    assert compare_binary(1, 2, 0, 2, labels="STST,PATS").labels == ("STST", "PATS")


def test_confidence_level_is_used_everywhere():
    narrow = compare_binary(7, 10, 1, 13, confidence_level=0.80)
    wide = compare_binary(7, 10, 1, 13, confidence_level=0.99)
    for name in ("odds_ratio", "risk_difference", "risk_ratio", "bayes"):
        n, w = getattr(narrow, name), getattr(wide, name)
        assert w.ci_low < n.ci_low and n.ci_high < w.ci_high, name
        assert n.confidence_level == 0.80


# ---- Bayes -----------------------------------------------------------------------------------


def test_bayes_prob_greater_matches_R_integrate():
    ref = pd.read_csv(REF, comment="#").dropna(subset=["bayes_prob_greater"])
    worst_rel = worst_quad = 0.0
    for r in ref.to_dict("records"):
        b = beta_comparison(int(r["e1"]), int(r["n1"]), int(r["e2"]), int(r["n2"]))
        expected = r["bayes_prob_greater"]
        worst_rel = max(worst_rel, abs(b.prob_greater - expected) / expected)
        # the quadrature path (used for non-integer priors) on the same posteriors
        quad = _DifferenceCDF(*b.posterior1, *b.posterior2).upper(0.0)
        worst_quad = max(worst_quad, abs(quad - expected))
    # closed form (sum of positive terms, log-beta based) vs R integrate(rel.tol = 1e-12)
    assert worst_rel < 1e-11
    # quadrature is accurate in absolute terms (tails beyond 1e-17 of the posterior are cut)
    assert worst_quad < 1e-13


@pytest.mark.parametrize("table,prior", [((6, 11, 0, 13), (1, 1)), ((7, 10, 1, 13), (0.5, 0.5)), ((0, 5, 0, 5), (0.5, 0.5)), ((40, 60, 20, 70), (2, 3))])
def test_credible_interval_solves_its_defining_equation(table, prior):
    b = beta_comparison(*table, prior=prior)
    (a1, b1), (a2, b2) = b.posterior1, b.posterior2

    def cdf(d):
        # P(X1 - X2 <= d) = integral of f2(y) F1(y + d) dy, by scipy quad
        f = lambda y: stats.beta.pdf(y, a2, b2) * stats.beta.cdf(min(max(y + d, 0.0), 1.0), a1, b1)  # noqa: E731
        return integrate.quad(f, 0, 1, epsabs=1e-13, epsrel=1e-12, limit=400, points=[max(0.0, min(1.0, -d)), a2 / (a2 + b2)])[0]

    assert cdf(b.ci_low) == pytest.approx(0.025, abs=1e-9)
    assert cdf(b.ci_high) == pytest.approx(0.975, abs=1e-9)
    assert b.estimate == pytest.approx(a1 / (a1 + b1) - a2 / (a2 + b2))
    assert b.integration_error < 1e-10


def test_bayes_symmetry():
    a = beta_comparison(3, 9, 5, 8, prior=(0.5, 0.5))
    b = beta_comparison(5, 8, 3, 9, prior=(0.5, 0.5))
    assert a.prob_greater == pytest.approx(1 - b.prob_greater, abs=1e-13)
    assert a.ci_low == pytest.approx(-b.ci_high, abs=1e-10)


def test_bayes_monte_carlo_sanity():
    b = beta_comparison(6, 11, 0, 13)
    rng = np.random.default_rng(1)
    x1 = rng.beta(*b.posterior1, 400_000)
    x2 = rng.beta(*b.posterior2, 400_000)
    # Monte Carlo standard error sqrt(p(1-p)/n) ~ 5e-5; 6 SE
    assert np.mean(x1 > x2) == pytest.approx(b.prob_greater, abs=3e-4)


def test_unconditional_tests_skipped_for_huge_arms():
    res = compare_binary(900, 2000, 800, 2000)
    assert math.isnan(res.barnard.pvalue) and "not computed" in res.boschloo.method
    assert 0 < res.fisher.pvalue < 0.01 and res.fragility_index is not None
    json.dumps(res.to_dict())
