"""Barnard and Boschloo against scipy (tests/reference/binary_scipy.py) and the all-tables grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hamstudy.binary import compare_binary, unconditional_pvalues
from hamstudy.binary.unconditional import unconditional_pvalue

REF = Path(__file__).parent / "reference" / "binary_scipy.csv"


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF, comment="#")


def test_reference_size(ref):
    assert len(ref) >= 300
    assert ((ref.e1 == 6) & (ref.n1 == 11) & (ref.e2 == 0) & (ref.n2 == 13)).any()


@pytest.mark.parametrize("test", ["barnard", "boschloo"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_pvalues_match_scipy(ref, test, alternative):
    worst = 0.0
    worst_stat = 0.0
    lowest = 0.0
    for r in ref.to_dict("records"):
        p, stat, _ = unconditional_pvalue(r["e1"], r["n1"], r["e2"], r["n2"], test=test, alternative=alternative)
        expected = r[f"{test}_{alternative}_pvalue"]
        worst = max(worst, abs(p - expected) / expected)
        lowest = min(lowest, (p - expected) / expected)
        expected_stat = r[f"{test}_{alternative}_statistic"]
        if np.isfinite(expected_stat):
            worst_stat = max(worst_stat, abs(stat - expected_stat) / max(abs(expected_stat), 1e-300))
    # scipy maximises -log p with shgo from 32 Sobol points. Where p is within ~1e-6 of 1, -log p
    # is ~1e-7 and shgo stops up to 6e-9 (relative) short of the maximum; everywhere else the two
    # agree to ~1e-12. Our maximum is never below scipy's (a p-value here is the value of the
    # polynomial at some nuisance value, so a higher one is closer to the supremum).
    assert worst < 1e-8
    assert lowest > -1e-12
    assert worst_stat < 1e-12  # the same statistic computed the same way


def test_seed_case_and_zero_margins():
    res = compare_binary(6, 11, 0, 13)
    scipy_b = stats.boschloo_exact([[6, 0], [5, 13]]).pvalue
    assert res.boschloo.pvalue == pytest.approx(scipy_b, rel=1e-9)
    for table in [(0, 4, 0, 6), (4, 4, 6, 6), (0, 1, 0, 1)]:
        res = compare_binary(*table)
        assert res.barnard.pvalue == 1.0 and res.boschloo.pvalue == 1.0


def test_50_of_100_vs_25_of_100_matches_scipy_to_1e6():
    res = compare_binary(50, 100, 25, 100)
    expected = stats.boschloo_exact([[50, 25], [50, 75]]).pvalue
    assert res.boschloo.pvalue == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("n1,n2", [(1, 1), (1, 4), (6, 3), (11, 13)])
@pytest.mark.parametrize("test", ["barnard", "boschloo"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_grid_equals_scalar_path(n1, n2, test, alternative):
    grid = unconditional_pvalues(n1, n2, test=test, alternative=alternative)
    assert grid.shape == (n1 + 1, n2 + 1)
    scalar = np.array(
        [[unconditional_pvalue(a, n1, b, n2, test=test, alternative=alternative)[0] for b in range(n2 + 1)] for a in range(n1 + 1)]
    )
    np.testing.assert_allclose(grid, scalar, rtol=1e-12, atol=0)
    assert np.all((grid > 0) & (grid <= 1))


def test_grid_matches_scipy_on_a_subsample():
    grid = unconditional_pvalues(9, 12, test="boschloo")
    for a, b in [(0, 0), (9, 0), (0, 12), (5, 2), (1, 11), (9, 12)]:
        expected = stats.boschloo_exact([[a, b], [9 - a, 12 - b]]).pvalue
        assert grid[a, b] == pytest.approx(expected, rel=1e-9)


def test_grid_validation():
    with pytest.raises(ValueError):
        unconditional_pvalues(0, 3)
    with pytest.raises(ValueError):
        unconditional_pvalues(3, 2.5)
    with pytest.raises(ValueError):
        unconditional_pvalues(3, 3, test="fisher")
    with pytest.raises(ValueError):
        unconditional_pvalues(3, 3, alternative="both")
