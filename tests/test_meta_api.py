"""hamstudy.meta: API contract, conventions on zero cells and tiny samples, validation, plots."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hamstudy
from hamstudy.meta import MetaResult, meta_binary, meta_continuous, meta_generic

SHERRY_14 = dict(events_t=[0], total_t=[13], events_c=[6], total_c=[11])  # PATS vs STST at 2 weeks


# --- zero cells and tiny samples first -----------------------------------------------------------


def test_single_zero_cell_trial_iv_adds_one_half():
    """0/13 vs 6/11: escalc adds 1/2 to all four cells -> RR = (0.5/14)/(6.5/12)."""
    res = meta_binary(**SHERRY_14, measure="RR", method="IV")
    assert res.k == 1
    assert res.log_estimate == pytest.approx(math.log((0.5 / 14) / (6.5 / 12)), rel=1e-14)
    assert res.se == pytest.approx(math.sqrt(1 / 0.5 - 1 / 14 + 1 / 6.5 - 1 / 12), rel=1e-14)
    assert res.tau2 == 0 and res.q == 0 and res.q_pvalue == 1
    assert any("Only one study" in n for n in res.notes)


def test_single_zero_cell_trial_mh_is_not_estimable():
    """MH pools raw counts: no treatment events anywhere -> R = 0, log RR = -inf; metafor says NA."""
    res = meta_binary(**SHERRY_14, measure="RR", method="MH")
    assert math.isnan(res.estimate) and math.isnan(res.se)
    assert any("not estimable" in n for n in res.notes)
    # the per-study table still shows the corrected effect, as metafor's forest does
    assert res.table["effect"].iat[0] == pytest.approx((0.5 / 14) / (6.5 / 12), rel=1e-14)


def test_single_zero_cell_trial_peto_is_finite():
    res = meta_binary(**SHERRY_14, measure="OR", method="Peto")
    n1, n2, xt = 13, 11, 6
    N = n1 + n2
    e = xt * n1 / N
    v = xt * (N - xt) * n1 * n2 / (N**2 * (N - 1))
    assert res.log_estimate == pytest.approx((0 - e) / v, rel=1e-14)
    assert res.se == pytest.approx(1 / math.sqrt(v), rel=1e-14)


def test_double_zero_dropped_for_ratios_kept_for_rd():
    kw = dict(events_t=[0, 3, 0], total_t=[10, 20, 15], events_c=[0, 8, 2], total_c=[12, 19, 15], study=["dz", "b", "c"])
    for measure in ("RR", "OR"):
        for method in ("MH", "IV"):
            res = meta_binary(**kw, measure=measure, method=method)
            assert res.k == 2
            assert list(res.dropped["study"]) == ["dz"]
            assert res.dropped["reason"].iat[0] == "no events in either arm"
            assert not res.table["included"].iat[0] and math.isnan(res.table["weight"].iat[0])
            assert "dropped" in res.notes[0]
    rd = meta_binary(**kw, measure="RD", method="MH")
    assert rd.k == 3 and len(rd.dropped) == 0
    # escalc adds 1/2 to the zero cells for RD too: 0.5/11 - 0.5/13, not exactly 0
    assert rd.table["yi"].iat[0] == pytest.approx(0.5 / 11 - 0.5 / 13, rel=1e-14)


def test_all_events_in_both_arms_is_dropped_for_ratios():
    res = meta_binary(events_t=[10, 2], total_t=[10, 20], events_c=[12, 7], total_c=[12, 20], measure="RR")
    assert res.k == 1
    assert "every participant" in res.dropped["reason"].iat[0]


def test_every_study_double_zero_raises():
    with pytest.raises(ValueError, match="no study can be pooled"):
        meta_binary(events_t=[0, 0], total_t=[5, 6], events_c=[0, 0], total_c=[5, 6])


def test_one_participant_per_arm():
    res = meta_binary(events_t=[1, 0], total_t=[1, 1], events_c=[0, 1], total_c=[1, 1], measure="RD", method="IV",
                      tau2="DL")
    assert res.k == 2 and np.isfinite(res.estimate) and res.tau2 >= 0


def test_tau2_never_negative_and_pi_contains_ci():
    rng = np.random.default_rng(5)
    for _ in range(200):
        k = int(rng.integers(2, 8))
        yi = rng.normal(0, 0.1, k)
        vi = rng.uniform(0.05, 0.5, k)
        for m in ("DL", "REML", "PM"):
            res = meta_generic(yi, vi, tau2=m, hksj=bool(rng.integers(2)))
            assert res.tau2 >= 0
            assert res.pi_low <= res.ci_low + 1e-12 or res.hksj  # HKSJ CI may be wider than a z-based PI
            assert res.pi_low <= res.estimate <= res.pi_high


def test_prediction_interval_formula():
    yi, vi = [0.2, -0.1, 0.5, 0.9, 0.0], [0.03, 0.05, 0.04, 0.08, 0.02]
    res = meta_generic(yi, vi, tau2="REML")
    half = stats.norm.isf(0.025) * math.sqrt(res.se**2 + res.tau2)
    assert res.pi_low == pytest.approx(res.estimate - half, rel=1e-13)
    hk = meta_generic(yi, vi, tau2="REML", hksj=True)
    half = stats.t.isf(0.025, 4) * math.sqrt(hk.se**2 + hk.tau2)
    assert hk.pi_high == pytest.approx(hk.estimate + half, rel=1e-13)
    assert hk.df == 4
    # I² = 100 tau² / (tau² + s²), s² metafor's typical within-study variance
    w = 1 / np.array(vi)
    s2 = 4 * w.sum() / (w.sum() ** 2 - (w**2).sum())
    assert res.i2 == pytest.approx(100 * res.tau2 / (res.tau2 + s2), rel=1e-12)


def test_common_effect_pi_equals_ci_and_i2_from_q():
    res = meta_generic([0.2, -0.1, 0.5], [0.03, 0.05, 0.04])
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)
    assert res.i2 == pytest.approx(max(0.0, 100 * (res.q - 2) / res.q), rel=1e-13)


def test_hksj_narrower_note():
    res = meta_generic([0.1, 0.11, 0.09], [0.05, 0.05, 0.05], tau2="REML", hksj=True)
    assert any("HKSJ variance factor" in n for n in res.notes)


# --- result object -------------------------------------------------------------------------------


def test_result_contract():
    res = meta_binary(events_t=[7, 0, 0, 1], total_t=[10, 37, 28, 24], events_c=[1, 1, 2, 6],
                      total_c=[13, 38, 28, 24], measure="OR", method="IV", tau2="PM", hksj=True,
                      confidence_level=0.9)
    assert isinstance(res, MetaResult)
    with pytest.raises(Exception):
        res.estimate = 1.0  # frozen
    assert res.estimate == pytest.approx(math.exp(res.log_estimate), rel=1e-14)
    assert res.ci_low < res.estimate < res.ci_high
    assert (res.measure, res.method, res.tau2_method, res.hksj, res.confidence_level) == ("OR", "IV", "PM", True, 0.9)
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert list(frame.index) == ["pooled", "prediction", "tau2", "i2", "q"]
    assert frame.loc["pooled", "estimate"] == res.estimate
    assert frame.loc["prediction", "ci_low"] == res.pi_low
    html = res._repr_html_()
    assert "<table" in html and "90%" in html
    assert {"study", "yi", "vi", "effect", "ci_low", "ci_high", "weight", "included", "note"} <= set(res.table.columns)
    assert res.table["weight"].sum() == pytest.approx(100, rel=1e-12)
    assert "escalc" in res.conventions and "HKSJ" in res.conventions
    assert "odds ratio" in res.summary()


def test_top_level_names():
    assert hamstudy.meta_binary is meta_binary
    assert hamstudy.meta_continuous is meta_continuous
    assert hamstudy.meta_generic is meta_generic


def test_dataframe_columns_and_arrays_agree():
    df = pd.DataFrame({"s": ["a", "b", "c"], "et": [2, 0, 5], "nt": [20, 15, 30], "ec": [6, 3, 9], "nc": [21, 14, 30]})
    a = meta_binary(df, events_t="et", total_t="nt", events_c="ec", total_c="nc", study="s", method="IV", tau2="DL")
    b = meta_binary(events_t=df.et, total_t=df.nt, events_c=df.ec, total_c=df.nc, study=df.s, method="IV", tau2="DL")
    assert a.log_estimate == b.log_estimate and list(a.table["study"]) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(measure="HR"), ValueError, "measure must be"),
        (dict(method="GLMM"), ValueError, "method must be"),
        (dict(method="Peto"), ValueError, "Peto's method estimates an odds ratio"),
        (dict(method="MH", tau2="REML"), ValueError, "common-effect method"),
        (dict(method="MH", hksj=True), ValueError, "hksj=True needs method='IV'"),
        (dict(method="IV", tau2="SJ"), ValueError, "tau2 must be"),
        (dict(confidence_level=95), ValueError, "confidence_level"),
        (dict(events_t=[1, 12]), ValueError, "events_t exceeds total_t"),
        (dict(events_t=[1.5, 2]), ValueError, "whole numbers"),
        (dict(events_c=[-1, 2]), ValueError, "must not be negative"),
        (dict(total_c=[0, 10]), ValueError, "total_c must be positive"),
        (dict(events_t=[1, 2, 3]), ValueError, "same length"),
        (dict(events_t="et"), TypeError, "no data frame"),
        (dict(study=["a"]), ValueError, "study has 1 labels"),
        (dict(hksj="yes", method="IV"), TypeError, "hksj must be"),
    ],
)
def test_binary_validation(kwargs, err, match):
    base = dict(events_t=[1, 2], total_t=[10, 10], events_c=[3, 4], total_c=[10, 10])
    base.update(kwargs)
    with pytest.raises(err, match=match):
        meta_binary(**base)


def test_data_must_be_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        meta_binary({"a": [1]}, events_t="a", total_t="a", events_c="a", total_c="a")
    with pytest.raises(ValueError, match="not a column"):
        meta_binary(pd.DataFrame({"a": [1]}), events_t="b", total_t="a", events_c="a", total_c="a")


# --- continuous ----------------------------------------------------------------------------------


def test_wan_derivation_flags_rows():
    res = meta_continuous(mean_t=[28.0, np.nan], sd_t=[15.0, np.nan], n_t=[37, 44], mean_c=[51.0, np.nan],
                          sd_c=[21.0, np.nan], n_c=[38, 44], median_t=[np.nan, 23], q1_t=[np.nan, 16],
                          q3_t=[np.nan, 35], median_c=[np.nan, 33], q1_c=[np.nan, 23], q3_c=[np.nan, 40],
                          study=["askling2013", "vermeulen2022"])
    assert list(res.table["derived"]) == [False, True]
    xi = stats.norm.ppf((0.75 * 44 - 0.125) / (44 + 0.25))
    assert res.table["mean_t"].iat[1] == pytest.approx((16 + 23 + 35) / 3, rel=1e-15)
    assert res.table["sd_t"].iat[1] == pytest.approx((35 - 16) / (2 * xi), rel=1e-14)
    assert any("Wan et al. 2014" in n for n in res.notes)
    # reported mean/SD are never overwritten
    assert res.table["mean_t"].iat[0] == 28.0


def test_wan_sd_tends_to_iqr_over_1349():
    res = meta_continuous(n_t=[10**7], n_c=[10**7], median_t=[0.0], q1_t=[-0.6744897501960817],
                          q3_t=[0.6744897501960817], median_c=[0.0], q1_c=[-1.0], q3_c=[1.0], measure="MD")
    assert res.table["sd_t"].iat[0] == pytest.approx(1.0, rel=1e-6)


def test_smd_is_hedges_g_exact():
    from scipy.special import gammaln

    n1, n2 = 11, 13
    res = meta_continuous(mean_t=[37.4], sd_t=[27.6], n_t=[n1], mean_c=[22.2], sd_c=[8.3], n_c=[n2], measure="SMD")
    m = n1 + n2 - 2
    sp = math.sqrt(((n1 - 1) * 27.6**2 + (n2 - 1) * 8.3**2) / m)
    c = math.exp(gammaln(m / 2) - 0.5 * math.log(m / 2) - gammaln((m - 1) / 2))
    g = c * (37.4 - 22.2) / sp
    assert res.log_estimate == pytest.approx(g, rel=1e-14)
    assert res.se**2 == pytest.approx(1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)), rel=1e-14)


def test_continuous_validation():
    with pytest.raises(ValueError, match="mean_t is missing"):
        meta_continuous(mean_t=[np.nan], sd_t=[1.0], n_t=[5], mean_c=[1.0], sd_c=[1.0], n_c=[5])
    with pytest.raises(TypeError, match="given together"):
        meta_continuous(mean_t=[1.0], sd_t=[1.0], n_t=[5], mean_c=[1.0], sd_c=[1.0], n_c=[5], median_t=[1.0])
    with pytest.raises(ValueError, match="measure must be"):
        meta_continuous(mean_t=[1.0], sd_t=[1.0], n_t=[5], mean_c=[1.0], sd_c=[1.0], n_c=[5], measure="ROM")
    with pytest.raises(ValueError, match="sd_c must be positive"):
        meta_continuous(mean_t=[1.0], sd_t=[1.0], n_t=[5], mean_c=[1.0], sd_c=[0.0], n_c=[5])


def test_generic_ratio_and_validation():
    res = meta_generic([math.log(0.5), math.log(0.7)], [0.1, 0.2], measure="HR")
    assert res.is_ratio and res.estimate == pytest.approx(math.exp(res.log_estimate))
    with pytest.raises(ValueError, match="vi must be positive"):
        meta_generic([0.1], [0.0])
    with pytest.raises(ValueError, match="finite"):
        meta_generic([np.nan], [0.1])


# --- plots ---------------------------------------------------------------------------------------


def test_plots_draw_and_return_axes():
    import matplotlib.pyplot as plt

    res = meta_binary(events_t=[0, 0, 3, 1], total_t=[10, 37, 28, 24], events_c=[0, 1, 2, 6], total_c=[13, 38, 28, 24],
                      study=["dz", "a", "b", "c"], method="IV", tau2="REML", hksj=True)
    fig, ax = plt.subplots()
    assert res.plot_forest(ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert "not estimable" in texts and "0/10" in texts and any("Prediction interval" in t for t in texts)
    assert ax.get_xscale() == "log"
    assert any(line.get_xdata()[0] == 1.0 for line in ax.lines if len(line.get_xdata()) == 2)  # null line
    ax2 = res.plot_funnel()
    assert ax2.get_ylim()[0] > ax2.get_ylim()[1]  # SE axis inverted
    plt.close("all")
    cont = meta_continuous(mean_t=[28.0, 49.0], sd_t=[15.0, 26.0], n_t=[37, 28], mean_c=[51.0, 86.0], sd_c=[21.0, 34.0],
                           n_c=[38, 28])
    ax3 = cont.plot_forest()
    assert ax3.get_xscale() == "linear"
    plt.close("all")
