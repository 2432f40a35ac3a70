"""Kaplan-Meier and RMST against R survival (tests/reference/survival_np.R) and by construction."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hamstudy.survival import KaplanMeierResult, kaplan_meier, rmst

REF = Path(__file__).parent / "reference"

# Tolerances. The survival curve is a running product of up to 300 factors (n - d) / n; R's C code
# and numpy round each product once, so the two can differ by about n * eps = 300 * 1.1e-16 =
# 3.3e-14 in relative terms (observed max 1.9e-14). The Greenwood SE and the bands are smooth
# functions of it, the log-log band amplifying by |1 / log S| (observed max 2.6e-13). 1e-12
# relative leaves a margin of about 4 over the worst case and is far below any statistical meaning.
RTOL = 1e-12
# Medians are observed times or midpoints of two: exact up to the last bit of a midpoint.
MEDIAN_RTOL = 1e-15


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


@pytest.fixture(scope="module")
def data() -> dict:
    """Reference datasets by id."""
    frame = _read("survival_np_data.csv")
    return {k: g for k, g in frame.groupby("dataset", sort=False)}


def _assert_close(ours, ref, rtol, what):
    ours = np.asarray(ours, dtype=float)
    ref = np.asarray(ref, dtype=float)
    both = np.isfinite(ref)
    np.testing.assert_allclose(ours[both], ref[both], rtol=rtol, atol=0, err_msg=what)


def test_reference_files_record_versions():
    versions = dict(_read("survival_np_versions.csv").to_numpy())
    assert versions["survival"].startswith("3.")
    meta = _read("survival_np_datasets.csv")
    generated = meta[meta.dataset.str.startswith("g")]
    assert len(generated) >= 100
    assert generated.n.min() <= 5 and generated.n.max() >= 300
    assert {"aml", "ovarian"} <= set(meta.dataset)


# ---------------------------------------------------------------- zero cells and tiny samples first


def test_all_censored_curve_stays_at_one():
    res = kaplan_meier([3, 5, 5, 8], [0, 0, 0, 0])
    tab = res.table
    assert list(tab.columns) == ["time", "n_risk", "n_event", "n_censor", "survival", "std_err", "ci_low", "ci_high"]
    assert tab.time.tolist() == [3, 5, 8]
    assert tab.n_risk.tolist() == [4, 3, 1] and tab.n_censor.tolist() == [1, 2, 1]
    assert (tab.survival == 1).all() and (tab.std_err == 0).all()
    assert (tab.ci_low == 1).all() and (tab.ci_high == 1).all()
    assert math.isnan(res.median.estimate) and math.isnan(res.median.ci_low)
    assert res.median.ci_high == math.inf
    assert "not reached" in res.median.method


def test_single_subject_with_event():
    res = kaplan_meier([4.0], [1])
    row = res.table.iloc[0]
    assert (row.n_risk, row.n_event, row.survival) == (1, 1, 0.0)
    # everybody at risk fails: Greenwood variance infinite and S = 0, so SE and band are NaN (as R)
    assert math.isnan(row.std_err) and math.isnan(row.ci_low) and math.isnan(row.ci_high)
    assert res.median.estimate == 4.0


def test_sherry_best_synthetic_arms():
    from hamstudy import datasets

    ipd = datasets.load("sherry_best_2004_synthetic_ipd").participants
    stst = ipd[ipd.arm == "STST"]
    pats = ipd[ipd.arm == "PATS"]
    km_s = kaplan_meier(stst.time, stst.event)
    km_p = kaplan_meier(pats.time, pats.event)
    # 6/11 STST reinjured by day 14 with nobody censored before: S(14) = 5/11
    assert km_s.at([14])[0] == pytest.approx(5 / 11, rel=1e-15)
    # no PATS reinjury by day 14
    assert km_p.at([14])[0] == 1.0
    assert km_p.table.n_event.sum() == 1


def test_at_is_right_continuous_step():
    res = kaplan_meier([2, 4, 4, 6, 9], [1, 1, 0, 1, 0])
    s = res.table.set_index("time").survival
    got = res.at([0, 1.99, 2, 3, 4, 5.5, 6, 9, 100])
    expected = [1, 1, s[2], s[2], s[4], s[4], s[6], s[9], s[9]]
    np.testing.assert_array_equal(got, expected)
    assert s[2] == 0.8 and s[4] == pytest.approx(0.8 * 3 / 4, rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(time=[1, -2], event=[1, 0]), ValueError),
        (dict(time=[1, np.nan], event=[1, 0]), ValueError),
        (dict(time=[1, 2], event=[1, 2]), ValueError),
        (dict(time=[1, 2, 3], event=[1, 0]), ValueError),
        (dict(time=[], event=[]), ValueError),
        (dict(time=[1, 2], event=[1, 0], conf_type="logit"), ValueError),
        (dict(time=[1, 2], event=[1, 0], confidence_level=1.5), ValueError),
        (dict(time=["a", "b"], event=[1, 0]), TypeError),
    ],
)
def test_kaplan_meier_validation(kwargs, exc):
    with pytest.raises(exc):
        kaplan_meier(kwargs.pop("time"), kwargs.pop("event"), **kwargs)


# ---------------------------------------------------------------- against R survfit


@pytest.mark.parametrize("conf_type", ["log-log", "log", "plain"])
def test_kaplan_meier_matches_r_survfit(data, conf_type):
    km_ref = _read("survival_np_km.csv")
    km_ref = km_ref[km_ref.conf_type == conf_type]
    summary = _read("survival_np_km_summary.csv")
    summary = summary[summary.conf_type == conf_type].set_index("dataset")
    checked = 0
    for did, ref in km_ref.groupby("dataset", sort=False):
        d = data[did]
        res = kaplan_meier(d.time, d.status, conf_type=conf_type)
        tab = res.table
        assert res.conf_type == conf_type
        assert len(tab) == len(ref), did
        np.testing.assert_array_equal(tab.time, ref.time)
        for col in ("n_risk", "n_event", "n_censor"):
            np.testing.assert_array_equal(tab[col], ref[col], err_msg=f"{did} {col}")
        _assert_close(tab.survival, ref.surv, RTOL, f"{did} survival")
        _assert_close(tab.std_err, ref.std_err, RTOL, f"{did} std_err")
        _assert_close(tab.ci_low, ref.lower, RTOL, f"{did} lower")
        _assert_close(tab.ci_high, ref.upper, RTOL, f"{did} upper")
        # where R has NA: S = 0 (we give NaN), or S = 1 on the log-log scale (we give [1, 1])
        for ours, theirs in ((tab.ci_low, ref.lower), (tab.ci_high, ref.upper), (tab.std_err, ref.std_err)):
            na = ~np.isfinite(theirs.to_numpy())
            surv = tab.survival.to_numpy()[na]
            vals = ours.to_numpy()[na]
            assert np.all((np.isnan(vals) & (surv == 0)) | ((vals == 1) & (surv == 1)) | (np.isnan(vals) & np.isnan(vals))), did
            assert np.all((surv == 0) | (surv == 1)), did
        # median and its CI as print.survfit
        s = summary.loc[did]
        for ours, theirs in ((res.median.estimate, s["median"]), (res.median.ci_low, s["lcl"])):
            if np.isnan(theirs):
                assert np.isnan(ours), did
            else:
                assert ours == pytest.approx(theirs, rel=MEDIAN_RTOL, abs=0), did
        if np.isnan(s["ucl"]):
            assert res.median.ci_high == math.inf, did
        else:
            assert res.median.ci_high == pytest.approx(s["ucl"], rel=MEDIAN_RTOL, abs=0), did
        checked += 1
    assert checked >= 120


def test_kaplan_meier_matches_lifelines_curve(data):
    from lifelines import KaplanMeierFitter

    d = data["ovarian"]
    res = kaplan_meier(d.time, d.status)
    kmf = KaplanMeierFitter().fit(d.time, d.status)
    sf = kmf.survival_function_.iloc[1:, 0]  # lifelines adds a row at time 0
    np.testing.assert_allclose(res.table.survival, sf.to_numpy(), rtol=1e-13)
    np.testing.assert_array_equal(res.table.time, sf.index.to_numpy())


def test_result_frame_and_html():
    res = kaplan_meier([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 0])
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert frame.index.tolist() == ["median"]
    assert frame.loc["median", "estimate"] == 3.5  # S = 0.5 on [3, 4): midpoint, as R prints
    assert "<table" in res._repr_html_()
    assert isinstance(res, KaplanMeierResult)


# ---------------------------------------------------------------- plots


def test_km_plot_at_risk_table_aligned_with_ticks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hamstudy.survival.plots import plot_km

    a = kaplan_meier([1, 2, 6, 11, 12, 14, 117, 178, 365, 365, 365], [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0])
    b = kaplan_meier([193] + [365] * 12, [1] + [0] * 12)
    ticks = [0, 100, 200, 300, 365]
    ax = plot_km({"STST": a, "PATS": b}, times=ticks)
    try:
        np.testing.assert_array_equal(ax.get_xticks(), ticks)
        numbers = [t for t in ax.texts if t.get_text().isdigit()]
        assert len(numbers) == 2 * len(ticks)
        xs = sorted({t.get_position()[0] for t in numbers})
        assert xs == ticks  # every at-risk number sits exactly at a tick (data x coordinate)
        stst = [int(t.get_text()) for t in numbers[: len(ticks)]]
        pats = [int(t.get_text()) for t in numbers[len(ticks) :]]
        assert stst == [11, 5, 3, 3, 3]  # at risk = follow-up >= t
        assert pats == [13, 13, 12, 12, 12]
        assert ax.get_legend() is not None
        ax2 = a.plot()
        assert ax2 is not ax and len(ax2.lines) >= 1
    finally:
        plt.close("all")


# ---------------------------------------------------------------- RMST

# RMST is a sum of rectangle areas, its variance a sum of squares: R and we add the same terms in the
# same order (survmean's code is transcribed), so agreement is near eps (observed 3.5e-16 and
# 1.9e-15); 1e-13 allows for the running product of the curve as above.
RMST_RTOL = 1e-13


def test_rmst_matches_r_print_survfit(data):
    ref_all = _read("survival_np_rmst.csv")
    summary = _read("survival_np_km_summary.csv")
    summary = summary[summary.conf_type == "log"].set_index("dataset")
    for did, ref in ref_all.groupby("dataset", sort=False):
        d = data[did]
        tau = float(ref.tau.iloc[0])
        res = rmst(d.time, d.status, d.group, tau=tau)
        assert res.table.group.tolist() == ref.group.tolist()
        np.testing.assert_allclose(res.table.rmst, ref.rmean, rtol=RMST_RTOL, err_msg=did)
        np.testing.assert_allclose(res.table.std_err, ref.se_rmean, rtol=RMST_RTOL, atol=1e-300, err_msg=did)
        one = rmst(d.time, d.status, tau=tau).table.iloc[0]
        assert one.group == "all"
        assert one.rmst == pytest.approx(summary.loc[did, "rmean"], rel=RMST_RTOL)
        assert one.std_err == pytest.approx(summary.loc[did, "se_rmean"], rel=RMST_RTOL, abs=1e-300)


def test_rmst_zero_event_arm_and_difference():
    # PATS-like arm without events: RMST = tau exactly, SE 0
    time = [1, 2, 6, 11, 12, 14, 117, 178, 365, 365, 365] + [365] * 13
    event = [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0] + [0] * 13
    group = ["STST"] * 11 + ["PATS"] * 13
    res = rmst(time, event, group, tau=365)
    tab = res.table.set_index("group")
    assert tab.loc["PATS", "rmst"] == 365.0 and tab.loc["PATS", "std_err"] == 0.0
    r_p, r_s = tab.loc["PATS", "rmst"], tab.loc["STST", "rmst"]
    s_s = tab.loc["STST", "std_err"]
    # groups sorted: PATS first, so the difference is STST - PATS
    assert res.difference.estimate == pytest.approx(r_s - r_p, rel=1e-15)
    assert "STST - PATS" in res.difference.method
    z = 1.959963984540054
    assert res.difference.ci_low == pytest.approx(r_s - r_p - z * s_s, rel=1e-12)
    from scipy import stats

    assert res.difference.pvalue == pytest.approx(2 * stats.norm.sf(abs(r_s - r_p) / s_s), rel=1e-12)
    se_log = s_s / r_s
    assert res.ratio.estimate == pytest.approx(r_s / r_p, rel=1e-15)
    assert res.ratio.ci_high == pytest.approx(r_s / r_p * math.exp(z * se_log), rel=1e-12)
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert {"rmst[PATS]", "rmst[STST]", "rmst_difference", "rmst_ratio"} <= set(frame.index)


def test_rmst_tau_beyond_last_time_extends_flat():
    time, event = [2, 3, 5, 8], [1, 0, 1, 0]
    last = rmst(time, event, tau=8).table.iloc[0]
    beyond = rmst(time, event, tau=18).table.iloc[0]
    s_last = kaplan_meier(time, event).at([8])[0]
    assert beyond.rmst == pytest.approx(last.rmst + 10 * s_last, rel=1e-15)
    # tau before the first time: the whole area is tau, no variance
    early = rmst(time, event, tau=1.5).table.iloc[0]
    assert (early.rmst, early.std_err) == (1.5, 0.0)


def test_rmst_variance_is_not_lifelines_truncated_variance(data):
    """lifelines returns Var[min(T, tau)] (issue #1682); ours is the sampling variance (= R's)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    import warnings

    d = data["aml"]
    ours = rmst(d.time, d.status, tau=30).table.iloc[0]
    kmf = KaplanMeierFitter().fit(d.time, d.status)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns that it approximates from the curve
        _, var = restricted_mean_survival_time(kmf.survival_function_, t=30, return_variance=True)
    # R: se(rmean) = 2.007 (checked in test_rmst_matches_r_print_survfit); lifelines' sqrt(var) is
    # the SD of min(T, 30) itself, about 10: five times too large for inference.
    assert math.sqrt(var) > 3 * ours.std_err


@pytest.mark.parametrize("tau", [0, -1, float("nan"), float("inf")])
def test_rmst_rejects_bad_tau(tau):
    with pytest.raises(ValueError, match="tau"):
        rmst([1, 2], [1, 0], tau=tau)


def test_rmst_rejects_non_numeric_tau():
    with pytest.raises(TypeError, match="tau"):
        rmst([1, 2], [1, 0], tau="a year")
