"""hamstudy.cox and hamstudy.ph_test: tiny samples, zero-event arms, hand calculations, API.

R references on 100+ datasets are in test_survival_cox_reference.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import hamstudy
from hamstudy.survival.proportional_hazards import CoxResult, MonotoneLikelihoodWarning


def fit_quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        return hamstudy.cox(*args, **kw)


# --------------------------------------------------------------------------- zero cells first
@pytest.fixture
def sherry_early():
    ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    return ipd.assign(
        event=((ipd.event == 1) & (ipd.time <= 14)).astype(int), time=ipd.time.clip(upper=14)
    )


def test_zero_event_arm_is_monotone_and_says_so(sherry_early):
    # 6/11 STST vs 0/13 PATS re-injured within 14 days
    assert sherry_early.groupby("arm").event.sum().to_dict() == {"PATS": 0, "STST": 6}
    with pytest.warns(MonotoneLikelihoodWarning, match="firth=True"):
        res = hamstudy.cox(sherry_early, "time", "event", ["arm"])
    assert res.monotone
    row = res.table.loc["armSTST"]
    assert row.coef == math.inf and row.hazard_ratio == math.inf
    assert row.ci_high == math.inf and math.isnan(row.ci_low)
    assert math.isnan(row.std_err) and math.isnan(row.z) and math.isnan(row.pvalue)
    assert any("Monotone" in w for w in res.warnings)
    # Wald is undefined at infinity; LR (against the supremum) and score tests are valid
    assert math.isnan(res.wald_test.statistic)
    assert res.likelihood_ratio_test.statistic > 0 and res.score_test.pvalue < 0.01
    assert res.n == 24 and res.n_events == 6


def test_zero_event_arm_reference_level_gives_minus_inf(sherry_early):
    # make STST the reference: the PATS coefficient diverges to -inf, HR 0
    d = sherry_early.assign(arm=pd.Categorical(sherry_early.arm, categories=["STST", "PATS"]))
    res = fit_quiet(d, "time", "event", ["arm"])
    row = res.table.loc["armPATS"]
    assert row.coef == -math.inf and row.hazard_ratio == 0.0
    assert row.ci_low == 0.0 and math.isnan(row.ci_high)


def test_firth_is_finite_on_zero_event_arm_without_warning(sherry_early):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hamstudy.cox(sherry_early, "time", "event", ["arm"], firth=True)
    row = res.table.loc["armSTST"]
    assert np.isfinite([row.coef, row.std_err, row.ci_low, row.ci_high]).all()
    assert 1 < row.ci_low < row.hazard_ratio < row.ci_high
    assert res.monotone  # the unpenalised likelihood is still monotone, and the result says so
    assert res.ties == "breslow" and "Firth" in res.method
    assert res.score_test is None
    # one covariate: the coefficient's PLR test is the global penalised LR test
    assert row.pvalue == pytest.approx(res.likelihood_ratio_test.pvalue, rel=1e-12)


def test_one_subject_per_arm():
    d = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "arm": ["A", "B"]})
    res = fit_quiet(d, "t", "e", ["arm"])
    assert res.monotone and res.table.loc["armB", "coef"] == -math.inf
    firth = hamstudy.cox(d, "t", "e", ["arm"], firth=True)
    assert np.isfinite(firth.table.loc["armB", "coef"]) and firth.table.loc["armB", "coef"] < 0


def test_all_events_no_censoring_is_regular():
    d = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5, 5, 6], "e": 1, "x": [1, 0, 1, 0, 1, 1, 0, 0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hamstudy.cox(d, "t", "e", ["x"])
    assert not res.monotone and np.isfinite(res.table.loc["x", "coef"])


def test_monotone_along_a_combination_of_covariates():
    # neither x1 nor x2 alone orders the deaths first in their risk sets, but x1 + x2 does
    d = pd.DataFrame(
        {
            "t": [1, 2, 3, 3, 4, 5],
            "e": [1, 1, 0, 0, 1, 0],
            "x1": [1.0, 0.0, 0.5, 1.2, 0.2, -1.0],
            "x2": [0.0, 0.9, 0.4, -0.5, 0.0, -0.5],
        }
    )
    # check the premise directly
    for col in ("x1", "x2"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not hamstudy.cox(d, "t", "e", [col]).monotone
    with pytest.warns(MonotoneLikelihoodWarning):
        res = hamstudy.cox(d, "t", "e", ["x1", "x2"])
    assert res.monotone
    assert (res.table["coef"] == math.inf).all()


def test_monotone_detected_above_the_always_check_size():
    # 6,000 rows: the exact check runs only when the Newton fit diverges; it must still fire
    rng = np.random.default_rng(5)
    n = 6000
    arm = np.repeat([0, 1], n // 2)
    t = np.ceil(rng.exponential(10, n))
    e = np.where(arm == 1, rng.random(n) < 0.5, 0).astype(int)
    d = pd.DataFrame({"t": t, "e": e, "arm": arm, "z": rng.normal(size=n)})
    with pytest.warns(MonotoneLikelihoodWarning):
        res = hamstudy.cox(d, "t", "e", ["arm", "z"])
    assert res.monotone and res.table.loc["arm", "coef"] == math.inf
    assert np.isfinite(res.table.loc["z", "coef"]) and np.isfinite(res.table.loc["z", "std_err"])


# --------------------------------------------------------------------------- hand calculations
# Therneau & Grambsch (2000), appendix E, data set 1 (also survival's tests/book1.R, book2.R):
# closed forms of the Breslow and Efron log-likelihood, score and information for one binary x.
TEST1 = pd.DataFrame(
    {"time": [9, 3, 1, 1, 6, 6, 8], "status": [1, np.nan, 1, 0, 1, 1, 0], "x": [0, 2, 1, 1, 1, 0, 0]}
)


def _breslow_by_hand(beta):
    r = math.exp(beta)
    loglik = 2 * beta - (math.log(3 * r + 3) + 2 * math.log(r + 3))
    imat = r / (r + 1) ** 2 + 6 * r / (r + 3) ** 2
    u = (6 + 3 * r - r**2) / ((r + 1) * (r + 3))
    return loglik, u, imat


def _efron_by_hand(beta):
    r = math.exp(beta)
    loglik = 2 * beta - (math.log(3 * r + 3) + math.log((r + 5) / 2) + math.log(r + 3))
    u = (30 + 23 * r - r**3) / ((r + 1) * (r + 3) * (r + 5))

    def tf(v):
        return v - v * v

    imat = tf(r / (r + 1)) + tf(r / (r + 5)) + tf(r / (r + 3))
    return loglik, u, imat


@pytest.mark.parametrize(
    "ties, by_hand, beta_exact",
    [
        ("breslow", _breslow_by_hand, math.log((3 + math.sqrt(33)) / 2)),  # root of 6 + 3r - r^2
        ("efron", _efron_by_hand, math.log(2 * math.sqrt(23 / 3) * math.cos(math.acos(45 / 23 * math.sqrt(3 / 23)) / 3))),
    ],
)
def test_therneau_grambsch_test1(ties, by_hand, beta_exact):
    res = hamstudy.cox(TEST1, "time", "status", ["x"], ties=ties)
    assert res.n == 6 and res.n_events == 4  # the NA row is dropped, as na.omit
    assert "dropped" in res.warnings[0]
    # closed forms evaluated in double precision: agreement to ~1e-13 is what is left after
    # Newton's last step (< 1e-11 relative) is squared
    assert res.table.loc["x", "coef"] == pytest.approx(beta_exact, rel=1e-12)
    ll1, u1, i1 = by_hand(beta_exact)
    ll0, u0, i0 = by_hand(0.0)
    assert res.loglik == pytest.approx((ll0, ll1), rel=1e-13)
    assert abs(u1) < 1e-13
    assert res.table.loc["x", "std_err"] == pytest.approx(1 / math.sqrt(i1), rel=1e-10)
    assert res.score_test.statistic == pytest.approx(u0**2 / i0, rel=1e-13)
    assert res.wald_test.statistic == pytest.approx(beta_exact**2 * i1, rel=1e-10)


# --------------------------------------------------------------------------- independent peers
def test_agrees_with_lifelines_efron():
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(11)
    n = 400
    d = pd.DataFrame({"a": rng.integers(0, 2, n).astype(float), "b": rng.normal(size=n)})
    t = rng.exponential(np.exp(-(0.8 * d.a - 0.5 * d.b)))
    c = rng.exponential(1.0, n)
    d["t"] = np.round(np.minimum(t, c), 1) + 0.1  # ties
    d["e"] = (t <= c).astype(int)
    ours = hamstudy.cox(d, "t", "e", ["a", "b"])
    peer = CoxPHFitter().fit(d, "t", "e", fit_options={"precision": 1e-12})
    # both solve the same Efron score equations; lifelines stops on a 1e-12 step
    np.testing.assert_allclose(ours.table["coef"], peer.params_[["a", "b"]], atol=1e-9)
    np.testing.assert_allclose(ours.table["std_err"], peer.standard_errors_[["a", "b"]], rtol=1e-7)


def test_firth_score_is_the_gradient_of_the_penalised_loglik():
    from hamstudy.survival import _cox_core as core
    from hamstudy.survival.firth import penalised

    rng = np.random.default_rng(3)
    n = 25
    x = np.c_[rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n)]
    data = core.prepare(x, np.ceil(rng.exponential(size=n) * 4), rng.random(n) < 0.7, "breslow")
    beta = np.array([0.3, -0.6, 0.2])
    h = 1e-5
    num = [(penalised(data, beta + h * e).pl - penalised(data, beta - h * e).pl) / (2 * h) for e in np.eye(3)]
    # central differences: truncation O(h^2) ~ 1e-10, rounding ~ 1e-16 * |pl| / h ~ 1e-10
    np.testing.assert_allclose(penalised(data, beta).score, num, atol=1e-8)


def test_firth_shrinks_towards_zero():
    rng = np.random.default_rng(8)
    n = 40
    x = rng.integers(0, 2, n)
    t = rng.exponential(np.exp(-1.0 * x))
    d = pd.DataFrame({"t": np.round(t, 1) + 0.1, "e": 1, "x": x})
    mle = hamstudy.cox(d, "t", "e", ["x"], ties="breslow").table.loc["x", "coef"]
    pen = hamstudy.cox(d, "t", "e", ["x"], firth=True).table.loc["x", "coef"]
    assert 0 < pen < mle


# --------------------------------------------------------------------------- variance options
def test_cluster_of_singletons_equals_robust():
    rng = np.random.default_rng(2)
    n = 60
    d = pd.DataFrame({"t": np.ceil(rng.exponential(5, n)), "e": rng.random(n) < 0.7, "x": rng.normal(size=n)})
    d["id"] = np.arange(n)
    a = hamstudy.cox(d, "t", "e", ["x"], robust=True)
    b = hamstudy.cox(d, "t", "e", ["x"], cluster="id")
    np.testing.assert_allclose(a.table["std_err"], b.table["std_err"], rtol=1e-13)
    assert "cluster" in b.method and "robust" in a.method


def test_confidence_level_changes_only_the_interval():
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"t": rng.exponential(size=50), "e": 1, "x": rng.normal(size=50)})
    a = hamstudy.cox(d, "t", "e", ["x"])
    b = hamstudy.cox(d, "t", "e", ["x"], confidence_level=0.8)
    assert a.table.loc["x", "coef"] == b.table.loc["x", "coef"]
    assert a.table.loc["x", "ci_low"] < b.table.loc["x", "ci_low"] < b.table.loc["x", "ci_high"] < a.table.loc["x", "ci_high"]
    z = 1.2815515655446004  # norm.ppf(0.9)
    coef, se = b.table.loc["x", ["coef", "std_err"]]
    assert b.table.loc["x", "ci_high"] == pytest.approx(math.exp(coef + z * se), rel=1e-13)


# --------------------------------------------------------------------------- design conventions
def test_factor_levels_sorted_and_named_like_r():
    rng = np.random.default_rng(21)
    n = 60
    d = pd.DataFrame(
        {"t": np.ceil(rng.exponential(5, n)), "e": (rng.random(n) < 0.7).astype(int), "g": rng.choice(list("cab"), n), "flag": rng.random(n) < 0.5}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hamstudy.cox(d, "t", "e", ["g", "flag"])
    assert list(res.table.index) == ["gb", "gc", "flagTRUE"]
    manual = d.assign(gb=(d.g == "b").astype(float), gc=(d.g == "c").astype(float), flagTRUE=d.flag.astype(float))
    ref = hamstudy.cox(manual, "t", "e", ["gb", "gc", "flagTRUE"])
    np.testing.assert_allclose(res.table.to_numpy(), ref.table.to_numpy(), rtol=1e-12)
    # a factor is one term in the PH test, with df = its number of columns
    tab = hamstudy.ph_test(res)
    assert list(tab.index) == ["g", "flag", "GLOBAL"]
    assert list(tab["df"]) == [2, 1, 3]


def test_categorical_order_is_respected():
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1], "arm": ["x", "y"] * 3})
    d["arm"] = pd.Categorical(d.arm, categories=["y", "x"])
    assert list(hamstudy.cox(d, "t", "e", ["arm"]).table.index) == ["armx"]


# --------------------------------------------------------------------------- API and validation
def test_result_frame_and_html(sherry_early):
    res = hamstudy.cox(sherry_early, "time", "event", ["arm", "age"], firth=True)
    assert isinstance(res, CoxResult)
    assert list(res.table.columns) == ["coef", "std_err", "hazard_ratio", "ci_low", "ci_high", "z", "pvalue"]
    fr = res.to_frame()
    assert list(fr.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    np.testing.assert_array_equal(fr["estimate"], res.table["hazard_ratio"])
    assert "<table" in res._repr_html_()


def test_plot_returns_axes(sherry_early):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = fit_quiet(sherry_early, "time", "event", ["arm", "age"])
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    plt.close(fig)


def test_public_name_survives_submodule_import():
    import hamstudy.survival.proportional_hazards  # noqa: F401  (binds the package attribute to the module)

    d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 0, 1], "x": [0.1, 0.5, 0.2, 0.9]})
    assert isinstance(hamstudy.cox(d, "t", "e", ["x"]), CoxResult)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"data": [1, 2]}, TypeError, "DataFrame"),
        ({"duration": "nope"}, ValueError, "duration='nope'"),
        ({"covariates": []}, ValueError, "at least one"),
        ({"covariates": ["x", "x"]}, ValueError, "repeated"),
        ({"ties": "exact"}, ValueError, "ties"),
        ({"confidence_level": 1.5}, ValueError, "confidence_level"),
        ({"firth": True, "robust": True}, ValueError, "firth"),
        ({"firth": True, "cluster": "x"}, ValueError, "firth"),
        ({"robust": "yes"}, TypeError, "robust"),
    ],
)
def test_validation(kwargs, exc, match):
    base = {"data": pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "x": [0.0, 1.0, 0.5]}), "duration": "t", "event": "e", "covariates": ["x"]}
    base.update(kwargs)
    args = [base.pop(k) for k in ("data", "duration", "event", "covariates")]
    with pytest.raises(exc, match=match):
        hamstudy.cox(*args, **base)


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"t": [1, 2, 3], "e": [1, 2, 1], "x": [0.0, 1.0, 0.5]}), "0/1"),
        (pd.DataFrame({"t": [-1, 2, 3], "e": [1, 0, 1], "x": [0.0, 1.0, 0.5]}), "non-negative"),
        (pd.DataFrame({"t": [1, 2, 3], "e": [0, 0, 0], "x": [0.0, 1.0, 0.5]}), "no events"),
        (pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "x": [1.0, 1.0, 1.0]}), "constant"),
        (pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "x": ["a", "a", "a"]}), "single level"),
    ],
)
def test_bad_data(frame, match):
    with pytest.raises(ValueError, match=match):
        hamstudy.cox(frame, "t", "e", ["x"])


def test_collinear_covariates_rejected():
    d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "x": [0.0, 1.0, 0.5, 2.0]})
    d["y"] = 2 * d.x + 1
    with pytest.raises(ValueError, match="collinear"):
        hamstudy.cox(d, "t", "e", ["x", "y"])


def test_ph_test_validation_and_variants(sherry_early):
    ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    res = hamstudy.cox(ipd, "time", "event", ["arm", "age"])
    with pytest.raises(TypeError, match="CoxResult"):
        hamstudy.ph_test("not a fit")
    with pytest.raises(ValueError, match="transform"):
        hamstudy.ph_test(res, transform="sqrt")
    for tr in ("km", "identity", "rank", "log"):
        tab = hamstudy.ph_test(res, transform=tr)
        assert list(tab.columns) == ["chisq", "df", "pvalue"]
        assert list(tab.index) == ["arm", "age", "GLOBAL"]
        assert ((tab.pvalue >= 0) & (tab.pvalue <= 1)).all()
    # refused on a monotone fit (infinite coefficient), defined on its Firth fit
    with pytest.raises(ValueError, match="monotone"):
        hamstudy.ph_test(fit_quiet(sherry_early, "time", "event", ["arm"]))
    assert np.isfinite(hamstudy.ph_test(hamstudy.cox(sherry_early, "time", "event", ["arm", "age"], firth=True)).chisq).all()


def test_monotone_with_robust_variance(sherry_early):
    res = fit_quiet(sherry_early, "time", "event", ["arm", "age"], robust=True)
    assert res.monotone and res.table.loc["armSTST", "coef"] == math.inf
    assert np.isnan(res.table.loc["armSTST", "std_err"])
    assert np.isfinite(res.table.loc["age", "std_err"]) and res.table.loc["age", "std_err"] > 0
    assert math.isnan(res.wald_test.statistic)


# --------------------------------------------------------------------------- invariances
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), shift=st.floats(-50, 50))
def test_invariant_to_row_order_and_affine_covariates(seed, scale, shift):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 60))
    d = pd.DataFrame({"t": np.ceil(rng.exponential(3, n)), "e": (rng.random(n) < 0.7).astype(int), "x": rng.normal(size=n), "a": rng.integers(0, 2, n)})
    if d.e.sum() == 0 or d.a.nunique() < 2:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = hamstudy.cox(d, "t", "e", ["x", "a"])
        perm = hamstudy.cox(d.sample(frac=1, random_state=seed), "t", "e", ["x", "a"])
        aff = hamstudy.cox(d.assign(x=d.x * scale + shift), "t", "e", ["x", "a"])
    assert base.monotone == perm.monotone == aff.monotone
    if base.monotone:
        return
    # rounding-level differences only: the sums are taken in a different order
    np.testing.assert_allclose(perm.table["coef"], base.table["coef"], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(aff.table.loc["x", "coef"] * scale, base.table.loc["x", "coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(aff.table.loc["a", "coef"], base.table.loc["a", "coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(aff.loglik, base.loglik, rtol=1e-11)
