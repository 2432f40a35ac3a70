"""Collections: pooled reinjury risk across trials (Mantel-Haenszel, Peto, REML + HKSJ side by side),
with forest and funnel plots, and an honest statement of what the pooled trials have in common."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hamstudy.report.context import Context, badge_for, clean_text
from hamstudy.report.document import Callout, Cell, Heading, Paragraph, Table
from hamstudy.report.format import fmt_ci, fmt_count, fmt_data, fmt_num, fmt_p, fmt_pvalue

__all__ = ["build", "TREATMENT_FAMILIES", "CONTROL_FAMILIES"]

#: the worked comparison: an integrated or lengthening protocol against a conventional or isolated one
TREATMENT_FAMILIES = ("integrated", "lengthening")
CONTROL_FAMILIES = ("conventional", "isolated")

_FITS = (
    # key, label, meta_binary options, methods key
    ("mh", "Mantel-Haenszel (common effect)", {"measure": "RR", "method": "MH"}, "meta_mh"),
    ("peto", "Peto one-step (common effect)", {"measure": "OR", "method": "Peto"}, "meta_peto"),
    ("reml", "REML random effects, HKSJ", {"measure": "RR", "method": "IV", "tau2": "REML", "hksj": True}, "meta_reml"),
)


def _col(frame: pd.DataFrame, *names: str) -> str | None:
    for name in names:
        if name in frame.columns:
            return name
    return None


def build(ctx: Context) -> None:
    from hamstudy.meta import meta_binary, pairwise_binary

    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    outcome = ctx.outcome or "reinjury"
    doc.add(Heading("Pooling the trials", 2))
    if outcome not in set(trial.binary["outcome"].astype(str)):
        build_continuous(ctx)
        return
    pairs = pairwise_binary(trial, outcome=outcome, treatment_families=TREATMENT_FAMILIES,
                            control_families=CONTROL_FAMILIES)
    if pairs is None or not len(pairs):
        doc.add(Paragraph(f"No study in this collection compares a {' or '.join(TREATMENT_FAMILIES)} protocol with a "
                          f"{' or '.join(CONTROL_FAMILIES)} one on {outcome}; nothing to pool."))
        return
    pairs = pairs.reset_index(drop=True)
    study_col = _col(pairs, "study")
    labels = [ctx.study_label(s) for s in pairs[study_col]]
    data = pairs.assign(_label=labels)
    fits = {}
    for key, _label, options, _method in _FITS:
        fits[key] = meta_binary(data, events_t="events_t", total_t="total_t", events_c="events_c", total_c="total_c",
                                study="_label", confidence_level=0.95, **options)
    ctx.use("meta_mh", "meta_peto", "meta_reml", "i2")

    doc.add(Paragraph(
        f"Trials comparing an {' or '.join(TREATMENT_FAMILIES)} protocol (treatment) with a "
        f"{' or '.join(CONTROL_FAMILIES)} one (control), outcome {outcome}. A risk ratio below 1 favours the "
        "treatment protocol."))

    # the studies pooled, with provenance next to each count
    rows = []
    conflict_studies = []
    t_arm, c_arm = _col(pairs, "arm_t"), _col(pairs, "arm_c")
    window = _col(pairs, "window_days")
    mh_table = fits["mh"].table.reset_index(drop=True)
    binary = trial.binary
    for i, r in pairs.iterrows():
        def arm_badge(arm):
            # each count carries its own row's verification status (pairwise_binary keeps only the weaker one)
            sel = (binary["study"] == r[study_col]) & (binary["arm"] == arm) & (binary["outcome"] == outcome)
            if window and clean_text(r[window]):
                sel &= np.isclose(binary["window_days"].astype(float), float(r[window]))
            match = binary[sel]
            if len(match) != 1:
                return badge_for(r.get("verification"), r.get("notes"))
            return badge_for(match["verification"].iloc[0], match["notes"].iloc[0])

        bt, bc = arm_badge(r[t_arm]), arm_badge(r[c_arm])
        if (bt and bt.status == "conflict") or (bc and bc.status == "conflict"):
            conflict_studies.append(labels[i])
        m = mh_table.iloc[i]
        included = bool(m.get("included", True))
        effect = fmt_num(m["effect"], style=style) + f" ({fmt_ci(m['ci_low'], m['ci_high'], style=style)})" if included else "dropped"
        rows.append((
            labels[i],
            f"{clean_text(r[t_arm])} vs {clean_text(r[c_arm])}" if t_arm and c_arm else "",
            f"{clean_text(r[window])} d" if window and clean_text(r[window]) else "",
            Cell(fmt_count(r["events_t"], r["total_t"]), badge=bt, numeric=True),
            Cell(fmt_count(r["events_c"], r["total_c"]), badge=bc, numeric=True),
            Cell(effect, numeric=True),
            Cell(fmt_num(m["weight"], 3, style=style) + "%" if included and np.isfinite(m["weight"]) else "", numeric=True),
        ))
    doc.add(Table(("Study", "Treatment vs control", "Window", "Treatment events/total", "Control events/total",
                   "RR (95% CI)", "MH weight"), tuple(rows), caption="Trials pooled",
                  notes=("Per-study risk ratios add 1/2 to every cell of a table with a zero cell (as metafor's escalc); "
                         "the Mantel-Haenszel and Peto pooled estimates use the raw counts.",)))

    # the three methods side by side
    rows = []
    for key, label, _opt, _m in _FITS:
        f = fits[key]
        measure = "OR" if f.measure == "OR" else "RR"
        rows.append((
            label, measure, Cell(fmt_num(f.estimate, style=style), numeric=True),
            Cell(fmt_ci(f.ci_low, f.ci_high, style=style), numeric=True),
            Cell(fmt_pvalue(f.pvalue, style=style), numeric=True),
            Cell(fmt_num(f.tau2, style=style), numeric=True),
            Cell(fmt_num(f.i2, 3, style=style) + "%", numeric=True),
            Cell(fmt_ci(f.pi_low, f.pi_high, style=style) if f.tau2_method else "", numeric=True),
            Cell(str(f.k), numeric=True),
        ))
    notes = tuple(dict.fromkeys(n for f in fits.values() for n in f.notes))
    doc.add(Table(("Method", "Measure", "Pooled", "95% CI", "p", "tau²", "I²", "95% prediction interval", "k"),
                  tuple(rows), caption="Pooled effect by method", notes=notes))

    # sensitivity: without the studies whose figures are in conflict
    if conflict_studies:
        keep = ~data["_label"].isin(conflict_studies)
        if keep.sum() >= 1 and keep.sum() < len(data):
            sens = meta_binary(data[keep], events_t="events_t", total_t="total_t", events_c="events_c",
                               total_c="total_c", study="_label", measure="RR", method="MH")
            doc.add(Paragraph(
                f"Sensitivity: without {', '.join(conflict_studies)} (a figure in conflict between sources), the "
                f"Mantel-Haenszel RR is {fmt_num(sens.estimate, style=style)} (95% CI {fmt_ci(sens.ci_low, sens.ci_high, style=style)}; "
                f"{fmt_p(sens.pvalue, style=style)}; k = {sens.k})."))
        doc.add(Callout(
            f"{', '.join(conflict_studies)}: one figure entering this analysis is in conflict between sources (see "
            "Provenance). The pooled estimates use the figure most sources agree on.", kind="warning",
            title="Conflicting source figure"))
        ctx.caveat(f"The pooled analysis includes a figure in conflict between sources ({', '.join(conflict_studies)}).")

    # clinical heterogeneity, stated from the data
    windows = sorted({float(w) for w in pairs[window].dropna()}) if window else []
    protocols = []
    for i, r in pairs.iterrows():
        protocols.append(f"{labels[i]}: {clean_text(r[t_arm])} vs {clean_text(r[c_arm])}" if t_arm else labels[i])
    het = (
        f"These {len(pairs)} comparisons are clinically heterogeneous: the protocols differ "
        f"({'; '.join(protocols)}), "
        + (f"reinjury was counted over different windows ({', '.join(f'{w:g}' for w in windows)} days), " if len(windows) > 1 else "")
        + "and the populations and definitions of return to sport differ between trials (see the Arms and Provenance "
        "tables). The pooled risk ratio is an average over different questions, not the effect of one protocol; "
        f"with k = {fits['reml'].k} trials, tau² is estimated with little precision and the HKSJ interval is wide by design."
    )
    doc.add(Callout(het, kind="note", title="Clinical heterogeneity"))
    ctx.caveat(het)

    # figures: the meta-analysis plots size their own figures (text columns sit outside the axes)
    labels_pair = (" or ".join(TREATMENT_FAMILIES), " or ".join(CONTROL_FAMILIES))
    ax = fits["reml"].plot_forest(labels=labels_pair)
    ctx.figure(ax.figure, "forest", caption=(
        "Forest plot: risk ratio of reinjury per trial (squares, 95% CI) and pooled by REML with the HKSJ "
        "adjustment (diamond), with the 95% prediction interval."), alt="Forest plot of the pooled trials")
    ax = fits["reml"].plot_funnel()
    ctx.figure(ax.figure, "funnel", caption=(
        f"Funnel plot (log risk ratio against its standard error). With {len(pairs)} trials a funnel plot cannot "
        "assess small-study effects; at least 10 are usually asked for (Sterne et al. 2011)."),
        alt="Funnel plot of the pooled trials")

    mh, peto, reml = fits["mh"], fits["peto"], fits["reml"]
    ctx.result(
        f"Pooling {len(pairs)} trials of an {' or '.join(TREATMENT_FAMILIES)} versus a {' or '.join(CONTROL_FAMILIES)} "
        f"protocol, the Mantel-Haenszel risk ratio of {outcome} was {fmt_num(mh.estimate, style=style)} "
        f"(95% CI {fmt_ci(mh.ci_low, mh.ci_high, style=style)}; {fmt_p(mh.pvalue, style=style)}; k = {mh.k}), the Peto odds ratio "
        f"{fmt_num(peto.estimate, style=style)} ({fmt_ci(peto.ci_low, peto.ci_high, style=style)}), and the REML random-effects "
        f"risk ratio with the HKSJ adjustment {fmt_num(reml.estimate, style=style)} ({fmt_ci(reml.ci_low, reml.ci_high, style=style)}; "
        f"95% prediction interval {fmt_ci(reml.pi_low, reml.pi_high, style=style)}; tau² = {fmt_num(reml.tau2, style=style)}, "
        f"I² = {fmt_num(reml.i2, 3, style=style)}%)."
    )
    build_continuous(ctx)


def pairwise_continuous(trial, *, outcome: str = "days_to_return") -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """One row per study with one treatment-family arm and one control-family arm on a continuous
    outcome: mean, SD, n (and median, quartiles) per side. Also the studies left out and why.

    The binary counterpart is :func:`hamstudy.meta.pairwise_binary`; this one is kept here because only
    the report needs it. Studies left out are returned as (study, reason).
    """
    cont = trial.continuous
    cont = cont[cont["outcome"] == outcome]
    families = trial.arms.set_index(["study", "arm"])["protocol_family"]
    rows, left_out = [], []
    for study, sub in cont.groupby("study", sort=False):
        fam = [families.get((study, a)) for a in sub["arm"]]
        t = [i for i, f in enumerate(fam) if f in TREATMENT_FAMILIES]
        c = [i for i, f in enumerate(fam) if f in CONTROL_FAMILIES]
        if len(t) != 1 or len(c) != 1:
            left_out.append((study, f"not one {'/'.join(TREATMENT_FAMILIES)} arm and one {'/'.join(CONTROL_FAMILIES)} arm"))
            continue
        rt, rc = sub.iloc[t[0]], sub.iloc[c[0]]

        def has(r, *cols):
            return all(clean_text(r.get(col)) for col in cols)

        usable = all(has(r, "n") and (has(r, "mean", "sd") or has(r, "median", "q1", "q3")) for r in (rt, rc))
        if not usable:
            left_out.append((study, "needs n with mean and SD (or median and quartiles) in both arms"))
            continue
        row = {"study": study, "arm_t": rt["arm"], "arm_c": rc["arm"]}
        for side, r in (("t", rt), ("c", rc)):
            for col in ("mean", "sd", "n", "median", "q1", "q3"):
                row[f"{col}_{side}"] = float(r[col]) if clean_text(r.get(col)) else np.nan
            row[f"verification_{side}"] = r.get("verification")
            row[f"notes_{side}"] = r.get("notes")
        rows.append(row)
    return pd.DataFrame(rows), left_out


def build_continuous(ctx: Context) -> None:
    """Pooled mean difference in days to return to sport (REML + HKSJ), with its forest plot."""
    from hamstudy.meta import meta_continuous

    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    if ctx.outcome not in (None, "days_to_return") or trial.continuous is None or not len(trial.continuous):
        return
    pairs, left_out = pairwise_continuous(trial)
    if len(pairs) < 2:
        return
    labels = [ctx.study_label(s) for s in pairs["study"]]
    data = pairs.assign(_label=labels)
    cols = {f"{c}_{s}": f"{c}_{s}" for c in ("mean", "sd", "n", "median", "q1", "q3") for s in ("t", "c")}
    res = meta_continuous(data, study="_label", measure="MD", tau2="REML", hksj=True, **cols)
    ctx.use("meta_reml", "i2")
    doc.add(Heading("Days to return to sport, pooled", 3))
    rows = []
    table = res.table.reset_index(drop=True)
    for i, r in pairs.iterrows():
        m = table.iloc[i]
        derived = bool(m.get("derived", False))
        badge = badge_for("derived") if derived else (badge_for(r["verification_t"], r["notes_t"]) or badge_for(r["verification_c"], r["notes_c"]))
        show = (lambda v: fmt_num(v, style=style)) if derived else fmt_data  # published numbers as published
        rows.append((labels[i], f"{clean_text(r['arm_t'])} vs {clean_text(r['arm_c'])}",
                     Cell(f"{show(m['mean_t'])} ({show(m['sd_t'])}), n = {int(m['n_t'])}", numeric=True),
                     Cell(f"{show(m['mean_c'])} ({show(m['sd_c'])}), n = {int(m['n_c'])}", numeric=True, badge=badge),
                     Cell(f"{fmt_num(m['effect'], style=style)} ({fmt_ci(m['ci_low'], m['ci_high'], style=style)})", numeric=True),
                     Cell(fmt_num(m["weight"], 3, style=style) + "%", numeric=True)))
    notes = list(res.notes)
    if left_out:
        notes.append("Left out: " + "; ".join(f"{ctx.study_label(study)} ({why})" for study, why in left_out) + ".")
    doc.add(Table(("Study", "Treatment vs control", "Treatment mean (SD)", "Control mean (SD)", "Difference in days (95% CI)",
                   "Weight"), tuple(rows), caption="Trials pooled: days to return to sport (treatment minus control)",
                  notes=tuple(notes)))
    doc.add(Paragraph(
        f"Pooled mean difference (REML random effects, HKSJ): {fmt_num(res.estimate, style=style)} days "
        f"(95% CI {fmt_ci(res.ci_low, res.ci_high, style=style)}; {fmt_p(res.pvalue, style=style)}); "
        f"95% prediction interval {fmt_ci(res.pi_low, res.pi_high, style=style)}; tau² = {fmt_num(res.tau2, style=style)}, "
        f"I² = {fmt_num(res.i2, 3, style=style)}%; k = {res.k}. Return-to-sport times are right-skewed and were judged "
        "by different criteria in each trial; rows derived from medians assume symmetry."))
    ax = res.plot_forest(labels=(" or ".join(TREATMENT_FAMILIES), " or ".join(CONTROL_FAMILIES)))
    ctx.figure(ax.figure, "forest-days-to-return", caption=(
        "Forest plot: difference in days to return to sport (treatment minus control) per trial and pooled by REML "
        "with the HKSJ adjustment; negative values favour the treatment protocol."), alt="Forest plot of days to return")
    ctx.result(
        f"Across {res.k} trials, the pooled difference in days to return to sport was {fmt_num(res.estimate, style=style)} days "
        f"(95% CI {fmt_ci(res.ci_low, res.ci_high, style=style)}; 95% prediction interval "
        f"{fmt_ci(res.pi_low, res.pi_high, style=style)}; I² = {fmt_num(res.i2, 3, style=style)}%).")
