"""Cumulative incidence (Aalen-Johansen) against R multi-state survfit; exact Poisson rates and
rate ratios against R poisson.test."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hamstudy.survival import cumulative_incidence, incidence_rate, kaplan_meier, rate_ratio

REF = Path(__file__).parent / "reference"

# Estimates: running products/sums over <= 300 times, as for Kaplan-Meier: ~n * eps (observed
# 2e-14), so 1e-12 relative. Standard errors: the infinitesimal-jackknife variance is computed as an
# expanded sum of squares (cumulative sums instead of R's per-subject loop); cancellation leaves an
# absolute error of order eps times the summed squares (<= 1) in the variance, i.e. at most ~1e-8
# in an SE that is exactly 0 (R itself returns 2.8e-17 there). Hence 1e-12 relative plus 2e-8
# absolute for SEs, and for the bands, which are smooth functions of them. Observed: 2.7e-14
# relative wherever the SE is not ~0.
RTOL = 1e-12
SE_ATOL = 2e-8


@pytest.fixture(scope="module")
def data() -> dict:
    """Reference datasets by id."""
    frame = pd.read_csv(REF / "survival_np_data.csv")
    return {k: g for k, g in frame.groupby("dataset", sort=False)}


# ---------------------------------------------------------------- zero cells and small cases first


def test_small_example_by_hand():
    # times 3(c1) 5(c2) 5(cens) 8(c1) 12(cens): S(3)=4/5, F1(3)=1/5; S(5)=3/5, F2(5)=1/5;
    # at 8 two at risk: F1(8) = 1/5 + 3/5 * 1/2 = 1/2, S(8) = 3/10
    res = cumulative_incidence([3, 5, 5, 8, 12], [1, 2, 0, 1, 0])
    c1 = res.table[res.table.cause == 1].set_index("time")
    c2 = res.table[res.table.cause == 2].set_index("time")
    assert c1.loc[3, "incidence"] == pytest.approx(0.2, rel=1e-15)
    assert c1.loc[8, "incidence"] == pytest.approx(0.5, rel=1e-15)
    assert c2.loc[12, "incidence"] == pytest.approx(0.2, rel=1e-15)
    assert res.at([2.9, 3, 10, 99], cause=1).tolist() == pytest.approx([0, 0.2, 0.5, 0.5], rel=1e-15)
    free = res.event_free.set_index("time").survival
    np.testing.assert_allclose(free + c1.incidence + c2.incidence, 1.0, rtol=1e-15)
    assert res.causes == (1, 2)


def test_arm_without_events_gives_zero_incidence():
    res = cumulative_incidence([1, 2, 3, 4, 5, 6], [1, 2, 1, 0, 0, 0], group=["a", "a", "a", "b", "b", "b"])
    b = res.table[res.table.group == "b"]
    assert (b.incidence == 0).all() and (b.std_err == 0).all()
    assert (b.ci_low == 0).all() and (b.ci_high == 0).all()  # R gives NA here
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]


def test_ties_are_exact_not_jittered():
    # lifelines' AalenJohansenFitter jitters tied times; here the estimate does not depend on any
    # random state and equals the tie-free hand computation: 2 events of cause 1 and 1 of cause 2
    # at t = 1 among 6 at risk
    res = cumulative_incidence([1, 1, 1, 2, 3, 3], [1, 1, 2, 0, 1, 0])
    c1 = res.table[res.table.cause == 1].set_index("time").incidence
    assert c1.loc[1.0] == pytest.approx(2 / 6, rel=1e-15)
    assert c1.loc[3.0] == pytest.approx(2 / 6 + 3 / 6 * 1 / 2, rel=1e-15)


def test_event_free_is_kaplan_meier(data):
    d = data["g010"]
    res = cumulative_incidence(d.time, d.cause)
    km = kaplan_meier(d.time, d.cause > 0)
    np.testing.assert_allclose(res.event_free.survival, km.table.survival, rtol=1e-15)


@pytest.mark.parametrize(
    "cause, exc",
    [([0, 0, 0], ValueError), ([1, -1, 0], ValueError), ([1, 1.5, 0], ValueError), ([1, 0], ValueError), (["a", "b", "c"], TypeError)],
)
def test_cumulative_incidence_validation(cause, exc):
    with pytest.raises(exc):
        cumulative_incidence([1, 2, 3], cause)


def test_cumulative_incidence_rejects_conf_type():
    with pytest.raises(ValueError, match="conf_type"):
        cumulative_incidence([1, 2, 3], [1, 0, 2], conf_type="log-log")


# ---------------------------------------------------------------- against R survfit (multi-state)


def test_matches_r_multistate_survfit(data):
    ref_all = pd.read_csv(REF / "survival_np_multistate.csv")
    checked = 0
    for did, ref in ref_all.groupby("dataset", sort=False):
        d = data[did]
        res = cumulative_incidence(d.time, d.cause)
        for state, rs in ref.groupby("state"):
            if state == 0:
                ours, col = res.event_free, "survival"
            else:
                ours, col = res.table[res.table.cause == state], "incidence"
                if ours.empty:  # this cause never occurs in the dataset: R's column is all 0
                    assert (rs.pstate == 0).all() and (rs.std_err == 0).all()
                    continue
            what = f"{did} state {state}"
            np.testing.assert_array_equal(ours.time, rs.time, err_msg=what)
            np.testing.assert_array_equal(ours.n_risk, rs.n_risk, err_msg=what)
            np.testing.assert_allclose(ours[col], rs.pstate, rtol=RTOL, atol=0, err_msg=what)
            np.testing.assert_allclose(ours.std_err, rs.std_err, rtol=RTOL, atol=SE_ATOL, err_msg=what)
            # bands: 1.96 * SE / p on the log scale, so SE_ATOL is scaled by z = 1.96 (and p <= 1)
            for mine, theirs in ((ours.ci_low, rs.lower), (ours.ci_high, rs.upper)):
                fin = np.isfinite(theirs.to_numpy())
                np.testing.assert_allclose(mine.to_numpy()[fin], theirs.to_numpy()[fin], rtol=RTOL, atol=SE_ATOL * 4, err_msg=what)
                # R's NA: probability 0 (we give the degenerate [0, 0])
                assert np.all(ours[col].to_numpy()[~fin] == 0), what
            checked += 1
    assert checked >= 200


def test_plot_cumulative_incidence():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = cumulative_incidence([3, 5, 5, 8, 12, 14], [1, 2, 0, 1, 0, 2], group=[1, 1, 1, 2, 2, 2])
    try:
        ax = res.plot()
        assert len(ax.lines) == 4  # 2 groups x 2 causes
        assert ax.get_ylabel() == "Cumulative incidence"
    finally:
        plt.close("all")


# ---------------------------------------------------------------- incidence rates and rate ratios

# Both sides evaluate the same closed forms with chi-square / beta quantiles (R's qgamma/qbeta vs
# scipy's cephes): agreement observed to 1.1e-14 relative; 1e-12 allows for the quantile solvers.
RATE_RTOL = 1e-12


def test_zero_events_rate_has_finite_upper_bound():
    r = incidence_rate(0, 2210.25)
    assert r.estimate == 0 and r.ci_low == 0
    assert r.ci_high == pytest.approx(-math.log(0.025) / 2210.25 * 1000, rel=1e-13)
    assert "per 1000" in r.method


def test_rate_ratio_zero_arms():
    rr = rate_ratio(6, 1830, 0, 2210.25)  # STST-like vs PATS-like with no injuries
    assert rr.estimate == math.inf and rr.ci_high == math.inf and 0 < rr.ci_low < math.inf
    rr0 = rate_ratio(0, 1830, 6, 2210.25)
    assert rr0.estimate == 0 and rr0.ci_low == 0 and rr0.ci_high < math.inf
    assert rr0.pvalue == pytest.approx(stats.binomtest(0, 6, 1830 / (1830 + 2210.25)).pvalue, rel=1e-14)
    none = rate_ratio(0, 10, 0, 20)
    assert math.isnan(none.estimate) and (none.ci_low, none.ci_high, none.pvalue) == (0.0, math.inf, 1.0)


def test_rates_match_r_poisson_test():
    ref = pd.read_csv(REF / "survival_np_poisson.csv")
    for r in ref.itertuples(index=False):
        lvl = r.conf_level
        a = incidence_rate(r.events1, r.exposure1, per=1, confidence_level=lvl)
        b = incidence_rate(r.events2, r.exposure2, per=1000, confidence_level=lvl)
        assert a.ci_low == pytest.approx(r.rate1_low, rel=RATE_RTOL, abs=0)
        assert a.ci_high == pytest.approx(r.rate1_high, rel=RATE_RTOL)
        assert b.ci_low == pytest.approx(r.rate2_low * 1000, rel=RATE_RTOL, abs=0)
        assert b.ci_high == pytest.approx(r.rate2_high * 1000, rel=RATE_RTOL)
        rr = rate_ratio(r.events1, r.exposure1, r.events2, r.exposure2, confidence_level=lvl)
        if np.isnan(r.rr):  # R stops when there are no events at all
            assert r.events1 + r.events2 == 0
            continue
        assert rr.estimate == pytest.approx(r.rr, rel=RATE_RTOL)
        assert rr.ci_low == pytest.approx(r.rr_low, rel=RATE_RTOL, abs=0)
        assert rr.ci_high == pytest.approx(r.rr_high, rel=RATE_RTOL)
        assert rr.pvalue == pytest.approx(r.rr_p, rel=RATE_RTOL)


def test_rate_ratio_interval_matches_binomial_definition():
    # Clopper-Pearson for x1 of x1+x2, mapped to the ratio scale
    rr = rate_ratio(7, 950, 1, 1300, confidence_level=0.9)
    p_high = stats.beta.ppf(0.95, 8, 1)
    assert rr.ci_high == pytest.approx(p_high / (1 - p_high) * 1300 / 950, rel=1e-14)


@pytest.mark.parametrize(
    "args, exc",
    [((-1, 10), ValueError), ((1.5, 10), ValueError), ((1, 0), ValueError), ((1, -3), ValueError), (("a", 10), TypeError), ((1, float("inf")), ValueError)],
)
def test_incidence_rate_validation(args, exc):
    with pytest.raises(exc):
        incidence_rate(*args)


def test_rate_ratio_validation():
    with pytest.raises(ValueError, match="exposure2"):
        rate_ratio(1, 10, 1, 0)
    with pytest.raises(ValueError, match="per"):
        incidence_rate(1, 10, per=0)


def _weighted_aj(time, cause, w, causes):
    """Plain weighted Aalen-Johansen, one distinct time at a time (for the influence check)."""
    times = np.unique(time)
    s, f = 1.0, np.zeros(len(causes))
    out = []
    for t in times:
        at_risk = w[time >= t].sum()
        dk = np.array([w[(time == t) & (cause == c)].sum() for c in causes])
        f = f + s * dk / at_risk
        s = s * (1 - dk.sum() / at_risk)
        out.append(np.r_[s, f])
    return np.array(out)


def test_standard_error_is_infinitesimal_jackknife_by_brute_force():
    # independent of R: differentiate the weighted estimator numerically for each subject
    rng = np.random.default_rng(4)
    time = rng.integers(1, 8, 25).astype(float)
    cause = rng.choice([0, 1, 2], 25, p=[0.3, 0.4, 0.3])
    causes = np.array([1, 2])
    h = 1e-6
    infl = []
    for i in range(time.size):
        wp = np.ones(time.size)
        wm = np.ones(time.size)
        wp[i] += h
        wm[i] -= h
        infl.append((_weighted_aj(time, cause, wp, causes) - _weighted_aj(time, cause, wm, causes)) / (2 * h))
    se = np.sqrt(np.sum(np.square(infl), axis=0))
    res = cumulative_incidence(time, cause)
    # central differences of a smooth rational function: truncation ~h^2, rounding ~eps/h ~ 1e-10
    np.testing.assert_allclose(res.event_free.std_err, se[:, 0], rtol=1e-6, atol=1e-9)
    for j, c in enumerate(causes):
        ours = res.table[res.table.cause == c].std_err
        np.testing.assert_allclose(ours, se[:, j + 1], rtol=1e-6, atol=1e-9)
