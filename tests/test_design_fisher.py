"""Exact Fisher/Boschloo power and the Fisher sample size (hamstudy.design.fisher_power)."""

from __future__ import annotations

import functools
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from hamstudy.binary import fisher_exact_batch
from hamstudy.design import (
    FisherSampleSize,
    fisher_boundaries,
    power_boschloo,
    power_fisher,
    sample_size_fisher,
)

REF = json.loads((Path(__file__).parent / "reference" / "design_power.json").read_text())


@functools.lru_cache(maxsize=None)
def _sample_size(p1, p2, alternative="two-sided"):
    """Searches shared by several tests (each takes a second or so)."""
    return sample_size_fisher(p1, p2, power=0.8, alternative=alternative)


def _full_enumeration(p1, p2, n1, n2, alpha=0.05, alternative="two-sided"):
    """Power over every table with the batch Fisher p-values (no boundaries, no truncation)."""
    x1, x2 = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    reject = fisher_exact_batch(x1, n1, x2, n2, alternative=alternative) <= alpha
    return binom.pmf(np.arange(n1 + 1), n1, p1) @ reject @ binom.pmf(np.arange(n2 + 1), n2, p2)


# --- tiny samples and zero cells first ------------------------------------------------------------


def test_one_athlete_per_arm_never_rejects():
    # with 1 + 1 athletes the smallest two-sided Fisher p-value is 1: power is exactly 0
    assert power_fisher(1.0, 0.0, 1, 1) == 0.0
    assert power_fisher(0.9, 0.1, 1, 1, alpha=0.5) == 0.0


def test_seed_trial_design_against_full_enumeration():
    # the Sherry & Best arms (11 vs 13) with 55% vs 5% recurrence; a certain-event and a no-event arm
    for p1, p2 in [(0.55, 0.05), (0.0, 0.3), (1.0, 0.0), (6 / 11, 0.0)]:
        got = power_fisher(p1, p2, 11, 13)
        # same p-values, same tables: only the order of ~170 positive products differs
        assert got == pytest.approx(_full_enumeration(p1, p2, 11, 13), abs=1e-14)


@pytest.mark.parametrize("row", [r for r in REF["brute_force"] if r["test"] == "fisher"],
                         ids=lambda r: f"{r['n1']}x{r['n2']}-{r['alternative']}-{r['p1']}-{r['p2']}-{r['alpha']}")
def test_power_fisher_matches_scipy_brute_force(row):
    got = power_fisher(row["p1"], row["p2"], row["n1"], row["n2"], alpha=row["alpha"], alternative=row["alternative"])
    # reference sums at most 441 binomial products (scipy.stats.fisher_exact per table): rounding only
    assert got == pytest.approx(row["power"], abs=1e-13)


@pytest.mark.parametrize("row", [r for r in REF["brute_force"] if r["test"] == "boschloo"],
                         ids=lambda r: f"{r['n1']}x{r['n2']}-{r['alternative']}-{r['p1']}-{r['p2']}-{r['alpha']}")
def test_power_boschloo_matches_scipy_brute_force(row):
    got = power_boschloo(row["p1"], row["p2"], row["n1"], row["n2"], alpha=row["alpha"], alternative=row["alternative"])
    assert got == pytest.approx(row["power"], abs=1e-13)


@pytest.mark.parametrize("row", REF["published"], ids=lambda r: f"{r['p1']:.3f}-{r['p2']:.3f}-{r['n1']}-{r['alternative']}")
def test_power_fisher_matches_published_values(row):
    got = power_fisher(row["p1"], row["p2"], row["n1"], row["n2"], alternative=row["alternative"])
    decimals = len(repr(row["power"]).split(".")[1])
    # the published figure is rounded to `decimals` places: half a unit in the last place
    assert abs(got - row["power"]) <= 0.5 * 10.0**-decimals + 1e-15


@pytest.mark.parametrize(
    "n1,n2,alternative",
    [(40, 25, "less"), (60, 90, "greater"), (60, 90, "two-sided"), (150, 150, "two-sided")],
)
def test_power_fisher_matches_full_batch_enumeration_for_larger_designs(n1, n2, alternative):
    for p1, p2 in [(0.3, 0.15), (0.1, 0.4)]:
        got = power_fisher(p1, p2, n1, n2, alternative=alternative)
        # outcomes skipped by the truncation carry < 4e-17 of probability; the rest is rounding
        assert got == pytest.approx(_full_enumeration(p1, p2, n1, n2, alternative=alternative), abs=1e-14)


