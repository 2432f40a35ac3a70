"""Forest and funnel plots for a :class:`~hamstudy.meta.result.MetaResult` (matplotlib)."""

from __future__ import annotations

import math
import textwrap

import numpy as np

from hamstudy.meta.result import MEASURE_NAMES


def _fmt(x: float, digits: int = 2) -> str:
    if not np.isfinite(x):
        return "inf" if x == np.inf else ("-inf" if x == -np.inf else "NE")
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def _p(p: float) -> str:
    """'p = 0.012' or 'p < 0.001'."""
    if not np.isfinite(p):
        return "p = NE"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _count(e, n) -> str:
    return f"{int(e)}/{int(n)}"


_ZWS = "\u200b"  # marks a break opportunity after "/" while wrapping


def _wrap(text: str, width: int) -> list[str]:
    """Lines of ``text`` at most ``width`` characters where possible, broken between words, after "/"
    or at hyphens, never inside a word (a single word longer than ``width`` keeps its own line)."""
    marked = str(text).replace("/", "/" + _ZWS + " ")
    lines = textwrap.wrap(marked, max(int(width), 1), break_long_words=False, break_on_hyphens=True)
    return [line.replace(_ZWS + " ", "").replace(_ZWS, "") for line in lines] or [""]


_HEAD_WIDTH = 16  # characters per line of the arm column heads
_PT_PER_LINE = 1.25  # line height as a multiple of the font size (generous: matplotlib uses 1.2)


def _head_texts(labels, binary: bool, continuous: bool) -> list[str]:
    """The two arm column heads (empty when the table has no per-arm data)."""
    unit = "events/total" if binary else ("mean (SD), n" if continuous else None)
    if unit is None:
        return []
    return ["\n".join(_wrap(_cap(str(lab)), _HEAD_WIDTH)) + "\n" + unit for lab in labels[:2]]


def _null_fraction(ax, null: float) -> float:
    """Axes fraction of the null line (0.5 when the null is outside the x range)."""
    x0, x1 = ax.get_xlim()
    if not min(x0, x1) <= null <= max(x0, x1):
        return 0.5
    disp = ax.transData.transform((null, 0.0))
    return float(ax.transAxes.inverted().transform(disp)[0])


def _draw_favours(ax, left_txt: str, right_txt: str, null: float, ax_w: float, y: float, fs: float):
    """'Favours ...' texts under the axis, ending at (left) and starting at (right) the null line.

    Each side is wrapped to the room between the null line and its end of the axis, and the two are
    anchored on either side of the null line, so they cannot overlap whatever their number of lines.
    ``y`` is the top of the texts in axes fraction.
    """
    from matplotlib.transforms import offset_copy

    frac = _null_fraction(ax, null)
    gap_pt, char_in = 4.0, 0.075  # gap from the null line; width of a character at this font size
    texts = []
    for side, txt in (("left", left_txt), ("right", right_txt)):
        room_in = (frac if side == "left" else 1.0 - frac) * ax_w - gap_pt / 72.0
        lines = _wrap(txt, max(10, int(room_in / char_in)))
        if side == "left":
            lines[0] = "← " + lines[0]
        else:
            lines[-1] = lines[-1] + " →"
        dx = -gap_pt if side == "left" else gap_pt
        trans = offset_copy(ax.transAxes, fig=ax.figure, x=dx, y=0.0, units="points")
        texts.append(ax.text(frac, y, "\n".join(lines),
                             transform=trans, ha="right" if side == "left" else "left", va="top",
                             multialignment=side, fontsize=fs, clip_on=False, gid=f"favours-{side}"))
    return texts


_DEFAULT_SPAN_IN = 5.2 + 3.6 + 2.45  # study column to weight column in the default figure


def _title_lines(title: str, width_in: float, fs: float) -> list[str]:
    return _wrap(title, max(20, int(width_in / (0.55 * fs / 72.0))))


