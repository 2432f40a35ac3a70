"""The ``design`` verb (hamstudy.design.cli)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hamstudy.design import events_logrank, sample_size_fisher, sample_size_logrank
from hamstudy.design.cli import add_parser

ROOT = Path(__file__).resolve().parents[1]


def _run(argv):
    parser = argparse.ArgumentParser(prog="hamstudy")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_fisher_text_and_json(capsys):
    assert _run(["design", "fisher", "--p1", "0.55", "--p2", "0.05", "--power", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "n1 = 14, n2 = 14" in out
    assert _run(["design", "fisher", "--p1", "0.75", "--p2", "0.25", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    expected = sample_size_fisher(0.75, 0.25)
    assert (record["n1"], record["n1_stable"]) == (expected.n1, expected.n1_stable) == (18, 18)
    assert record["achieved_power"] == expected.achieved_power


def test_fisher_ratio_and_sawtooth_message(capsys):
    assert _run(["design", "fisher", "--p1", "0.6", "--p2", "0.4"]) == 0
    out = capsys.readouterr().out
    assert "n1 = 102, n2 = 102" in out and "stays >= 0.8 from n1 = 108, n2 = 108" in out
    assert _run(["design", "fisher", "--p1", "0.5", "--p2", "0.1", "--ratio", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n2"] == 2 * record["n1"]


def test_logrank_text_json_and_simulation(capsys):
    argv = ["design", "logrank", "--hazard-ratio", "0.3", "--control-median", "60", "--accrual", "180",
            "--follow-up", "90"]
    assert _run(argv) == 0
    out = capsys.readouterr().out
    res = sample_size_logrank(0.3, control_median=60, accrual=180, follow_up=90)
    assert f"n1 = {res.n1}, n2 = {res.n2}" in out and "lachin-foulkes" in out
    assert _run(argv + ["--json", "--method", "schoenfeld", "--simulate", "500", "--seed", "1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["events"] == events_logrank(0.3)
    assert record["n_sims"] == 500 and 0 <= record["simulated_power"] <= 1


def test_logrank_control_rate(capsys):
    assert _run(["design", "logrank", "--hazard-ratio", "0.5", "--control-rate", "0.01", "--follow-up", "100",
                 "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["total"] == sample_size_logrank(0.5, control_rate=0.01, follow_up=100).total


def test_bad_values_raise_value_error():
    with pytest.raises(ValueError, match="p1"):
        _run(["design", "fisher", "--p1", "1.5", "--p2", "0.1"])
    with pytest.raises(ValueError, match="hazard_ratio"):
        _run(["design", "logrank", "--hazard-ratio", "1", "--control-median", "10", "--follow-up", "10"])
    with pytest.raises(ValueError, match="simulate"):
        _run(["design", "logrank", "--hazard-ratio", "0.5", "--control-median", "10", "--follow-up", "10",
              "--simulate", "-3"])


def test_through_python_dash_m():
    if not (ROOT / "hamstudy" / "cli.py").exists():
        pytest.skip("the lead's hamstudy/cli.py is not there yet")
    cmd = [sys.executable, "-m", "hamstudy", "design", "fisher", "--p1", "0.55", "--p2", "0.05", "--power", "0.8"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "n1 = 14" in done.stdout
    bad = subprocess.run(cmd[:5] + ["--p1", "2", "--p2", "0.1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "p1" in bad.stderr


def test_help_does_not_import_numpy():
    code = (
        "import sys, argparse\n"
        "from hamstudy.design.cli import add_parser\n"
        "p = argparse.ArgumentParser(); add_parser(p.add_subparsers())\n"
        "assert 'numpy' not in sys.modules, sorted(m for m in sys.modules if 'numpy' in m)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
