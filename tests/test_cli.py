"""The command line: fast help, thin verbs, one readable line on errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "statsmodels", "lifelines")


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "hamstudy", *args], capture_output=True, text=True, cwd=kw.pop("cwd", ROOT), **kw)


def test_help_imports_no_heavy_module():
    # --help must answer fast: check that building the parser pulls in none of the heavy libraries
    code = (
        "import sys, hamstudy.cli as c; p=c.build_parser();"
        f"heavy=[m for m in {HEAVY!r} if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_help_lists_every_verb():
    proc = run("--help")
    assert proc.returncode == 0
    for verb in ("datasets", "validate", "compare", "report", "design"):
        assert verb in proc.stdout


def test_datasets_verb():
    proc = run("datasets", "--json")
    assert proc.returncode == 0
    names = [r["name"] for r in json.loads(proc.stdout)]
    assert names == ["hamstring_rcts", "sherry_best_2004", "sherry_best_2004_synthetic_ipd"]


def test_main_module_is_two_lines():
    lines = [line for line in (ROOT / "hamstudy" / "__main__.py").read_text().splitlines() if line.strip()]
    assert len(lines) == 2


@pytest.mark.parametrize("args, fragment", [
    (["compare", "12/11", "0/13"], "expected 0 <= events <= total"),
    (["compare", "6/11", "0/13", "--labels", "STST"], "expected two labels"),
    (["validate", "no/such/path"], "no such file or folder"),
])
def test_bad_arguments_give_one_line(args, fragment):
    proc = run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_compare_json_matches_library():
    import hamstudy

    proc = run("compare", "6/11", "0/13", "--labels", "STST,PATS", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    want = json.loads(json.dumps(hamstudy.compare_binary(6, 11, 0, 13, labels=("STST", "PATS")).to_dict()))
    assert got == want


def test_compare_table():
    proc = run("compare", "6/11", "0/13", "--labels", "STST,PATS")
    assert proc.returncode == 0, proc.stderr
    assert "STST: 6/11" in proc.stdout and "Fisher" in proc.stdout


def test_public_names_resolve_to_functions_after_submodule_imports():
    # importing a submodule named like its function must not turn the public name into a module
    code = (
        "import importlib, inspect, hamstudy;"
        "[importlib.import_module(m) for m in set(hamstudy._LAZY.values())];"
        "bad=[n for n in hamstudy._LAZY if inspect.ismodule(getattr(hamstudy, n))]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
