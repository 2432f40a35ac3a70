"""The parts of every report that need no analysis: what the data are, and where each figure comes from."""

from __future__ import annotations

import pandas as pd

from hamstudy.report.context import Context, badge_for, clean_text
from hamstudy.report.document import Badge, Callout, Cell, Heading, Paragraph, Table
from hamstudy.report.format import fmt_count, fmt_data, fmt_int

__all__ = ["build_header", "build_provenance", "conflict_rows", "window_text"]


def window_text(window: object) -> str:
    """'within 14 days' / 'within 365 days (1 year)' / '' for a window in days."""
    text = clean_text(window)
    if not text:
        return ""
    days = float(text)
    extra = {365.0: " (1 year)", 182.0: " (6 months)", 183.0: " (6 months)", 730.0: " (2 years)", 14.0: " (2 weeks)"}.get(days, "")
    return f"within {days:g} days{extra}"


def conflict_rows(trial) -> pd.DataFrame:
    """Binary and continuous rows whose verification is 'conflict'."""
    frames = []
    for table in (trial.binary, trial.continuous):
        if table is not None and len(table) and "verification" in table:
            frames.append(table[table["verification"].astype(str).str.lower() == "conflict"])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def build_header(ctx: Context) -> None:
    trial, doc = ctx.trial, ctx.doc
    prov = trial.provenance
    if prov.synthetic:
        notes = " ".join(n for n in prov.notes if n)
        doc.add(Callout(
            f"{prov.description} {notes}".strip() or "These data were simulated.",
            kind="synthetic",
            title="SYNTHETIC DATA: simulated athletes, not observations from any trial. No clinical conclusion can be drawn from them.",
        ))
    if prov.reconstructed:
        doc.add(Callout(
            "The participant-level data were reconstructed from a published Kaplan-Meier curve and its numbers "
            "at risk (Guyot et al. 2012; the method used for each arm is in the data notes). They reproduce "
            "the published curve, not the trial's own records.",
            kind="warning", title="Reconstructed data",
        ))
    doc.add(Heading("Data", 2))
    if prov.description and not prov.synthetic:
        doc.add(Paragraph(prov.description))
    status = ", ".join(f"{n} {k}" for k, n in sorted(prov.verification.items())) if prov.verification else ""
    if status:
        doc.add(Paragraph(f"Verification of the figures used: {status} (rows of the binary and continuous tables)."))
    conflicts = conflict_rows(trial)
    for _, row in conflicts.iterrows():
        what = _row_figure(row)
        doc.add(Callout(
            f"{ctx.study_label(row['study'])}, arm {clean_text(row['arm'])}, {clean_text(row['outcome'])}"
            f"{' ' + window_text(row.get('window_days')) if 'window_days' in row else ''}: {what}. "
            f"{_sentence(row.get('notes'))} Source: {_sentence(row.get('source'))}",
            kind="warning", title="Figure in conflict between sources",
        ))
        ctx.caveat(
            f"One figure is in conflict between sources ({ctx.study_label(row['study'])}, {clean_text(row['arm'])} arm, "
            f"{window_text(row.get('window_days')) or clean_text(row['outcome'])}: {what}; {clean_text(row.get('notes'))})."
        )
    if trial.kind == "collection" and len(trial.studies):
        rows = []
        for _, s in trial.studies.iterrows():
            rows.append((clean_text(s["study"]), clean_text(s.get("citation")), clean_text(s.get("doi")), clean_text(s.get("year"))))
        doc.add(Table(("Study", "Citation", "DOI", "Year"), tuple(rows), caption="Studies"))
    if len(trial.arms):
        collection = trial.kind == "collection"
        cols = (("Study",) if collection else ()) + ("Arm", "Protocol", "Protocol family", "Randomized")
        rows = []
        for _, a in trial.arms.iterrows():
            cells = ((ctx.study_label(a["study"]),) if collection else ()) + (
                clean_text(a["arm"]), clean_text(a.get("protocol")), clean_text(a.get("protocol_family")),
                Cell(fmt_int(a.get("n_randomized")) if clean_text(a.get("n_randomized")) else "not reported", numeric=True),
            )
            rows.append(cells)
        doc.add(Table(cols, tuple(rows), caption="Arms",
                      notes=("Protocol family is an analyst's grouping for pooling, not the trial's own label.",) if collection else ()))
    extra = [n for n in prov.notes if n and not prov.synthetic]
    if extra:
        doc.add(Paragraph("Notes on the data: " + " ".join(extra), kind="small"))


def _sentence(text: object) -> str:
    """Data text as a sentence: capitalised, ending with a full stop."""
    t = clean_text(text).strip()
    if not t:
        return ""
    t = t[0].upper() + t[1:]
    return t if t.endswith((".", "!", "?")) else t + "."


def _row_figure(row) -> str:
    if "events" in row and clean_text(row.get("events")):
        return f"{fmt_count(row['events'], row['total'])} re-injured" if row.get("outcome") == "reinjury" else fmt_count(row["events"], row["total"])
    if "mean" in row and clean_text(row.get("mean")):
        return f"mean {fmt_data(row['mean'])} (SD {fmt_data(row.get('sd'))}), n = {fmt_int(row.get('n'))}"
    if "median" in row and clean_text(row.get("median")):
        return f"median {fmt_data(row['median'])}"
    return ""


def build_provenance(ctx: Context) -> None:
    """Every figure in the data with its source and verification status, and every input file."""
    trial, doc = ctx.trial, ctx.doc
    doc.add(Heading("Provenance", 2))
    rows = []
    for table in (trial.binary, trial.continuous):
        if table is None or not len(table):
            continue
        for _, r in table.iterrows():
            window = clean_text(r.get("window_days")) if "window_days" in r else ""
            rows.append((
                ctx.study_label(r["study"]), clean_text(r["arm"]),
                clean_text(r["outcome"]) + (f" ({window} d)" if window else ""),
                _row_figure(r),
                clean_text(r.get("source")),
                Cell(clean_text(r.get("notes")), badge=badge_for(r.get("verification"), r.get("notes"))),
            ))
    if rows:
        doc.add(Table(("Study", "Arm", "Outcome", "Figure", "Source", "Notes and verification"), tuple(rows),
                      caption="Every figure in the data, where it was seen, and its verification status",
                      notes=("verified: seen in the trial's own abstract or full text; secondary: seen only in reviews or "
                             "summaries citing the trial; CONFLICT: sources disagree.",)))
    if trial.participants is not None:
        label = "SYNTHETIC (simulated)" if trial.provenance.synthetic else (
            "reconstructed from a published curve" if trial.provenance.reconstructed else "participant-level records")
        doc.add(Paragraph(f"Participant-level data: {len(trial.participants)} athletes, {label}.",
                          kind="small"))
    sources = [clean_text(s.get("title")) + (f" ({clean_text(s.get('path'))})" if s.get("path") else "")
               for s in trial.provenance.sources]
    if sources:
        doc.add(Paragraph("Sources: " + "; ".join(sources) + ".", kind="small"))
    if trial.provenance.license:
        doc.add(Paragraph(f"Data licence: {trial.provenance.license}.", kind="small"))
    files = tuple((rel, digest[:16] + "…") for rel, digest in sorted(trial.provenance.files.items()))
    if files:
        doc.add(Table(("Input file", "sha256 (first 16 hex digits; full value in manifest.json)"), files,
                      caption="Input files"))


def synthetic_badge() -> Badge:
    return Badge("synthetic")
