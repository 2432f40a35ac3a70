"""Cleaning and validation of digitised curves and at-risk tables (reconstruct_ipd's inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hamstudy.reconstruct import reconstruct_ipd
from hamstudy.reconstruct._clean import clean_at_risk, clean_curve

AT_RISK = pd.DataFrame({"time": [0, 10], "n_risk": [10, 5]})


def curve(t, s):
    return pd.DataFrame({"time": t, "survival": s})


def test_percent_is_detected_and_logged():
    c = clean_curve(curve([0, 5, 10], [100, 80, 60]))
    np.testing.assert_array_equal(c.survival, [1.0, 0.8, 0.6])
    assert any("percent" in line for line in c.log)
    # a proportion curve is left alone
    assert not any("percent" in line for line in clean_curve(curve([0, 5], [1, 0.8])).log)


def test_unsorted_points_are_sorted():
    c = clean_curve(curve([10, 0, 5], [0.6, 1, 0.8]))
    np.testing.assert_array_equal(c.time, [0, 5, 10])
    np.testing.assert_array_equal(c.survival, [1, 0.8, 0.6])
    assert "sorted the digitised points by time" in c.log


def test_monotone_by_running_minimum_reports_count_and_largest_adjustment():
    c = clean_curve(curve([0, 1, 2, 3, 4], [1, 0.8, 0.83, 0.7, 0.72]))
    np.testing.assert_allclose(c.survival, [1, 0.8, 0.8, 0.7, 0.7])
    line = next(x for x in c.log if "running minimum" in x)
    assert "2 point(s) lowered" in line and "largest adjustment 0.03" in line


def test_origin_is_prepended_or_set():
    c = clean_curve(curve([2, 4], [0.9, 0.8]))
    assert c.time[0] == 0 and c.survival[0] == 1 and "prepended the point (0, 1)" in c.log
    c = clean_curve(curve([0, 4], [0.97, 0.8]))
    assert c.survival[0] == 1 and any("set survival at time 0 to 1" in x for x in c.log)


def test_duplicate_times_keep_the_lowest_point():
    # a digitised vertical drop: the corner above and the corner below at the same time
    c = clean_curve(curve([0, 5, 5, 9], [1, 0.9, 0.7, 0.7]))
    np.testing.assert_array_equal(c.time, [0, 5, 9])
    np.testing.assert_array_equal(c.survival, [1, 0.7, 0.7])
    assert any("sharing a time" in x for x in c.log)


def test_small_excursions_are_clipped_large_ones_raise():
    c = clean_curve(curve([0, 5, 9], [1.004, 0.5, -0.003]))
    assert c.survival.max() == 1 and c.survival.min() == 0
    assert any("clipped 2" in x for x in c.log)
    with pytest.raises(ValueError, match=r"survival.*\[0, 1\]"):
        clean_curve(curve([0, 5], [1, 1.2]))
    with pytest.raises(ValueError, match=r"survival.*\[0, 1\]"):
        clean_curve(curve([0, 5], [1, -0.05]))


def test_curve_validation_messages():
    with pytest.raises(ValueError, match="missing column.*'survival'"):
        reconstruct_ipd(pd.DataFrame({"time": [0, 1]}), AT_RISK)
    with pytest.raises(TypeError, match="DataFrame"):
        reconstruct_ipd([[0, 1], [1, 0.9]], AT_RISK)
    with pytest.raises(ValueError, match="time.*>= 0.*negative"):
        reconstruct_ipd(curve([-0.5, 1, 10], [1, 0.9, 0.5]), AT_RISK)
    with pytest.raises(ValueError, match="numeric"):
        reconstruct_ipd(curve(["a", "b"], [1, 0.5]), AT_RISK)
    with pytest.raises(ValueError, match="no rows"):
        reconstruct_ipd(curve([], []), AT_RISK)


def test_missing_curve_values_are_dropped_and_logged():
    ipd = reconstruct_ipd(curve([0, 2, np.nan, 10], [1, 0.8, 0.7, 0.5]), AT_RISK)
    assert any("missing time or survival" in x for x in ipd.attrs["cleaning"])


def test_at_risk_validation_messages():
    c = curve([0, 5, 10], [1, 0.8, 0.5])
    with pytest.raises(ValueError, match="must not increase"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0, 5], "n_risk": [10, 12]}))
    with pytest.raises(ValueError, match=r"within the curve's range \[0, 10\]"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0, 12], "n_risk": [10, 2]}))
    with pytest.raises(ValueError, match="must start at time 0"):
        reconstruct_ipd(c, pd.DataFrame({"time": [2, 5], "n_risk": [10, 8]}))
    with pytest.raises(ValueError, match="missing column.*'n_risk'"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0]}))
    with pytest.raises(ValueError, match="whole numbers"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0, 5], "n_risk": [10, 7.5]}))
    with pytest.raises(ValueError, match=">= 0"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0, -1], "n_risk": [10, 7]}))
    with pytest.raises(ValueError, match="duplicate time"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0, 5, 5], "n_risk": [10, 7, 7]}))
    with pytest.raises(ValueError, match="positive"):
        reconstruct_ipd(c, pd.DataFrame({"time": [0], "n_risk": [0]}))
    with pytest.raises(ValueError, match="positive integer"):
        reconstruct_ipd(c, 0)
    with pytest.raises(ValueError, match="whole number"):
        reconstruct_ipd(c, 10.5)


def test_total_events_validation():
    c = curve([0, 5, 10], [1, 0.8, 0.5])
    with pytest.raises(ValueError, match="exceeds"):
        reconstruct_ipd(c, 10, total_events=11)
    with pytest.raises(ValueError, match=">= 0"):
        reconstruct_ipd(c, 10, total_events=-1)
    with pytest.raises(TypeError, match="total_events"):
        reconstruct_ipd(c, 10, total_events="5")
    with pytest.raises(ValueError, match="whole number"):
        reconstruct_ipd(c, 10, total_events=4.5)
    with pytest.raises(ValueError, match="censoring must be one of"):
        reconstruct_ipd(c, 10, censoring="uniform")


def test_at_risk_missing_rows_are_merged_and_zero_tail_dropped():
    r = clean_at_risk(pd.DataFrame({"time": [0, 5, 10, 15, 20], "n_risk": [10, np.nan, 6, 0, 0]}), t_max=25)
    np.testing.assert_array_equal(r.time, [0, 10, 15])
    np.testing.assert_array_equal(r.n_risk, [10, 6, 0])
    assert any("missing value (at time 5)" in x for x in r.log)
    assert any("after the count reached 0 at time 15" in x for x in r.log)


def test_unsorted_at_risk_is_sorted():
    r = clean_at_risk(pd.DataFrame({"time": [10, 0], "n_risk": [6, 10]}), t_max=25)
    np.testing.assert_array_equal(r.time, [0, 10])
    assert "sorted the at-risk table by time" in r.log


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=100, deadline=None)
@given(
    pts=st.lists(st.tuples(st.floats(0, 100), st.floats(0, 1)), min_size=1, max_size=40),
    percent=st.booleans(),
)
def test_cleaned_curve_is_a_survival_curve(pts, percent):
    """Whatever the digitiser produced (within range): times strictly increasing from 0, survival
    non-increasing from 1, every value in [0, 1], and no point raised above its input."""
    t = [p[0] for p in pts]
    s = [p[1] * (100 if percent else 1) for p in pts]
    if percent and max(s) <= 1.5:
        return  # indistinguishable from a proportion curve: not a percent input
    try:
        c = clean_curve(curve(t, s))
    except ValueError as exc:  # only possible message: nothing after time 0
        assert "at least one digitised point after time 0" in str(exc)
        return
    assert c.time[0] == 0 and c.survival[0] == 1
    assert np.all(np.diff(c.time) > 0)
    assert np.all(np.diff(c.survival) <= 0)
    assert c.survival.min() >= 0 and c.survival.max() <= 1
    scaled = np.asarray(s) / (100 if percent else 1)
    for ti, si in zip(c.time[1:], c.survival[1:]):
        assert si <= scaled[np.asarray(t) == ti].min() + 1e-15
