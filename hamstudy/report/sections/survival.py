"""Participant-level data: Kaplan-Meier with an at-risk table, log-rank (asymptotic and exact), RMST,
cumulative incidence, Cox and Firth side by side, and injury incidence per 1,000 hours."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hamstudy.report.context import Context
from hamstudy.report.document import Callout, Cell, Heading, Paragraph, Table
from hamstudy.report.figures import new_figure
from hamstudy.report.format import fmt_ci, fmt_int, fmt_num, fmt_p, fmt_pct, fmt_pct_ci, fmt_pvalue

__all__ = ["build", "LANDMARKS", "choose_tau"]

#: landmark days reported from the Kaplan-Meier curves (the published windows of the seed trial)
LANDMARKS = (14.0, 365.0)


def choose_tau(data: pd.DataFrame, preferred: float = 365.0) -> float:
    """The RMST horizon: ``preferred`` if every arm is followed that long, else the shortest arm's
    longest follow-up (RMST must not extrapolate beyond an arm's data)."""
    shortest = float(data.groupby("arm")["time"].max().min())
    return preferred if shortest >= preferred else shortest


def _band_at(km, t: float) -> tuple[float, float, float]:
    tab = km.table
    idx = np.searchsorted(tab["time"].to_numpy(), t, side="right") - 1
    if idx < 0:
        return 1.0, 1.0, 1.0
    row = tab.iloc[idx]
    return float(row["survival"]), float(row["ci_low"]), float(row["ci_high"])


def build(ctx: Context) -> None:
    from hamstudy.survival import (
        cox,
        cumulative_incidence,
        incidence_rate,
        kaplan_meier,
        logrank,
        logrank_exact,
        rate_ratio,
        rmst,
    )
    from hamstudy.survival.plots import plot_km

    trial, doc, style = ctx.trial, ctx.doc, ctx.style
    data = trial.participants.copy()
    order = [a for a in trial.arms["arm"] if a in set(data["arm"])] + sorted(set(data["arm"]) - set(trial.arms["arm"]))
    if len(order) != 2:
        doc.add(Heading("Time to reinjury", 2),
                Paragraph(f"{len(order)} arm(s) in the participant data; the two-arm analyses below need exactly 2."))
        return
    a1, a2 = order
    doc.add(Heading("Time to reinjury", 2))
    if trial.provenance.synthetic:
        doc.add(Callout("Everything in this section is computed from SYNTHETIC participant data.", kind="synthetic"))
    time, event, group = data["time"].to_numpy(float), data["event"].to_numpy(int), data["arm"].astype(str).to_numpy()
    ctx.use("km", "logrank", "logrank_exact", "rmst", "cuminc", "cox", "firth")

    kms = {arm: kaplan_meier(time[group == arm], event[group == arm]) for arm in order}
    rows = []
    for arm in order:
        km = kms[arm]
        cells = [arm, Cell(fmt_int(km.n), numeric=True), Cell(fmt_int(km.n_events), numeric=True)]
        for t in LANDMARKS:
            s, lo, hi = _band_at(km, t)
            cells.append(Cell(f"{fmt_pct(1 - s, style=style)} ({fmt_pct_ci(1 - hi, 1 - lo, style=style)})", numeric=True))
        med = km.median
        cells.append(Cell("not reached" if np.isnan(med.estimate) else
                          f"{fmt_num(med.estimate, style=style)} ({fmt_ci(med.ci_low, med.ci_high, style=style)})", numeric=True))
        rows.append(tuple(cells))
    doc.add(Table(("Arm", "Athletes", "Reinjuries", *(f"Re-injured by day {t:g} (95% CI)" for t in LANDMARKS),
                   "Median days to reinjury (95% CI)"), tuple(rows),
                  caption="Kaplan-Meier estimates (1 − S(t), log-log intervals)"))

    fig, ax = new_figure(7.0, 4.6, layout=None)
    plot_km(kms, ax=ax, at_risk=True)
    ax.set_xlabel("Days since return to sport")
    ax.set_ylabel("Reinjury-free")
    ctx.figure(fig, "km", caption=("Kaplan-Meier curves of reinjury-free time by arm with 95% log-log bands; "
                                    "+ marks censored athletes; numbers at risk under the axis."
                                    + (" SYNTHETIC data." if trial.provenance.synthetic else "")),
               alt="Kaplan-Meier curves with numbers at risk")

    lr = logrank(time, event, group)
    lre = logrank_exact(time, event, group, seed=20040301)
    exact_note = ("complete enumeration of all " + f"{lre.n_allocations:,}" + " allocations" if lre.exact else
                  f"{lre.n_resamples:,} random allocations, Monte Carlo SE {fmt_num(lre.mc_std_err, 2, style=style)}")
    tau = choose_tau(data)
    rm = rmst(time, event, group, tau=tau)
    tests = [
        ("Log-rank test", Cell(f"χ² = {fmt_num(lr.statistic, style=style)}, df = {fmt_int(lr.df)}", numeric=True),
         Cell("", numeric=True), Cell(fmt_pvalue(lr.pvalue, style=style), numeric=True), lr.method),
        ("Exact (permutation) log-rank test", Cell("", numeric=True), Cell("", numeric=True),
         Cell(fmt_pvalue(lre.pvalue, style=style), numeric=True), exact_note),
    ]
    rt = rm.table.set_index("group")
    for arm in order:
        r = rt.loc[arm]
        tests.append((f"RMST up to day {tau:g}, {arm}", Cell(fmt_num(r["rmst"], style=style), numeric=True),
                      Cell(fmt_ci(r["ci_low"], r["ci_high"], style=style), numeric=True), Cell("", numeric=True),
                      "area under the Kaplan-Meier curve (days)"))
    if rm.difference is not None:
        g = list(rt.index)
        d = rm.difference
        tests.append((f"RMST difference ({g[1]} − {g[0]})", Cell(fmt_num(d.estimate, style=style), numeric=True),
                      Cell(fmt_ci(d.ci_low, d.ci_high, style=style), numeric=True),
                      Cell(fmt_pvalue(d.pvalue, style=style), numeric=True), d.method))
    doc.add(Table(("Test or estimate", "Estimate", "95% CI", "p", "Method"), tuple(tests),
                  caption="Comparing the arms over the whole follow-up",
                  notes=(f"RMST horizon tau = {tau:g} days, fixed in advance"
                         + (" (365 days, the follow-up of the published 1-year count)." if tau == 365 else
                            " (the shortest arm's follow-up, so that no curve is extrapolated)."),)))

    ci = cumulative_incidence(time, event, group)
    fig, ax = new_figure(6.4, 3.8)
    ci.plot(ax=ax)
    ax.set_xlabel("Days since return to sport")
    ax.set_ylabel("Cumulative incidence of reinjury")
    ctx.figure(fig, "cumulative-incidence", caption="Cumulative incidence of reinjury (Aalen-Johansen) by arm with 95% intervals.",
               alt="Cumulative incidence curves")

    # Cox and Firth, over the whole follow-up and over the first landmark window (where an arm may have no
    # events: the partial likelihood is then monotone and only Firth's estimate is finite)
    horizon = LANDMARKS[0]
    fits = {}
    caught_messages: list[str] = []
    rows = []
    for span, limit in (("whole follow-up", None), (f"first {horizon:g} days", horizon)):
        if limit is None:
            t_s, e_s = time, event
        else:
            t_s, e_s = np.minimum(time, limit), np.where(time <= limit, event, 0)  # administrative censoring
        if e_s.sum() == 0:
            continue
        frame = pd.DataFrame({"time": t_s, "event": e_s, "arm": pd.Categorical(group, categories=[a2, a1])})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plain = cox(frame, "time", "event", ["arm"])
        caught_messages += [str(w.message) for w in caught if "monoton" in str(w.message).lower()]
        firth = cox(frame, "time", "event", ["arm"], firth=True)
        fits[span] = (plain, firth)
        for label, res in (("Cox (Efron ties)", plain), ("Firth-penalised Cox", firth)):
            for name, r in res.table.iterrows():
                if res.monotone and res is plain:  # Firth's fit is finite by design, even on these data
                    rows.append((span, label, f"{a1} vs {a2}", Cell("not estimable", numeric=True),
                                 Cell("monotone likelihood", numeric=True), Cell("", numeric=True),
                                 "an arm has no events: the maximum-likelihood hazard ratio is infinite"))
                else:
                    rows.append((span, label, f"{a1} vs {a2}", Cell(fmt_num(r["hazard_ratio"], style=style), numeric=True),
                                 Cell(fmt_ci(r["ci_low"], r["ci_high"], style=style), numeric=True),
                                 Cell(fmt_pvalue(r["pvalue"], style=style), numeric=True), res.method))
    notes = tuple(dict.fromkeys(caught_messages))[:1]
    doc.add(Table(("Follow-up", "Model", "Hazard ratio of", "Hazard ratio", "95% CI", "p", "Method"), tuple(rows),
                  caption="Cox regression and Firth's penalised version",
                  notes=notes + (f"'First {horizon:g} days' censors every athlete at day {horizon:g}.",)))
    plain, firth = fits["whole follow-up"]

    # injury incidence per 1,000 hours of exposure
    rate_text = ""
    if "exposure_hours" in data and data["exposure_hours"].notna().all() and (data["exposure_hours"] > 0).any():
        ctx.use("rates")
        rows = []
        totals = {}
        for arm in order:
            sub = data[data["arm"] == arm]
            totals[arm] = (int(sub["event"].sum()), float(sub["exposure_hours"].sum()))
            est = incidence_rate(*totals[arm], per=1000)
            rows.append((arm, Cell(fmt_int(totals[arm][0]), numeric=True), Cell(fmt_num(totals[arm][1], 4, style=style), numeric=True),
                         Cell(fmt_num(est.estimate, style=style), numeric=True),
                         Cell(fmt_ci(est.ci_low, est.ci_high, style=style), numeric=True)))
        rr = rate_ratio(*totals[a1], *totals[a2], per=1000)
        rows.append((f"Rate ratio {a1} / {a2}", Cell("", numeric=True), Cell("", numeric=True),
                     Cell(fmt_num(rr.estimate, style=style), numeric=True),
                     Cell(fmt_ci(rr.ci_low, rr.ci_high, style=style) + f"; {fmt_p(rr.pvalue, style=style)}", numeric=True)))
        doc.add(Table(("Arm", "Reinjuries", "Exposure (hours)", "Per 1,000 hours", "95% CI"), tuple(rows),
                      caption="Reinjury incidence per 1,000 hours of exposure (exact Poisson intervals)"))
        rate_text = (f" Reinjury incidence was {fmt_num(incidence_rate(*totals[a1], per=1000).estimate, style=style)} per 1,000 hours "
                     f"with {a1} and {fmt_num(incidence_rate(*totals[a2], per=1000).estimate, style=style)} with {a2} "
                     f"(rate ratio {fmt_num(rr.estimate, style=style)}, 95% CI {fmt_ci(rr.ci_low, rr.ci_high, style=style)}).")

    fr = firth.table.iloc[0]
    early_text = ""
    early = fits.get(f"first {horizon:g} days")
    if early is not None:
        ep, ef = early
        efr = ef.table.iloc[0]
        early_text = (f" Over the first {horizon:g} days"
                      + (", an arm had no reinjury and the Cox likelihood was monotone; " if ep.monotone else ", ")
                      + f"Firth's hazard ratio was {fmt_num(efr['hazard_ratio'], style=style)} "
                      f"(95% CI {fmt_ci(efr['ci_low'], efr['ci_high'], style=style)}; {fmt_p(efr['pvalue'], style=style)}).")
    s1 = _band_at(kms[a1], 365.0)[0]
    s2 = _band_at(kms[a2], 365.0)[0]
    label = "In the synthetic participant data, " if trial.provenance.synthetic else ""
    ctx.result(
        f"{label}{kms[a1].n_events} of {kms[a1].n} athletes with {a1} and {kms[a2].n_events} of {kms[a2].n} with {a2} "
        f"re-injured during follow-up (Kaplan-Meier 1-year reinjury {fmt_pct(1 - s1, style=style)} vs "
        f"{fmt_pct(1 - s2, style=style)}; log-rank {fmt_p(lr.pvalue, style=style)}; exact log-rank {fmt_p(lre.pvalue, style=style)}). "
        + (f"The restricted mean reinjury-free time up to day {tau:g} was {fmt_num(rt.loc[a1, 'rmst'], style=style)} days with {a1} "
           f"and {fmt_num(rt.loc[a2, 'rmst'], style=style)} with {a2} (difference {rt.index[1]} − {rt.index[0]} "
           f"{fmt_num(rm.difference.estimate, style=style)} days, 95% CI {fmt_ci(rm.difference.ci_low, rm.difference.ci_high, style=style)}). "
           if rm.difference is not None else "")
        + ("The Cox partial likelihood was monotone (an arm without events), so no finite hazard ratio exists; "
           if plain.monotone else
           f"The Cox hazard ratio ({a1} vs {a2}) was {fmt_num(plain.table.iloc[0]['hazard_ratio'], style=style)}; ")
        + f"Firth's penalised hazard ratio was {fmt_num(fr['hazard_ratio'], style=style)} "
          f"(95% profile-likelihood CI {fmt_ci(fr['ci_low'], fr['ci_high'], style=style)}; {fmt_p(fr['pvalue'], style=style)})."
        + early_text
        + rate_text
    )