def test_power_equal_probabilities_is_the_size_and_fisher_is_conservative():
    for n in (5, 20, 60):
        size = power_fisher(0.3, 0.3, n, n)
        assert 0.0 < size <= 0.05


def test_boschloo_one_sided_dominates_fisher():
    for n1, n2 in [(6, 6), (11, 13), (20, 15)]:
        for p1, p2 in [(0.55, 0.05), (0.4, 0.2)]:
            assert power_boschloo(p1, p2, n1, n2, alternative="greater") >= power_fisher(
                p1, p2, n1, n2, alternative="greater") - 1e-15


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize("ratio", [1.0, 0.5, 2.5])
def test_boundaries_with_and_without_guesses_equal_every_table(alternative, ratio):
    rng = np.random.default_rng(7)
    previous = None
    for n1 in range(1, 26):
        n2 = max(1, math.ceil(n1 * ratio))
        k = np.arange(n1 + n2 + 1)
        left, right = fisher_boundaries(n1, n2, k, 0.05, alternative)
        x1 = np.arange(n1 + 1)[:, None]
        x2 = np.arange(n2 + 1)[None, :]
        expected = fisher_exact_batch(x1, n1, x2, n2, alternative=alternative) <= 0.05
        kk = x1 + x2
        assert np.array_equal((x1 <= left[kk]) | (x1 >= right[kk]), expected)
        if previous is not None:
            pk, pl, pr = previous
            j = np.clip(k - pk[0], 0, pk.size - 1)
            known = (k >= pk[0]) & (k <= pk[-1])
            # deliberately wrong guesses must still lead to the same ends
            guess = (pl[j] + rng.integers(-4, 5, j.size), pr[j] + rng.integers(-4, 5, j.size), known)
            l2, r2 = fisher_boundaries(n1, n2, k, 0.05, alternative, guess=guess)
            assert np.array_equal(l2, left) and np.array_equal(r2, right)
        previous = (k, left, right)


# --- sample size ----------------------------------------------------------------------------------


def test_seed_question_55_vs_5_percent():
    res = sample_size_fisher(0.55, 0.05, power=0.8)
    n1, n2 = res
    assert (n1, n2) == (14, 14)
    assert res.achieved_power == pytest.approx(power_fisher(0.55, 0.05, 14, 14), abs=1e-15)
    assert res.achieved_power >= 0.8 > power_fisher(0.55, 0.05, 13, 13)


@pytest.mark.parametrize("row", [r for r in REF["published"] if r["n1"] != 50], ids=lambda r: f"{r['p1']:.3f}-{r['alternative']}")
def test_sample_size_matches_published_sizes(row):
    res = _sample_size(row["p1"], row["p2"], row["alternative"])
    # pwrss reports the size from which power stays above 80% (equal to the first crossing except
    # for 0.6 vs 0.4 two-sided, where the saw-tooth dips back below after n = 102)
    assert res.n1_stable == row["n1"] and res.n2_stable == row["n2"]


def test_sawtooth_first_crossing_and_stable_size_differ():
    res = _sample_size(0.6, 0.4)
    assert (res.n1, res.n2) == (102, 102)
    assert (res.n1_stable, res.n2_stable) == (108, 108)
    # definitions, checked with independent power_fisher calls
    assert power_fisher(0.6, 0.4, 102, 102) >= 0.8
    assert all(power_fisher(0.6, 0.4, n, n) < 0.8 for n in (95, 100, 101))
    assert power_fisher(0.6, 0.4, 107, 107) < 0.8
    assert min(res.powers[107:]) >= 0.8
    assert res.search_limit == len(res.powers) >= 153
    assert res.stable_power == pytest.approx(min(res.powers[107:]))
    # the search's curve (small designs by full enumeration, then warm-started bisection) equals
    # independent power_fisher calls, including across the switch between the two paths
    for n in (10, 30, 31, 32, 50, 103, 130, 153):
        assert res.powers[n - 1] == pytest.approx(power_fisher(0.6, 0.4, n, n), abs=1e-14)
    curve = res.power_curve()
    assert list(curve.columns) == ["n1", "n2", "power"]
    assert curve["power"].iloc[101] == pytest.approx(power_fisher(0.6, 0.4, 102, 102), abs=1e-15)


