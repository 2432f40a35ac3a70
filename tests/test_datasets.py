"""The bundled datasets: contents, provenance, and that they are what the committed build scripts make."""

from __future__ import annotations

import filecmp
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hamstudy

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "hamstring_rcts.csv"


def test_list():
    table = hamstudy.datasets.list()
    assert list(table.columns) == ["name", "title", "kind", "source"]
    assert table["name"].tolist() == ["hamstring_rcts", "sherry_best_2004", "sherry_best_2004_synthetic_ipd"]
    kinds = dict(zip(table["name"], table["kind"]))
    assert kinds == {"hamstring_rcts": "collection", "sherry_best_2004": "trial", "sherry_best_2004_synthetic_ipd": "participant-level (synthetic)"}


def test_unknown_name():
    with pytest.raises(ValueError, match="no bundled dataset 'nope'; available: hamstring_rcts"):
        hamstudy.datasets.load("nope")


def test_sherry_binary_rows_with_provenance():
    trial = hamstudy.datasets.load("sherry_best_2004")
    b = trial.binary
    got = list(zip(b["arm"], b["outcome"], b["window_days"], b["events"], b["total"], b["verification"]))
    assert got == [
        ("STST", "reinjury", 14.0, 6, 11, "secondary"),
        ("PATS", "reinjury", 14.0, 0, 13, "secondary"),
        ("STST", "reinjury", 365.0, 7, 10, "secondary"),
        ("PATS", "reinjury", 365.0, 1, 13, "conflict"),
    ]
    conflict = b.iloc[3]
    assert "0/13" in conflict["notes"] and "1/13" in conflict["notes"]
    assert b["source"].notna().all()
    c = trial.continuous
    assert list(zip(c["arm"], c["mean"], c["sd"], c["n"], c["reported_p"])) == [("STST", 37.4, 27.6, 11, 0.24), ("PATS", 22.2, 8.3, 13, 0.24)]
    assert trial.arms["arm"].tolist() == ["STST", "PATS"]
    assert trial.arms["n_randomized"].tolist() == [11, 13]
    assert trial.kind == "trial" and trial.participants is None
    assert trial.provenance.verification == {"secondary": 3, "conflict": 1, "verified": 2}
    assert not trial.provenance.synthetic
    assert any("10.2519/jospt.2004.34.3.116" in s["path"] for s in trial.provenance.sources)
    assert set(trial.provenance.files) == {"datapackage.json", "studies.csv", "arms.csv", "binary.csv", "continuous.csv"}


def test_collection_holds_every_trial_of_the_source():
    trial = hamstudy.datasets.load("hamstring_rcts")
    assert trial.kind == "collection"
    src = pd.read_csv(SHARED) if SHARED.exists() else None
    studies = ["sherry2004", "silder2013", "askling2013", "askling2014", "mendiguchia2017", "hickey2020", "vermeulen2022", "ahamid2014", "petersen2011"]
    assert trial.studies["study"].tolist() == studies
    assert trial.studies["year"].tolist() == [2004, 2013, 2013, 2014, 2017, 2020, 2022, 2014, 2011]
    assert len(trial.binary) == 13 and len(trial.arms) == 19
    if src is not None:
        n_binary = src["outcome"].isin(["reinjury", "recurrent_injury"]).sum()
        assert len(trial.binary) == n_binary
    askling = trial.binary[trial.binary["study"] == "askling2013"]
    assert askling[["arm", "events", "total"]].values.tolist() == [["L", 0, 37], ["C", 1, 38]]
    assert set(trial.binary["verification"]) == {"verified", "secondary", "conflict"}


