"""The exact inversion of precisely known curves (hamstudy/reconstruct/exact.py).

The reference is the product-limit estimate by hand (``km_points`` below, a loop over distinct
event times) and the truth the curve was made from: a reconstruction from the exact curve must
give back that curve to rounding (1e-12: the same factors multiplied in another order), the
published numbers at risk, and everybody randomised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamstudy.reconstruct import reconstruct_ipd, reconstruction_report
from hamstudy.reconstruct.exact import decimal_places, events_visible, exact_inversion, precision
from km_by_hand import curve, km_points  # tests/km_by_hand.py (pytest puts tests/ on sys.path)


def at_risk_table(time, at):
    return pd.DataFrame({"time": at, "n_risk": [int((np.asarray(time) >= x).sum()) for x in at]})


def km_at(time, event, grid):
    """Right-continuous KM at each grid time, by hand."""
    pts = km_points(time, event)
    idx = np.searchsorted(pts["time"].to_numpy(), grid, side="right") - 1
    return pts["survival"].to_numpy()[idx]


def test_decimal_places():
    assert decimal_places(np.array([1.0, 0.5, 0.25])) == 2
    assert decimal_places(np.array([1.0, 0.9231])) == 4
    assert decimal_places(np.array([1.0, 12 / 13])) is None
    assert decimal_places(np.array([1.0, 0.9])) == 1


def test_zero_of_13_reads_as_13_followed():
    """PATS (Sherry & Best 2004): a flat curve has no drops to read. Its values (all 1) are a
    0-decimal grid, so Guyot's way is taken; the inversion is refused rather than guessed."""
    assert exact_inversion(np.array([0.0, 180, 365]), np.ones(3), np.array([0.0, 180]), np.array([13, 13])) is None
    ipd = reconstruct_ipd(curve([0, 365], [1, 1]), pd.DataFrame({"time": [0, 180], "n_risk": [13, 13]}), total_events=0)
    assert len(ipd) == 13 and ipd["event"].sum() == 0 and (ipd["time"] > 180).all()


