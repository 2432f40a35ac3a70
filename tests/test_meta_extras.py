"""tau2_ci, egger_test, leave_one_out, cumulative and subgroup against metafor.

References: tests/reference/meta_extras.csv (tests/reference/meta_metafor.R) on dat.bcg,
dat.egger2001, the hamstring four and 20 generated sets with zero cells.

Tolerances: Q-profile bounds are roots found to ~1e-12 absolute on both sides (R uniroot with
tol 1e-12; we brentq to machine precision): rtol 1e-8 with atol 1e-10. REML-based quantities as
in test_meta_reference (rtol 1e-8, atol 1e-10); closed-form (MH, Peto, DL) rtol 1e-10 with atol
1e-12; p-values rtol 1e-7.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_meta_refs_helpers import binary_sets, close, extras

from hamstudy.meta import cumulative, egger_test, leave_one_out, meta_binary, meta_generic, subgroup, tau2_ci

SPECS = {
    "REML_z": dict(measure="RR", method="IV", tau2="REML", hksj=False),
    "REML_knha": dict(measure="RR", method="IV", tau2="REML", hksj=True),
    "DL_z": dict(measure="RR", method="IV", tau2="DL", hksj=False),
    "MH": dict(measure="RR", method="MH"),
    "PetoOR": dict(measure="OR", method="Peto"),
}


def _tol(spec_name):
    return (1e-8, 1e-10) if spec_name.startswith("REML") else (1e-10, 1e-12)


def _fit(name, spec_name):
    d = binary_sets()[name]
    level = 0.95
    if spec_name.endswith("_90"):  # confint at a 90% level
        spec_name, level = spec_name[:-3], 0.90
    return meta_binary(d, events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", study="study",
                       confidence_level=level, **SPECS[spec_name])


def _ref(what_prefix):
    e = extras()
    e = e[e["what"].str.startswith(what_prefix)]
    out = {}
    for (model, what), g in e.groupby(["model", "what"], sort=False):
        out[(model, what)] = dict(zip(g["key"], g["value"].astype(float)))
    return out


def _models(what_prefix):
    return sorted({m for (m, _) in _ref(what_prefix)})


def test_tau2_ci_against_confint():
    refs = _ref("confint")
    assert len(refs) >= 50
    assert sum(m.endswith("_90") for m, _ in refs) >= 10
    for (model, _), r in refs.items():
        name, spec = model.split("|")
        res = _fit(name, spec)
        ci = tau2_ci(res)
        for ours, key in ((ci.tau2_low, "tau2.lb"), (ci.tau2_high, "tau2.ub"), (ci.i2_low, "I2.lb"), (ci.i2_high, "I2.ub")):
            assert close(ours, r[key], rtol=1e-8, atol=1e-10 * (100 if "I2" in key else 1)), (model, key, ours, r[key])
        assert ci.tau2_low <= res.tau2 <= ci.tau2_high or math.isclose(res.tau2, ci.tau2_low, abs_tol=1e-10)


def test_egger_against_regtest():
    refs = _ref("regtest")
    assert len(refs) >= 80
    for (model, what), r in refs.items():
        name, spec = model.split("|")
        res = _fit(name, spec)
        kind = "lm" if what == "regtest_lm" else "rma"
        t = egger_test(res, model=kind)
        rtol, atol = _tol(spec)
        if kind == "lm":
            rtol = 1e-10
        assert close(t.statistic, r["zval"], rtol=rtol, atol=atol), (model, what, t.statistic, r["zval"])
        assert close(t.pvalue, r["pval"], rtol=1e-7, atol=1e-300), (model, what)
        if not math.isnan(r["dfs"]):
            assert t.df == r["dfs"]
        if kind == "rma":
            assert close(t.details["limit_estimate"], r["est"], rtol=rtol, atol=atol), (model, "est")
            assert close(t.details["limit_ci_low"], r["ci.lb"], rtol=rtol, atol=atol), (model, "ci.lb")
            assert close(t.details["limit_ci_high"], r["ci.ub"], rtol=rtol, atol=atol), (model, "ci.ub")


def _sequence_check(kind):
    refs = _ref(kind + ":")
    by_model: dict = {}
    for (model, what), r in refs.items():
        by_model.setdefault(model, {})[what.split(":")[-1]] = r
    assert len(by_model) >= 80
    n_rows = 0
    for model, rows in by_model.items():
        name, spec = model.split("|")
        res = _fit(name, spec)
        d = binary_sets()[name]
        tab = leave_one_out(res) if kind == "leave1out" else cumulative(res, order=d["year"].to_numpy())
        rtol, atol = _tol(spec)
        ours = {s: row for s, row in zip(tab["study"], tab.to_dict("records"))}
        for label, r in rows.items():
            if all(math.isnan(v) for v in r.values()):
                # a dropped (double-zero) study has no row; an MH fit with no events in one arm is NA/NaN
                assert label not in ours or math.isnan(ours[label]["log_estimate"])
                continue
            o = ours[label]
            n_rows += 1
            for ok, rk in (("log_estimate", "estimate"), ("se", "se"), ("tau2", "tau2"), ("i2", "I2"), ("q", "Q")):
                if rk not in r:  # rma.mh / rma.peto lists have no tau2 column
                    continue
                a = atol * (100 if rk == "I2" else 1)
                assert close(o[ok], r[rk], rtol=rtol, atol=a), (model, kind, label, rk, o[ok], r[rk])
            lo = math.log(o["ci_low"]) if res.is_ratio else o["ci_low"]
            assert close(lo, r["ci.lb"], rtol=rtol, atol=atol), (model, kind, label, "ci.lb")
            if "pval" in r:  # metafor 3.8's cumul for rma.mh/rma.peto has no p-value column
                assert close(o["pvalue"], r["pval"], rtol=1e-7, atol=1e-300), (model, kind, label, "pval")
            assert close(o["q_pvalue"], r["Qp"], rtol=1e-7, atol=1e-300), (model, kind, label, "Qp")
        # and no extra rows on our side
        assert set(ours) <= set(rows)
    return n_rows


@pytest.mark.slow
def test_leave_one_out_against_leave1out():
    assert _sequence_check("leave1out") > 500


@pytest.mark.slow
def test_cumulative_against_cumul():
    assert _sequence_check("cumul") > 500


def test_subgroup_against_metafor():
    refs = _ref("subgroup")
    assert len(refs) >= 30
    for (model, what), r in refs.items():
        name, spec = model.split("|")
        method, test = spec.split("_")
        d = binary_sets()[name]
        res = meta_binary(d, events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", study="study", measure="RR",
                          method="IV", tau2=method, hksj=test == "knha")
        rtol, atol = (1e-8, 1e-10) if method == "REML" else (1e-10, 1e-12)
        if what == "subgroup_moderator":
            sg = subgroup(res, d["group"].to_numpy(), test="moderator")
            assert close(sg.statistic, r["QM"], rtol=rtol, atol=atol), (model, sg.statistic, r["QM"])
            assert close(sg.pvalue, r["QMp"], rtol=1e-7), model
            assert close(sg.tau2, r["tau2"], rtol=rtol, atol=atol), model
        else:
            sg = subgroup(res, d["group"].to_numpy(), test="separate")
            assert close(sg.statistic, r["Qb"], rtol=rtol, atol=atol), (model, sg.statistic, r["Qb"])
            assert close(sg.pvalue, r["Qbp"], rtol=1e-7), model


def test_subgroup_results_are_the_model_within_each_group():
    d = binary_sets()["bcg"]
    res = meta_binary(d, events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", study="study", method="MH")
    sg = subgroup(res, d["group"].to_numpy())
    rnd = d["group"] == "random"
    direct = meta_binary(d[rnd], events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", method="MH")
    assert sg.results["random"].estimate == direct.estimate
    assert sg.df == 2
    frame = sg.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert "difference" in frame.index
    with pytest.raises(ValueError, match="moderator"):
        subgroup(res, d["group"].to_numpy(), test="moderator")
    with pytest.raises(ValueError, match="one label per study"):
        subgroup(res, ["a", "b"])


def test_tau2_ci_zero_when_homogeneous():
    # Q(0) below the lower chi-square quantile: both bounds 0 (metafor prints "<0")
    res = meta_generic([0.1, 0.1001, 0.0999], [0.5, 0.5, 0.5], tau2="REML")
    ci = tau2_ci(res)
    assert (ci.tau2_low, ci.tau2_high) == (0.0, 0.0)
    assert list(ci.to_frame().index) == ["tau2", "tau", "i2", "h2"]


def test_extras_validate_arguments():
    res = meta_generic([0.1, 0.2], [0.1, 0.1])
    with pytest.raises(ValueError, match="at least 3"):
        egger_test(res)
    with pytest.raises(ValueError, match="model must be"):
        egger_test(meta_generic([0.1, 0.2, 0.3], [0.1, 0.1, 0.1]), model="glm")
    with pytest.raises(TypeError, match="MetaResult"):
        leave_one_out("not a result")
    with pytest.raises(ValueError, match="order must have"):
        cumulative(res, order=[1])
    with pytest.raises(ValueError, match="at least 2"):
        tau2_ci(meta_generic([0.1], [0.1]))


def test_cumulative_order_ties_are_stable():
    res = meta_generic([0.1, 0.5, -0.3, 0.2], [0.04, 0.05, 0.06, 0.07], study=list("abcd"))
    tab = cumulative(res, order=[2001, 2000, 2001, 2000])
    assert list(tab["study"]) == ["b", "d", "a", "c"]
    assert list(tab["k"]) == [1, 2, 3, 4]
    assert tab["log_estimate"].iat[0] == pytest.approx(0.5, abs=0)  # one study: its own effect
    assert np.isclose(tab["log_estimate"].iat[-1], res.log_estimate, rtol=1e-14)


def test_reml_where_metafor_scoring_oscillates():
    """metafor's Fisher scoring oscillates on this set (error at the default step; converges with
    stepadj = 0.5). We maximise the restricted likelihood directly and land on the same root:
    rtol 1e-10 (both are roots of the same score equation to ~1e-13)."""
    r = _ref("reml_stepadj")[("oscillating|REML", "reml_stepadj")]
    assert r["default_step_fails"] == 1
    y = [r[f"y{i}"] for i in range(1, 7)]
    v = [r[f"v{i}"] for i in range(1, 7)]
    res = meta_generic(y, v, tau2="REML")
    assert close(res.tau2, r["tau2"], rtol=1e-10)
    assert close(res.log_estimate, r["beta"], rtol=1e-10)
    assert close(res.se, r["se"], rtol=1e-10)
