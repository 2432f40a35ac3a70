"""Build reports: targets -> documents -> files, written atomically.

The public entry point is :func:`build_reports` (the ``report`` command calls it); :func:`build_document`
gives the document of one trial, for use from Python.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from hamstudy._atomic import StagedOutput
from hamstudy.report.context import Context
from hamstudy.report.document import Callout, Document, Heading, Paragraph
from hamstudy.report.format import DEFAULT_STYLE, NumberStyle

__all__ = ["FORMATS", "build_reports", "build_document", "resolve_targets", "parse_formats", "ReportRun"]

FORMATS = ("html", "md", "pdf")
_FILES = {"html": "report.html", "md": "report.md", "pdf": "report.pdf"}


def folder_name(name: str) -> str:
    """The output folder of a report: the dataset name with anything unsafe in a path replaced."""
    import re

    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip(".-")
    return cleaned or "report"


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,md"`` -> ``("html", "md")``; unknown names raise ValueError."""
    items = [s.strip().lower() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    items = ["md" if s == "markdown" else s for s in items]
    bad = [s for s in items if s not in FORMATS]
    if bad or not items:
        raise ValueError(f"--format {','.join(items) if items else text!r}: expected one or more of {', '.join(FORMATS)} separated by commas")
    return tuple(dict.fromkeys(items))


def resolve_targets(targets: Iterable[str] | None) -> list:
    """Load each target: a bundled dataset name, or a path to a data package folder or CSV file.

    With no targets, every bundled dataset. Two targets with the same name are an error (their reports
    would overwrite each other).
    """
    from hamstudy import datasets
    from hamstudy.data import read_trial

    targets = list(targets or [])
    trials = []
    if not targets:
        trials = [datasets.load(name) for name in datasets.list()["name"]]
    else:
        bundled = list(datasets.list()["name"])
        for target in targets:
            path = Path(target)
            if path.exists():
                trials.append(read_trial(path))
            elif target in bundled:
                trials.append(datasets.load(target))
            else:
                raise ValueError(
                    f"{target!r} is neither a bundled dataset ({', '.join(bundled)}) nor an existing file or folder"
                )
    seen: dict[str, str] = {}
    for trial in trials:
        key = folder_name(trial.name).lower()
        if key in seen:
            raise ValueError(f"two targets are both named {trial.name!r}; their reports would overwrite each other")
        seen[key] = trial.name
    return trials


def build_document(trial, *, outcome: str | None = None, style: NumberStyle = DEFAULT_STYLE) -> tuple[Document, Context]:
    """The report of one trial as a :class:`~hamstudy.report.document.Document` (figures still open)."""
    prov = trial.provenance
    kind = "collection of trials" if trial.kind == "collection" else "trial"
    if trial.participants is not None:
        kind = "participant-level data"
    subtitle = f"Dataset {trial.name} · {kind}" + (" · SYNTHETIC" if prov.synthetic else "") + (
        " · reconstructed" if prov.reconstructed else "")
    doc = Document(name=trial.name, title=trial.title or trial.name, synthetic=bool(prov.synthetic), subtitle=subtitle)
    ctx = Context(trial=trial, doc=doc, style=style, outcome=outcome)
    try:
        _fill(ctx)
    except BaseException:
        doc.close_figures()  # no figure left open in pyplot by a failed report
        raise
    return doc, ctx


def _fill(ctx: Context) -> None:
    """Header, one section per analysis that applies, Methods and Results, Provenance."""
    from hamstudy.report.manifest import package_versions
    from hamstudy.report.methods import methods_paragraph, references_for, software_sentence
    from hamstudy.report.sections import SECTIONS
    from hamstudy.report.sections.overview import build_header, build_provenance

    trial, doc = ctx.trial, ctx.doc
    prov = trial.provenance
    build_header(ctx)
    for section in SECTIONS:
        if not section.applies(trial):
            continue
        error = section.import_error()
        if error is not None:
            ctx.unavailable.append(section.title)
            doc.add(Heading(section.title, 2),
                    Callout(f"This section is left out: a module it needs could not be imported ({error}).", kind="note"))
            continue
        section.build(ctx)
    # Methods and Results, ready to paste
    doc.add(Heading("Methods and results (ready to paste)", 2))
    if prov.synthetic:
        doc.add(Callout("These sentences describe SYNTHETIC data. They show the wording only; do not cite the numbers.",
                        kind="synthetic"))
    if ctx.methods_used:
        doc.add(Paragraph("Methods. " + methods_paragraph(ctx.methods_used) + " " + software_sentence(package_versions()),
                          kind="methods"))
    if ctx.results:
        doc.add(Paragraph("Results. " + " ".join(ctx.results), kind="methods"))
    if ctx.caveats:
        doc.add(Paragraph("Caveats. " + " ".join(ctx.caveats), kind="methods"))
    if not (ctx.methods_used or ctx.results):
        doc.add(Paragraph("No analysis applies to these data.", kind="small"))
    doc.cite(*references_for(ctx.methods_used))
    build_provenance(ctx)


@dataclass
class ReportRun:
    """What a run wrote: the output folder, the index page, and one folder per target."""

    out: Path
    index: Path
    reports: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def _write_target(trial, doc: Document, folder: Path, formats: tuple[str, ...], *, links_back: str) -> dict[str, str]:
    """Write the document's files into ``folder``; return {relative path: sha256}."""
    from hamstudy.report.figures import svg_markup, tight_bbox
    from hamstudy.report.manifest import sha256_file

    folder.mkdir(parents=True)
    footer = "Generated by hamstudy report. Every number is recomputed from the data files listed in manifest.json."
    svgs: dict[str, str] = {}
    for fig in doc.figures():
        fig.bbox = tight_bbox(fig.figure)
        if "html" in formats or "md" in formats:
            svgs[fig.name] = svg_markup(fig.figure, salt=f"hamstudy-{doc.name}-{fig.name}", title=fig.caption or fig.name,
                                        bbox=fig.bbox)
    links = [(label, _FILES[fmt]) for fmt, label in (("md", "Markdown"), ("pdf", "PDF")) if fmt in formats]
    links += [("manifest.json", "manifest.json"), ("all reports", links_back)]
    if "html" in formats:
        from hamstudy.report.html import render_html

        (folder / _FILES["html"]).write_text(render_html(doc, svgs, links=links, footer=footer), encoding="utf-8")
    if "md" in formats:
        from hamstudy.report.markdown import render_markdown

        if svgs:
            (folder / "figures").mkdir()
            for name, svg in svgs.items():
                (folder / "figures" / f"{name}.svg").write_text(svg, encoding="utf-8")
        md_links = [(label, href) for label, href in links if href != _FILES["md"]]
        (folder / _FILES["md"]).write_text(render_markdown(doc, links=md_links, footer=footer), encoding="utf-8")
    if "pdf" in formats:
        from hamstudy.report.pdf import render_pdf

        render_pdf(doc, folder / _FILES["pdf"], footer="hamstudy report")
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _index_entry(manifest: dict, folder_name: str, formats: Iterable[str]) -> dict:
    links = [(label, f"{folder_name}/{_FILES[fmt]}") for fmt, label in (("html", "HTML"), ("md", "Markdown"), ("pdf", "PDF"))
             if fmt in formats]
    links.append(("manifest", f"{folder_name}/manifest.json"))
    verification = manifest.get("input_verification") or {}
    status = ", ".join(f"{n} {k}" for k, n in sorted(verification.items()))
    if manifest.get("synthetic"):
        status = "SYNTHETIC" + (f"; {status}" if status else "")
    kind = manifest.get("kind", "")
    if manifest.get("participant_level"):
        kind = "participant-level data"
    return {"title": manifest.get("title", folder_name), "name": manifest.get("report", folder_name),
            "kind": kind, "synthetic": manifest.get("synthetic", False), "status": status,
            "links": links}


def _existing_reports(out: Path, replaced: set[str]) -> list[tuple[str, dict]]:
    """Reports already in ``out`` that this run does not replace (kept in the index)."""
    found = []
    if not out.is_dir():
        return found
    for folder in sorted(out.iterdir()):
        manifest = folder / "manifest.json"
        if folder.name in replaced or not manifest.is_file():
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "report" in data and "outputs" in data:
            found.append((folder.name, data))
    return found


def build_reports(
    targets: Iterable[str] | None = None,
    *,
    out: str | Path = "reports",
    formats: str | Sequence[str] = FORMATS,
    outcome: str | None = None,
    style: NumberStyle = DEFAULT_STYLE,
    progress: bool = True,
    command: str | None = None,
    argv: Sequence[str] | None = None,
) -> ReportRun:
    """Write one report per target, plus ``index.html``, into ``out``.

    Parameters
    ----------
    targets : iterable of str, optional
        Bundled dataset names or paths to data packages / CSV files; all bundled datasets when empty.
    out : path
        Output folder (created if needed). Each target gets ``out/<name>/`` with ``report.html``,
        ``report.md`` (and ``figures/*.svg``), ``report.pdf`` and ``manifest.json``.
    formats : "html,md,pdf" or a sequence of those names
    outcome : str, optional
        Report only this binary / continuous outcome (for example ``"reinjury"``).
    style : NumberStyle
        How numbers are written.
    progress : bool
        Show progress on standard error (a bar on a terminal, plain lines in a pipe).
    command, argv : optional
        Recorded in each manifest (the ``report`` command passes its own command line).

    Returns
    -------
    ReportRun

    Notes
    -----
    Atomic: everything is built in a temporary sibling of ``out`` and moved in only when every target
    succeeded, so a failed run leaves the previous report as it was (see :mod:`hamstudy.report.atomic`).
    """
    from hamstudy.report.figures import use_agg

    t0 = time.perf_counter()
    formats = parse_formats(formats)
    trials = resolve_targets(targets)
    if outcome is not None:
        available = set()
        for trial in trials:
            for table in (trial.binary, trial.continuous):
                if table is not None and len(table):
                    available |= set(table["outcome"].dropna().astype(str))
        if outcome not in available:
            raise ValueError(f"--outcome {outcome!r} is in none of the targets; available: {', '.join(sorted(available)) or 'none'}")
    argv = list(sys.argv if argv is None else argv)
    if command is None:
        command = " ".join(shlex.quote(a) for a in argv)
    options = {"targets": list(targets or []), "out": str(out), "formats": list(formats), "outcome": outcome,
               "p_style": style.p_style, "sig_digits": style.sig_digits}
    import matplotlib

    previous_backend = matplotlib.get_backend()
    use_agg()
    try:
        return _run(trials, out=Path(out), formats=formats, outcome=outcome, style=style, progress=progress,
                    command=command, argv=argv, options=options, t0=t0)
    finally:
        if previous_backend.lower() != "agg":  # give a notebook its inline backend back
            try:
                matplotlib.use(previous_backend)
            except (ImportError, ValueError):
                pass


def _run(trials, *, out: Path, formats, outcome, style, progress, command, argv, options, t0) -> ReportRun:
    from hamstudy.report.figures import report_style
    from hamstudy.report.html import render_index
    from hamstudy.report.manifest import build_manifest, utc_now
    from hamstudy.report.progress import track

    run = ReportRun(out=out.absolute(), index=out.absolute() / "index.html")
    with StagedOutput(out) as stage, report_style():
        entries = []
        for trial in track(trials, desc="report", label=lambda t: t.name, enabled=progress):
            started = utc_now()
            folder = folder_name(trial.name)
            doc, _ = build_document(trial, outcome=outcome, style=style)
            try:
                outputs = _write_target(trial, doc, stage.path / folder, formats, links_back="../index.html")
            finally:
                doc.close_figures()
            manifest = build_manifest(trial, command=command, argv=argv, started=started, outputs=outputs, options=options)
            (stage.path / folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            entries.append((folder, manifest))
            run.reports[trial.name] = run.out / folder
        kept = _existing_reports(out, {name for name, _ in entries})
        index_entries = [_index_entry(m, name, formats) for name, m in entries]
        for name, m in kept:
            present = [fmt for fmt in FORMATS if (out / name / _FILES[fmt]).is_file()]
            index_entries.append(_index_entry(m, name, present))
        index_entries.sort(key=lambda e: e["name"])
        (stage.path / "index.html").write_text(
            render_index(index_entries, footer=f"Generated by hamstudy report on {utc_now()}."), encoding="utf-8")
        stage.commit()
    run.seconds = time.perf_counter() - t0
    return run
