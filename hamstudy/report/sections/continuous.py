"""Continuous outcomes (days to return to sport): per-arm summaries, the mean difference and t-tests
recomputed from the published means, SDs and group sizes, and the audit of the reported p-value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hamstudy.report.context import Context, badge_for, clean_text
from hamstudy.report.document import Badge, Callout, Cell, Heading, Paragraph, Table
from hamstudy.report.format import fmt_ci, fmt_data, fmt_int, fmt_num, fmt_p, fmt_pvalue

__all__ = ["build", "audit_table", "recompute_ttests"]


def recompute_ttests(m1, s1, n1, m2, s2, n2, confidence_level: float = 0.95) -> dict:
    """Welch and Student t-tests from summary statistics, and the mean difference with Welch's CI.

    scipy's ``ttest_ind_from_stats`` gives the tests; it has no interval, so the Welch interval is
    computed here from the same t distribution (Welch-Satterthwaite df).
    """
    from scipy import stats

    welch = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    student = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=True)
    v1, v2 = s1**2 / n1, s2**2 / n2
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    q = stats.t.ppf(0.5 + confidence_level / 2.0, df)
    diff = m1 - m2
    return {"welch_p": float(welch.pvalue), "student_p": float(student.pvalue), "diff": diff,
            "ci_low": diff - q * se, "ci_high": diff + q * se, "df": df}


def audit_table(ctx: Context, audit, *, caption: str) -> Table:
    """The reported p-value beside each recomputed one, each marked consistent or DISAGREES."""
    style = ctx.style
    rows = [("Reported", Cell(str(audit.reported), numeric=True), "as published")]
    for name, p in audit.candidates.items():
        ok = name in audit.consistent_with
        rows.append((f"Recomputed: {name}", Cell(fmt_pvalue(p, style=style) if np.isfinite(p) else "NA", numeric=True,
                                                 badge=Badge("consistent" if ok else "disagrees")),
                     "rounds to the reported value" if ok else "differs beyond rounding"))
    notes = []
    if audit.disagreement:
        notes.append("No recomputed test reproduces the reported p-value: the authors may have used another test or "
                     "other data than those published; the flag asks for a check, it does not prove an error.")
    if audit.decision_error:
        notes.append(f"Decision error: the reported and recomputed p-values fall on opposite sides of {audit.alpha:g}.")
    return Table(("p-value", "Value", "Agreement"), tuple(rows), caption=caption, notes=tuple(notes))


def _arm_rows(ctx: Context, rows: pd.DataFrame) -> list[tuple]:
    out = []
    for _, r in rows.iterrows():
        mean = f"{fmt_data(r['mean'])} ({fmt_data(r['sd'])})" if clean_text(r.get("mean")) else ""
        median = ""
        if clean_text(r.get("median")):
            median = fmt_data(r["median"])
            if clean_text(r.get("q1")) and clean_text(r.get("q3")):
                median += f" [{fmt_data(r['q1'])}, {fmt_data(r['q3'])}]"
        out.append((clean_text(r["arm"]), Cell(fmt_int(r.get("n")) if clean_text(r.get("n")) else "not reported", numeric=True),
                    Cell(mean, numeric=True), Cell(median, numeric=True),
                    Cell(clean_text(r.get("source")), badge=badge_for(r.get("verification"), r.get("notes")))))
    return out


def _groups(trial, outcome: str | None):
    cont = trial.continuous
    for (study, name), rows in cont.groupby(["study", "outcome"], sort=False):
        if outcome is None or name == outcome:
            yield study, name, rows


def _usable(rows: pd.DataFrame) -> bool:
    if len(rows) != 2:
        return False
    need = rows[["mean", "sd", "n"]].astype(float)
    return bool(need.notna().all().all() and (need["n"] > 1).all() and (need["sd"] > 0).all())


def build(ctx: Context) -> None:
    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    groups = list(_groups(trial, ctx.outcome))
    if not groups:
        return
    outcomes = {name for _, name, _ in groups}
    title = "Days to return to sport" if outcomes == {"days_to_return"} else "Continuous outcomes"
    doc.add(Heading(title, 2))
    if trial.kind == "collection":
        _build_collection(ctx, groups)
        return
    for study, name, rows in groups:
        label = name.replace("_", " ")
        columns, arm_rows = ("Arm", "n", "Mean (SD)", "Median [Q1, Q3]", "Source"), _arm_rows(ctx, rows)
        for j in (3, 2):  # leave out a summary no arm reports
            if all(not r[j].text for r in arm_rows):
                columns = columns[:j] + columns[j + 1:]
                arm_rows = [r[:j] + r[j + 1:] for r in arm_rows]
        doc.add(Table(columns, tuple(arm_rows),
                      caption=f"{label.capitalize()} per arm" + (f" ({clean_text(rows['unit'].iloc[0])})" if "unit" in rows and clean_text(rows["unit"].iloc[0]) else "")))
        if not _usable(rows):
            doc.add(Paragraph("Means, SDs and group sizes of both arms are needed to recompute a test; not available here.",
                              kind="small"))
            continue
        r1, r2 = rows.iloc[0], rows.iloc[1]
        a1, a2 = clean_text(r1["arm"]), clean_text(r2["arm"])
        t = recompute_ttests(float(r1["mean"]), float(r1["sd"]), float(r1["n"]), float(r2["mean"]), float(r2["sd"]), float(r2["n"]))
        ctx.use("ttest")
        doc.add(Table(("Quantity", "Estimate", "95% CI", "p"), (
            (f"Mean difference ({a1} − {a2})", Cell(fmt_num(t["diff"], style=style), numeric=True),
             Cell(fmt_ci(t["ci_low"], t["ci_high"], style=style), numeric=True), Cell(fmt_pvalue(t["welch_p"], style=style), numeric=True)),
            ("Student t-test (equal variances)", Cell("", numeric=True), Cell("", numeric=True),
             Cell(fmt_pvalue(t["student_p"], style=style), numeric=True)),
        ), caption=f"{label.capitalize()}: recomputed from the published summary statistics",
            notes=(f"Welch t-test (Welch-Satterthwaite df = {fmt_num(t['df'], style=style)}) for the mean difference.",)))
        reported = rows["reported_p"].dropna().unique() if "reported_p" in rows else []
        sentence = (f"Days to return to sport were {fmt_data(r1['mean'])} (SD {fmt_data(r1['sd'])}) with {a1} "
                    f"and {fmt_data(r2['mean'])} (SD {fmt_data(r2['sd'])}) with {a2} (mean difference "
                    f"{fmt_num(t['diff'], style=style)} days, 95% CI {fmt_ci(t['ci_low'], t['ci_high'], style=style)}; Welch "
                    f"{fmt_p(t['welch_p'], style=style)}).") if name == "days_to_return" else (
                    f"{label.capitalize()}: mean difference {fmt_num(t['diff'], style=style)} (95% CI "
                    f"{fmt_ci(t['ci_low'], t['ci_high'], style=style)}; Welch {fmt_p(t['welch_p'], style=style)}).")
        if len(reported) == 1:
            from hamstudy.audit import audit_pvalue

            ctx.use("audit")
            audit = audit_pvalue(float(reported[0]), {"Welch t-test": t["welch_p"], "Student t-test": t["student_p"]})
            doc.add(audit_table(ctx, audit, caption="Reported p-value beside the recomputed ones"))
            if audit.disagreement:
                doc.add(Callout(
                    f"The published p = {audit.reported} is not reproduced by a Welch (p = {fmt_pvalue(t['welch_p'], style=style)}) "
                    f"or Student (p = {fmt_pvalue(t['student_p'], style=style)}) t-test on the published means, SDs and group "
                    "sizes. The trial may have used another test (for example a rank test on skewed times); check the full text.",
                    kind="warning", title="Reported p-value not reproduced"))
                sentence += (f" The reported p = {audit.reported} was not reproduced from the published summary statistics "
                             f"(Welch {fmt_p(t['welch_p'], style=style)}, Student {fmt_p(t['student_p'], style=style)}).")
                ctx.caveat(f"The published p-value for {label} ({audit.reported}) could not be reproduced from the published "
                           "summary statistics.")
            else:
                sentence += f" The reported p = {audit.reported} is consistent with the {', '.join(audit.consistent_with)}."
        ctx.result(sentence)


def _build_collection(ctx: Context, groups) -> None:
    from hamstudy.audit import audit_pvalue

    style = ctx.style
    rows_out = []
    flagged = []
    for study, name, rows in groups:
        label = ctx.study_label(study)
        arms = " vs ".join(clean_text(a) for a in rows["arm"])
        summary = "; ".join(
            f"{clean_text(r['arm'])}: " + (f"{fmt_data(r['mean'])} ({fmt_data(r['sd'])})" if clean_text(r.get("mean"))
                                           else (f"median {fmt_data(r['median'])}" if clean_text(r.get("median")) else "NA"))
            + (f", n = {fmt_int(r['n'])}" if clean_text(r.get("n")) else "")
            for _, r in rows.iterrows())
        welch = ""
        audit_cell: Cell | str = ""
        reported = rows["reported_p"].dropna().unique() if "reported_p" in rows else []
        if _usable(rows):
            r1, r2 = rows.iloc[0], rows.iloc[1]
            t = recompute_ttests(float(r1["mean"]), float(r1["sd"]), float(r1["n"]), float(r2["mean"]), float(r2["sd"]), float(r2["n"]))
            ctx.use("ttest")
            welch = fmt_pvalue(t["welch_p"], style=style)
            if len(reported) == 1:
                ctx.use("audit")
                audit = audit_pvalue(float(reported[0]), {"Welch t-test": t["welch_p"], "Student t-test": t["student_p"]})
                audit_cell = Cell(str(audit.reported), badge=Badge("disagrees" if audit.disagreement else "consistent"))
                if audit.disagreement:
                    flagged.append(label)
        elif len(reported) == 1:
            audit_cell = Cell(clean_text(reported[0]) + " (not recomputable)")
        badges = [badge_for(v, n) for v, n in zip(rows["verification"], rows["notes"])]
        worst = next((b for b in badges if b is not None and b.is_warning), None) or next(
            (b for b in badges if b is not None and b.status != "verified"), None) or next((b for b in badges if b is not None), None)
        rows_out.append((label, arms, Cell(summary, badge=worst), Cell(welch, numeric=True), audit_cell))
    ctx.doc.add(Table(("Study", "Arms", "Days: mean (SD) or median", "Welch p (recomputed)", "Reported p"), tuple(rows_out),
                      caption="Days to return to sport per trial",
                      notes=("Welch t-tests recomputed from published means, SDs and group sizes where all are reported.",)))
    if flagged:
        ctx.caveat("Reported p-values for days to return could not be reproduced from the published summary statistics for "
                   + ", ".join(flagged) + ".")
