"""The report command as a researcher uses it: `python -m hamstudy report`, its files and its numbers.

The full default run (every bundled dataset, HTML + Markdown + PDF) is built once per module and
inspected by many tests. The headless-browser and PDF-rendering checks live in test_browser.py.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import io
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import hamstudy
from hamstudy.cli import main
from hamstudy.report.format import (
    NumberStyle,
    fmt_ci,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_prob,
    fmt_pvalue,
    format_frame,
)

EVIL = "<script>alert(1)</script>"
BUNDLED = ["hamstring_rcts", "sherry_best_2004", "sherry_best_2004_synthetic_ipd"]


# --------------------------------------------------------------------------------------------
# fixtures


def write_evil_package(folder: Path) -> Path:
    """The Sherry data package with markup in every string a report prints (study, arm, source, title)."""
    from hamstudy.data import write_trial

    trial = hamstudy.datasets.load("sherry_best_2004")

    def sub(df):
        df = df.copy()
        if "study" in df:
            df["study"] = EVIL
        if "arm" in df:
            df["arm"] = df["arm"].replace({"STST": "<b>STST</b>"})
        return df

    binary = sub(trial.binary)
    binary.loc[0, "source"] = "<img src=x onerror=alert(2)>"
    studies = sub(trial.studies)
    studies["citation"] = EVIL + " et al. J $x$ 2004"
    evil = dataclasses.replace(trial, name="evil", title="Evil " + EVIL, arms=sub(trial.arms), binary=binary,
                               continuous=sub(trial.continuous), studies=studies)
    return write_trial(evil, folder / "evil")


_BUILT: dict = {}


def built_reports() -> Path:
    """Every bundled dataset and the markup-laden package, reported once per test session.

    `python -m hamstudy report --out DIR` (no target: every bundled dataset, every format), then the
    markup-laden package into the same folder. test_browser.py imports this, so the (slowest) build
    runs once for both modules.
    """
    if "out" not in _BUILT:
        root = Path(tempfile.mkdtemp(prefix="hamstudy-report-test-"))
        atexit.register(shutil.rmtree, root, True)
        out = root / "reports"
        t0 = time.perf_counter()
        assert main(["report", "--out", str(out), "--quiet"]) == 0
        _BUILT["seconds"] = time.perf_counter() - t0
        package = write_evil_package(root)
        assert main(["report", str(package), "--out", str(out), "--quiet"]) == 0
        _BUILT["out"] = out
        # the 20 s budget is measured (and reported), not asserted: timings in unit tests are flaky
        print(f"\ndefault report on the bundled data: {_BUILT['seconds']:.1f} s")
    return _BUILT["out"]


@pytest.fixture(scope="module")
def default_run():
    return built_reports()


@pytest.fixture(scope="module")
def evil_run():
    return built_reports()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# number formatting: the one place


def test_pvalue_styles():
    assert fmt_pvalue(0.0021) == ".002"
    assert fmt_pvalue(0.0021, style=NumberStyle(p_style="leading-zero")) == "0.002"
    assert fmt_pvalue(0.00002) == "< .001"
    assert fmt_pvalue(0.00002, style=NumberStyle(p_style="leading-zero")) == "< 0.001"
    assert fmt_pvalue(0.000123, style=NumberStyle(p_style="exact")) == "0.000123"
    assert fmt_pvalue(1.0) == "1"
    assert fmt_pvalue(0.24) == ".240"
    assert fmt_pvalue(0.24, style=NumberStyle(p_digits=2)) == ".24"
    assert fmt_p(0.043) == "p = .043"
    assert fmt_p(1e-9) == "p < .001"
    assert fmt_p(float("nan")) == "p not available"


def test_pvalue_never_rounds_across_005_or_to_1():
    # .0499 must not print as .050 (it would read as "not significant"); .99996 must not print as 1
    assert fmt_pvalue(0.0499) == ".0499"
    assert fmt_pvalue(0.04996) == ".04996"
    assert fmt_pvalue(0.0501) == ".050"
    assert fmt_pvalue(0.99996) != "1"
    with pytest.raises(ValueError, match="p-value must be in"):
        fmt_pvalue(1.5)


def test_significant_digits_inf_and_missing():
    assert fmt_num(0.012345) == "0.0123"
    assert fmt_num(1234.5) == "1235"  # half-up on the decimal value, not banker's rounding
    assert fmt_num(2.675) == "2.68"  # repr(2.675) is '2.675' although the binary value is below it
    assert fmt_num(0.09996) == "0.100"
    assert fmt_num(-0.5) == "\u22120.500"
    assert fmt_num(1.2345e-5) == "1.23e\u22125" or fmt_num(1.2345e-5) == "1.23e-5"
    assert fmt_num(float("inf")) == "\u221e"
    assert fmt_num(float("-inf")) == "\u2212\u221e"
    assert fmt_num(float("nan")) == "NA"
    assert fmt_num(None) == "NA"
    assert fmt_num(0.0) == "0"
    assert fmt_num(3.14159, 2) == "3.1"
    assert fmt_ci(0.1, float("inf")) == "0.100 to \u221e"
    assert fmt_pct(6 / 11) == "54.5%"
    assert fmt_prob(0.99999) == "> 0.999"
    assert fmt_prob(1.0) == "1.000"
    with pytest.raises(ValueError, match="p_style"):
        NumberStyle(p_style="nejm")
    with pytest.raises(ValueError, match="sig_digits"):
        NumberStyle(sig_digits=0)


def test_format_frame_formats_every_number_and_leaves_input_alone():
    import pandas as pd

    frame = pd.DataFrame({"estimate": [0.5, 2.0], "ci_low": [0.1234, float("nan")], "ci_high": [float("inf"), 3.0],
                          "pvalue": [0.0004, float("nan")], "method": ["a", "b"]}, index=["x", "y"])
    out = format_frame(frame)
    assert out.loc["x"].tolist() == ["0.500", "0.123", "\u221e", "< .001", "a"]
    assert out.loc["y"].tolist() == ["2.00", "", "3.00", "", "b"]
    assert frame["estimate"].dtype == float  # unchanged


# --------------------------------------------------------------------------------------------
# renderers: escaping


def _evil_document():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hamstudy.report.document import Badge, Callout, Cell, Document, Figure, Heading, Paragraph, Table

    doc = Document(name="x", title=EVIL, synthetic=True, subtitle=EVIL)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label=EVIL)
    ax.set_title(EVIL + " -- -->")
    ax.legend()
    doc.add(Heading(EVIL), Paragraph(EVIL + " *bold* | pipe"), Callout(EVIL, kind="warning", title=EVIL),
            Table(("a" + EVIL, "b"), ((Cell(EVIL, badge=Badge("conflict", EVIL)), "x|y"),), caption=EVIL, notes=(EVIL,)),
            Figure(fig, "f", caption=EVIL, alt=EVIL))
    doc.cite(EVIL)
    return doc, fig


def test_html_escapes_every_string_and_has_no_script_or_remote_resource():
    from hamstudy.report.figures import svg_markup
    from hamstudy.report.html import render_html

    doc, fig = _evil_document()
    page = render_html(doc, {"f": svg_markup(fig, salt="t")}, links=[(EVIL, "a.md")], footer=EVIL)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror" not in page or "onerror=alert(2)" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no network fetches
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("SYNTHETIC DATA") >= 2  # banner and footer


def test_markdown_escapes_markup_and_pipes():
    from hamstudy.report.markdown import md_escape, render_markdown

    doc, _ = _evil_document()
    text = render_markdown(doc)
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("*x*") == "\\*x\\*"
    assert md_escape("1. list") == "1\\. list"
    assert text.startswith("> **SYNTHETIC DATA")
    # every table line has the same number of unescaped pipes as the header
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    counts = {len(re.findall(r"(?<!\\)\|", line)) for line in table_lines}
    assert counts == {3}


def test_svg_is_deterministic_and_ids_are_unique_in_a_page():
    from hamstudy.report.figures import inline_svg, svg_markup

    doc, fig = _evil_document()
    a = svg_markup(fig, salt="one")
    assert a == svg_markup(fig, salt="one")
    assert "<dc:date>" not in a
    # two figures inlined in one page: no id in common, and every reference points at an id of its own figure
    one, two = inline_svg(a, prefix="f-one"), inline_svg(svg_markup(fig, salt="two"), prefix="f-two")
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    ids_two = set(re.findall(r'\bid="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', one))
    assert refs and refs <= ids_one
    assert not one.lstrip().startswith("<?xml")


# --------------------------------------------------------------------------------------------
# atomic output, progress, manifest


def test_staged_output_failure_leaves_previous_output_intact(tmp_path):
    from hamstudy._atomic import StagedOutput

    out = tmp_path / "reports"
    out.mkdir()
    (out / "figures").mkdir()
    (out / "figures" / "nb.svg").write_text("from a notebook")
    with StagedOutput(out) as stage:
        (stage.path / "a").mkdir()
        (stage.path / "a" / "report.html").write_text("first")
        (stage.path / "index.html").write_text("index 1")
        stage.commit()
    with pytest.raises(RuntimeError, match="boom"):
        with StagedOutput(out) as stage:
            (stage.path / "a").mkdir()
            (stage.path / "a" / "report.html").write_text("second")
            raise RuntimeError("boom")
    assert read(out / "a" / "report.html") == "first"
    assert read(out / "index.html") == "index 1"
    assert read(out / "figures" / "nb.svg") == "from a notebook"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reports.")]  # no staging left behind


def test_staged_output_rolls_back_when_a_rename_fails(tmp_path, monkeypatch):
    import os

    from hamstudy import _atomic as atomic

    out = tmp_path / "reports"
    with atomic.StagedOutput(out) as stage:
        for name in ("a", "b"):
            (stage.path / name).mkdir()
            (stage.path / name / "f").write_text(f"old {name}")
        stage.commit()
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if Path(dst).name == "b" and Path(src).parent.name.startswith(".reports.tmp-"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        with atomic.StagedOutput(out) as stage:
            for name in ("a", "b"):
                (stage.path / name).mkdir()
                (stage.path / name / "f").write_text(f"new {name}")
            stage.commit()
    assert read(out / "a" / "f") == "old a"
    assert read(out / "b" / "f") == "old b"


def test_progress_plain_lines_in_a_pipe():
    from hamstudy.report.progress import track

    stream = io.StringIO()  # not a terminal
    assert list(track(["x", "y"], desc="report", stream=stream)) == ["x", "y"]
    lines = stream.getvalue().splitlines()
    assert lines[:2] == ["report [1/2] x", "report [2/2] y"]
    assert lines[2].startswith("report: 2 done in ")
    quiet = io.StringIO()
    assert list(track([1], desc="r", stream=quiet, enabled=False)) == [1]
    assert quiet.getvalue() == ""


def test_progress_bar_on_a_terminal():
    from hamstudy.report.progress import track

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    assert list(track(["a", "b"], desc="report", stream=stream)) == ["a", "b"]
    assert "2/2" in stream.getvalue() and "\r" in stream.getvalue()  # tqdm redraws in place


@pytest.mark.slow
def test_manifest_records_inputs_versions_command_and_time(default_run):
    manifest = json.loads(read(default_run / "sherry_best_2004" / "manifest.json"))
    assert manifest["command"].startswith("python -m hamstudy report --out ")
    for name in ("hamstudy", "numpy", "scipy", "pandas", "statsmodels", "lifelines", "matplotlib", "python"):
        assert manifest["versions"][name]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["finished_utc"])
    trial = hamstudy.datasets.load("sherry_best_2004")
    inputs = {entry["path"]: entry["sha256"] for entry in manifest["inputs"]}
    assert set(inputs) == set(trial.provenance.files)
    for rel, digest in inputs.items():
        assert hashlib.sha256((trial.path / rel).read_bytes()).hexdigest() == digest
    # outputs are hashed too, and the hashes match the files
    for rel, digest in manifest["outputs"].items():
        assert hashlib.sha256((default_run / "sherry_best_2004" / rel).read_bytes()).hexdigest() == digest
    assert manifest["synthetic"] is False
    synthetic = json.loads(read(default_run / "sherry_best_2004_synthetic_ipd" / "manifest.json"))
    assert synthetic["synthetic"] is True


# --------------------------------------------------------------------------------------------
# sections


def test_every_section_is_available():
    """A section whose analysis module does not import (or lacks a contracted name) fails here loudly."""
    from hamstudy.report.sections import section_status

    status = section_status()
    assert status == {name: None for name in status}, status


# --------------------------------------------------------------------------------------------
# the default run


@pytest.mark.slow
def test_default_run_writes_every_file(default_run):
    index = read(default_run / "index.html")
    for name in BUNDLED:
        folder = default_run / name
        for file in ("report.html", "report.md", "report.pdf", "manifest.json"):
            assert (folder / file).is_file(), (name, file)
        assert f'href="{name}/report.html"' in index
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
        md = read(folder / "report.md")
        for svg in re.findall(r"\]\(<(figures/[^>]+\.svg)>\)", md):
            assert (folder / svg).is_file()


@pytest.mark.slow
def test_html_is_self_contained(default_run):
    for name in BUNDLED:
        page = read(default_run / name / "report.html")
        assert "<script" not in page.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page), name
        assert "@import" not in page
        assert set(re.findall(r"url\((.)", page)) <= {"#"}  # only references inside the page's own SVGs
        assert "<?xml" not in page and "<!DOCTYPE svg" not in page  # SVG prologs stripped when inlined


@pytest.mark.slow
def test_synthetic_label_on_every_synthetic_page(default_run):
    page = read(default_run / "sherry_best_2004_synthetic_ipd" / "report.html")
    assert 'class="synbanner"' in page
    assert "SYNTHETIC DATA" in page
    md = read(default_run / "sherry_best_2004_synthetic_ipd" / "report.md")
    assert md.startswith("> **SYNTHETIC DATA") and md.rstrip().endswith("SYNTHETIC DATA: not observations from any trial.**")
    index = read(default_run / "index.html")
    row = next(line for line in index.split("<tr>") if "sherry_best_2004_synthetic_ipd" in line)
    assert "SYNTHETIC" in row
    for name in ("sherry_best_2004", "hamstring_rcts"):
        assert 'class="synbanner"' not in read(default_run / name / "report.html")


@pytest.mark.slow
def test_conflict_is_visible_next_to_the_number(default_run):
    for name in ("sherry_best_2004", "hamstring_rcts"):
        page = read(default_run / name / "report.html")
        assert "b-conflict" in page and "CONFLICT" in page, name
        # the 1-year PATS count carries the badge in the same table cell
        assert re.search(r"1/13<span class=\"badge b-conflict\"", page), name
        assert "one review table lists 0/13" in page
        md = read(default_run / name / "report.md")
        assert "1/13 [**CONFLICT**]" in md


@pytest.mark.slow
def test_numbers_in_the_report_are_the_library_numbers(default_run):
    """The Fisher p, the RR and the Wilson interval printed are those of compare_binary, formatted once."""
    from hamstudy.binary import wilson_interval

    page = read(default_run / "sherry_best_2004" / "report.html")
    res = hamstudy.compare_binary(6, 11, 0, 13, labels=("STST", "PATS"))
    assert f"<td class=\"num\">{fmt_pvalue(res.fisher.pvalue)}</td>" in page
    assert fmt_ci(res.risk_ratio.ci_low, res.risk_ratio.ci_high) in page
    w = wilson_interval(6, 11, confidence_level=0.95)
    assert f"{fmt_pct(w.estimate)} ({fmt_pct(w.ci_low)} to {fmt_pct(w.ci_high)})" in page
    assert f"Fisher exact test {fmt_p(res.fisher.pvalue)}" in page  # in the Results sentence


@pytest.mark.slow
def test_methods_results_and_references(default_run):
    page = read(default_run / "sherry_best_2004" / "report.html")
    methods = re.search(r'<p class="methods">(Methods\..*?)</p>', page, re.S).group(1)
    for phrase in ("Fisher exact test", "Wilson", "Newcombe", "Boschloo", "fragility index", "Beta(1, 1)"):
        assert phrase in methods
    assert "Analyses used hamstudy" in methods
    results = re.search(r'<p class="methods">(Results\..*?)</p>', page, re.S).group(1)
    assert "6 of 11 athletes with STST" in results and "0 of 13 with PATS" in results
    refs = re.search(r'<ol class="refs">(.*?)</ol>', page, re.S).group(1)
    for author in ("Wilson EB", "Newcombe RG", "Walsh M", "Boschloo RD"):
        assert author in refs
    ipd = read(default_run / "sherry_best_2004_synthetic_ipd" / "report.html")
    for author in ("Kaplan EL", "Heinze G, Schemper M", "Aalen OO"):
        assert author in ipd


@pytest.mark.slow
def test_collection_report_pools_with_three_methods_and_states_heterogeneity(default_run):
    page = read(default_run / "hamstring_rcts" / "report.html")
    for method in ("Mantel-Haenszel", "Peto", "REML random effects, HKSJ"):
        assert method in page
    assert "Clinical heterogeneity" in page
    assert "Conflicting source figure" in page
    for study in ("Sherry &amp; Best 2004", "Askling et al. 2013", "Askling et al. 2014", "Mendiguchia et al. 2017"):
        assert study in page
    assert page.count("<figure") >= 2  # forest and funnel


@pytest.mark.slow
def test_survival_report_has_km_cox_and_firth(default_run):
    page = read(default_run / "sherry_best_2004_synthetic_ipd" / "report.html")
    assert 'id="fig-km"' in page and 'id="fig-cumulative-incidence"' in page
    assert "Firth-penalised Cox" in page
    assert "Exact (permutation) log-rank test" in page
    # by day 14 PATS has no reinjury: Cox is not estimable there, Firth gives a finite hazard ratio
    early = re.findall(r"<tr><td>first 14 days</td><td>(.*?)</td><td>.*?</td><td class=\"num\">(.*?)</td>", page)
    assert early == [("Cox (Efron ties)", "not estimable"), ("Firth-penalised Cox", early[1][1])]
    assert re.fullmatch(r"\d+(\.\d+)?", early[1][1])


@pytest.mark.slow
def test_svg_files_are_deterministic_between_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert main(["report", "sherry_best_2004", "--out", str(out), "--format", "md", "--quiet"]) == 0
    svgs = sorted((a / "sherry_best_2004" / "figures").glob("*.svg"))
    assert svgs
    for svg in svgs:
        assert svg.read_bytes() == (b / "sherry_best_2004" / "figures" / svg.name).read_bytes()
    assert read(a / "sherry_best_2004" / "report.md") == read(b / "sherry_best_2004" / "report.md")


# --------------------------------------------------------------------------------------------
# the command line


@pytest.mark.slow
def test_study_named_script_renders_as_text(evil_run):
    page = read(evil_run / "evil" / "report.html")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>STST</b>" not in page and "&lt;b&gt;STST&lt;/b&gt;" in page
    assert "<img" not in page
    md = read(evil_run / "evil" / "report.md")
    assert "<script" not in md and "<img" not in md
    assert "<script" not in read(evil_run / "index.html").lower()


@pytest.mark.slow
def test_unknown_target_is_one_line_and_exit_2_and_keeps_previous_report(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["report", "sherry_best_2004", "--out", str(out), "--format", "html", "--quiet"]) == 0
    before = read(out / "sherry_best_2004" / "report.html")
    capsys.readouterr()
    assert main(["report", "sherry_best_2004", "no_such_dataset", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "no_such_dataset" in err and "bundled dataset" in err
    assert read(out / "sherry_best_2004" / "report.html") == before


@pytest.mark.slow
def test_failure_midway_leaves_previous_report_intact(tmp_path, monkeypatch, capsys):
    """A section that raises in the second target: nothing of the new run is written."""
    from hamstudy.report import sections

    out = tmp_path / "reports"
    assert main(["report", "sherry_best_2004", "--out", str(out), "--format", "html", "--quiet"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    original = sections.Section.build
    seen = []

    def fail_on_second(self, ctx):
        seen.append(ctx.trial.name)
        if ctx.trial.name == "sherry_best_2004":
            raise ValueError("simulated failure in the middle of a run")
        return original(self, ctx)

    monkeypatch.setattr(sections.Section, "build", fail_on_second)
    capsys.readouterr()
    code = main(["report", "hamstring_rcts", "sherry_best_2004", "--out", str(out), "--format", "html", "--quiet"])
    assert code == 2
    assert "hamstring_rcts" in seen
    assert capsys.readouterr().err.count("\n") == 1
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not (out / "hamstring_rcts").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reports.")]


@pytest.mark.slow
def test_bad_format_and_outcome_are_readable_errors(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r"), "--format", "html,docx"]) == 2
    assert "html, md, pdf" in capsys.readouterr().err
    assert main(["report", "sherry_best_2004", "--out", str(tmp_path / "r"), "--outcome", "death", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "'death'" in err and "reinjury" in err


@pytest.mark.slow
def test_outcome_option_restricts_the_report(tmp_path):
    out = tmp_path / "r"
    assert main(["report", "sherry_best_2004", "--out", str(out), "--outcome", "days_to_return", "--format", "html",
                 "--quiet"]) == 0
    page = read(out / "sherry_best_2004" / "report.html")
    assert "Days to return to sport" in page
    assert "Fisher exact test" not in page


@pytest.mark.slow
def test_index_keeps_reports_from_earlier_runs(tmp_path):
    out = tmp_path / "r"
    assert main(["report", "sherry_best_2004", "--out", str(out), "--format", "html", "--quiet"]) == 0
    assert main(["report", "sherry_best_2004_synthetic_ipd", "--out", str(out), "--format", "html", "--quiet"]) == 0
    index = read(out / "index.html")
    assert 'href="sherry_best_2004/report.html"' in index
    assert 'href="sherry_best_2004_synthetic_ipd/report.html"' in index


@pytest.mark.slow
def test_report_of_a_csv_path(tmp_path):
    """A TARGET may be the path of a single CSV (here a two-row binary table) or of a package folder."""
    csv = tmp_path / "mini.csv"
    csv.write_text("arm,outcome,window_days,events,total\nSTST,reinjury,14,6,11\nPATS,reinjury,14,0,13\n")
    out = tmp_path / "r"
    trial = hamstudy.datasets.load("sherry_best_2004")
    assert main(["report", str(csv), str(trial.path), "--out", str(out), "--format", "md", "--quiet"]) == 0
    md = read(out / "mini" / "report.md")
    assert "6/11" in md and "Fisher exact test" in md
    manifest = json.loads(read(out / "mini" / "manifest.json"))
    assert manifest["inputs"] == [{"path": "mini.csv", "sha256": hashlib.sha256(csv.read_bytes()).hexdigest(),
                                   "location": str(csv.resolve())}]
    assert (out / "sherry_best_2004" / "report.md").is_file()


@pytest.mark.slow
def test_p_style_option(tmp_path):
    out = tmp_path / "r"
    assert main(["report", "sherry_best_2004", "--out", str(out), "--format", "md", "--quiet", "--p-style",
                 "leading-zero"]) == 0
    md = read(out / "sherry_best_2004" / "report.md")
    assert "p = 0." in md or "p < 0.001" in md
    assert not re.search(r"p [=<] \.\d", md)


def test_docstring_examples_hold():
    import doctest

    from hamstudy import _atomic as atomic
    from hamstudy.report import format as fmt

    for module in (fmt, atomic):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_published_numbers_keep_their_precision():
    from hamstudy.report.format import fmt_data

    assert fmt_data(8.3) == "8.3" and fmt_data(37.0) == "37" and fmt_data(float("nan")) == "NA"
