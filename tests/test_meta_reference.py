"""hamstudy.meta against metafor (reference files from tests/reference/meta_metafor.R).

Tolerances:
* closed-form fits (MH, Peto, common-effect IV, DL): rtol 1e-10. Both sides evaluate the same
  sums in double precision; summation order differs, which costs at most a few ulps times k.
* REML and PM: both sides solve for tau² to about 1e-12 (R with threshold/tol 1e-12, we to machine
  precision), so tau² and everything downstream agree to ~1e-11 relative: rtol 1e-8 plus atol
  1e-10 for values at or near 0 (tau² exactly 0 against metafor's 1e-13 step-halving residue).
* p-values: a relative error e in z moves p by about z²·e relative, so rtol 1e-7 (z up to ~30).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_meta_refs_helpers import binary_sets, close, continuous_sets, studies, summary, versions

from hamstudy.meta import meta_binary, meta_continuous

CLOSED_RTOL = 1e-10
ITER_RTOL, ITER_ATOL = 1e-8, 1e-10
P_RTOL = 1e-7


def _tols(method_tau2: str):
    if method_tau2 in ("REML", "PM"):
        return ITER_RTOL, ITER_ATOL
    return CLOSED_RTOL, 1e-13


def _binary_models():
    return [m for m in summary() if m.split("|")[0] in binary_sets()]


def _cont_models():
    return [m for m in summary() if m.split("|")[0] in continuous_sets()]


def _fit_binary(model_id):
    name, measure, method, tau2, test, *level = model_id.split("|")  # optional 6th field: level in %
    d = binary_sets()[name]
    return meta_binary(d, events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", study="study",
                       measure=measure, method=method, tau2=None if tau2 == "FE" else tau2, hksj=test == "knha",
                       confidence_level=float(level[0]) / 100 if level else 0.95)


def _log(measure, x):
    return math.log(x) if measure in ("RR", "OR") else x


def _compare(model_id, res, measure, deviations):
    ref = summary()[model_id]
    rtol, atol = _tols(model_id.split("|")[3])
    pairs = {
        "beta": res.log_estimate, "se": res.se, "zval": res.statistic,
        "ci.lb": _log(measure, res.ci_low), "ci.ub": _log(measure, res.ci_high),
        "tau2": res.tau2, "I2": res.i2, "H2": res.h2, "QE": res.q, "QEp": res.q_pvalue, "k": res.k,
    }
    if "pi.lb" in ref and not math.isnan(ref["pi.lb"]):
        pairs["pi.lb"] = _log(measure, res.pi_low)
        pairs["pi.ub"] = _log(measure, res.pi_high)
    for key, ours in pairs.items():
        r = ref[key]
        a = atol * (100 if key in ("I2",) else 1)
        assert close(ours, r, rtol=rtol, atol=a), f"{model_id} {key}: ours {ours!r} metafor {r!r}"
        if np.isfinite(r) and abs(r) > 1e-3:  # relative deviation where it means something (atol governs near 0)
            deviations.append(abs(ours - r) / abs(r))
    assert close(res.pvalue, ref["pval"], rtol=P_RTOL, atol=1e-300), f"{model_id} pval {res.pvalue} vs {ref['pval']}"
    assert close(res.q_pvalue, ref["QEp"], rtol=P_RTOL, atol=1e-300)
    if model_id not in studies():  # the 90% models: per-study values do not depend on the level
        return
    st = studies()[model_id]
    assert close(res.table["yi"], st["yi"], rtol=1e-12, atol=1e-15), f"{model_id} yi"
    assert close(res.table["vi"], st["vi"], rtol=1e-12), f"{model_id} vi"
    assert close(res.table["weight"], st["weight"], rtol=max(rtol, 1e-10), atol=atol), f"{model_id} weights"


def test_reference_files_cover_the_brief():
    assert "metafor 3.8" in versions() and "R version" in versions()
    names = list(binary_sets())
    gen = [n for n in names if n.startswith("gen")]
    assert {"bcg", "egger2001", "hamstring4"} <= set(names)
    assert len(gen) >= 50
    sizes = [len(binary_sets()[n]) for n in gen]
    assert min(sizes) >= 2 and max(sizes) <= 20
    # zero cells and double zeros are present
    allrows = [binary_sets()[n] for n in gen]
    assert sum(((d.ai == 0) & (d.ci == 0)).sum() for d in allrows) >= 10
    assert sum(((d.ai == 0) ^ (d.ci == 0)).sum() for d in allrows) >= 30
    assert sum(((d.ai == d.n1i) & (d.ci == d.n2i)).sum() for d in allrows) >= 1


@pytest.mark.slow
def test_binary_against_metafor_all_models():
    """Every rma.mh / rma.peto / rma model on every reference set: 1,764 fits."""
    deviations: list[float] = []
    models = _binary_models()
    assert len(models) >= 63 * 28  # 3 measures x (MH + 4 tau2 x 2 tests) + Peto
    assert sum(m.endswith("|90") for m in models) >= 20  # and some at a 90% level
    for model_id in models:
        res = _fit_binary(model_id)
        _compare(model_id, res, model_id.split("|")[1], deviations)
    # largest seen: 2.5e-8 on I² = 0.047% (tau² = 4e-6 on the RD scale, where metafor's stop at a
    # Fisher-scoring step below 1e-12 leaves ~1e-13 absolute); everything else below 4e-9
    assert max(deviations) < 5e-8


@pytest.mark.parametrize("model_id", ["bcg|RR|IV|REML|z", "bcg|RR|MH|FE|z", "egger2001|OR|Peto|FE|z",
                                      "gen04|RR|IV|PM|knha", "gen15|RD|MH|FE|z", "hamstring4|RR|IV|REML|knha"])
def test_binary_spot_checks(model_id):
    _compare(model_id, _fit_binary(model_id), model_id.split("|")[1], [])


def test_continuous_against_metafor():
    deviations: list[float] = []
    models = _cont_models()
    assert len(models) >= 200
    for model_id in models:
        name, measure, _, tau2, test = model_id.split("|")
        d = continuous_sets()[name]
        res = meta_continuous(d, mean_t="m1i", sd_t="sd1i", n_t="n1i", mean_c="m2i", sd_c="sd2i", n_c="n2i",
                              median_t="med1", q1_t="q11", q3_t="q31", median_c="med2", q1_c="q12", q3_c="q32",
                              study="study", measure=measure, tau2=None if tau2 == "FE" else tau2,
                              hksj=test == "knha")
        _compare(model_id, res, measure, deviations)
    assert max(deviations) < 1e-8


def test_published_bcg_values():
    """Viechtbauer (2010), J Stat Softw 36(3), sections on dat.bcg: REML -0.7145 (SE 0.1798),
    tau² 0.3132; MH RR 0.6353 (0.5881 to 0.6862). Printed to 4 decimals, so compared to 5e-5."""
    d = binary_sets()["bcg"]
    kw = dict(events_t="ai", total_t="n1i", events_c="ci", total_c="n2i", measure="RR")
    reml = meta_binary(d, method="IV", tau2="REML", **kw)
    assert reml.log_estimate == pytest.approx(-0.7145, abs=5e-5)
    assert reml.se == pytest.approx(0.1798, abs=5e-5)
    assert reml.tau2 == pytest.approx(0.3132, abs=5e-5)
    mh = meta_binary(d, method="MH", **kw)
    assert mh.estimate == pytest.approx(0.6353, abs=5e-5)
    assert mh.ci_low == pytest.approx(0.5881, abs=5e-5)
    assert mh.ci_high == pytest.approx(0.6862, abs=5e-5)
