"""hamstudy.cox / hamstudy.ph_test against R survival (tests/reference/survival_cox.R).

Reference data: tests/reference/survival_cox_{datasets,values,versions}.csv, written by the R
script at full precision. The R fits used coxph.control(eps=1e-13), so R's own coefficients are
converged to ~1e-12 (Newton's quadratic convergence squares a relative log-likelihood change of
1e-13); ours are converged until the Newton step is < 1e-11.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hamstudy
from hamstudy.survival.proportional_hazards import MonotoneLikelihoodWarning

REF = Path(__file__).parent / "reference"

# Tolerances (relative unless said otherwise), each from what the arithmetic allows; the maximum
# deviation observed over all datasets when these were set is given in brackets.
# - coefficients, log-likelihoods, score/LR/Wald statistics: both sides converged to ~1e-12; the
#   rest is summation order (R accumulates per event time, we by cumulative sums) [2.5e-12].
COEF_TOL = 1e-10
# - variances (model, robust, cluster) and cox.zph statistics: built from the converged
#   coefficients, so they carry the coefficient error times a condition number (<= 1e2 here),
#   plus our global X'WX - M'M cancellation [3.4e-11, zph rank transform].
VAR_TOL = 1e-9
# - p-values: d log(p) / d stat is at most ~stat/2 (stat < 250 here), so p inherits ~100x the
#   statistic's relative error [not above 1e-9].
P_RTOL = 1e-8
# - Firth coefficients (absolute): the R reference is an independent optimisation with
#   central-difference gradients (h = 1e-5, so ~1e-10 gradient error, ~1e-8 in beta) [2.7e-8].
FIRTH_COEF_ABS = 1e-7
# - Firth profile limits (log scale, absolute) and PLR p-values: uniroot(tol=1e-11) on a profile
#   that is flat to second order in the inner coefficients, hence far more precise than beta
#   itself [2.9e-12 and 4.4e-12 relative].
FIRTH_CI_ABS = 1e-10
FIRTH_P_RTOL = 1e-9


@lru_cache(maxsize=1)
def _values() -> dict:
    v = pd.read_csv(REF / "survival_cox_values.csv", dtype={"value": str}, keep_default_na=False)
    v["v"] = pd.to_numeric(v["value"].replace({"NA": "nan", "Inf": "inf", "-Inf": "-inf"}))
    out = {}
    for key, g in v.groupby(["dataset", "fit", "quantity"]):
        a = np.full((g.i.max(), g.j.max()), np.nan)
        a[g.i - 1, g.j - 1] = g.v
        out[key] = a
    return out


@lru_cache(maxsize=1)
def _datasets() -> dict:
    d = pd.read_csv(REF / "survival_cox_datasets.csv", dtype=str, keep_default_na=False)
    out = {}
    for name, g in d.groupby("dataset"):
        g = g.drop(columns="dataset").reset_index(drop=True)
        for c in g.columns:
            col = g[c].mask(g[c] == "")
            if name == "aml" and c == "x1":
                g[c] = col  # the factor, as strings
            else:
                g[c] = pd.to_numeric(col)
        out[name] = g
    return out


def ref(ds, fit, q):
    return _values()[(ds, fit, q)]


def has(ds, fit, q):
    return (ds, fit, q) in _values()


def covariates(ds):
    if ds in ("aml", "test1"):
        return ["x1"]
    if ds == "ovarian":
        return ["x1", "x2", "x3"]
    return ["x1", "x2", "x3"][: int(ref(ds, "meta", "p")[0, 0])]


def names_of(kind):
    return sorted(k for k in _datasets() if k.startswith(kind))


def test_reference_files_record_versions():
    ver = pd.read_csv(REF / "survival_cox_versions.csv")
    assert set(ver["what"]) == {"R", "survival"}
    assert int(ver.set_index("what").loc["survival", "version"].split(".")[0]) >= 3
    # the issue asks for >= 100 generated datasets with n from 5 to 300
    gen = names_of("gen")
    assert len(gen) >= 100
    sizes = [len(_datasets()[g]) for g in gen]
    assert min(sizes) == 5 and max(sizes) >= 250


def _check_fit(ds, fit_name, res):
    coef = ref(ds, fit_name, "coef").ravel()
    np.testing.assert_allclose(res.table["coef"], coef, rtol=COEF_TOL, atol=COEF_TOL)
    np.testing.assert_allclose(res.loglik, ref(ds, fit_name, "loglik").ravel(), rtol=COEF_TOL)
    np.testing.assert_allclose(res.covariance.to_numpy(), ref(ds, fit_name, "var"), rtol=VAR_TOL, atol=VAR_TOL * np.abs(ref(ds, fit_name, "var")).max())
    tab = ref(ds, fit_name, "table")  # coef, exp(coef), se(coef), [robust se], z, Pr(>|z|)
    se_col = 3 if tab.shape[1] == 6 else 2
    np.testing.assert_allclose(res.table["std_err"], tab[:, se_col], rtol=VAR_TOL)
    np.testing.assert_allclose(res.table["hazard_ratio"], tab[:, 1], rtol=VAR_TOL)
    np.testing.assert_allclose(res.table["z"], tab[:, -2], rtol=VAR_TOL)
    np.testing.assert_allclose(res.table["pvalue"], tab[:, -1], rtol=P_RTOL, atol=1e-300)
    conf = ref(ds, fit_name, "conf")
    np.testing.assert_allclose(res.table[["ci_low", "ci_high"]].to_numpy(), conf, rtol=VAR_TOL)
    for attr, q in (("likelihood_ratio_test", "logtest"), ("wald_test", "waldtest"), ("score_test", "sctest")):
        stat, df, pv = ref(ds, fit_name, q).ravel()
        t = getattr(res, attr)
        if attr == "wald_test" and np.linalg.cond(ref(ds, fit_name, "var")) > 1e8:
            # a cluster-robust variance from fewer clusters than coefficients is singular; R
            # inverts the rounding noise (a meaningless statistic on p df), we use a generalised
            # inverse with df = rank, as documented
            assert t.df < df
            continue
        assert t.df == df
        np.testing.assert_allclose(t.statistic, stat, rtol=VAR_TOL, atol=1e-12)
        np.testing.assert_allclose(t.pvalue, pv, rtol=P_RTOL, atol=1e-300)


@lru_cache(maxsize=None)
def _fit_cached(ds, ties):
    return _fit(ds, ties=ties)


def _fit(ds, **kw):
    d = _datasets()[ds]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # regular data: no warning of any kind is acceptable
        return hamstudy.cox(d, "time", "status", covariates(ds), **kw)


# Every generated dataset runs in CI; the default quick run takes every 6th plus the published
# examples (the full sweep is ~900 fits, marked slow).
_GEN = names_of("gen")
REGULAR = [
    pytest.param(ds, marks=() if (i % 6 == 0) else pytest.mark.slow) for i, ds in enumerate(_GEN)
] + ["aml", "ovarian", "test1"]


@pytest.mark.parametrize("ds", REGULAR)
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_coxph_model_robust_cluster(ds, ties):
    res = _fit_cached(ds, ties)
    assert not res.monotone
    _check_fit(ds, ties, res)
    _check_fit(ds, f"{ties}_robust", _fit(ds, ties=ties, robust=True))
    if has(ds, f"{ties}_cluster", "coef"):
        _check_fit(ds, f"{ties}_cluster", _fit(ds, ties=ties, cluster="cl"))


@pytest.mark.parametrize("ds", REGULAR)
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_zph(ds, ties):
    res = _fit_cached(ds, ties)
    for tr in ("km", "identity", "rank", "log"):
        tag = f"{ties}_zph_{tr}"
        if has(ds, tag, "singular"):
            # R stops (singular information, e.g. all deaths at one time); so do we
            with pytest.raises(ValueError, match="singular"):
                hamstudy.ph_test(res, transform=tr)
            continue
        tab = hamstudy.ph_test(res, transform=tr)
        np.testing.assert_allclose(tab["chisq"], ref(ds, tag, "chisq").ravel(), rtol=VAR_TOL, atol=1e-12)
        np.testing.assert_array_equal(tab["df"], ref(ds, tag, "df").ravel())
        np.testing.assert_allclose(tab["pvalue"], ref(ds, tag, "p").ravel(), rtol=P_RTOL, atol=1e-300)
        assert tab.index[-1] == "GLOBAL"


def test_aml_factor_named_like_r():
    res = _fit_cached("aml", "efron")
    # aml$x has levels Maintained < Nonmaintained; R's coefficient is "xNonmaintained"
    assert list(res.table.index) == ["x1Nonmaintained"]
    assert list(hamstudy.ph_test(res).index) == ["x1", "GLOBAL"]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_test1_score_residuals(ties):
    """T&G appendix E data set 1: score residuals (the dfbeta ingredients) equal R's."""
    from hamstudy.survival import _cox_core as core

    res = _fit("test1", ties=ties)
    st = res._state
    pc = core.pieces(st.data, st.beta)
    got = core.score_residuals(st.data, pc).ravel()
    want = ref("test1", ties, "score_resid").ravel()
    want = want[~np.isnan(want)]  # R keeps the NA row (na.exclude); we dropped it
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ds", names_of("mono"))
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_monotone_zero_event_arm(ds, ties):
    d = _datasets()[ds]
    with pytest.warns(MonotoneLikelihoodWarning, match="firth=True"):
        res = hamstudy.cox(d, "time", "status", covariates(ds), ties=ties)
    assert res.monotone
    r_coef = ref(ds, ties, "coef").ravel()
    # R iterates the arm coefficient to a meaningless |beta| of about 20; we report its limit
    assert abs(r_coef[0]) > 15
    assert res.table["coef"].iloc[0] == np.sign(r_coef[0]) * np.inf
    row = res.table.iloc[0]
    assert np.isnan(row.std_err) and np.isnan(row.z) and np.isnan(row.pvalue)
    if r_coef[0] > 0:
        assert row.hazard_ratio == np.inf and row.ci_high == np.inf and np.isnan(row.ci_low)
    else:
        assert row.hazard_ratio == 0.0 and row.ci_low == 0.0 and np.isnan(row.ci_high)
    # the log-likelihood converges to its supremum; R stopped at a relative change of 1e-9, so
    # it sits below the supremum by at most ~1e-7 (relative)
    ll = ref(ds, ties, "loglik").ravel()
    assert res.loglik[0] == pytest.approx(ll[0], rel=1e-12)
    assert res.loglik[1] >= ll[1] - 1e-12
    assert res.loglik[1] == pytest.approx(ll[1], rel=1e-7)
    # the score (log-rank) test at beta = 0 does not involve the divergence
    assert res.score_test.statistic == pytest.approx(ref(ds, ties, "sctest")[0, 0], rel=1e-10)
    if len(r_coef) == 2:
        # the finite coefficient is the limit of R's iterates: equal to R's within R's own
        # distance from the limit (exp(-|beta_arm|) ~ 1e-9)
        assert res.table["coef"].iloc[1] == pytest.approx(r_coef[1], rel=1e-6, abs=1e-7)
        assert np.isfinite(res.table["std_err"].iloc[1])


