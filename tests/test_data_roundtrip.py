"""Property tests: the loader reads back exactly any valid table the writer writes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import hamstudy
from hamstudy.data import Provenance, Trial, write_trial
from hamstudy.data.schema import MISSING_VALUES, markdown_tables, table_schema

ROOT = Path(__file__).resolve().parent.parent

# text as a researcher may type it: commas, quotes, newlines and non-ASCII included; no surrounding
# white space (the reader strips it) and not a missing-value marker
_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.sampled_from([",", '"', "\n", "é", "µ"])
text = st.text(_chars, min_size=1, max_size=20).map(str.strip).filter(lambda s: s and s not in MISSING_VALUES)
labels = st.lists(text, min_size=1, max_size=4, unique=True)
finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def binary_trials(draw):
    arms = draw(labels)
    rows = []
    for arm in arms:
        for window in draw(st.lists(st.one_of(st.none(), finite), min_size=1, max_size=2, unique=True)):
            total = draw(st.integers(1, 10_000))
            rows.append({
                "study": "t", "arm": arm, "outcome": "reinjury", "window_days": np.nan if window is None else window,
                "events": draw(st.integers(0, total)), "total": total,
                "reported_p": draw(st.one_of(st.just(np.nan), st.floats(0, 1))),
                "source": draw(st.one_of(st.none(), text)),
                "verification": draw(st.sampled_from(["verified", "secondary", "conflict", "unverified"])),
                "notes": draw(st.one_of(st.none(), text)),
            })
    binary = pd.DataFrame(rows)
    arms_df = pd.DataFrame({"study": "t", "arm": arms, "protocol": [draw(st.one_of(st.none(), text)) for _ in arms],
                            "protocol_family": None, "n_randomized": [float(draw(st.integers(1, 500))) for _ in arms]})
    return arms_df, binary


@st.composite
def participant_trials(draw):
    arms = draw(labels)
    n = draw(st.integers(1, 30))
    ids = draw(st.lists(text, min_size=n, max_size=n, unique=True))
    ipd = pd.DataFrame({
        "participant_id": ids,
        "arm": [draw(st.sampled_from(arms)) for _ in ids],
        "time": [draw(finite) for _ in ids],
        "event": [draw(st.integers(0, 1)) for _ in ids],
        "exposure_hours": [draw(finite) for _ in ids],
        "age": [float(draw(st.integers(15, 45))) for _ in ids],
    })
    arms_df = pd.DataFrame({"study": "t", "arm": arms, "protocol": None, "protocol_family": None, "n_randomized": np.nan})
    return arms_df, ipd


def _trial(arms, binary=None, participants=None):
    studies = pd.DataFrame({"study": ["t"], "citation": ["x"], "doi": [None], "year": [2020.0], "notes": [None]})
    return Trial(name="t", title="t", kind="trial", arms=arms, binary=binary if binary is not None else pd.DataFrame(),
                 continuous=pd.DataFrame(), participants=participants, studies=studies, provenance=Provenance(name="t"))


def _roundtrip(trial):
    with tempfile.TemporaryDirectory() as tmp:
        write_trial(trial, Path(tmp) / "pkg")
        return hamstudy.read_trial(Path(tmp) / "pkg")


@settings(max_examples=60, deadline=None)
@given(binary_trials())
def test_binary_roundtrip(data):
    arms, binary = data
    back = _roundtrip(_trial(arms, binary=binary))
    cols = list(binary.columns)
    pd.testing.assert_frame_equal(back.binary[cols], binary[cols], check_dtype=False)
    pd.testing.assert_frame_equal(back.arms[["arm", "protocol", "n_randomized"]], arms[["arm", "protocol", "n_randomized"]], check_dtype=False)


@settings(max_examples=60, deadline=None)
@given(participant_trials())
def test_participants_roundtrip(data):
    arms, ipd = data
    back = _roundtrip(_trial(arms, participants=ipd))
    pd.testing.assert_frame_equal(back.participants[list(ipd.columns)], ipd, check_dtype=False)


def test_rewrite_of_a_bundled_package_is_identical(tmp_path):
    for name in ("sherry_best_2004", "hamstring_rcts", "sherry_best_2004_synthetic_ipd"):
        trial = hamstudy.datasets.load(name)
        back = _roundtrip(trial)
        for table in ("arms", "binary", "continuous", "studies"):
            pd.testing.assert_frame_equal(getattr(back, table), getattr(trial, table))
        assert back.provenance.synthetic == trial.provenance.synthetic


def test_data_readme_shows_the_schema():
    assert markdown_tables() in (ROOT / "data" / "README.md").read_text(encoding="utf-8")


def test_failed_write_leaves_the_earlier_package_intact(tmp_path, monkeypatch):
    import pytest

    import hamstudy.data.write as w

    trial = hamstudy.datasets.load("sherry_best_2004")
    target = write_trial(trial, tmp_path / "pkg")
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def broken(kind, cols):
        if kind == "binary":
            raise OSError("disk full")
        return table_schema(kind, cols)

    monkeypatch.setattr(w, "table_schema", broken)
    with pytest.raises(OSError, match="disk full"):
        write_trial(trial, tmp_path / "pkg")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging folder left behind
