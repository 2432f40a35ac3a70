"""Log-rank / Fleming-Harrington tests against R survdiff, and the permutation log-rank test."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hamstudy.survival import logrank, logrank_exact

REF = Path(__file__).parent / "reference"

# Observed, expected and variance are sums over event times of ratios of counts (<= 300 terms,
# each rounded once): differences from R's C code are ~n * eps (observed max 2e-15); the
# chi-square solves a small linear system (condition number well below 1e3 here; observed 1e-13).
# 1e-12 relative covers both with margin. p-values far in the tail are relative errors of the
# chi-square survival function, which amplifies the statistic's error by up to chisq / 2 (< 100
# here): 1e-10.
RTOL = 1e-12
P_RTOL = 1e-10


@pytest.fixture(scope="module")
def data() -> dict:
    """Reference datasets by id."""
    frame = pd.read_csv(REF / "survival_np_data.csv")
    return {k: g for k, g in frame.groupby("dataset", sort=False)}


# ---------------------------------------------------------------- zero cells and tiny samples first


def test_zero_event_arm_sherry_best():
    from hamstudy import datasets

    ipd = datasets.load("sherry_best_2004_synthetic_ipd").participants
    res = logrank(ipd.time, ipd.event, ipd.arm)
    assert res.observed["PATS"] == 1 and res.observed["STST"] == 7
    assert res.observed.sum() == pytest.approx(res.expected.sum(), rel=1e-14)
    assert res.df == 1 and 0 < res.pvalue < 0.01
    assert list(res.to_frame().columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]


def test_no_events_is_no_test():
    res = logrank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert res.statistic == 0 and res.df == 0 and math.isnan(res.pvalue)
    assert (res.expected == 0).all()


def test_one_subject_per_arm():
    res = logrank([1, 2], [1, 1], ["a", "b"])
    # one event at t=1 with 2 at risk, one at t=2 with 1 at risk (no variance from it)
    assert res.expected.tolist() == [0.5, 1.5]
    assert res.variance.loc["a", "a"] == 0.25
    assert res.statistic == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize(
    "args, kwargs, exc",
    [
        (([1, 2], [1, 0], ["a", "a"]), {}, ValueError),
        (([1, 2], [1, 0], ["a"]), {}, ValueError),
        (([1, 2], [1, 0], ["a", "b"]), {"rho": -1}, ValueError),
        (([1, 2], [1, 0], ["a", "b"]), {"rho": "x"}, TypeError),
        (([1, 2], [1, 0], ["a", "b"]), {"strata": [1]}, ValueError),
        (([1, 2], [1, 0], ["a", None]), {}, ValueError),
    ],
)
def test_logrank_validation(args, kwargs, exc):
    with pytest.raises(exc):
        logrank(*args, **kwargs)


# ---------------------------------------------------------------- against R survdiff


def test_logrank_matches_r_survdiff(data):
    tests = pd.read_csv(REF / "survival_np_survdiff.csv")
    groups = pd.read_csv(REF / "survival_np_survdiff_groups.csv")
    var = pd.read_csv(REF / "survival_np_survdiff_var.csv")
    key = ["dataset", "rho", "stratified"]
    groups = {k: g for k, g in groups.groupby(key)}
    var = {k: v for k, v in var.groupby(key)}
    n_rho1 = n_strat = n_degenerate = 0
    for row in tests.itertuples(index=False):
        d = data[row.dataset]
        res = logrank(d.time, d.status, d.group, rho=row.rho, strata=d.strata if row.stratified else None)
        k = (row.dataset, row.rho, row.stratified)
        g = groups[k]
        v = var[k]
        assert res.observed.index.tolist() == g.group.tolist()
        np.testing.assert_allclose(res.observed, g.obs, rtol=RTOL, atol=0, err_msg=str(k))
        np.testing.assert_allclose(res.expected, g.exp, rtol=RTOL, atol=0, err_msg=str(k))
        np.testing.assert_allclose(res.variance.to_numpy().ravel(order="F"), v["var"], rtol=RTOL, atol=1e-15, err_msg=str(k))
        if row.df >= 1:
            assert res.df == row.df
            assert res.statistic == pytest.approx(row.chisq, rel=RTOL, abs=1e-13), k
            assert res.pvalue == pytest.approx(row.pvalue, rel=P_RTOL, abs=1e-300), k
        else:
            # R: chisq 0 with df 0 (p 1) or df -1 (p NaN); here there is no test
            assert row.chisq == 0
            assert res.statistic == 0 and res.df == 0 and math.isnan(res.pvalue)
            n_degenerate += 1
        n_rho1 += row.rho == 1
        n_strat += row.stratified == 1
    assert len(tests) >= 400 and n_rho1 >= 200 and n_strat >= 200 and n_degenerate > 0


def test_aml_published_value(data):
    # survival package example: survdiff(Surv(time, status) ~ x, data = aml): Chisq = 3.4 on 1 df,
    # p = 0.07 (printed by R; full precision checked in test_logrank_matches_r_survdiff)
    d = data["aml"]
    res = logrank(d.time, d.status, d.group)
    assert round(res.statistic, 1) == 3.4 and round(res.pvalue, 2) == 0.07


def test_logrank_matches_lifelines(data):
    from lifelines.statistics import logrank_test

    d = data["ovarian"]
    a, b = d[d.group == 1], d[d.group == 2]
    peer = logrank_test(a.time, b.time, a.status, b.status)
    ours = logrank(d.time, d.status, d.group)
    assert ours.statistic == pytest.approx(peer.test_statistic, rel=1e-10)


# ---------------------------------------------------------------- permutation log-rank


def _brute_force_p(t, e, g):
    t, e, g = map(np.asarray, (t, e, g))
    labels = np.unique(g)
    n2 = int(np.sum(g == labels[1]))
    obs = logrank(t, e, g).statistic
    stats_ = []
    for idx in itertools.combinations(range(t.size), n2):
        gg = np.zeros(t.size, dtype=int)
        gg[list(idx)] = 1
        stats_.append(logrank(t, e, gg).statistic)
    stats_ = np.array(stats_)
    return obs, np.mean(stats_ >= obs * (1 - 1e-9) - 1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 10))
    t = rng.integers(1, 5, n).astype(float)  # heavy ties
    e = rng.integers(0, 2, n)
    g = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    if seed == 0:
        e = np.where(g == 1, 0, e)  # an arm with no events
    obs, p = _brute_force_p(t, e, g)
    res = logrank_exact(t, e, g)
    assert res.exact and res.n_resamples is None and res.mc_std_err == 0
    assert res.n_allocations == math.comb(n, int(g.sum()))
    assert res.statistic == pytest.approx(obs, rel=1e-12, abs=1e-14)
    assert res.pvalue == pytest.approx(p, rel=1e-15)


def test_exact_all_censored_gives_one():
    res = logrank_exact([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1])
    assert res.statistic == 0 and res.pvalue == 1.0 and res.exact


def test_monte_carlo_agrees_with_exact_and_is_seeded():
    rng = np.random.default_rng(11)
    t = rng.integers(1, 30, 16).astype(float)
    e = rng.integers(0, 2, 16)
    g = np.repeat([0, 1], 8)
    t[g == 0] = t[g == 0] / 3  # some signal
    exact = logrank_exact(t, e, g)
    assert exact.exact and exact.n_allocations == 12870
    mc = logrank_exact(t, e, g, n_resamples=20_000, seed=5)
    assert not mc.exact and mc.n_resamples == 20_000
    assert mc.mc_std_err == pytest.approx(math.sqrt(mc.pvalue * (1 - mc.pvalue) / 20_000), rel=1e-12)
    # 4.5 standard errors: a false alarm here has probability < 1e-5
    assert abs(mc.pvalue - exact.pvalue) < 4.5 * max(mc.mc_std_err, 1 / 20_000)
    again = logrank_exact(t, e, g, n_resamples=20_000, seed=5)
    assert again.pvalue == mc.pvalue
    assert mc.statistic == exact.statistic == pytest.approx(logrank(t, e, g).statistic, rel=1e-12)


def test_falls_back_to_monte_carlo_above_limit(monkeypatch):
    import importlib

    # the package attribute `logrank` is the function; the module is reached through importlib
    mod = importlib.import_module("hamstudy.survival.logrank_tests")

    monkeypatch.setattr(mod, "EXACT_LIMIT", 10)
    monkeypatch.setattr(mod, "_DEFAULT_RESAMPLES", 2_000)
    res = mod.logrank_exact([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1], seed=1)
    assert not res.exact and res.n_resamples == 2_000 and res.n_allocations == 20
    assert "Monte Carlo" in res.method


def test_sherry_best_exact_enumeration():
    from hamstudy import datasets

    ipd = datasets.load("sherry_best_2004_synthetic_ipd").participants
    res = logrank_exact(ipd.time, ipd.event, ipd.arm)
    assert res.exact and res.n_allocations == math.comb(24, 11)
    assert res.statistic == pytest.approx(logrank(ipd.time, ipd.event, ipd.arm).statistic, rel=1e-12)
    assert res.asymptotic_pvalue == pytest.approx(stats.chi2.sf(res.statistic, 1), rel=1e-12)
    assert 0 < res.pvalue < 0.05


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_resamples=0), dict(n_resamples=2.5), dict(n_resamples=True)],
)
def test_exact_validation(kwargs):
    with pytest.raises(ValueError, match="n_resamples"):
        logrank_exact([1, 2, 3], [1, 0, 1], [0, 1, 1], **kwargs)


def test_exact_needs_two_groups():
    with pytest.raises(ValueError, match="two groups"):
        logrank_exact([1, 2, 3], [1, 0, 1], [0, 1, 2])


def test_tied_cells_make_large_tied_trials_exact():
    # 40 subjects on 3 distinct days: C(40, 20) = 1.4e11 raw allocations, but only a few thousand
    # distinct patterns of group counts over the (time, event) cells, so the test is exact
    rng = np.random.default_rng(7)
    t = rng.integers(1, 4, 40).astype(float)
    e = rng.integers(0, 2, 40)
    g = np.repeat([0, 1], 20)
    t[g == 1] += rng.integers(0, 2, 20)  # a shift in the second arm
    exact = logrank_exact(t, e, g)
    assert exact.exact and exact.n_allocations == math.comb(40, 20)
    mc = logrank_exact(t, e, g, n_resamples=20_000, seed=3)
    assert abs(mc.pvalue - exact.pvalue) < 4.5 * max(mc.mc_std_err, 1 / 20_000)


# ---------------------------------------------------------------- properties (hypothesis)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def _two_arm(draw):
    n = draw(st.integers(2, 30))
    t = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))  # heavy ties
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    g = [0, 1] + draw(st.lists(st.integers(0, 1), min_size=n - 2, max_size=n - 2))
    return np.array(t, float), np.array(e), np.array(g)


@settings(max_examples=30, deadline=None)
@given(_two_arm())
def test_two_group_logrank_equals_lifelines_and_is_label_symmetric(arm):
    from lifelines.statistics import logrank_test

    t, e, g = arm
    ours = logrank(t, e, g)
    swapped = logrank(t, e, 1 - g)
    assert swapped.statistic == pytest.approx(ours.statistic, rel=1e-12, abs=1e-12)
    assert ours.observed.sum() == pytest.approx(ours.expected.sum(), rel=1e-12)
    if ours.df == 1 and ours.variance.iloc[0, 0] > 0:
        peer = logrank_test(t[g == 0], t[g == 1], e[g == 0], e[g == 1])
        assert ours.statistic == pytest.approx(peer.test_statistic, rel=1e-9, abs=1e-12)