FIRTH = [k for k in names_of("") if has(k, "firth", "coef")]


def test_firth_reference_covers_zero_event_arms():
    assert len(FIRTH) >= 20
    assert sum(k.startswith("mono") for k in FIRTH) >= 15


@pytest.mark.parametrize("ds", FIRTH)
def test_firth_against_independent_r_optimisation(ds):
    d = _datasets()[ds]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hamstudy.cox(d, "time", "status", covariates(ds), firth=True)
    assert res.ties == "breslow"
    np.testing.assert_allclose(res.table["coef"], ref(ds, "firth", "coef").ravel(), rtol=0, atol=FIRTH_COEF_ABS)
    np.testing.assert_allclose(np.log(res.table["ci_low"]), ref(ds, "firth", "ci_low").ravel(), rtol=0, atol=FIRTH_CI_ABS)
    np.testing.assert_allclose(np.log(res.table["ci_high"]), ref(ds, "firth", "ci_high").ravel(), rtol=0, atol=FIRTH_CI_ABS)
    np.testing.assert_allclose(res.table["pvalue"], ref(ds, "firth", "pvalue").ravel(), rtol=FIRTH_P_RTOL)
    np.testing.assert_allclose(res.loglik, ref(ds, "firth", "pl").ravel(), rtol=1e-12)
    assert np.all(np.isfinite(res.table["coef"]))
