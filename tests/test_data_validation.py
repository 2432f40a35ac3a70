"""Every bad file in tests/data/bad raises DataError naming file, line and column; the CLI exits 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hamstudy
from hamstudy import DataError

BAD = Path(__file__).parent / "data" / "bad"
ROOT = Path(__file__).resolve().parent.parent

# file -> (problem file, line, column, fragment of the message); line/column None where the problem has none
EXPECTED = {
    "binary_missing_total.csv": [("binary_missing_total.csv", 1, "total", "required column is missing")],
    "binary_fractional_count.csv": [("binary_fractional_count.csv", 3, "events", "2.5 is not a whole number")],
    "binary_non_numeric_count.csv": [("binary_non_numeric_count.csv", 2, "events", '"six" is not a number')],
    "binary_events_more_than_total.csv": [("binary_events_more_than_total.csv", 3, "events", "12 is more than total (11)")],
    "binary_zero_and_negative_total.csv": [
        ("binary_zero_and_negative_total.csv", 2, "total", "0 is not greater than 0"),
        ("binary_zero_and_negative_total.csv", 3, "total", "-3 is not greater than 0"),
    ],
    "binary_ragged_row.csv": [("binary_ragged_row.csv", 3, None, "has 4 cells; expected 5")],
    "participants_negative_time.csv": [("participants_negative_time.csv", 3, "time", "-3 is below 0")],
    "participants_missing_time.csv": [("participants_missing_time.csv", 3, "time", "value is missing")],
    "participants_non_numeric_time.csv": [("participants_non_numeric_time.csv", 2, "time", '"ten" is not a number')],
    "participants_bad_event_code.csv": [("participants_bad_event_code.csv", 3, "event", "expected 0 (censored) or 1 (event)")],
    "participants_duplicate_id.csv": [("participants_duplicate_id.csv", 4, "participant_id", '"S01" repeats the participant_id of line 2')],
    "participants_many_problems.csv": [
        ("participants_many_problems.csv", 2, "time", "-1 is below 0"),
        ("participants_many_problems.csv", 3, "time", '"abc" is not a number'),
        ("participants_many_problems.csv", 3, "event", "3 is not an event code"),
        ("participants_many_problems.csv", 4, "participant_id", '"S02" repeats'),
    ],
    "empty.csv": [("empty.csv", None, None, "the file is empty")],
    "header_only.csv": [("header_only.csv", None, None, "no rows")],
    "not_utf8.csv": [("not_utf8.csv", 3, None, "byte 0xfc is not UTF-8")],
    "unknown_kind.csv": [("unknown_kind.csv", 1, None, "cannot tell what this CSV holds")],
    "unknown_arm": [("binary.csv", 5, "arm", '"PATX" is not an arm of sherry2004 in arms.csv; expected one of STST, PATS')],
    "schema_mismatch": [
        ("binary.csv", 1, None, "header does not match datapackage.json (in the file but not the schema: notes)"),
        ("datapackage.json", None, "resources[1].n_randomized", "type 'string' does not match the data; expected 'integer'"),
    ],
    "bad_json": [("datapackage.json", 3, None, "is not valid JSON")],
    "missing_resource": [("datapackage.json", None, "resources[3]", "path 'continuous.csv' does not exist")],
}


def test_every_bad_fixture_is_listed():
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_raises_with_file_line_column(name):
    with pytest.raises(DataError) as info:
        hamstudy.read_trial(BAD / name)
    err = info.value
    assert isinstance(err, ValueError)
    got = [(p.file, p.line, p.column, p.message) for p in err.problems]
    assert len(got) == len(EXPECTED[name]), got
    for (file, line, column, fragment), (gfile, gline, gcol, gmsg) in zip(EXPECTED[name], got):
        assert (gfile, gline, gcol) == (file, line, column)
        assert fragment in gmsg
    # the message itself names the place of the first problem
    first = EXPECTED[name][0]
    text = str(err)
    assert first[0] in text and first[3] in text
    if first[1] is not None:
        assert f"line {first[1]}" in text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_validate_exits_nonzero_without_traceback(name):
    proc = subprocess.run([sys.executable, "-m", "hamstudy", "validate", str(BAD / name)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert EXPECTED[name][0][3] in proc.stderr


def test_cli_bad_path_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "hamstudy", "compare", "6/11", "zero/13"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "expected two whole numbers" in proc.stderr


def test_validate_ok_prints_summary():
    proc = subprocess.run([sys.executable, "-m", "hamstudy", "validate", "data/sherry_best_2004"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0
    assert proc.stdout.startswith("ok: sherry_best_2004: 1 study, 2 arms, 4 binary rows")


def test_missing_path():
    with pytest.raises(DataError, match="no such file or folder"):
        hamstudy.read_trial(BAD / "does_not_exist.csv")


def test_folder_without_descriptor(tmp_path):
    with pytest.raises(DataError, match="has no datapackage.json"):
        hamstudy.read_trial(tmp_path)


CURVES = Path(__file__).parent / "data" / "curves"


def test_digitised_curve_becomes_reconstructed_participants():
    curve, risk = CURVES / "hamstring_synthetic_curve.csv", CURVES / "hamstring_synthetic_at_risk.csv"
    trial = hamstudy.read_trial(curve, at_risk=risk)
    assert trial.provenance.reconstructed and trial.provenance.label == "RECONSTRUCTED"
    assert set(trial.provenance.files) == {curve.name, risk.name}
    ipd = trial.participants
    assert list(ipd.columns[:4]) == ["participant_id", "arm", "time", "event"]
    assert ipd["participant_id"].is_unique
    # the at-risk table's first row of each arm is the number randomised
    first = pd.read_csv(risk).sort_values("time").groupby("arm")["n_risk"].first()
    assert ipd.groupby("arm").size().to_dict() == first.to_dict()
    # a per-arm event total is honoured exactly
    totals = ipd.groupby("arm")["event"].sum().astype(int).to_dict()
    again = hamstudy.read_trial(curve, at_risk=risk, total_events=totals)
    assert again.participants.groupby("arm")["event"].sum().astype(int).to_dict() == totals
    # the provenance says how each arm was rebuilt (the jittered digitisation: Guyot's algorithm)
    (note,) = trial.provenance.notes
    for arm in first.index:
        assert f"{arm}: Guyot et al. (2012) reconstruction (adaptive censoring)" in note


def test_cli_validate_digitised_curve():
    proc = subprocess.run([sys.executable, "-m", "hamstudy", "validate", str(CURVES / "hamstring_synthetic_curve.csv"),
                           "--at-risk", str(CURVES / "hamstring_synthetic_at_risk.csv")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "(reconstructed)" in proc.stdout and "participants" in proc.stdout
