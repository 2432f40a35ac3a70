"""``censoring="even"`` is the published algorithm of Guyot et al. (2012): per-point events and
censorings must equal, exactly, those of an R transcription of the published code
(tests/reference/reconstruct_guyot.R -> reconstruct_guyot_R.csv) on the fixture curves of
tests/data/curves/ (written by tests/reference/reconstruct_make_fixtures.py, seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hamstudy.reconstruct import reconstruct_ipd
from hamstudy.reconstruct.guyot import guyot

HERE = Path(__file__).resolve().parent
CURVES = HERE / "data" / "curves"
R_REF = pd.read_csv(HERE / "reference" / "reconstruct_guyot_R.csv")
MANIFEST = pd.read_csv(CURVES / "manifest.csv")
CASES = [(row.case, total) for row in MANIFEST.itertuples() for total in (None, int(row.total_events))]


def _load(case):
    curve = pd.read_csv(CURVES / f"{case}_curve.csv")
    risk = pd.read_csv(CURVES / f"{case}_at_risk.csv")
    return curve, risk


def _reference(case, total):
    sel = R_REF["case"] == case
    sel &= R_REF["total_events"].isna() if total is None else R_REF["total_events"] == total
    return R_REF[sel].sort_values("k")


@pytest.mark.parametrize("case,total", CASES, ids=[f"{c}-{'E' if t is not None else 'noE'}" for c, t in CASES])
def test_even_mode_equals_published_algorithm(case, total):
    curve, risk = _load(case)
    ref = _reference(case, total)
    t = curve["time"].to_numpy()
    # the fixture times are written with 17 significant digits, so R and Python read the same doubles
    assert np.array_equal(ref["time"].to_numpy(), t)
    lower = np.searchsorted(t, risk["time"].to_numpy())
    fit = guyot(t, curve["survival"].to_numpy(), lower, risk["n_risk"].to_numpy(), total, censoring="even")
    # integer counts: exact equality
    np.testing.assert_array_equal(fit.d, ref["d"].to_numpy())
    np.testing.assert_array_equal(fit.cen, ref["cen"].to_numpy())


@pytest.mark.parametrize("case", MANIFEST["case"].tolist())
def test_ipd_rows_follow_the_published_layout(case):
    """Events at the digitised times, censorings half-way between points, the rest at the end."""
    curve, risk = _load(case)
    ref = _reference(case, None)
    ipd = reconstruct_ipd(curve, risk, censoring="even")
    t = curve["time"].to_numpy()
    d, cen = ref["d"].to_numpy(), ref["cen"].to_numpy()
    ev = ipd[ipd["event"] == 1]["time"].to_numpy()
    np.testing.assert_array_equal(np.sort(ev), np.repeat(t, d))
    mid = (t[:-1] + t[1:]) / 2
    n0 = int(risk["n_risk"].iloc[0])
    expected_cens = np.sort(np.concatenate([np.repeat(mid, cen[:-1]), np.full(n0 - d.sum() - cen[:-1].sum(), t[-1])]))
    np.testing.assert_array_equal(np.sort(ipd[ipd["event"] == 0]["time"].to_numpy()), expected_cens)
    assert len(ipd) == n0
    # the cleaning log is empty: the fixture points are already clean and include the at-risk times
    assert ipd.attrs["cleaning"] == []
