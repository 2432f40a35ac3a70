"""Wilson, Newcombe, Koopman and NNT intervals: published examples, statsmodels, defining equations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from hamstudy._result import Estimate
from hamstudy.binary import nnt_from_difference, wilson_interval
from hamstudy._result import normal_quantile as _z
from hamstudy.binary.intervals import _koopman_statistic, koopman_ratio, newcombe_difference

SCIPY_REF = Path(__file__).parent / "reference" / "binary_scipy.csv"

# Newcombe RG. Interval estimation for the difference between independent proportions: comparison
# of eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (score, no continuity
# correction), 95% limits to 4 decimals. Typed once, here.
NEWCOMBE_1998_TABLE_II_METHOD_10 = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("table,limits", NEWCOMBE_1998_TABLE_II_METHOD_10)
def test_newcombe_table_II(table, limits):
    est = newcombe_difference(*table, 0.95)
    # the paper prints 4 decimals: agreement to rounding is |diff| <= 5e-5
    assert est.ci_low == pytest.approx(limits[0], abs=5e-5)
    assert est.ci_high == pytest.approx(limits[1], abs=5e-5)
    assert est.estimate == table[0] / table[1] - table[2] / table[3]


@pytest.mark.parametrize("x,n", [(0, 1), (1, 1), (0, 13), (6, 11), (13, 13), (1, 1000), (500, 1000)])
def test_wilson_matches_statsmodels_and_is_exact_at_the_ends(x, n):
    est = wilson_interval(x, n)
    low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
    # the same closed form: rounding only
    assert est.ci_low == pytest.approx(low, abs=1e-14)
    assert est.ci_high == pytest.approx(high, abs=1e-14)
    if x == 0:
        assert est.ci_low == 0.0
    if x == n:
        assert est.ci_high == 1.0
    assert est.estimate == x / n


def test_wilson_validation():
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        wilson_interval(1, 5, confidence_level=1.5)
    with pytest.raises(TypeError):
        wilson_interval(0.5, 5)


@pytest.fixture(scope="module")
def sref() -> pd.DataFrame:
    return pd.read_csv(SCIPY_REF, comment="#")


def test_newcombe_matches_statsmodels(sref):
    rows = sref.dropna(subset=["newcombe_low", "newcombe_high"])
    assert len(rows) > 250
    worst = 0.0
    for r in rows.itertuples():
        est = newcombe_difference(r.e1, r.n1, r.e2, r.n2, 0.95)
        worst = max(worst, abs(est.ci_low - r.newcombe_low), abs(est.ci_high - r.newcombe_high))
    assert worst < 1e-12  # the same closed form


def test_koopman_matches_statsmodels_away_from_boundaries(sref):
    # statsmodels' closed-form inversion fails when an arm has all (or no) events: there it
    # returns the point estimate as a limit; those rows are checked by the defining equation.
    inner = sref[(sref.e1 > 0) & (sref.e2 > 0) & (sref.e1 < sref.n1) & (sref.e2 < sref.n2)]
    inner = inner.dropna(subset=["koopman_low", "koopman_high"])
    assert len(inner) > 150
    worst = 0.0
    for r in inner.itertuples():
        est = koopman_ratio(r.e1, r.n1, r.e2, r.n2, 0.95)
        worst = max(worst, abs(est.ci_low / r.koopman_low - 1), abs(est.ci_high / r.koopman_high - 1))
    # statsmodels solves a cubic in closed form (~1e-12); ours is Brent to 1e-13 in log(phi)
    assert worst < 1e-9


def test_koopman_published_example():
    # Koopman PAR. Biometrics 1984;40:513-517: 36/40 vs 16/80, 95% interval (2.94, 7.15)
    est = koopman_ratio(36, 40, 16, 80, 0.95)
    assert est.estimate == pytest.approx(4.5)
    assert round(est.ci_low, 2) == 2.94 and round(est.ci_high, 2) == 7.15


@pytest.mark.parametrize(
    "table", [(6, 11, 0, 13), (0, 13, 6, 11), (7, 10, 1, 13), (3, 3, 0, 4), (10, 10, 5, 5), (1, 1, 0, 1), (0, 1, 1, 1)]
)
def test_koopman_limits_solve_the_score_equation(table):
    est = koopman_ratio(*table, 0.95)
    crit = _z(0.95) ** 2
    for limit in (est.ci_low, est.ci_high):
        if 0.0 < limit < math.inf:
            assert _koopman_statistic(limit, *table) == pytest.approx(crit, rel=1e-9)
    e1, n1, e2, n2 = table
    if e2 == 0:
        assert est.estimate == math.inf and est.ci_high == math.inf and 0 < est.ci_low < math.inf
    if e1 == 0:
        assert est.estimate == 0.0 and est.ci_low == 0.0 and 0 < est.ci_high < math.inf


def test_koopman_no_events_at_all():
    est = koopman_ratio(0, 5, 0, 7, 0.95)
    assert math.isnan(est.estimate) and (est.ci_low, est.ci_high) == (0.0, math.inf)


def test_nnt_altman_1998_example():
    # Altman DG. BMJ 1998;317:1309-12: ARR 10% (95% CI -5% to 25%) -> NNTB 10 with the interval
    # "NNTH 20 to infinity to NNTB 4". Here RD = p1 - p2 = -ARR for arm 1 as the treatment.
    nnt = nnt_from_difference(Estimate(-0.10, -0.25, 0.05, "given"))
    assert nnt.estimate == pytest.approx(10.0)
    assert nnt.crosses_infinity
    assert nnt.ci_low == pytest.approx(-20.0) and nnt.ci_high == pytest.approx(4.0)
    assert nnt.describe() == "NNTB 10.0 (95% CI NNTH 20.0 to infinity to NNTB 4.0) with arm 1 instead of arm 2"


def test_nnt_significant_harm_and_benefit():
    harm = nnt_from_difference(Estimate(0.5, 0.2, 0.8, "given"), labels=("STST", "PATS"))
    assert harm.estimate == pytest.approx(-2.0) and not harm.crosses_infinity
    assert (harm.ci_low, harm.ci_high) == (pytest.approx(-5.0), pytest.approx(-1.25))
    assert harm.describe().startswith("NNTH 2.0 (95% CI NNTH 5.0 to NNTH 1.2)")
    benefit = nnt_from_difference(Estimate(-0.25, -0.5, -0.1, "given"))
    assert benefit.estimate == pytest.approx(4.0)
    assert (benefit.ci_low, benefit.ci_high) == (pytest.approx(2.0), pytest.approx(10.0))


def test_nnt_zero_difference_and_zero_limit():
    nnt = nnt_from_difference(Estimate(0.0, -0.1, 0.2, "given"))
    assert nnt.estimate == math.inf and nnt.crosses_infinity
    edge = nnt_from_difference(Estimate(0.3, 0.0, 0.6, "given"))
    assert not edge.crosses_infinity and edge.ci_low == -math.inf


def test_newcombe_is_antisymmetric_under_swapping():
    a = newcombe_difference(6, 11, 0, 13, 0.95)
    b = newcombe_difference(0, 13, 6, 11, 0.95)
    assert (a.estimate, a.ci_low, a.ci_high) == pytest.approx((-b.estimate, -b.ci_high, -b.ci_low), abs=1e-15)


def test_koopman_swapping_inverts():
    a = koopman_ratio(7, 10, 1, 13, 0.95)
    b = koopman_ratio(1, 13, 7, 10, 0.95)
    assert a.ci_low == pytest.approx(1 / b.ci_high, rel=1e-11)
    assert a.ci_high == pytest.approx(1 / b.ci_low, rel=1e-11)


def test_intervals_nest_with_confidence_level():
    lo90, hi90 = newcombe_difference(7, 10, 1, 13, 0.90).ci_low, newcombe_difference(7, 10, 1, 13, 0.90).ci_high
    lo99, hi99 = newcombe_difference(7, 10, 1, 13, 0.99).ci_low, newcombe_difference(7, 10, 1, 13, 0.99).ci_high
    assert lo99 < lo90 < hi90 < hi99
    assert np.isfinite([lo90, hi90, lo99, hi99]).all()
