"""Binary outcomes: per arm events/total with Wilson intervals; exact tests, effect sizes, NNT,
fragility and the Bayesian view; the reported p-value beside the recomputed one; the figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hamstudy.report.context import Context, badge_for, clean_text
from hamstudy.report.document import Badge, Cell, Heading, Paragraph, Table
from hamstudy.report.figures import new_figure
from hamstudy.report.format import (
    INFINITY,
    NumberStyle,
    fmt_ci,
    fmt_count,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_pct_ci,
    fmt_prob,
    fmt_pvalue,
)
from hamstudy.report.sections.overview import window_text

__all__ = ["build", "nnt_text", "comparisons"]


def comparisons(trial, outcome: str | None = None) -> list[tuple[str, str, float | None, pd.DataFrame]]:
    """(study, outcome, window_days, rows) for every binary outcome of every study, in data order."""
    out = []
    binary = trial.binary
    keys = binary[["study", "outcome", "window_days"]].drop_duplicates()
    for _, k in keys.iterrows():
        if outcome is not None and k["outcome"] != outcome:
            continue
        window = None if pd.isna(k["window_days"]) else float(k["window_days"])
        rows = binary[(binary["study"] == k["study"]) & (binary["outcome"] == k["outcome"])]
        rows = rows[rows["window_days"].isna()] if window is None else rows[np.isclose(rows["window_days"].astype(float), window)]
        out.append((k["study"], k["outcome"], window, rows))
    return out


def nnt_text(nnt, style) -> tuple[str, str]:
    """(point, interval) in Altman's NNTB/NNTH wording, numbers formatted by the report's style."""

    def part(v: float) -> str:
        if math.isinf(v):
            return INFINITY
        return f"{'NNTB' if v > 0 else 'NNTH'} {fmt_num(abs(v), style=style)}"

    if nnt is None or math.isnan(nnt.estimate):
        return "undefined", ""
    point = part(nnt.estimate)
    if getattr(nnt, "crosses_infinity", False):
        interval = f"{part(nnt.ci_low)} to {INFINITY} to {part(nnt.ci_high)}"
    else:
        interval = f"{part(nnt.ci_low)} to {part(nnt.ci_high)}"
    return point, interval


def _pct_cell(events, total, level, style) -> Cell:
    from hamstudy.binary import wilson_interval

    w = wilson_interval(int(events), int(total), confidence_level=level)
    return Cell(f"{fmt_pct(w.estimate, style=style)} ({fmt_pct_ci(w.ci_low, w.ci_high, style=style)})", numeric=True)


def _row_badge(row) -> Badge | None:
    return badge_for(row.get("verification"), row.get("notes"))


def _heading_text(ctx: Context, study, outcome: str, window) -> str:
    what = "Reinjury" if outcome == "reinjury" else outcome.replace("_", " ").capitalize()
    text = f"{what} {window_text(window)}".strip()
    if ctx.trial.kind == "collection":
        text = f"{ctx.study_label(study)}: {text}"
    return text


def build(ctx: Context) -> None:
    trial, doc = ctx.trial, ctx.doc
    comps = comparisons(trial, ctx.outcome)
    if not comps:
        return
    doc.add(Heading("Binary outcomes", 2))
    if trial.kind == "collection":
        _build_collection(ctx, comps)
        return
    for study, outcome, window, rows in comps:
        _build_one(ctx, study, outcome, window, rows)


def _arm_table(ctx: Context, rows: pd.DataFrame, level: float) -> Table:
    style = ctx.style
    arms = ctx.trial.arms.set_index("arm") if "arm" in ctx.trial.arms else pd.DataFrame()
    out = []
    for _, r in rows.iterrows():
        protocol = clean_text(arms.loc[r["arm"], "protocol"]) if r["arm"] in arms.index and "protocol" in arms else ""
        out.append((
            clean_text(r["arm"]), protocol,
            Cell(fmt_count(r["events"], r["total"]), numeric=True, badge=_row_badge(r)),
            _pct_cell(r["events"], r["total"], level, style),
            clean_text(r.get("source")),
        ))
    return Table(("Arm", "Protocol", "Events/total", f"% ({100 * level:g}% Wilson CI)", "Source"), tuple(out))


def _build_one(ctx: Context, study, outcome: str, window, rows: pd.DataFrame) -> None:
    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    heading = _heading_text(ctx, study, outcome, window)
    doc.add(Heading(heading, 3))
    level = 0.95
    ctx.use("wilson")
    doc.add(_arm_table(ctx, rows, level))
    if len(rows) != 2:
        doc.add(Paragraph(f"{len(rows)} arm row(s): a two-arm comparison needs exactly 2.", kind="small"))
        return
    comp = trial.compare(outcome, window_days=window, study=study if trial.kind == "collection" else None)
    a1, a2 = clean_text(rows["arm"].iloc[0]), clean_text(rows["arm"].iloc[1])
    ctx.use("fisher", "midp", "boschloo", "barnard", "rd", "rr", "or", "nnt", "fragility", "bayes")

    def est_row(label, est, scale=1.0, pct=False):
        if pct:
            value = fmt_pct(est.estimate, style=style)
            ci = fmt_pct_ci(est.ci_low, est.ci_high, style=style)
        else:
            value, ci = fmt_num(est.estimate, style=style), fmt_ci(est.ci_low, est.ci_high, style=style)
        p = getattr(est, "pvalue", float("nan"))
        return (label, Cell(value, numeric=True), Cell(ci, numeric=True),
                Cell(fmt_pvalue(p, style=style) if np.isfinite(p) else "", numeric=True), est.method)

    def test_row(label, test):
        return (label, Cell("", numeric=True), Cell("", numeric=True),
                Cell(fmt_pvalue(test.pvalue, style=style), numeric=True, strong=False), test.method)

    table_rows = [
        test_row("Fisher exact test", comp.fisher),
        test_row("Fisher mid-p", comp.fisher_midp),
        test_row("Boschloo exact unconditional", comp.boschloo),
        test_row("Barnard exact unconditional", comp.barnard),
        est_row(f"Risk difference ({a1} − {a2})", comp.risk_difference, pct=True),
        est_row(f"Risk ratio ({a1} / {a2})", comp.risk_ratio),
        est_row(f"Odds ratio ({a1} / {a2})", comp.odds_ratio),
    ]
    nnt_point, nnt_ci = nnt_text(comp.nnt, style)
    table_rows.append((f"Number needed to treat ({a1} instead of {a2})", Cell(nnt_point, numeric=True),
                       Cell(nnt_ci, numeric=True), Cell("", numeric=True), comp.nnt.method))
    fi, rfi = comp.fragility_index, comp.reverse_fragility_index
    table_rows.append(("Fragility index", Cell(str(fi) if fi is not None else "n/a (not significant)", numeric=True),
                       Cell("", numeric=True), Cell("", numeric=True), "Walsh et al. 2014 (Fisher p ≥ 0.05)"))
    table_rows.append(("Reverse fragility index", Cell(str(rfi) if rfi is not None else "n/a (significant)", numeric=True),
                       Cell("", numeric=True), Cell("", numeric=True), "Khan et al. 2020"))
    bayes = comp.bayes
    table_rows.append((f"Posterior P(risk {a1} > risk {a2})", Cell(fmt_prob(bayes.prob_greater, style=style), numeric=True),
                       Cell("", numeric=True), Cell("", numeric=True), bayes.method))
    table_rows.append((f"Posterior risk difference ({a1} − {a2})", Cell(fmt_pct(bayes.estimate, style=style), numeric=True),
                       Cell(fmt_pct_ci(bayes.ci_low, bayes.ci_high, style=style), numeric=True), Cell("", numeric=True),
                       bayes.method))
    data_badges = [b for b in (_row_badge(r) for _, r in rows.iterrows()) if b is not None]
    worst = next((b for b in data_badges if b.is_warning), None) or next((b for b in data_badges if b.status != "verified"), None)
    notes = []
    if worst is not None:
        notes.append(f"Counts: {worst.label} ({worst.explanation}). Every number in this table inherits that status.")
    doc.add(Table(("Quantity", "Estimate", "95% CI", "p", "Method"), tuple(table_rows),
                  caption=f"{heading}: {a1} {fmt_count(rows['events'].iloc[0], rows['total'].iloc[0])} vs "
                          f"{a2} {fmt_count(rows['events'].iloc[1], rows['total'].iloc[1])}",
                  notes=tuple(notes)))
    _audit_block(ctx, comp)

    fig, ax = new_figure(6.0, 2.8)
    comp.plot(ax=ax)
    ax.set_title(heading)
    status = f" Counts: {worst.label}." if worst is not None else ""
    ctx.figure(fig, f"proportions-{study}-{outcome}-{window if window is not None else 'na'}",
               caption=f"{heading}: proportion re-injured per arm with {100 * level:g}% Wilson intervals.{status}",
               alt=f"Proportion with {outcome} per arm")

    # Results sentence
    e1, n1 = int(rows["events"].iloc[0]), int(rows["total"].iloc[0])
    e2, n2 = int(rows["events"].iloc[1]), int(rows["total"].iloc[1])
    from hamstudy.binary import wilson_interval

    w1 = wilson_interval(e1, n1, confidence_level=level)
    w2 = wilson_interval(e2, n2, confidence_level=level)
    what = "re-injured" if outcome == "reinjury" else f"had the outcome ({outcome})"
    rd = comp.risk_difference
    sentence = (
        f"{window_text(window).capitalize() + ', ' if window is not None else ''}{e1} of {n1} athletes with {a1} "
        f"({fmt_pct(w1.estimate, style=style)}, 95% CI {fmt_pct_ci(w1.ci_low, w1.ci_high, style=style)}) and {e2} of {n2} with {a2} "
        f"({fmt_pct(w2.estimate, style=style)}, {fmt_pct_ci(w2.ci_low, w2.ci_high, style=style)}) {what} "
        f"(Fisher exact test {fmt_p(comp.fisher.pvalue, style=style)}; Boschloo {fmt_p(comp.boschloo.pvalue, style=style)}; "
        f"risk difference {fmt_pct(rd.estimate, style=style)}, 95% CI {fmt_pct_ci(rd.ci_low, rd.ci_high, style=style)}; "
        f"{nnt_point}). "
    )
    if fi is not None:
        fewer = a2 if e2 <= e1 else a1
        sentence += (f"The fragility index was {fi}: had {fi} more {fewer} athlete{'s' if fi != 1 else ''} been "
                     f"{'re-injured' if outcome == 'reinjury' else 'counted as events'}, the Fisher p-value would reach 0.05. ")
    elif rfi is not None:
        sentence += f"The reverse fragility index was {rfi}. "
    sentence += f"The posterior probability that the risk is higher with {a1} than with {a2} was {fmt_prob(bayes.prob_greater, style=style)}."
    if worst is not None:
        sentence += f" (Counts: {worst.label}; {worst.explanation}.)"
    ctx.result(sentence)


def _audit_block(ctx: Context, comp) -> None:
    audit = getattr(comp, "audit", None)
    if audit is None:
        return
    ctx.use("audit")
    from hamstudy.report.sections.continuous import audit_table

    ctx.doc.add(audit_table(ctx, audit, caption="Reported p-value beside the recomputed ones"))


def _build_collection(ctx: Context, comps) -> None:
    """One compact row per study and outcome (the detail lives in each trial's own report)."""
    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    ctx.use("wilson", "fisher", "rr")
    out, skipped, audit_notes = [], [], []
    for study, outcome, window, rows in comps:
        label = ctx.study_label(study)
        if len(rows) != 2:
            skipped.append(f"{label} ({outcome}): {len(rows)} arm row(s), {clean_text(rows['notes'].iloc[0]) if len(rows) else ''}".strip(", "))
            continue
        comp = trial.compare(outcome, window_days=window, study=study)
        r1, r2 = rows.iloc[0], rows.iloc[1]
        rr = comp.risk_ratio
        reported: Cell | str = ""
        if comp.audit is not None:
            ctx.use("audit")
            reported = Cell(str(comp.audit.reported), badge=Badge("disagrees" if comp.audit.disagreement else "consistent"))
            if comp.audit.disagreement:
                audit_notes.append(f"{label}: reported p = {comp.audit.reported}, recomputed " + ", ".join(
                    f"{name} {fmt_pvalue(p, style=NumberStyle(p_style='exact', sig_digits=2))}"
                    for name, p in comp.audit.candidates.items()))
        out.append((
            label, outcome.replace("_", " ") + (f" ({window:g} d)" if window is not None else ""),
            Cell(f"{clean_text(r1['arm'])} {fmt_count(r1['events'], r1['total'])}", badge=_row_badge(r1)),
            Cell(f"{clean_text(r2['arm'])} {fmt_count(r2['events'], r2['total'])}", badge=_row_badge(r2)),
            Cell(fmt_pvalue(comp.fisher.pvalue, style=style), numeric=True),
            Cell(f"{fmt_num(rr.estimate, style=style)} ({fmt_ci(rr.ci_low, rr.ci_high, style=style)})", numeric=True),
            reported,
        ))
    if out:
        notes = ["Risk ratios with a score interval that stays finite at zero events; see each trial's own report "
                 "for the full analysis. Reported p: the published p-value, marked consistent or DISAGREES against "
                 "the p-values recomputed from the published counts (Fisher, mid-p, Boschloo, Barnard)."]
        notes += [f"Reported p-value check, {n}." for n in audit_notes]
        doc.add(Table(("Study", "Outcome", "Arm 1", "Arm 2", "Fisher p", "RR arm 1 / arm 2 (95% CI)", "Reported p"),
                      tuple(out), caption="Each trial's own comparison", notes=tuple(notes)))
    if skipped:
        doc.add(Paragraph("Not comparable between arms: " + "; ".join(skipped) + ".", kind="small"))