def test_synthetic_ipd_matches_published_counts_and_says_so():
    trial = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd")
    assert trial.provenance.synthetic and trial.provenance.label == "SYNTHETIC"
    assert "SYNTHETIC" in trial.title and "not the trial's data" in trial.title
    ipd = trial.participants
    assert list(ipd.columns[:5]) == ["participant_id", "arm", "time", "event", "exposure_hours"]

    def count(arm, window):
        d = ipd[ipd["arm"] == arm]
        events = ((d["event"] == 1) & (d["time"] <= window)).sum()
        followed = ((d["time"] >= window) | ((d["event"] == 1) & (d["time"] <= window))).sum()
        return int(events), int(followed)

    assert count("STST", 14) == (6, 11) and count("PATS", 14) == (0, 13)
    assert count("STST", 365) == (7, 10) and count("PATS", 365) == (1, 13)
    assert (ipd["exposure_hours"] >= 0).all() and (ipd["time"] <= 365).all()


@pytest.mark.skipif(not SHARED.exists(), reason="shared/data is not beside the project")
def test_bundled_packages_are_what_the_scripts_build(tmp_path):
    code = (
        "import sys; sys.path.insert(0, {root!r}); sys.argv=['x'];"
        "import importlib.util as u; from pathlib import Path;"
        "s=u.spec_from_file_location('b', {root!r}+'/data/build_datasets.py'); b=u.module_from_spec(s); s.loader.exec_module(b);"
        "b.build({shared!r} and Path({shared!r}), Path({out!r}));"
        "s=u.spec_from_file_location('m', {root!r}+'/data/make_synthetic_ipd.py'); m=u.module_from_spec(s); s.loader.exec_module(m);"
        "m.build(Path({out!r})/m.NAME)"
    ).format(root=str(ROOT), shared=str(SHARED), out=str(tmp_path))
    subprocess.run([sys.executable, "-c", code], check=True)
    for name in ("sherry_best_2004", "hamstring_rcts", "sherry_best_2004_synthetic_ipd"):
        cmp = filecmp.dircmp(tmp_path / name, ROOT / "data" / name)
        assert not cmp.left_only and not cmp.right_only
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / name, ROOT / "data" / name, cmp.common_files, shallow=False)
        assert mismatch == [] and errors == [], f"{name}: {mismatch} differ from the committed data; run `make data`"


def test_compare_on_trial_uses_arm_order_and_windows():
    trial = hamstudy.datasets.load("sherry_best_2004")
    rows = trial.binary_rows("reinjury", 14)
    assert rows["arm"].tolist() == ["STST", "PATS"]
    with pytest.raises(ValueError, match="several windows \\(14, 365 days\\); pass window_days="):
        trial.binary_rows("reinjury")
    with pytest.raises(ValueError, match="no binary outcome 'pain'"):
        trial.binary_rows("pain")


@pytest.mark.slow
def test_wheel_ships_the_bundled_data(tmp_path):
    """Build a wheel (non-editable install path) and load the datasets from the unpacked wheel."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if proc.returncode != 0 and "hatchling" in proc.stderr:
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("hamstudy-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "hamstudy/_bundled/sherry_best_2004/datapackage.json" in names
    code = "import hamstudy, sys; t=hamstudy.datasets.load('sherry_best_2004'); assert 'site' in hamstudy.__file__, hamstudy.__file__; print(int(t.binary.events.sum()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "14"


def test_trial_compare_equals_compare_binary_and_passes_reported_p():
    trial = hamstudy.datasets.load("sherry_best_2004")
    got = trial.compare("reinjury", window_days=365)
    want = hamstudy.compare_binary(7, 10, 1, 13, labels=("STST", "PATS"))
    pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
    assert got.audit is None  # no reinjury p-value was found for this trial
    rcts = hamstudy.datasets.load("hamstring_rcts")
    pet = rcts.compare("recurrent_injury", study="petersen2011")
    assert pet.labels == ("Nordic", "control") and pet.events == (3, 20)
    assert pet.audit is not None and pet.audit.value == 0.003
    assert pet.audit.disagreement  # an adjusted analysis: the crude exact p-values are all below .001