def test_sample_size_with_unequal_allocation():
    res = sample_size_fisher(0.4, 0.1, power=0.8, ratio=2.0)
    assert res.n2 == 2 * res.n1
    assert res.achieved_power == pytest.approx(power_fisher(0.4, 0.1, res.n1, res.n2), abs=1e-15)
    assert power_fisher(0.4, 0.1, res.n1 - 1, 2 * (res.n1 - 1)) < 0.8
    odd = sample_size_fisher(0.4, 0.1, power=0.8, ratio=1.5)
    assert odd.n2 == math.ceil(1.5 * odd.n1)


def test_sample_size_result_is_a_two_tuple():
    res = sample_size_fisher(0.75, 0.25)
    assert isinstance(res, tuple) and len(res) == 2 and res == (18, 18)
    assert pickle.loads(pickle.dumps(res)).n1_stable == res.n1_stable
    with pytest.raises(AttributeError):
        res.n1_stable = 3
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert frame.loc["n1", "estimate"] == 18
    assert "<table" in res._repr_html_()
    assert "n1_stable=18" in repr(res)


def test_sample_size_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = _sample_size(0.6, 0.4)
    ax = res.plot()
    assert ax.get_ylabel() == "power"
    assert len(ax.lines) >= 3
    plt.close(ax.figure)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda: power_fisher(1.5, 0.1, 5, 5), ValueError),
        (lambda: power_fisher(0.5, -0.1, 5, 5), ValueError),
        (lambda: power_fisher(0.5, 0.1, 0, 5), ValueError),
        (lambda: power_fisher(0.5, 0.1, 5.0, 5), TypeError),
        (lambda: power_fisher(0.5, 0.1, 5, 5, alpha=0), ValueError),
        (lambda: power_fisher(0.5, 0.1, 5, 5, alternative="two.sided"), ValueError),
        (lambda: power_boschloo(0.5, 0.1, 5, True), TypeError),
        (lambda: sample_size_fisher(0.3, 0.3), ValueError),
        (lambda: sample_size_fisher(0.3, 0.2, power=1.0), ValueError),
        (lambda: sample_size_fisher(0.3, 0.2, ratio=0), ValueError),
        (lambda: sample_size_fisher(0.3, 0.2, max_n=20), ValueError),
        (lambda: sample_size_fisher(0.3, 0.25, max_n=60), ValueError),  # approximation rules it out at once
        (lambda: sample_size_fisher(0.55, 0.05, alternative="less"), ValueError),  # effect points the other way
        (lambda: sample_size_fisher(0.05, 0.55, alternative="greater"), ValueError),
    ],
)
def test_invalid_arguments(call, exc):
    with pytest.raises(exc):
        call()


def test_result_type_exported():
    assert isinstance(sample_size_fisher(0.75, 0.25), FisherSampleSize)


def test_certain_versus_impossible_event():
    # 4/4 vs 0/4 has two-sided p = 2/70 < 0.05, while 3/3 vs 0/3 has p = 0.1
    res = sample_size_fisher(1.0, 0.0)
    assert tuple(res) == (4, 4) and res.achieved_power == 1.0
    assert power_fisher(1.0, 0.0, 3, 3) == 0.0


def test_casagrande_pike_smith_approximation_is_close_to_exact():
    from hamstudy.design import approximate_n1

    # CPS (1978) was built to approximate the exact Fisher sizes; within 15% here (12% at n = 14,
    # where the saw-tooth matters most)
    for p1, p2, alternative in [(0.55, 0.05, "two-sided"), (0.6, 0.4, "two-sided"), (0.6, 0.4, "greater"),
                                (0.75, 0.25, "two-sided")]:
        exact = _sample_size(p1, p2, alternative)
        assert approximate_n1(p1, p2, alternative=alternative) == pytest.approx(exact.n1, rel=0.15)
