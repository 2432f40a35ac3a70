"""Fisher's exact test, the conditional MLE and exact limits against R (tests/reference/binary_fisher.R)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hamstudy.binary import compare_binary, fisher_exact_batch
from hamstudy.binary.fisher import fisher_pvalues
from hamstudy.binary.noncentral import ConditionalDistribution, conditional_limits, conditional_mle

REF = Path(__file__).parent / "reference" / "binary_fisher_R.csv"


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF, comment="#")


def _rel(ours, theirs) -> np.ndarray:
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(ours - theirs) / np.abs(theirs)
    return np.where(same, 0.0, r)


def _counts(ref):
    return [ref[c].to_numpy() for c in ("e1", "n1", "e2", "n2")]


def test_reference_covers_the_required_cases(ref):
    assert len(ref) >= 300
    tables = set(zip(*_counts(ref)))
    assert (6, 11, 0, 13) in tables and (7, 10, 1, 13) in tables
    assert any(n1 == 1 for _, n1, _, _ in tables) and any(n2 == 1 for _, _, _, n2 in tables)
    # every zero-cell pattern of a 2x2 table: each of the 16 subsets of cells that are zero
    patterns = {(e1 == 0, n1 - e1 == 0, e2 == 0, n2 - e2 == 0) for e1, n1, e2, n2 in tables}
    possible = {p for p in np.ndindex(2, 2, 2, 2) if not (p[0] and p[1]) and not (p[2] and p[3])}
    assert {tuple(bool(v) for v in p) for p in possible} <= patterns


@pytest.mark.parametrize(
    "alternative,column", [("two-sided", "p_two_sided"), ("less", "p_less"), ("greater", "p_greater")]
)
def test_pvalues_match_R(ref, alternative, column):
    p = fisher_exact_batch(*_counts(ref), alternative=alternative)
    # R sums dhyper() terms (Loader's saddle-point algorithm, ~1e-14 relative each); we sum exact
    # ratio products. Observed max 6e-13; 1e-11 leaves room for summation order only.
    assert _rel(p, ref[column]).max() < 1e-11


def test_scalar_path_equals_batch(ref):
    e1, n1, e2, n2 = _counts(ref)
    batch = fisher_exact_batch(e1, n1, e2, n2)
    tables = list(zip(e1.tolist(), n1.tolist(), e2.tolist(), n2.tolist()))
    # fisher_pvalues is what compare_binary calls for its .fisher p-value
    scalar = np.array([fisher_pvalues(*t)[0] for t in tables])
    np.testing.assert_allclose(scalar, batch, rtol=1e-12, atol=0)
    for t in tables[::40]:
        assert compare_binary(*t).fisher.pvalue == pytest.approx(fisher_pvalues(*t)[0], rel=1e-12, abs=0)


def test_midp_matches_R_definition(ref):
    mid = [fisher_pvalues(*t)[1] for t in zip(*(c.tolist() for c in _counts(ref)))]
    # same definition evaluated from R's dhyper terms: summation-order differences only
    assert _rel(mid, ref["midp_two_sided"]).max() < 1e-11


def _or_and_limits(t):
    dist = ConditionalDistribution.from_table(*t)
    return (conditional_mle(dist), *conditional_limits(dist, 0.025, 0.025))


def test_mle_and_limits_match_tight_R_solution(ref):
    ours = np.array([_or_and_limits(t) for t in zip(*(c.tolist() for c in _counts(ref)))])
    # R re-solved with uniroot(tol = 1e-14) on log(psi); both solutions are good to ~1e-13 in
    # log(psi); R's dhyper-based pmf adds ~1e-13. Observed max 4e-13.
    for j, col in enumerate(("mle_tight", "ci_low_tight", "ci_high_tight")):
        assert _rel(ours[:, j], ref[col]).max() < 1e-10, col


def test_limits_close_to_R_fisher_test_within_its_uniroot_tolerance(ref):
    ours = np.array([_or_and_limits(t) for t in zip(*(c.tolist() for c in _counts(ref)))])

    def solve_scale(v):
        # fisher.test solves for psi in (0, 1) and for 1/psi otherwise, to uniroot's default
        # tol = .Machine$double.eps^0.25 = 1.2e-4 on that scale
        v = np.asarray(v, float)
        with np.errstate(divide="ignore"):
            return np.where(v <= 1, v, 1.0 / v)

    for j, col in ((1, "conf_low_r"), (2, "conf_high_r")):
        r = ref[col].to_numpy()
        finite = np.isfinite(r) & (r > 0)
        diff = np.abs(solve_scale(ours[finite, j]) - solve_scale(r[finite]))
        assert diff.max() < 2.5e-4, col  # twice uniroot's tolerance
    # R's MLE: 0 when only one table is possible; we give NaN there (documented)
    single = ref["mle_tight"].isna().to_numpy()
    assert np.all(ref["estimate_r"].to_numpy()[single] == 0)
    assert np.all(np.isnan(ours[single, 0]))


def test_limits_solve_their_defining_equations(ref):
    """P_psiL(X >= x) = alpha/2 and P_psiU(X <= x) = alpha/2, checked with scipy's nchypergeom_fisher."""
    worst = 0.0
    for t in list(zip(*(c.tolist() for c in _counts(ref))))[::3]:
        e1, n1, e2, n2 = t
        _, low, high = _or_and_limits(t)
        k = e1 + e2
        if 0 < low < math.inf:
            sf = stats.nchypergeom_fisher(n1 + n2, n1, k, low).sf(e1 - 1)
            worst = max(worst, abs(sf - 0.025) / 0.025)
        if 0 < high < math.inf:
            cdf = stats.nchypergeom_fisher(n1 + n2, n1, k, high).cdf(e1)
            worst = max(worst, abs(cdf - 0.025) / 0.025)
    assert worst < 1e-9


