"""Plots for the non-parametric survival results: Kaplan-Meier curves with an at-risk table, and
cumulative incidence curves. matplotlib is imported inside the functions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _steps(time: np.ndarray, values: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray]:
    """Step-function coordinates starting at (0, start) for ``ax.step(where='post')``."""
    x = np.concatenate(([0.0], time))
    y = np.concatenate(([start], values))
    return x, y


def _n_at_risk(result, times: np.ndarray) -> np.ndarray:
    """Number at risk at each of ``times`` (subjects with follow-up time >= t)."""
    tab = result.table
    t = tab["time"].to_numpy()
    n_risk = tab["n_risk"].to_numpy()
    idx = np.searchsorted(t, times, side="left")  # first row with time >= t
    padded = np.append(n_risk, 0)
    return padded[idx].astype(int)


def arm_colors(labels, colors: Mapping | None = None) -> dict:
    """Colour of each arm: the same arm gets the same colour in every survival figure.

    Parameters
    ----------
    labels : iterable
        Arm (group) labels; repeats are ignored.
    colors : mapping of label to colour, optional
        Colours to force; labels not in it get the default ones.

    Returns
    -------
    dict
        Label -> colour, in the order the labels first appear in ``labels``.

    Notes
    -----
    The colours of matplotlib's current property cycle are given to the distinct labels in sorted
    order (of their text), so they depend only on the set of arms shown, not on the order the results
    are passed in: ``plot_km({"STST": a, "PATS": b})`` and ``cumulative_incidence(..., group=arm).plot()``
    (whose groups are sorted) colour each arm alike.
    """
    import matplotlib as mpl
    from matplotlib.colors import is_color_like

    if colors is not None and not isinstance(colors, Mapping):
        raise ValueError(f"colors must be a mapping of label -> colour or None; got {type(colors).__name__}")
    forced = dict(colors or {})
    for label, colour in forced.items():
        if not is_color_like(colour):
            raise ValueError(f"colors[{label!r}] is not a matplotlib colour: {colour!r}")
    distinct = list(dict.fromkeys(labels))
    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    rank = {lab: i for i, lab in enumerate(sorted(distinct, key=str))}
    return {lab: forced.get(lab, cycle[rank[lab] % len(cycle)]) for lab in distinct}


def plot_km(results: Mapping, ax=None, at_risk: bool = True, times=None, *, band: bool = True,
            colors: Mapping | None = None):
    """Kaplan-Meier curves of one or more :class:`KaplanMeierResult` with a shared at-risk table.

    Parameters
    ----------
    results : mapping of str to KaplanMeierResult
        Label -> result (e.g. ``{"STST": km1, "PATS": km2}``); a single result is also accepted.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure is made when None).
    at_risk : bool, optional
        Draw the numbers at risk under the x axis, one row per curve, one column per x tick.
    times : array_like, optional
        Times of the x ticks and at-risk columns; by default matplotlib's ticks within the data.
    band : bool, optional
        Shade the pointwise confidence band.
    colors : mapping of label to colour, optional
        Colours to force per curve; by default :func:`arm_colors` (the same arm has the same colour
        here and in :func:`plot_cumulative_incidence`).

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    The at-risk numbers are placed with a transform that is data coordinates in x and axes
    coordinates in y, so each number sits exactly under its tick; the ticks are fixed to ``times``
    so that later autoscaling cannot move them away from the table. Censored times are marked with
    "+" as R ``plot.survfit`` does.
    """
    import matplotlib.pyplot as plt
    from matplotlib import transforms

    from hamstudy.survival.km import KaplanMeierResult

    if isinstance(results, KaplanMeierResult):
        results = {"all": results}
    if not isinstance(results, Mapping) or not results:
        raise TypeError("results must be a non-empty mapping of label -> KaplanMeierResult")
    for label, res in results.items():
        if not isinstance(res, KaplanMeierResult):
            raise TypeError(f"results[{label!r}] must be a KaplanMeierResult; got {type(res).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5 + 0.25 * len(results) * at_risk))
    palette = arm_colors(results, colors)
    tmax = max(float(r.table["time"].max()) for r in results.values())
    for label, res in results.items():
        tab = res.table
        x, y = _steps(tab["time"].to_numpy(), tab["survival"].to_numpy(), 1.0)
        colour = palette[label]
        ax.step(x, y, where="post", label=str(label), color=colour)
        cens = tab["n_censor"].to_numpy() > 0
        ax.plot(tab["time"].to_numpy()[cens], tab["survival"].to_numpy()[cens], "+", color=colour, ms=7)
        if band:
            xl, lo = _steps(tab["time"].to_numpy(), tab["ci_low"].to_numpy(), 1.0)
            _, hi = _steps(tab["time"].to_numpy(), tab["ci_high"].to_numpy(), 1.0)
            ok = ~(np.isnan(lo) | np.isnan(hi))
            ax.fill_between(xl[ok], lo[ok], hi[ok], step="post", color=colour, alpha=0.15, lw=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("Survival probability")
    ax.set_xlabel("Time")
    if times is None:
        ax.set_xlim(0, tmax * 1.02 if tmax > 0 else 1.0)
        ticks = np.asarray(ax.get_xticks(), dtype=float)
        ticks = ticks[(ticks >= 0) & (ticks <= tmax * 1.02 + 1e-12)]
    else:
        ticks = np.asarray(times, dtype=float)
        if ticks.ndim != 1 or ticks.size == 0 or np.any(np.isnan(ticks)):
            raise ValueError("times must be a non-empty 1-D array of numbers")
        ax.set_xlim(min(0.0, ticks.min()), max(tmax, ticks.max()) * 1.02 if max(tmax, ticks.max()) > 0 else 1.0)
    ax.set_xticks(ticks)
    if len(results) > 1 or next(iter(results)) != "all":
        ax.legend(loc="best", frameon=False)
    if at_risk:
        # x in data coordinates (so each number sits under its tick), y in points below the axes
        fig = ax.figure
        base = transforms.blended_transform_factory(ax.transData, ax.transAxes)
        header_y, row_step = 44.0, 14.0
        ax.text(
            -0.02, 0, "At risk",
            transform=transforms.offset_copy(ax.transAxes, fig=fig, x=-28, y=-header_y, units="points"),
            ha="right", va="center", fontweight="bold",
        )
        for row, (label, res) in enumerate(results.items()):
            dy = -(header_y + row_step * (row + 1))
            ax.text(
                0, 0, str(label),
                transform=transforms.offset_copy(ax.transAxes, fig=fig, x=-28, y=dy, units="points"),
                ha="right", va="center",
            )
            trans = transforms.offset_copy(base, fig=fig, y=dy, units="points")
            for tick, count in zip(ticks, _n_at_risk(res, ticks)):
                ax.text(tick, 0, str(count), transform=trans, ha="center", va="center", clip_on=False)
        needed_pt = header_y + row_step * (len(results) + 1) + 6
        fig_h_pt = fig.get_figheight() * 72.0
        bottom = min(0.6, needed_pt / fig_h_pt + 0.04)
        if fig.subplotpars.bottom < bottom:
            fig.subplots_adjust(bottom=bottom)
        if fig.subplotpars.left < 0.16:
            fig.subplots_adjust(left=0.16)
    return ax


def plot_cumulative_incidence(result, ax=None, *, band: bool = True, colors: Mapping | None = None):
    """Cumulative incidence curves, one per cause and group, from :func:`cumulative_incidence`.

    Parameters
    ----------
    result : CumulativeIncidenceResult
    ax : matplotlib Axes, optional
    band : bool, optional
        Shade the pointwise confidence band.
    colors : mapping of label to colour, optional
        Colours to force per group (per cause when there is a single group); by default
        :func:`arm_colors`, so an arm has the same colour as in :func:`plot_km`.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    With several groups the colour shows the group and the line style the cause; with one group
    the colour shows the cause.
    """
    import matplotlib.pyplot as plt

    from hamstudy.survival.competing import CumulativeIncidenceResult

    if not isinstance(result, CumulativeIncidenceResult):
        raise TypeError(f"result must be a CumulativeIncidenceResult; got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    tab = result.table
    several_groups = tab["group"].nunique() > 1
    palette = arm_colors(tab["group"] if several_groups else tab["cause"], colors)
    styles = ["-", "--", ":", "-."]
    for (grp, cause), sub in tab.groupby(["group", "cause"], sort=True):
        t = sub["time"].to_numpy()
        x, y = _steps(t, sub["incidence"].to_numpy(), 0.0)
        label = f"{grp}: cause {cause}" if several_groups else f"cause {cause}"
        colour = palette[grp] if several_groups else palette[cause]
        style = styles[list(result.causes).index(cause) % len(styles)] if several_groups else "-"
        ax.step(x, y, where="post", label=label, color=colour, linestyle=style)
        if band:
            _, lo = _steps(t, sub["ci_low"].to_numpy(), 0.0)
            _, hi = _steps(t, sub["ci_high"].to_numpy(), 0.0)
            ok = ~(np.isnan(lo) | np.isnan(hi))
            ax.fill_between(x[ok], lo[ok], hi[ok], step="post", color=colour, alpha=0.15, lw=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel("Time")
    ax.set_ylabel("Cumulative incidence")
    ax.legend(loc="best", frameon=False)
    return ax