def test_six_of_eleven_with_a_tie_and_censoring():
    """A SYNTHETIC STST-like arm (11 athletes, 6 reinjuries, two on day 7, one lost on day 10)."""
    time = np.array([3, 5, 7, 7, 10, 12, 14, 60, 365, 365, 365.0])
    event = np.array([1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    risk = at_risk_table(time, [0, 14, 90, 365])
    ipd = reconstruct_ipd(km_points(time, event), risk, total_events=6)
    assert ipd.attrs["method"].startswith("exact inversion")
    np.testing.assert_array_equal(np.sort(ipd.loc[ipd.event == 1, "time"]), [3, 5, 7, 7, 12, 14])
    cens = np.sort(ipd.loc[ipd.event == 0, "time"])
    # one censoring between days 7 and 12 (read off the drops: 8 at risk at day 7 after 2 events,
    # 6 at risk at day 12), one between day 14 and the at-risk time 90, three at 365
    assert 7 < cens[0] < 12 and 14 < cens[1] < 90 and (cens[2:] == 365).all()
    rep = reconstruction_report(ipd, km_points(time, event), risk)
    assert rep.max_abs_diff <= 1e-12 and (rep.at_risk["difference"] == 0).all()


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    days=st.integers(5, 60),
    censor_share=st.floats(0, 0.8),
    n_table=st.integers(1, 6),
)
def test_exact_curves_are_read_back_exactly(n, seed, days, censor_share, n_table):
    """Small trials on a day scale (so with ties), any censoring, an at-risk table at a few days:
    the reconstruction has the true curve at every time, the published numbers at risk, and
    everybody randomised. When no two events share a day the event total is also exact (with ties
    a drop of 2 among 10 reads the same as 1 among 5; the curve is the same either way)."""
    rng = np.random.default_rng(seed)
    time = rng.integers(1, days + 1, n).astype(float)
    event = (rng.random(n) >= censor_share).astype(int)
    at = np.unique(np.concatenate([[0.0], np.sort(rng.integers(1, days + 1, n_table - 1)).astype(float)]))
    at = at[at <= time.max()]
    risk = at_risk_table(time, at)
    ipd = reconstruct_ipd(km_points(time, event), risk)
    assert len(ipd) == n
    values = km_points(time, event)["survival"].to_numpy()
    if not events_visible(values, precision(values), n):
        # every value a short decimal, too coarse for the trial's size, and no total to check: Guyot's way
        assert ipd.attrs["method"].startswith("Guyot")
        return
    assert ipd.attrs["method"].startswith("exact inversion")
    grid = np.union1d(time, ipd["time"])
    np.testing.assert_allclose(km_at(ipd["time"], ipd["event"], grid), km_at(time, event, grid), rtol=0, atol=1e-12)
    assert [int((ipd["time"] >= x).sum()) for x in at] == risk["n_risk"].tolist()
    event_days = time[event == 1]
    if np.unique(event_days).size == event_days.size:
        assert int(ipd["event"].sum()) == int(event.sum())


def test_coarse_values_fall_back_to_guyot():
    """Values typed to 2 decimals for 200 athletes: one event near S = 0.75 is a drop of 0.004,
    which rounding to 0.01 can hide, so the drops are not read."""
    s = np.array([1, 0.95, 0.90, 0.80, 0.75])
    assert not events_visible(s, precision(s), 200)
    risk = pd.DataFrame({"time": [0, 7], "n_risk": [200, 150]})
    # without a total to check the reading against, it is not attempted
    assert reconstruct_ipd(curve([0, 3, 7, 10, 14], s), risk).attrs["method"].startswith("Guyot")
    # with one, a reading that does not reproduce it is refused (the drops read 1 of 20, 1 of 19,
    # 2 of 18 ... at these counts give nothing near 50)
    assert reconstruct_ipd(curve([0, 3, 7, 10, 14], s), risk, total_events=50).attrs["method"].startswith("Guyot")


def test_two_decimals_are_enough_for_twenty_athletes():
    """The same values for 20 athletes: every event is a drop of at least 0.0375 (S >= 0.75), far
    above the rounding (0.005), and the drops read 1 of 20, 1 of 19, 2 of 18, 1 of 16."""
    s = np.array([1, 0.95, 0.90, 0.80, 0.75])
    assert events_visible(s, precision(s), 20)
    fit = exact_inversion(np.array([0.0, 3, 7, 10, 14]), s, np.array([0.0]), np.array([20]))
    assert fit.n_risk.tolist() == [20, 19, 18, 16] and fit.events.tolist() == [1, 1, 2, 1]
    assert fit.censor_times.size == 15  # nobody censored before the last drop; 15 followed to the end


def test_at_risk_table_contradicting_the_curve_falls_back_to_guyot():
    """12/13 then 11/13 (one event each among 13 and 12) cannot have 5 at risk at day 3."""
    s = curve([0, 2, 4, 9], [1, 12 / 13, 11 / 13, 11 / 13])
    risk = pd.DataFrame({"time": [0, 3], "n_risk": [13, 5]})
    t = np.array([0, 2, 3, 4, 9.0])
    sv = np.array([1, 12 / 13, 12 / 13, 11 / 13, 11 / 13])
    assert exact_inversion(t, sv, np.array([0.0, 3.0]), np.array([13, 5])) is None
    ipd = reconstruct_ipd(s, risk)
    assert ipd.attrs["method"].startswith("Guyot")


def test_full_precision_noise_is_not_mistaken_for_an_exact_curve():
    """A digitised curve (values with many digits, not Kaplan-Meier fractions) takes Guyot's way."""
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 30, 40))
    s = np.sort(rng.uniform(0.3, 1, 40))[::-1]
    ipd = reconstruct_ipd(curve(t, s), pd.DataFrame({"time": [0, 10, 20], "n_risk": [100, 70, 45]}))
    assert ipd.attrs["method"].startswith("Guyot")


@pytest.mark.parametrize("decimals", [4, 5, 6])
def test_rounded_values_are_read_within_their_precision(decimals):
    """The same trial rounded to 4-6 decimals: read back, curve within 10 x half a unit of the
    last place of the digitised values (exact.REPRODUCTION_FACTOR) plus that rounding."""
    rng = np.random.default_rng(11)
    time = np.round(rng.exponential(20, 120), 3)
    event = (rng.random(120) < 0.7).astype(int)
    pts = km_points(time, event)
    pts["survival"] = pts["survival"].round(decimals)
    risk = at_risk_table(time, [0, 10, 20, 30, 40])
    ipd = reconstruct_ipd(pts, risk, total_events=int(event.sum()))
    assert ipd.attrs["method"].startswith("exact inversion")
    grid = np.union1d(time, ipd["time"])
    h = 0.5 * 10.0**-decimals
    assert np.max(np.abs(km_at(ipd["time"], ipd["event"], grid) - km_at(time, event, grid))) <= 11 * h
    assert [int((ipd["time"] >= x).sum()) for x in risk["time"]] == risk["n_risk"].tolist()
