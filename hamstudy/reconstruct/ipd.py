"""Participant-level data reconstructed from a digitised Kaplan-Meier curve."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hamstudy.reconstruct._clean import add_points_at, clean_at_risk, clean_curve
from hamstudy.reconstruct.exact import exact_inversion
from hamstudy.reconstruct.guyot import guyot


def _check_events(total_events, name: str = "total_events") -> int | None:
    if total_events is None:
        return None
    if isinstance(total_events, bool) or not isinstance(total_events, numbers.Real):
        raise TypeError(f"{name} must be a non-negative integer or None; got {type(total_events).__name__}")
    if isinstance(total_events, float) and (np.isnan(total_events) or total_events != round(total_events)):
        raise ValueError(f"{name} must be a whole number of events; got {total_events!r}")
    if total_events < 0:
        raise ValueError(f"{name} must be >= 0; got {total_events!r}")
    return int(total_events)


def _select_arm(frame, arm, name: str):
    """Rows of ``frame`` for ``arm`` when it has an ``arm`` column; the frame itself otherwise."""
    if not isinstance(frame, pd.DataFrame) or "arm" not in frame.columns:
        return frame
    arms = pd.unique(frame["arm"])
    if arm is None:
        if len(arms) > 1:
            raise ValueError(
                f"{name} holds {len(arms)} arms ({', '.join(map(str, arms))}); pass arm=... to choose one, "
                "or use reconstruct_arms for all"
            )
        return frame
    rows = frame[frame["arm"] == arm]
    if rows.empty:
        raise ValueError(f"{name} has no rows for arm {arm!r}; its arms are {', '.join(map(str, arms))}")
    return rows


def _rows_from_guyot(t: np.ndarray, fit) -> tuple[np.ndarray, np.ndarray]:
    """Events at the digitised times, censorings half-way between points, the rest at the end."""
    mid = (t[:-1] + t[1:]) / 2.0
    times = np.concatenate([np.repeat(t, fit.d), np.repeat(mid, fit.cen[:-1]), np.full(fit.remaining, t[-1])])
    flags = np.concatenate(
        [np.ones(int(fit.d.sum()), dtype=np.int64), np.zeros(int(fit.cen[:-1].sum()) + fit.remaining, dtype=np.int64)]
    )
    return times, flags


def _rows_from_exact(fit) -> tuple[np.ndarray, np.ndarray]:
    """Events at the drop times, censorings where the exact reading placed them."""
    times = np.concatenate([np.repeat(fit.time, fit.events), fit.censor_times])
    flags = np.concatenate([np.ones(int(fit.events.sum()), np.int64), np.zeros(fit.censor_times.size, np.int64)])
    return times, flags


def reconstruct_ipd(curve, at_risk=None, *, total_events=None, arm=None, censoring: str = "adaptive") -> pd.DataFrame:
    """Reconstruct participant-level times to event from a digitised Kaplan-Meier curve.

    Parameters
    ----------
    curve : DataFrame
        Digitised points with columns ``time`` and ``survival``. The points may be in percent,
        unsorted, slightly non-monotone, or not start at (0, 1): they are cleaned, and every change
        is recorded in ``result.attrs["cleaning"]``. If the frame has an ``arm`` column, the rows of
        ``arm`` are used.
    at_risk : DataFrame or int, optional
        The numbers at risk printed under the figure, columns ``time`` and ``n_risk``; the first row
        must be at time 0 (the number randomised). Rows with a missing count are dropped and the
        intervals on either side merged. An integer is read as the number randomised alone
        (Guyot's "no at-risk table" case). If omitted, ``total_events`` is required and the number
        randomised is taken as ``total_events / (1 - S(end))``, which assumes no censoring.
    total_events : int, optional
        The total number of events reported in the arm. It tunes the censoring after the last
        at-risk time (or, with the number randomised alone, everywhere).
    arm : str, optional
        Label written into an ``arm`` column of the result (and used to pick rows, see above).
    censoring : {"adaptive", "even"}, optional
        ``"even"`` is the published algorithm: censorings spread evenly in time between at-risk
        times. ``"adaptive"`` (default) also tries other shapes of censoring within each interval
        (constant censoring hazard, front- or back-loaded) and keeps the one whose fit follows the
        digitised curve best; and when the survival values are precise enough that every event shows
        as a drop, it reads the numbers at risk off the curve's drops instead. See Notes.

    Returns
    -------
    DataFrame
        One row per participant: ``time`` (event or censoring time), ``event`` (1 = event, 0 =
        censored) and, when ``arm`` is given, ``arm``; sorted by time, events first at ties. Its
        ``attrs`` hold ``"cleaning"`` (list of str: each change made to the inputs), ``"notes"``
        (list of str: where the inputs disagreed and how it was resolved) and ``"method"`` (str).

    Raises
    ------
    ValueError
        Missing columns, negative times, survival outside [0, 1] after scaling, numbers at risk
        that increase or lie outside the curve's time range, an at-risk table that does not start
        at time 0, or an impossible ``total_events``.

    Notes
    -----
    The algorithm is that of Guyot et al. (2012). Between consecutive at-risk times, the number
    censored is first guessed from the drop in the curve, spread evenly over the interval, and the
    number of events at each digitised point is found by inverting the product-limit formula; the
    number censored is then adjusted until the reconstructed number at risk at the next published
    time equals the published one. After the last at-risk time the censoring rate of the earlier
    intervals is assumed, unless ``total_events`` is given, in which case the censoring is tuned
    to reproduce it. Events are placed at the digitised times, censorings half-way between
    consecutive points, and those still at risk at the end are censored at the last time.

    Before fitting, a point is added at each at-risk time (read off the step curve), as the
    authors ask the reader to do by hand, and the curve is cut at an at-risk count of 0. Where
    the published code could loop for ever or produce negative counts, the fit is guarded
    (:data:`hamstudy.reconstruct.guyot.GUARDS`); that is ``censoring="even"``.

    The published rule spreads censorings evenly in time. When dropout is steady, more people
    are censored early in an interval (when more are at risk) and the even spread overstates the
    number at risk there, so events are over-counted (by up to 6% in simulated trials with heavy
    censoring). ``censoring="adaptive"`` therefore tries several shapes and keeps the one whose
    fitted curve follows the digitised points best; after the last at-risk time it also chooses
    the number censored that way (:data:`hamstudy.reconstruct.guyot.REFINEMENTS`). It also fits a
    constant censoring hazard (steady dropout) in every interval, which a noisy digitisation
    cannot tell apart from the other shapes by the distance to the curve. Of the refined and
    published fits it keeps the closest to the digitised curve among those within 2% of
    ``total_events`` and 0.1 of every digitised point (noise in a digitisation can move an event
    or two; a fit that insists on the exact total may then leave visible drops of the tail
    undrawn).

    The drops of the curve carry the information: a drop of 1/n means n were at risk. When every
    survival value is exact, or rounded finely enough that a single event cannot vanish in the
    rounding (half a unit of the last decimal, times the number randomised, over the lowest
    positive survival, below 1/2: 3 decimals for 250 athletes above S = 0.25, 2 decimals for 20
    above S = 0.2), or more coarsely when the reading then gives exactly ``total_events``,
    ``censoring="adaptive"`` does not estimate at all. It reads the events and the number at risk
    at every drop off the curve (the ``d/n`` whose ``1 - d/n`` matches each drop within the
    precision of the values, chosen jointly so that the numbers at risk fall over time and match
    the published table; fewest ties first, unless another reading gives ``total_events``) and
    places the censorings evenly between consecutive event and at-risk times. The reconstructed
    curve is then the published one to within the precision of the values; the method string
    starts "exact inversion". If no such reading exists (coarser values, noise, or a table that
    contradicts the curve), Guyot's algorithm is used as above. See
    :mod:`hamstudy.reconstruct.exact`.

    R equivalents: ``IPDfromKM::getIPD`` and ``reconstructKM::KM_reconstruct``, both
    implementations of the same published code. Unlike them this function inserts the at-risk
    times as points itself, tolerates missing at-risk values and zero counts before the end, and
    never loops for ever.

    Cleaning: values above 1.5 are read as percent; values within 0.01 outside [0, 1] are
    clipped; survival is made non-increasing by a running minimum (each point is lowered to the
    lowest point before it), and the log gives the number of points lowered
    and the largest change; one point is kept per time (the lowest).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data:
    reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
    2012;12:9. doi:10.1186/1471-2288-12-9

    Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published
    Kaplan-Meier survival curves. BMC Med Res Methodol 2021;21:111.

    Examples
    --------
    >>> import pandas as pd
    >>> from hamstudy.reconstruct import reconstruct_ipd
    >>> curve = pd.DataFrame({"time": [3, 7, 10, 14, 30], "survival": [90, 70, 60, 45, 45]})
    >>> at_risk = pd.DataFrame({"time": [0, 14], "n_risk": [20, 12]})
    >>> ipd = reconstruct_ipd(curve, at_risk, total_events=11, arm="STST")
    >>> int(ipd["event"].sum()), len(ipd)
    (11, 20)
    >>> ipd.attrs["cleaning"][0]
    'survival read as percent (largest value 90 > 1.5); divided by 100'
    """
    curve = _select_arm(curve, arm, "curve")
    at_risk = _select_arm(at_risk, arm, "at_risk")
    clean = clean_curve(curve)
    cleaning = list(clean.log)
    notes: list[str] = []
    events = _check_events(total_events)

    if at_risk is None:
        if events is None:
            raise ValueError(
                "at_risk is needed (a table time, n_risk or the number randomised as an integer); "
                "without it, total_events must be given"
            )
        drop = 1.0 - clean.survival[-1]
        if drop <= 0 or events == 0:
            raise ValueError(
                "without at_risk the number randomised cannot be inferred from a curve that does not "
                "fall or from total_events=0; pass at_risk as the number randomised"
            )
        n0 = int(np.round(events / drop))
        cleaning.append(
            f"no at-risk table: number randomised taken as total_events / (1 - S(end)) = "
            f"{events} / {drop:.6g} = {n0}, which assumes no censoring"
        )
        risk = clean_at_risk(n0, t_max=clean.time[-1])
    else:
        risk = clean_at_risk(at_risk, t_max=clean.time[-1])
        cleaning.extend(risk.log)
    if events is not None and events > risk.n_risk[0]:
        raise ValueError(f"total_events ({events}) exceeds the number at risk at time 0 ({risk.n_risk[0]})")

    if risk.n_risk[-1] == 0 and risk.time[-1] < clean.time[-1]:
        keep = clean.time <= risk.time[-1]
        cleaning.append(
            f"dropped {int((~keep).sum())} digitised point(s) after time {risk.time[-1]:.6g}, where the "
            "number at risk reaches 0"
        )
        clean.time, clean.survival = clean.time[keep], clean.survival[keep]
    clean, added = add_points_at(clean, risk.time)
    if added:
        cleaning.append(f"added {added} point(s) at at-risk times, read off the step curve")

    t = clean.time
    exact = exact_inversion(t, clean.survival, risk.time, risk.n_risk, events) if censoring == "adaptive" else None
    if exact is not None:
        times, flags = _rows_from_exact(exact)
        how = "exact inversion of the curve's drops (numbers at risk read off each drop)"
        n_events = int(exact.events.sum())
        if events is not None and n_events != events:
            notes.append(f"the curve's drops give {n_events} events in total, not the reported {events}")
    else:
        lower = np.searchsorted(t, risk.time)
        fit = guyot(t, clean.survival, lower, risk.n_risk, events, censoring=censoring)
        notes.extend(fit.notes)
        times, flags = _rows_from_guyot(t, fit)
        how = f"Guyot et al. (2012) reconstruction ({censoring} censoring)"
    order = np.lexsort((-flags, times))
    out = pd.DataFrame({"time": times[order], "event": flags[order]})
    if arm is not None:
        out["arm"] = arm

    info = f"numbers at risk at {risk.time.size} time(s)" if risk.time.size > 1 else "the number randomised only"
    method = f"{how} from {t.size} digitised points and {info}"
    if events is not None:
        method += f", total events {events}"
    out.attrs["cleaning"] = cleaning
    out.attrs["notes"] = notes
    out.attrs["method"] = method
    return out


def reconstruct_arms(
    curve_df: pd.DataFrame, at_risk_df: pd.DataFrame | None = None, *, total_events=None, censoring: str = "adaptive"
) -> pd.DataFrame:
    """Reconstruct participant-level data for every arm of a digitised figure.

    Parameters
    ----------
    curve_df : DataFrame
        Digitised points, columns ``arm, time, survival``.
    at_risk_df : DataFrame, optional
        Published numbers at risk, columns ``arm, time, n_risk``; every arm of ``curve_df`` needs
        rows here when it is given.
    total_events : int or mapping, optional
        Total events per arm as ``{arm: events}``, or an integer when there is one arm.
    censoring : {"adaptive", "even"}, optional
        Passed to :func:`reconstruct_ipd`.

    Returns
    -------
    DataFrame
        Columns ``participant_id, arm, time, event``, arms in order of first appearance.
        ``participant_id`` is ``"<arm>-<number>"``. ``attrs`` hold ``"cleaning"`` and ``"notes"``
        (lines prefixed with the arm) and ``"method"`` (each arm's method, ``"arm: method"``
        joined by ``"; "``).

    Notes
    -----
    Calls :func:`reconstruct_ipd` once per arm. This is the function the trial loader uses for a
    digitised-curve CSV; there is no single R equivalent (IPDfromKM works one arm at a time).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJNM, Welton NJ. BMC Med Res Methodol 2012;12:9.

    Examples
    --------
    >>> import pandas as pd
    >>> from hamstudy.reconstruct import reconstruct_arms
    >>> curve = pd.DataFrame({"arm": ["A", "A", "B"], "time": [5, 20, 20], "survival": [0.8, 0.6, 1.0]})
    >>> risk = pd.DataFrame({"arm": ["A", "B"], "time": [0, 0], "n_risk": [10, 8]})
    >>> ipd = reconstruct_arms(curve, risk)
    >>> ipd.groupby("arm")["event"].sum().to_dict()
    {'A': 4, 'B': 0}
    """
    if not isinstance(curve_df, pd.DataFrame):
        raise TypeError(f"curve_df must be a DataFrame with columns arm, time, survival; got {type(curve_df).__name__}")
    if "arm" not in curve_df.columns:
        raise ValueError(f"curve_df is missing column 'arm'; expected columns arm, time, survival, got {list(curve_df.columns)!r}")
    if at_risk_df is not None:
        if not isinstance(at_risk_df, pd.DataFrame):
            raise TypeError(f"at_risk_df must be a DataFrame with columns arm, time, n_risk; got {type(at_risk_df).__name__}")
        if "arm" not in at_risk_df.columns:
            raise ValueError(f"at_risk_df is missing column 'arm'; got {list(at_risk_df.columns)!r}")
    arms = list(pd.unique(curve_df["arm"]))
    if at_risk_df is not None:
        extra = [a for a in pd.unique(at_risk_df["arm"]) if a not in arms]
        if extra:
            raise ValueError(f"at_risk_df has arm(s) {', '.join(map(str, extra))} with no digitised curve")
    if total_events is None or isinstance(total_events, Mapping):
        per_arm = dict(total_events or {})
        unknown = [a for a in per_arm if a not in arms]
        if unknown:
            raise ValueError(f"total_events names arm(s) {', '.join(map(str, unknown))} not in curve_df")
    elif len(arms) == 1:
        per_arm = {arms[0]: total_events}
    else:
        raise ValueError(
            f"total_events must be a mapping {{arm: events}} when curve_df has {len(arms)} arms "
            f"({', '.join(map(str, arms))}); got {total_events!r}"
        )

    frames, cleaning, notes, methods = [], [], [], []
    for arm in arms:
        rows = curve_df[curve_df["arm"] == arm][["time", "survival"]]
        risk = None
        if at_risk_df is not None:
            risk = at_risk_df[at_risk_df["arm"] == arm][["time", "n_risk"]]
            if risk.empty:
                raise ValueError(f"at_risk_df has no rows for arm {arm!r}")
        ipd = reconstruct_ipd(rows, risk, total_events=per_arm.get(arm), arm=arm, censoring=censoring)
        width = len(str(len(ipd)))
        ipd.insert(0, "participant_id", [f"{arm}-{i + 1:0{width}d}" for i in range(len(ipd))])
        cleaning += [f"{arm}: {line}" for line in ipd.attrs["cleaning"]]
        notes += [f"{arm}: {line}" for line in ipd.attrs["notes"]]
        methods.append((arm, ipd.attrs["method"]))
        ipd.attrs = {}
        frames.append(ipd[["participant_id", "arm", "time", "event"]])
    out = pd.concat(frames, ignore_index=True)
    out.attrs["cleaning"] = cleaning
    out.attrs["notes"] = notes
    out.attrs["method"] = "; ".join(f"{arm}: {method}" for arm, method in methods)
    return out
