"""Schoenfeld events and log-rank sample size (hamstudy.design.logrank_size) against R."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from hamstudy.design import event_probability, events_logrank, power_logrank, sample_size_logrank

REF = pd.read_csv(Path(__file__).parent / "reference" / "design_logrank.csv")
ROWS = REF.to_dict("records")


def _design(row):
    return dict(
        control_median=row["control_median"], accrual=row["accrual"], follow_up=row["follow_up"],
        alpha=row["alpha"], power=row["power"], allocation=row["allocation"], dropout_rate=row["dropout_rate"],
    )


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"scenario{r['id']}")
def test_events_logrank_matches_closed_form(row):
    got = events_logrank(row["hazard_ratio"], alpha=row["alpha"], power=row["power"], allocation=row["allocation"])
    exact = row["events_schoenfeld"]
    # the R value is not within rounding of an integer, so the ceiling is unambiguous
    assert abs(exact - round(exact)) > 1e-6
    assert got == math.ceil(exact)


def test_events_logrank_textbook_values():
    # 4 (z_.975 + z_.9)^2 / log(2)^2 = 87.5 and 4 (z_.975 + z_.8)^2 / log(2)^2 = 65.3
    assert events_logrank(0.5, power=0.9) == 88
    assert events_logrank(0.5) == 66
    # symmetric in the allocation and in the direction of the effect
    assert events_logrank(0.6, allocation=0.3) == events_logrank(0.6, allocation=0.7)
    assert events_logrank(2.0) == events_logrank(0.5)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"scenario{r['id']}")
def test_event_probability_matches_numerical_integration(row):
    lam1 = math.log(2.0) / row["control_median"]
    p = event_probability([lam1, row["hazard_ratio"] * lam1], accrual=row["accrual"], follow_up=row["follow_up"],
                          dropout_rate=row["dropout_rate"])
    # R integrates with rel.tol 1e-13; the closed form here differs only by rounding
    assert p[0] == pytest.approx(row["event_probability1"], rel=1e-11)
    assert p[1] == pytest.approx(row["event_probability2"], rel=1e-11)


@pytest.mark.parametrize("method, column", [("lachin-foulkes", "n_lachin_foulkes"), ("schoenfeld", "n_schoenfeld"),
                                            ("freedman", "n_freedman")])
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"scenario{r['id']}")
def test_sample_size_logrank_matches_r(row, method, column):
    res = sample_size_logrank(row["hazard_ratio"], method=method, **_design(row))
    # unrounded totals: formulas agree to rounding, event probabilities to the integration tolerance
    assert res.n_exact == pytest.approx(row[column], rel=1e-10)
    q1 = row["allocation"]
    assert res.n1 == math.ceil(q1 * row[column] - 1e-9)
    assert res.n2 == math.ceil((1 - q1) * row[column] - 1e-9)
    assert res.total == res.n1 + res.n2
    if method == "schoenfeld":
        assert res.events == math.ceil(row["events_schoenfeld"])
    elif method == "freedman":
        assert res.events == math.ceil(row["events_freedman"])
    else:
        expected = row[column] * (q1 * row["event_probability1"] + (1 - q1) * row["event_probability2"])
        assert res.events == math.ceil(expected)
    assert res.method == method


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"scenario{r['id']}")
def test_power_logrank_matches_r(row):
    got = power_logrank(40, 40, row["hazard_ratio"], control_median=row["control_median"], accrual=row["accrual"],
                        follow_up=row["follow_up"], dropout_rate=row["dropout_rate"], alpha=row["alpha"])
    assert got == pytest.approx(row["power_40_40"], rel=1e-12)


def test_seed_case_two_week_window():
    # 6/11 reinjured by day 14 in the control arm: median = 14 log 2 / -log(1 - 6/11)
    median = 14 * math.log(2) / -math.log(1 - 6 / 11)
    res = sample_size_logrank(0.1, control_median=median, follow_up=14)
    assert res.event_probability1 == pytest.approx(6 / 11, rel=1e-12)
    assert res.n1 == res.n2 and res.events <= res.total


def test_control_rate_equals_control_median():
    a = sample_size_logrank(0.5, control_median=100, accrual=50, follow_up=100)
    b = sample_size_logrank(0.5, control_rate=math.log(2) / 100, accrual=50, follow_up=100)
    assert (a.n1, a.n2, a.events) == (b.n1, b.n2, b.events)
    assert a.n_exact == pytest.approx(b.n_exact, rel=1e-14)


def test_more_follow_up_needs_fewer_athletes_but_same_schoenfeld_events():
    short = sample_size_logrank(0.5, control_median=100, follow_up=50, method="schoenfeld")
    long = sample_size_logrank(0.5, control_median=100, follow_up=400, method="schoenfeld")
    assert long.total < short.total
    assert long.events == short.events == events_logrank(0.5)


def test_frame():
    res = sample_size_logrank(0.5, control_median=100, follow_up=100)
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert frame.loc["total", "estimate"] == res.total
    assert "Lachin-Foulkes" in res._repr_html_()


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda: events_logrank(1.0), ValueError),
        (lambda: events_logrank(-0.5), ValueError),
        (lambda: events_logrank("0.5"), TypeError),
        (lambda: events_logrank(0.5, allocation=1.0), ValueError),
        (lambda: events_logrank(0.5, power=1.2), ValueError),
        (lambda: sample_size_logrank(0.5, follow_up=10), ValueError),
        (lambda: sample_size_logrank(0.5, control_median=10, control_rate=0.1, follow_up=10), ValueError),
        (lambda: sample_size_logrank(0.5, control_median=10, follow_up=-1), ValueError),
        (lambda: sample_size_logrank(0.5, control_median=10, follow_up=0, accrual=0), ValueError),
        (lambda: sample_size_logrank(0.5, control_median=10, follow_up=10, method="lakatos"), ValueError),
        (lambda: sample_size_logrank(0.5, control_median=10, follow_up=10, dropout_rate=-0.1), ValueError),
        (lambda: power_logrank(0, 10, 0.5, control_median=10, follow_up=10), ValueError),
    ],
)
def test_invalid_arguments(call, exc):
    with pytest.raises(exc):
        call()


@pytest.mark.parametrize("method", ["lachin-foulkes", "schoenfeld"])
@pytest.mark.parametrize("accrual", [0.0, 120.0])
def test_follow_up_logrank_inverts_sample_size(method, accrual):
    from hamstudy.design import follow_up_logrank

    f = follow_up_logrank(0.4, 60, control_median=90, accrual=accrual, method=method, dropout_rate=0.0005)
    res = sample_size_logrank(0.4, control_median=90, accrual=accrual, follow_up=f, method=method, dropout_rate=0.0005)
    # brentq to rtol 1e-12 on a smooth, monotone function
    assert res.n_exact == pytest.approx(60, rel=1e-9)
    shorter = sample_size_logrank(0.4, control_median=90, accrual=accrual, follow_up=0.99 * f, method=method,
                                  dropout_rate=0.0005)
    assert shorter.n_exact > 60


def test_follow_up_logrank_limits():
    from hamstudy.design import follow_up_logrank

    # accrual alone is enough: no extra follow-up
    assert follow_up_logrank(0.5, 1000, control_median=60, accrual=100) == 0.0
    # dropout caps the event probability: too few athletes whatever the follow-up
    with pytest.raises(ValueError, match="not enough"):
        follow_up_logrank(0.5, 50, control_median=60, dropout_rate=0.01)
    with pytest.raises(ValueError):
        follow_up_logrank(0.5, -5, control_median=60)
