"""Tiny trials, zero cells, exact cases, edge cases of the inputs, the report and reconstruct_arms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hamstudy
from hamstudy._result import FRAME_COLUMNS
from hamstudy.reconstruct import ReconstructionReport, reconstruct_arms, reconstruct_ipd, reconstruction_report
from hamstudy.reconstruct.guyot import _search
from km_by_hand import curve, km_points  # tests/km_by_hand.py (pytest puts tests/ on sys.path)

MODES = ["adaptive", "even"]


@pytest.mark.parametrize("mode", MODES)
def test_zero_events_arm_0_of_13(mode):
    """PATS in Sherry & Best (2004): 0/13 re-injured - a flat curve gives 13 censored athletes."""
    ipd = reconstruct_ipd(curve([0, 365], [1, 1]), pd.DataFrame({"time": [0, 180], "n_risk": [13, 13]}),
                          total_events=0, arm="PATS", censoring=mode)
    assert len(ipd) == 13 and ipd["event"].sum() == 0
    assert (ipd["time"] > 180).all()  # nobody left before the published 13 at day 180
    assert list(ipd.columns) == ["time", "event", "arm"] and (ipd["arm"] == "PATS").all()


@pytest.mark.parametrize("mode", MODES)
def test_all_events_no_censoring_is_exact(mode):
    time = np.array([1, 2, 2, 3, 5.0])
    ipd = reconstruct_ipd(km_points(time, np.ones(5)), 5, total_events=5, censoring=mode)
    np.testing.assert_array_equal(ipd["time"], time)
    np.testing.assert_array_equal(ipd["event"], 1)


@pytest.mark.parametrize("mode", MODES)
def test_one_participant(mode):
    ipd = reconstruct_ipd(curve([0, 4], [1, 0]), 1, censoring=mode)
    assert ipd["time"].tolist() == [4.0] and ipd["event"].tolist() == [1]
    ipd = reconstruct_ipd(curve([0, 4], [1, 1]), 1, censoring=mode)
    assert ipd["time"].tolist() == [4.0] and ipd["event"].tolist() == [0]


@pytest.mark.parametrize("mode", MODES)
def test_sherry_best_like_six_of_eleven_within_14_days(mode):
    """A SYNTHETIC STST arm: 6/11 re-injured at days 3, 5, 7, 9, 12, 14; one censored at day 30;
    the other 4 followed to day 365. At-risk table and total events as a paper would print them."""
    time = np.array([3, 5, 7, 9, 12, 14, 30, 365, 365, 365, 365.0])
    event = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    risk = pd.DataFrame({"time": [0, 14, 90, 365], "n_risk": [11, 6, 4, 4]})
    ipd = reconstruct_ipd(km_points(time, event), risk, total_events=6, censoring=mode)
    np.testing.assert_array_equal(np.sort(ipd.loc[ipd.event == 1, "time"]), [3, 5, 7, 9, 12, 14])
    cens = np.sort(ipd.loc[ipd.event == 0, "time"])
    assert len(cens) == 5 and 14 < cens[0] < 90 and (cens[1:] == 365).all()
    rep = reconstruction_report(ipd, km_points(time, event), risk)
    assert rep.max_abs_diff < 1e-12
    assert (rep.at_risk["difference"] == 0).all()


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
    censor_share=st.floats(0, 0.8),
    mode=st.sampled_from(MODES),
)
def test_exact_when_numbers_at_risk_are_printed_at_every_observed_time(n, seed, censor_share, mode):
    """With exact step points and the number at risk at every distinct observed time, the censorings
    between two printed times are known exactly, so the Kaplan-Meier curve and the event total are
    reproduced exactly (up to float rounding) - including ties, all-censored and all-event arms."""
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 12, n).astype(float)
    event = (rng.random(n) >= censor_share).astype(int)
    obs = np.unique(time)
    risk = pd.DataFrame({"time": np.concatenate([[0.0], obs]), "n_risk": [n] + [(time >= u).sum() for u in obs]})
    pts = km_points(time, event)
    ipd = reconstruct_ipd(pts, risk, censoring=mode)
    assert ipd["event"].sum() == event.sum()
    assert len(ipd) == n
    rep = reconstruction_report(ipd, pts, risk)
    assert rep.max_abs_diff < 1e-12
    assert (rep.at_risk["difference"] == 0).all()


def test_curve_dropping_to_zero_with_inconsistent_later_count():
    """The curve reaches 0 but the table still prints 2 at risk later: the zero wins, with a note."""
    c = curve([0, 2, 4, 6, 10], [1, 0.5, 0.25, 0, 0])
    ipd = reconstruct_ipd(c, pd.DataFrame({"time": [0, 8], "n_risk": [8, 2]}))
    assert ipd["event"].sum() == 8
    assert any("not the published 2" in x for x in ipd.attrs["notes"])


def test_at_risk_zero_before_the_end_truncates_the_curve():
    c = curve([0, 2, 4, 6, 9, 12], [1, 0.8, 0.6, 0.6, 0.6, 0.6])
    ipd = reconstruct_ipd(c, pd.DataFrame({"time": [0, 5, 8, 10], "n_risk": [10, 6, 0, 0]}))
    assert any("number at risk reaches 0" in x for x in ipd.attrs["cleaning"])
    assert ipd["time"].max() <= 8 and ipd["event"].sum() == 4 and len(ipd) == 10


def test_missing_at_risk_value_merges_intervals():
    time = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10.0] * 2)
    event = np.tile([1, 0], 10)
    pts = km_points(time, event)
    full = pd.DataFrame({"time": [0, 3, 6, 9], "n_risk": [(time >= u).sum() for u in (0, 3, 6, 9)]})
    holed = full.copy()
    holed.loc[2, "n_risk"] = np.nan
    ipd = reconstruct_ipd(pts, holed, total_events=10)
    assert any("missing value (at time 6)" in x for x in ipd.attrs["cleaning"])
    rep = reconstruction_report(ipd, pts, holed)
    assert np.isnan(rep.at_risk.loc[2, "difference"])
    assert (rep.at_risk["difference"].drop(2) == 0).all()
    assert rep.max_abs_diff <= 0.02


def test_flat_tail_with_heavy_censoring():
    """Events early, then a long flat tail in which most of the arm is censored."""
    time = np.concatenate([np.arange(1, 21, dtype=float), np.linspace(25, 100, 80)])
    event = np.concatenate([np.ones(20, int), np.zeros(80, int)])
    pts = km_points(time, event)
    risk_t = [0, 20, 40, 60, 80, 100]
    risk = pd.DataFrame({"time": risk_t, "n_risk": [(time >= u).sum() for u in risk_t]})
    for mode in MODES:
        ipd = reconstruct_ipd(pts, risk, total_events=20, censoring=mode)
        rep = reconstruction_report(ipd, pts, risk)
        assert ipd["event"].sum() == 20 and rep.max_abs_diff < 1e-12
        assert (rep.at_risk["difference"] == 0).all()


def test_number_randomised_only_and_no_table():
    pts = curve([0, 2, 5, 9], [1, 0.9, 0.75, 0.6])
    ipd = reconstruct_ipd(pts, 20, total_events=8)
    assert len(ipd) == 20 and ipd["event"].sum() == 8
    assert "the number randomised only" in ipd.attrs["method"]
    ipd = reconstruct_ipd(pts, total_events=8)  # N inferred as 8 / (1 - 0.6) = 20, no censoring
    assert len(ipd) == 20 and any("assumes no censoring" in x for x in ipd.attrs["cleaning"])
    with pytest.raises(ValueError, match="at_risk is needed"):
        reconstruct_ipd(pts)
    with pytest.raises(ValueError, match="cannot be inferred"):
        reconstruct_ipd(curve([0, 9], [1, 1]), total_events=0)


def test_output_layout_and_attrs():
    ipd = reconstruct_ipd(curve([0, 3, 7, 10, 14, 30], [100, 90, 70, 60, 45, 45]),
                          pd.DataFrame({"time": [0, 14], "n_risk": [20, 12]}), total_events=11)
    assert list(ipd.columns) == ["time", "event"]
    assert ipd["time"].is_monotonic_increasing
    assert set(ipd["event"].unique()) <= {0, 1}
    assert set(ipd.attrs) == {"cleaning", "notes", "method"}
    assert all(isinstance(x, str) for x in ipd.attrs["cleaning"] + ipd.attrs["notes"])
    assert ipd.attrs["method"].startswith(("Guyot", "exact inversion"))


def test_search_guard_stops_a_cycling_update():
    """The published while-loop can cycle for ever; the search stops and keeps the closest count."""
    calls = []

    def run(c):  # an interval whose at-risk count jumps over the target: 4 -> 12, 6 -> 8, 4 -> ...
        calls.append(c)
        return 12 if c <= 4 else 8

    c, result, converged = _search(run, 4, 10, upper=50)
    assert not converged and calls == [4, 6, 4] and (c, result) == (4, 12)

    def diverge(c):  # would push the count up for ever without the cap (0, 2, 4, 6, 7, 7)
        return 12

    c, result, converged = _search(diverge, 0, 10, upper=7)
    assert not converged and (c, result) == (0, 12)  # all counts tie: the fewest censorings


def test_top_level_exports():
    assert hamstudy.reconstruct_ipd is reconstruct_ipd
    assert hamstudy.reconstruction_report is reconstruction_report


# ---- the report --------------------------------------------------------------------------------

def _example():
    pts = curve([0, 3, 7, 10, 14, 30], [1, 0.9, 0.7, 0.6, 0.45, 0.45])
    risk = pd.DataFrame({"time": [0, 14], "n_risk": [20, 12]})
    return reconstruct_ipd(pts, risk, total_events=11), pts, risk


def test_report_fields_frame_and_html():
    ipd, pts, risk = _example()
    rep = reconstruction_report(ipd, pts, risk)
    assert isinstance(rep, ReconstructionReport)
    with pytest.raises(AttributeError):
        rep.max_abs_diff = 1.0  # frozen
    frame = rep.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert list(frame.index) == ["max_abs_diff", "mean_abs_diff", "max_abs_at_risk_diff", "n", "n_events"]
    assert frame.loc["n", "estimate"] == 20 and frame.loc["n_events", "estimate"] == 11
    assert "<table" in rep._repr_html_()
    assert list(rep.at_risk.columns) == ["time", "n_risk_published", "n_risk_reconstructed", "difference"]
    assert len(rep.curve) == 6  # every digitised point, (0, 1) included since it was digitised
    # a (0, 1) added by the cleaning is not compared
    assert len(reconstruction_report(ipd, pts.iloc[1:], risk).curve) == 5


def test_report_detects_disagreement():
    ipd, pts, risk = _example()
    wrong = pd.DataFrame({"time": [0, 14], "n_risk": [20, 15]})
    rep = reconstruction_report(ipd, pts, wrong)
    assert rep.at_risk["difference"].tolist() == [0, -3]
    assert rep.max_abs_at_risk_diff == 3
    other = curve([0, 3, 7, 10, 14, 30], [1, 0.95, 0.8, 0.6, 0.45, 0.45])
    assert reconstruction_report(ipd, other, risk).max_abs_diff == pytest.approx(0.1)


def test_report_without_table_and_validation():
    ipd, pts, _ = _example()
    rep = reconstruction_report(ipd, pts)
    assert rep.at_risk.empty and np.isnan(rep.max_abs_at_risk_diff)
    with pytest.raises(ValueError, match="time and event"):
        reconstruction_report(pd.DataFrame({"t": [1]}), pts)


def test_report_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ipd, pts, risk = _example()
    rep = reconstruction_report(ipd, pts, risk)
    fig, ax = plt.subplots()
    assert rep.plot(ax=ax) is ax
    assert len(ax.lines) == 2  # step curve and digitised points
    texts = [t.get_text() for t in ax.texts]
    assert "published" in texts and "reconstructed" in texts and "12" in texts
    plt.close(fig)
    ax2 = rep.plot()
    plt.close(ax2.figure)


# ---- reconstruct_arms (the trial loader's entry point) -----------------------------------------

def _two_arms():
    c = pd.DataFrame({
        "arm": ["STST"] * 4 + ["PATS"] * 2,
        "time": [0, 5, 10, 30, 0, 30],
        "survival": [1, 0.8, 0.6, 0.6, 1, 1],
    })
    r = pd.DataFrame({"arm": ["STST", "STST", "PATS"], "time": [0, 10, 0], "n_risk": [10, 8, 13]})
    return c, r


def test_reconstruct_arms_layout():
    c, r = _two_arms()
    ipd = reconstruct_arms(c, r, total_events={"STST": 4})
    assert list(ipd.columns) == ["participant_id", "arm", "time", "event"]
    assert ipd["participant_id"].is_unique
    assert ipd.groupby("arm", sort=False)["event"].sum().to_dict() == {"STST": 4, "PATS": 0}
    assert ipd.groupby("arm", sort=False).size().to_dict() == {"STST": 10, "PATS": 13}
    assert list(pd.unique(ipd["arm"])) == ["STST", "PATS"]
    assert ipd["participant_id"].iloc[0] == "STST-01"
    assert all(line.split(":")[0] in {"STST", "PATS"} for line in ipd.attrs["cleaning"])
    # the per-arm report works on the combined frame
    rep = reconstruction_report(ipd, c, r, arm="STST")
    assert (rep.at_risk["difference"] == 0).all()


def test_reconstruct_arms_and_arm_selection_errors():
    c, r = _two_arms()
    with pytest.raises(ValueError, match="missing column 'arm'"):
        reconstruct_arms(c.drop(columns="arm"), r)
    with pytest.raises(ValueError, match="no digitised curve"):
        reconstruct_arms(c[c.arm == "STST"], r)
    with pytest.raises(ValueError, match="no rows for arm 'PATS'"):
        reconstruct_arms(c, r[r.arm == "STST"])
    with pytest.raises(ValueError, match="mapping"):
        reconstruct_arms(c, r, total_events=4)
    with pytest.raises(ValueError, match="not in curve_df"):
        reconstruct_arms(c, r, total_events={"X": 1})
    with pytest.raises(ValueError, match="holds 2 arms"):
        reconstruct_ipd(c, r)
    one = reconstruct_ipd(c, r, arm="PATS")
    assert len(one) == 13 and (one["arm"] == "PATS").all()