def _top_margin_in(head_pt: float, title, fs: float) -> float:
    """Room above the axes for the column heads (which start 0.18 in below its top) and the title."""
    need_pt = head_pt - 0.18 * 72 + 10
    if title:
        need_pt += 6 + len(_title_lines(str(title), _DEFAULT_SPAN_IN, fs + 2)) * (fs + 2) * _PT_PER_LINE
    return max(0.75, need_pt / 72)


def _draw_title(ax, title: str, x: float, y: float, above_pt: float, width_in: float, fs: float):
    """Title over all the text columns: left-aligned with the study column, above the column heads."""
    from matplotlib.transforms import blended_transform_factory, offset_copy

    lines = _title_lines(title, width_in, fs)
    base = blended_transform_factory(ax.transAxes, ax.transData)
    trans = offset_copy(base, fig=ax.figure, x=0.0, y=above_pt, units="points")
    return ax.text(x, y, "\n".join(lines), transform=trans, ha="left", va="bottom", fontsize=fs, clip_on=False,
                   gid="forest-title")


def forest_plot(result, ax=None, *, labels=("treatment", "control"), favours=None, xlim=None, title=None):
    """Forest plot: one row per study, the pooled diamond and the prediction interval.

    Parameters
    ----------
    result : MetaResult
    ax : matplotlib Axes, optional
        Drawn into; if None a figure sized for the number of studies is created. Text columns are
        drawn outside the axes (left: study and, for binary data, events/total per arm; right:
        effect with CI and weight), so give the axes room on both sides.
    labels : (str, str)
        Names of the two arms (treatment, control), used in column heads and, by default, in
        "Favours ..." under the axis.
    favours : (str, str), optional
        Text under the axis, left and right of the null line. Default "Favours <treatment>" on the left
        and "Favours <control>" on the right, which is right when lower values are better for the
        treatment arm (risks of reinjury, days to return to sport); swap them when higher is better.
    xlim : (float, float), optional
        Axis limits on the natural scale; intervals beyond them end in an arrow.
    title : str, optional
        Drawn above the column heads, left-aligned with the study column, so it spans all the text
        columns instead of the plot area alone.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Arm names are wrapped between words (and after "/"), never inside a word. The "Favours ..."
    texts end at (left) and start at (right) the null line, each wrapped to the room on its side.
    Squares have area proportional to the study's weight in the model; whiskers are the
    per-study normal-quantile confidence intervals (metafor's ``forest``). Ratios are shown on a
    log axis with the null line at 1 (0 for differences). Studies left out of the model (double
    zeros) are listed as "not estimable". The diamond spans the pooled CI; the bar beneath it is
    the prediction interval (random-effects models only).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon
    from matplotlib.transforms import blended_transform_factory

    t = result.table
    n = len(t)
    binary = {"events_t", "total_t", "events_c", "total_c"} <= set(t.columns)
    continuous = {"mean_t", "sd_t", "n_t"} <= set(t.columns)
    random = result.tau2_method is not None and result.method == "IV"
    ratio = result.is_ratio
    fs = 9
    heads = _head_texts(labels, binary, continuous)
    head_pt = max([h.count("\n") + 1 for h in heads] + [2]) * fs * _PT_PER_LINE  # height of the column heads
    if ax is None:
        top = _top_margin_in(head_pt, title, fs)
        height = 1.35 + top + 0.3 * (n + 4) - 0.2
        fig, ax = plt.subplots(figsize=(11.5, height))
        fig.subplots_adjust(left=5.3 / 11.5, right=1 - 2.6 / 11.5, top=1 - top / height, bottom=1.35 / height)
    # text columns are placed in inches from the axes edges, converted to axes fractions
    bbox = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())
    ax_w, ax_h = max(bbox.width, 0.5), max(bbox.height, 0.5)

    def fx(inches):
        return inches / ax_w if inches < 0 else 1 + inches / ax_w

    def fy(inches):
        return -inches / ax_h

    null = 1.0 if ratio else 0.0
    y_study = np.arange(n, 0, -1) + 2.0  # top to bottom, leaving rows for the pooled lines
    y_pooled = 1.5
    y_pi = 0.7

    # axis range from the intervals (natural scale)
    inc = t["included"].to_numpy()
    lo_all = np.r_[t["ci_low"].to_numpy()[inc], result.ci_low, result.pi_low if random else result.ci_low]
    hi_all = np.r_[t["ci_high"].to_numpy()[inc], result.ci_high, result.pi_high if random else result.ci_high]
    lo_all, hi_all = lo_all[np.isfinite(lo_all)], hi_all[np.isfinite(hi_all)]
    if xlim is None:
        if ratio:
            lo = max(min(lo_all.min(initial=null), null) / 1.3, 1e-3)
            hi = min(max(hi_all.max(initial=null), null) * 1.3, 1e3)
        else:
            span = max(hi_all.max(initial=null), null) - min(lo_all.min(initial=null), null)
            lo = min(lo_all.min(initial=null), null) - 0.08 * span
            hi = max(hi_all.max(initial=null), null) + 0.08 * span
        xlim = (lo, hi)
    if ratio:
        ax.set_xscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(0, n + 3.2)
    ax.axvline(null, color="0.2", lw=0.8, zorder=1)

    # squares and whiskers
    w = t["weight"].to_numpy()
    wmax = np.nanmax(w) if np.any(np.isfinite(w)) else 1.0
    for i, row in enumerate(t.itertuples(index=False)):
        y = y_study[i]
        if not row.included or not np.isfinite(row.effect):
            continue
        lo, hi = row.ci_low, row.ci_high
        ax.plot([max(lo, xlim[0]), min(hi, xlim[1])], [y, y], color="0.15", lw=1.0, zorder=2)
        if lo < xlim[0]:
            ax.plot(xlim[0], y, marker="<", color="0.15", ms=5, zorder=3, clip_on=False)
        if hi > xlim[1]:
            ax.plot(xlim[1], y, marker=">", color="0.15", ms=5, zorder=3, clip_on=False)
        if xlim[0] <= row.effect <= xlim[1]:
            size = 4 + 10 * math.sqrt(max(row.weight, 0) / wmax) if np.isfinite(row.weight) else 4
            ax.plot(row.effect, y, marker="s", color="#1f4e79", ms=size, zorder=4, mec="none")

    # pooled diamond and prediction interval
    if np.isfinite(result.estimate):
        dia = Polygon([[result.ci_low, y_pooled], [result.estimate, y_pooled + 0.32], [result.ci_high, y_pooled],
                       [result.estimate, y_pooled - 0.32]], closed=True, color="#b22222", zorder=5)
        ax.add_patch(dia)
        ax.axvline(result.estimate, color="#b22222", lw=0.6, ls=":", zorder=1)
        if random:
            ax.plot([max(result.pi_low, xlim[0]), min(result.pi_high, xlim[1])], [y_pi, y_pi], color="#b22222",
                    lw=2.2, solid_capstyle="butt", zorder=5)

    # text columns
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    head_y = n + 2.6

    x_study, x_t, x_c, x_eff, x_w = fx(-5.2), fx(-2.35), fx(-0.85), fx(0.12), fx(2.45)
    cols_left = [(x_study, "Study", "left")] + [(x, h, "center") for x, h in zip((x_t, x_c), heads)]
    measure_name = {"RR": "Risk ratio", "OR": "Odds ratio", "RD": "Risk difference", "MD": "Mean difference",
                    "SMD": "Hedges' g"}.get(result.measure, MEASURE_NAMES.get(result.measure, "Effect").capitalize())
    lvl = f"{100 * result.confidence_level:g}%"
    cols_right = [(x_eff, f"{measure_name}\n[{lvl} CI]", "left"), (x_w, "Weight\n(%)", "right")]
    for x, txt, ha in cols_left + cols_right:
        ax.text(x, head_y, txt, transform=tr, ha=ha, va="bottom", fontsize=fs, fontweight="bold", clip_on=False)
    for i, row in enumerate(t.itertuples(index=False)):
        y = y_study[i]
        label = str(row.study) + (" *" if getattr(row, "derived", False) else "")
        ax.text(x_study, y, label, transform=tr, ha="left", va="center", fontsize=fs, clip_on=False)
        if binary:
            ax.text(x_t, y, _count(row.events_t, row.total_t), transform=tr, ha="center", va="center", fontsize=fs)
            ax.text(x_c, y, _count(row.events_c, row.total_c), transform=tr, ha="center", va="center", fontsize=fs)
        elif continuous:
            ax.text(x_t, y, f"{row.mean_t:.1f} ({row.sd_t:.1f}), {int(row.n_t)}", transform=tr, ha="center",
                    va="center", fontsize=fs - 1)
            ax.text(x_c, y, f"{row.mean_c:.1f} ({row.sd_c:.1f}), {int(row.n_c)}", transform=tr, ha="center",
                    va="center", fontsize=fs - 1)
        if row.included and np.isfinite(row.effect):
            eff = f"{_fmt(row.effect)} [{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]"
            wt = f"{row.weight:.1f}" if np.isfinite(row.weight) else ""
        else:
            eff, wt = "not estimable", ""
        ax.text(x_eff, y, eff, transform=tr, ha="left", va="center", fontsize=fs)
        ax.text(x_w, y, wt, transform=tr, ha="right", va="center", fontsize=fs)
    pooled_label = {"MH": "Total (Mantel-Haenszel)", "Peto": "Total (Peto)"}.get(
        result.method, ("Total (" + str(result.tau2_method) + (", HKSJ)" if result.hksj else ")"))
        if random else "Total (common effect, IV)")
    ax.text(x_study, y_pooled, pooled_label, transform=tr, ha="left", va="center", fontsize=fs, fontweight="bold")
    if binary:
        inc_t = t[t["included"]]
        ax.text(x_t, y_pooled, _count(inc_t["events_t"].sum(), inc_t["total_t"].sum()), transform=tr,
                ha="center", va="center", fontsize=fs, fontweight="bold")
        ax.text(x_c, y_pooled, _count(inc_t["events_c"].sum(), inc_t["total_c"].sum()), transform=tr,
                ha="center", va="center", fontsize=fs, fontweight="bold")
    ax.text(x_eff, y_pooled, f"{_fmt(result.estimate)} [{_fmt(result.ci_low)}, {_fmt(result.ci_high)}]", transform=tr,
            ha="left", va="center", fontsize=fs, fontweight="bold")
    ax.text(x_w, y_pooled, "100.0" if np.isfinite(result.estimate) else "", transform=tr, ha="right", va="center",
            fontsize=fs, fontweight="bold")
    if random:
        ax.text(x_study, y_pi, f"Prediction interval ({lvl})", transform=tr, ha="left", va="center", fontsize=fs)
        ax.text(x_eff, y_pi, f"[{_fmt(result.pi_low)}, {_fmt(result.pi_high)}]", transform=tr, ha="left",
                va="center", fontsize=fs)
    test = f"t = {result.statistic:.2f} (df = {result.df:g})" if np.isfinite(result.df) else f"z = {result.statistic:.2f}"
    foot = [f"Heterogeneity: tau² = {result.tau2:.3g}; Q = {result.q:.2f} (df = {max(result.k - 1, 0)}, "
            f"{_p(result.q_pvalue)}); I² = {result.i2:.0f}%",
            f"Test for overall effect: {test}, {_p(result.pvalue)}"]
    if len(result.dropped):
        foot.append(f"Not estimable (no events, or only events, in both arms): {', '.join(result.dropped['study'])}")
    if "derived" in t.columns and t["derived"].any():
        foot.append("* mean and SD derived from median and quartiles (Wan et al. 2014)")
    ax.text(x_study, fy(0.62), "\n".join(foot), transform=ax.transAxes, ha="left", va="top", fontsize=fs - 1,
            clip_on=False)

    # axes furniture
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=fs)
    if ratio:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        decades = math.log10(xlim[1] / xlim[0])
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 2.6 else (1.0,)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    left_txt, right_txt = favours if favours is not None else (f"Favours {labels[0]}", f"Favours {labels[1]}")
    _draw_favours(ax, str(left_txt), str(right_txt), null, ax_w, fy(0.32), fs - 1)
    if title:
        _draw_title(ax, str(title), x_study, head_y, head_pt + 6.0, 5.2 + ax_w + 2.45, fs + 2)
    return ax


def funnel_plot(result, ax=None, *, contours=(0.90, 0.95, 0.99), title=None):
    """Funnel plot: effect against standard error, with pseudo-confidence contours.

    Parameters
    ----------
    result : MetaResult
    ax : matplotlib Axes, optional
    contours : sequence of float
        Coverage levels of the shaded pseudo-confidence regions around the pooled estimate
        (estimate ± z·SE), as metafor's contour-enhanced ``funnel(level=c(90, 95, 99))``.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    The vertical axis is the standard error, inverted (precise studies on top), as metafor's
    ``funnel``. Ratios are drawn on a log axis (the analysis scale) with natural-scale tick labels.
    With few studies (fewer than 10) a funnel plot cannot show asymmetry reliably.
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 5))
        fig.subplots_adjust(right=0.74)
    t = result.table[result.table["included"]]
    yi = t["yi"].to_numpy()
    se = np.sqrt(t["vi"].to_numpy())
    ok = np.isfinite(yi) & np.isfinite(se)
    yi, se = yi[ok], se[ok]
    ratio = result.is_ratio
    center = result.log_estimate if np.isfinite(result.log_estimate) else (np.average(yi, weights=1 / se**2) if yi.size else 0.0)
    smax = (se.max() if se.size else 1.0) * 1.08
    s = np.linspace(0, smax, 100)
    shades = ["0.93", "0.85", "0.75", "0.65"]
    for j, lvl in enumerate(sorted(contours, reverse=True)):
        z = stats.norm.isf((1 - lvl) / 2)
        xs = np.r_[center - z * s, (center + z * s)[::-1]]
        ys = np.r_[s, s[::-1]]
        conv = np.exp if ratio else (lambda v: v)
        ax.fill(conv(xs), ys, color=shades[j % len(shades)], lw=0, zorder=1,
                label=f"{100 * lvl:g}% pseudo-CI")
    conv = np.exp if ratio else (lambda v: v)
    ax.axvline(conv(center), color="#b22222", lw=1, zorder=2, label="pooled estimate")
    null = 1.0 if ratio else 0.0
    ax.axvline(null, color="0.3", lw=0.8, ls="--", zorder=2, label="no effect")
    ax.scatter(conv(yi), se, s=28, color="#1f4e79", edgecolor="white", lw=0.6, zorder=3, label="studies")
    ax.set_ylim(smax, 0)
    if ratio:
        from matplotlib.ticker import FuncFormatter, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    name = {"RR": "Risk ratio (log scale)", "OR": "Odds ratio (log scale)", "RD": "Risk difference",
            "MD": "Mean difference", "SMD": "Hedges' g"}.get(result.measure, MEASURE_NAMES.get(result.measure, "Effect"))
    ax.set_xlabel(name)
    ax.set_ylabel("Standard error")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left")
    if yi.size < 10:
        ax.text(0.01, 0.01, f"k = {yi.size}: too few studies to judge asymmetry", transform=ax.transAxes, fontsize=8,
                color="0.35", va="bottom")
    return ax
