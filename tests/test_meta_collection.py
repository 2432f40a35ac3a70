"""pairwise_binary and the worked example on the bundled hamstring collection.

The metafor values for exactly the four 2x2 tables come from tests/reference/meta_metafor.R, which
reads the counts from the curated source file (shared/data/hamstring_rcts.csv), so no count is typed
twice. Tolerances as in test_meta_reference (closed form rtol 1e-10; REML rtol 1e-8).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_meta_refs_helpers import binary_sets, close, summary

from hamstudy.meta import meta_binary, pairwise_binary

FAMS = dict(treatment_families=["integrated", "lengthening"], control_families=["conventional", "isolated"])


def _hand_built():
    arms = pd.DataFrame({
        "study": ["s1", "s1", "s2", "s2", "s3", "s3", "s4"],
        "arm": ["A", "B", "L", "C", "X", "Y", "all"],
        "protocol": ["p"] * 7,
        "protocol_family": ["integrated", "isolated", "lengthening", "conventional", "injection", "conventional", None],
        "n_randomized": [13, 11, 37, 38, 14, 14, 29],
    })
    binary = pd.DataFrame({
        "study": ["s1", "s1", "s1", "s1", "s2", "s2", "s3", "s3", "s4"],
        "arm": ["A", "B", "A", "B", "L", "C", "X", "Y", "all"],
        "outcome": ["reinjury"] * 9,
        "window_days": [14, 14, 365, 365, 365, 365, 365, 365, 365],
        "events": [0, 6, 1, 7, 0, 1, 2, 3, 4],
        "total": [13, 11, 13, 10, 37, 38, 14, 14, 29],
        "reported_p": [None] * 9,
        "source": [""] * 9,
        "verification": ["secondary", "secondary", "conflict", "secondary", "verified", "verified", "verified",
                         "verified", "verified"],
        "notes": [None, None, "one review says 0/13", "denominator 10 of 11", None, None, None, None, None],
    })
    studies = pd.DataFrame({"study": ["s1", "s2", "s3", "s4"], "citation": "", "doi": "", "year": [2004, 2013, 2014, 2013]})
    return SimpleNamespace(arms=arms, binary=binary, studies=studies)


def test_pairwise_binary_hand_built():
    out = pairwise_binary(_hand_built(), outcome="reinjury", **FAMS)
    assert list(out.columns[:12]) == ["study", "events_t", "total_t", "events_c", "total_c", "arm_t", "arm_c",
                                      "protocol_family_t", "protocol_family_c", "window_days", "verification", "notes"]
    assert list(out["study"]) == ["s1", "s2"]  # s3 has no treatment family, s4 no family at all
    s1 = out.iloc[0]
    # longest window by default; the weaker status of the two arms; both arms' notes
    assert (s1.events_t, s1.total_t, s1.events_c, s1.total_c, s1.window_days) == (1, 13, 7, 10, 365)
    assert (s1.arm_t, s1.arm_c, s1.protocol_family_c) == ("A", "B", "isolated")
    assert s1.verification == "conflict"
    assert s1.notes == "A: one review says 0/13; B: denominator 10 of 11"
    assert list(out["year"]) == [2004, 2013]


def test_pairwise_binary_windows():
    t = _hand_built()
    w14 = pairwise_binary(t, outcome="reinjury", window_days=14, **FAMS)
    assert list(w14["study"]) == ["s1"] and w14["events_c"].iat[0] == 6
    per = pairwise_binary(t, outcome="reinjury", window_days={"s1": 14}, **FAMS)
    assert list(per["window_days"]) == [14, 365]


def test_pairwise_binary_validation():
    t = _hand_built()
    with pytest.raises(ValueError, match="outcome 'return'"):
        pairwise_binary(t, outcome="return", **FAMS)
    with pytest.raises(ValueError, match="both treatment and control"):
        pairwise_binary(t, outcome="reinjury", treatment_families="isolated", control_families=["isolated"])
    with pytest.raises(TypeError, match="collection Trial"):
        pairwise_binary(object(), outcome="reinjury", **FAMS)
    three = _hand_built()
    three.arms = pd.concat([three.arms, pd.DataFrame({"study": ["s2"], "arm": ["L2"], "protocol": ["p"],
                                                      "protocol_family": ["lengthening"], "n_randomized": [30]})])
    extra = three.binary[three.binary["arm"] == "L"].assign(arm="L2")
    three.binary = pd.concat([three.binary, extra], ignore_index=True)
    with pytest.raises(ValueError, match="2 treatment and 1 control"):
        pairwise_binary(three, outcome="reinjury", **FAMS)
    with pytest.raises(TypeError, match="window_days"):
        pairwise_binary(t, outcome="reinjury", window_days="365", **FAMS)


def test_pairwise_feeds_meta_binary():
    out = pairwise_binary(_hand_built(), outcome="reinjury", **FAMS)
    res = meta_binary(out, events_t="events_t", total_t="total_t", events_c="events_c", total_c="total_c",
                      study="study", measure="RR", method="MH")
    assert res.k == 2 and list(res.table["study"]) == ["s1", "s2"]


# --- the bundled collection -------------------------------------------------------------------------

datasets = pytest.importorskip("hamstudy.datasets")


def _collection():
    try:
        return datasets.load("hamstring_rcts")
    except Exception as exc:  # pragma: no cover - only while the loader is being written
        pytest.skip(f"hamstring_rcts not loadable yet: {exc}")


def test_worked_example_tables_match_the_r_reference():
    from hamstudy.meta.example import hamstring_reinjury_example

    ex = hamstring_reinjury_example(_collection())
    ref = binary_sets()["hamstring4"]
    assert list(ex.studies["study"]) == list(ref["study"])
    for ours, theirs in (("events_t", "ai"), ("total_t", "n1i"), ("events_c", "ci"), ("total_c", "n2i")):
        assert list(ex.studies[ours]) == list(ref[theirs])
    assert list(ex.studies["window_days"]) == [365, 365, 365, 182]
    sherry = ex.studies.iloc[0]
    assert (sherry.arm_t, sherry.arm_c, sherry.protocol_family_c) == ("PATS", "STST", "isolated")
    assert sherry.verification == "conflict"  # the 1-year PATS count: 1/13 in three sources, 0/13 in one
    assert any("in conflict" in c for c in ex.caveats)
    assert any("clinically different" in c for c in ex.caveats)


@pytest.mark.parametrize("label, model_id, rtol", [
    ("MH (RR)", "hamstring4|RR|MH|FE|z", 1e-10),
    ("Peto (OR)", "hamstring4|OR|Peto|FE|z", 1e-10),
    ("REML + HKSJ (RR)", "hamstring4|RR|IV|REML|knha", 1e-8),
    ("REML, z (RR)", "hamstring4|RR|IV|REML|z", 1e-8),
])
def test_worked_example_against_metafor(label, model_id, rtol):
    from hamstudy.meta.example import hamstring_reinjury_example

    res = hamstring_reinjury_example(_collection()).results[label]
    ref = summary()[model_id]
    for ours, key in ((res.log_estimate, "beta"), (res.se, "se"), (math.log(res.ci_low), "ci.lb"),
                      (math.log(res.ci_high), "ci.ub"), (res.tau2, "tau2"), (res.q, "QE"), (res.i2, "I2")):
        assert close(ours, ref[key], rtol=rtol, atol=1e-10), (label, key, ours, ref[key])
    assert close(res.pvalue, ref["pval"], rtol=1e-7)
    if "pi.lb" in ref and np.isfinite(ref["pi.lb"]):
        assert close(math.log(res.pi_low), ref["pi.lb"], rtol=rtol)
        assert close(math.log(res.pi_high), ref["pi.ub"], rtol=rtol)


def test_worked_example_frame_and_sensitivity():
    from hamstudy.meta.example import hamstring_reinjury_example

    ex = hamstring_reinjury_example(_collection())
    frame = ex.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert "REML + HKSJ (RR): prediction" in frame.index
    # the conflicting Sherry count as a sensitivity analysis: PATS 0/13 instead of 1/13
    sens = ex.results["MH (RR), Sherry PATS 0/13"]
    assert sens.table["events_t"].iat[0] == 0
    assert sens.estimate < ex.results["MH (RR)"].estimate


def test_pairwise_continuous_return_to_sport_against_metafor():
    """Days to return to sport: the five usable comparisons (Vermeulen by Wan et al. from median and
    quartiles) against metafor on the same figures (dataset hamstring_rts, built in R from the
    curated source file)."""
    from hamstudy.meta import meta_continuous, pairwise_continuous

    rts = pairwise_continuous(_collection(), outcome="days_to_return", **FAMS)
    ref = __import__("test_meta_refs_helpers").continuous_sets()["hamstring_rts"]
    assert list(rts["study"]) == list(ref["study"])
    assert list(rts.attrs["excluded"]) == ["hickey2020"]  # medians with a 95% CI, not quartiles
    assert "arm pain-threshold: neither mean and SD nor median and quartiles" in rts.attrs["excluded"]["hickey2020"]
    for ours, theirs in (("mean_t", "m1i"), ("sd_t", "sd1i"), ("n_t", "n1i"), ("median_c", "med2"), ("q3_c", "q32")):
        assert close(rts[ours], ref[theirs], rtol=0)
    cols = {f"{m}_{s}": f"{m}_{s}" for m in ("mean", "sd", "n", "median", "q1", "q3") for s in ("t", "c")}
    for model_id in ("hamstring_rts|MD|IV|REML|knha", "hamstring_rts|SMD|IV|DL|z"):
        _, measure, _, tau2, test = model_id.split("|")
        res = meta_continuous(rts, study="study", measure=measure, tau2=tau2, hksj=test == "knha", **cols)
        r = summary()[model_id]
        rtol = 1e-8 if tau2 == "REML" else 1e-10
        for ours, key in ((res.log_estimate, "beta"), (res.se, "se"), (res.tau2, "tau2"), (res.pi_low, "pi.lb")):
            assert close(ours, r[key], rtol=rtol), (model_id, key, ours, r[key])
        assert list(res.table["derived"]) == [False, True, False, False, False]