def test_seed_case_values(ref):
    row = ref[(ref.e1 == 6) & (ref.n1 == 11) & (ref.e2 == 0) & (ref.n2 == 13)].iloc[0]
    res = compare_binary(6, 11, 0, 13, labels=("STST", "PATS"))
    assert res.fisher.pvalue == pytest.approx(row.p_two_sided, rel=1e-11)
    # zero cell: the conditional MLE and the upper limit are infinite, the lower limit finite
    assert res.odds_ratio.estimate == math.inf and res.odds_ratio.ci_high == math.inf
    assert res.odds_ratio.ci_low == pytest.approx(row.ci_low_tight, rel=1e-10)


@pytest.mark.parametrize("table", [(0, 5, 0, 8), (5, 5, 8, 8), (0, 1, 0, 1), (1, 1, 1, 1)])
def test_zero_margin_gives_p_one_and_undefined_odds_ratio(table):
    res = compare_binary(*table)
    assert res.fisher.pvalue == 1.0 and res.fisher_midp.pvalue == 0.5
    assert math.isnan(res.odds_ratio.estimate)
    assert (res.odds_ratio.ci_low, res.odds_ratio.ci_high) == (0.0, math.inf)


def test_batch_shapes_and_broadcasting():
    p = fisher_exact_batch(np.array([[6], [7]]), [11, 10], 0, 13)
    assert p.shape == (2, 2)
    assert fisher_exact_batch(6, 11, 0, 13).shape == ()
    assert fisher_exact_batch([], [], [], []).shape == (0,)
    # an empty arm is allowed in the batch: one possible table, p = 1
    assert fisher_exact_batch(0, 0, 3, 5) == 1.0


@pytest.mark.parametrize(
    "args,exc",
    [
        ((7, 6, 0, 13), ValueError),
        ((-1, 6, 0, 13), ValueError),
        ((1.5, 6, 0, 13), TypeError),
        (("a", 6, 0, 13), TypeError),
        ((True, 6, 0, 13), TypeError),
    ],
)
def test_batch_validation(args, exc):
    with pytest.raises(exc):
        fisher_exact_batch(*args)


def test_batch_bad_alternative():
    with pytest.raises(ValueError, match="alternative"):
        fisher_exact_batch(1, 2, 1, 2, alternative="two_sided")


def test_batch_agrees_with_scipy_on_random_tables():
    # scipy uses a 1e-14 (not R's 1e-7) tie tolerance; ties within 1e-7 but not exact are
    # vanishingly rare among random tables, so the two agree to rounding here.
    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(1, 80, 200), rng.integers(1, 80, 200)
    e1, e2 = rng.binomial(n1, rng.uniform(size=200)), rng.binomial(n2, rng.uniform(size=200))
    ours = fisher_exact_batch(e1, n1, e2, n2)
    theirs = [stats.fisher_exact([[a, c], [b - a, d - c]]).pvalue for a, b, c, d in zip(e1, n1, e2, n2)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-11)
