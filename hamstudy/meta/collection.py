"""From a collection of trials (one row per study x arm) to one row per study, ready to pool."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

# weakest first: a pooled row is only as trustworthy as its weaker arm
VERIFICATION_ORDER = ("conflict", "secondary", "verified")

PAIRWISE_COLUMNS = ["study", "events_t", "total_t", "events_c", "total_c", "arm_t", "arm_c", "protocol_family_t",
                    "protocol_family_c", "window_days", "verification", "notes"]


def _families(value, name: str) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable):
        out = {str(v) for v in value}
        if out:
            return out
    raise TypeError(f"{name} must be a family name or a non-empty list of them; got {value!r}")


def _weaker(a, b) -> str:
    def rank(s):
        return VERIFICATION_ORDER.index(s) if s in VERIFICATION_ORDER else -1

    a = "" if a is None or (isinstance(a, float) and np.isnan(a)) else str(a)
    b = "" if b is None or (isinstance(b, float) and np.isnan(b)) else str(b)
    return a if rank(a) <= rank(b) else b


def _text(x) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip()


def _check_collection(trial, table: str, treatment_families, control_families) -> tuple[set, set]:
    """The trial must carry ``table`` and ``arms`` frames; the two family sets must not overlap."""
    for attr in (table, "arms"):
        if not isinstance(getattr(trial, attr, None), pd.DataFrame):
            raise TypeError(f"trial must have a .{attr} DataFrame (a collection Trial); got {type(trial).__name__}")
    tf = _families(treatment_families, "treatment_families")
    cf = _families(control_families, "control_families")
    if tf & cf:
        raise ValueError(f"a family cannot be both treatment and control: {', '.join(sorted(tf & cf))}")
    return tf, cf


def pairwise_binary(trial, *, outcome, window_days=None, treatment_families, control_families) -> pd.DataFrame:
    """One row per study (treatment arm versus control arm) from a collection's per-arm tables.

    Parameters
    ----------
    trial : Trial
        A collection such as ``hamstudy.datasets.load("hamstring_rcts")``: anything with a
        ``.binary`` DataFrame (study, arm, outcome, window_days, events, total, verification,
        notes, ...) and an ``.arms`` DataFrame (study, arm, protocol_family, ...). If it has a
        ``.studies`` table with a ``year`` column, the year is carried along.
    outcome : str
        The binary outcome to use (e.g. "reinjury").
    window_days : None, int or mapping
        Follow-up window. An int keeps only rows with that window; a mapping {study: days} picks a
        window per study (studies not in it use their longest); None uses each study's longest
        reported window (its final follow-up). The window used is in column ``window_days``.
    treatment_families, control_families : str or list of str
        ``protocol_family`` values that make an arm the treatment or the control arm.

    Returns
    -------
    pandas.DataFrame
        Columns study, events_t, total_t, events_c, total_c, arm_t, arm_c, protocol_family_t,
        protocol_family_c, window_days, verification (the weaker of the two arms' statuses:
        conflict < secondary < verified), notes (both arms' notes, prefixed by arm) and, when
        known, year. Studies without one treatment and one control arm at that outcome and window
        are left out; a study with two arms of the same side raises (pick the arms first).

    Raises
    ------
    ValueError
        Unknown outcome, overlapping family lists, a study with more than one treatment or
        control arm, or missing counts.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> arms = pd.DataFrame({"study": ["s1", "s1"], "arm": ["A", "B"], "protocol": ["x", "y"],
    ...                      "protocol_family": ["integrated", "isolated"], "n_randomized": [13, 11]})
    >>> binary = pd.DataFrame({"study": ["s1", "s1"], "arm": ["A", "B"], "outcome": "reinjury",
    ...                        "window_days": 14, "events": [0, 6], "total": [13, 11], "reported_p": None,
    ...                        "source": "", "verification": ["verified", "secondary"], "notes": ""})
    >>> t = SimpleNamespace(binary=binary, arms=arms)
    >>> row = pairwise_binary(t, outcome="reinjury", treatment_families="integrated",
    ...                       control_families="isolated").iloc[0]
    >>> [int(row[c]) for c in ("events_t", "total_t", "events_c", "total_c")], row.verification
    ([0, 13, 6, 11], 'secondary')
    """
    tf, cf = _check_collection(trial, "binary", treatment_families, control_families)
    b = trial.binary
    if outcome not in set(b["outcome"]):
        raise ValueError(f"outcome {outcome!r} not found; the binary table has {', '.join(map(str, sorted(set(b['outcome']))))}")
    b = b[b["outcome"] == outcome]
    fam = trial.arms[["study", "arm", "protocol_family"]].drop_duplicates(["study", "arm"])
    b = b.merge(fam, on=["study", "arm"], how="left")
    if isinstance(window_days, (int, np.integer)) and not isinstance(window_days, bool):
        b = b[b["window_days"] == window_days]
    elif window_days is not None and not isinstance(window_days, Mapping):
        raise TypeError(f"window_days must be None, an int or a mapping of study to days; got {window_days!r}")
    years = {}
    studies_tab = getattr(trial, "studies", None)
    if isinstance(studies_tab, pd.DataFrame) and {"study", "year"} <= set(studies_tab.columns):
        years = dict(zip(studies_tab["study"], studies_tab["year"]))

    rows = []
    for study, g in b.groupby("study", sort=False):
        g = g[g["protocol_family"].isin(tf | cf)]
        if g.empty:
            continue
        if isinstance(window_days, Mapping) and study in window_days:
            g = g[g["window_days"] == window_days[study]]
        elif not isinstance(window_days, (int, np.integer)):
            # each study's longest window that has both sides
            both = [w for w, gw in g.groupby("window_days") if gw["protocol_family"].isin(tf).any()
                    and gw["protocol_family"].isin(cf).any()]
            if not both:
                continue
            g = g[g["window_days"] == max(both)]
        t = g[g["protocol_family"].isin(tf)]
        c = g[g["protocol_family"].isin(cf)]
        if t.empty or c.empty:
            continue
        if len(t) > 1 or len(c) > 1:
            raise ValueError(f"study {study!r} has {len(t)} treatment and {len(c)} control arm(s) at this outcome and "
                             "window; select one pair of arms first (pairwise_binary pools two-arm comparisons)")
        t, c = t.iloc[0], c.iloc[0]
        for side in (t, c):
            if pd.isna(side["events"]) or pd.isna(side["total"]):
                raise ValueError(f"study {study!r}, arm {side['arm']!r}: events or total is missing")
        notes = "; ".join(f"{s['arm']}: {_text(s['notes'])}" for s in (t, c) if _text(s.get("notes")))
        rows.append({
            "study": study, "events_t": int(t["events"]), "total_t": int(t["total"]), "events_c": int(c["events"]),
            "total_c": int(c["total"]), "arm_t": t["arm"], "arm_c": c["arm"],
            "protocol_family_t": t["protocol_family"], "protocol_family_c": c["protocol_family"],
            "window_days": t["window_days"], "verification": _weaker(t.get("verification"), c.get("verification")),
            "notes": notes,
        })
    out = pd.DataFrame(rows, columns=PAIRWISE_COLUMNS)
    if years:
        out["year"] = [years.get(s, np.nan) for s in out["study"]]
    return out


PAIRWISE_CONTINUOUS_COLUMNS = ["study", "mean_t", "sd_t", "n_t", "median_t", "q1_t", "q3_t", "mean_c", "sd_c", "n_c",
                               "median_c", "q1_c", "q3_c", "arm_t", "arm_c", "protocol_family_t", "protocol_family_c",
                               "verification", "notes"]


def pairwise_continuous(trial, *, outcome, treatment_families, control_families) -> pd.DataFrame:
    """One row per study (treatment versus control arm) from a collection's ``.continuous`` table.

    Parameters
    ----------
    trial : Trial
        A collection with a ``.continuous`` DataFrame (study, arm, outcome, n, mean, sd, median, q1,
        q3, verification, notes, ...) and an ``.arms`` DataFrame (study, arm, protocol_family).
    outcome : str
        For example "days_to_return".
    treatment_families, control_families : str or list of str
        ``protocol_family`` values of the treatment and the control arm.

    Returns
    -------
    pandas.DataFrame
        Columns study, mean_t, sd_t, n_t, median_t, q1_t, q3_t, the same for ``_c``, arm_t, arm_c,
        protocol_family_t, protocol_family_c, verification (the weaker arm's) and notes, ready for
        :func:`meta_continuous` (pass the median and quartile columns too: rows without mean and
        SD are then derived by Wan et al. 2014). Studies that cannot be pooled (no n, or neither
        mean and SD nor median and both quartiles in an arm) are left out and listed, with the
        reason, in ``DataFrame.attrs["excluded"]`` ({study: reason}).

    Examples
    --------
    >>> from hamstudy.datasets import load
    >>> from hamstudy.meta import pairwise_continuous
    >>> rts = pairwise_continuous(load("hamstring_rcts"), outcome="days_to_return",
    ...                           treatment_families=["integrated", "lengthening"],
    ...                           control_families=["conventional", "isolated"])
    >>> "hickey2020" in rts.attrs["excluded"]
    True
    """
    tf, cf = _check_collection(trial, "continuous", treatment_families, control_families)
    d = trial.continuous
    if outcome not in set(d["outcome"]):
        raise ValueError(f"outcome {outcome!r} not found; the continuous table has "
                         f"{', '.join(map(str, sorted(set(d['outcome']))))}")
    d = d[d["outcome"] == outcome]
    fam = trial.arms[["study", "arm", "protocol_family"]].drop_duplicates(["study", "arm"])
    d = d.merge(fam, on=["study", "arm"], how="left")

    def num(row, col):
        v = row.get(col, np.nan)
        return float(v) if v is not None and not pd.isna(v) else np.nan

    rows, excluded = [], {}
    for study, g in d.groupby("study", sort=False):
        t = g[g["protocol_family"].isin(tf)]
        c = g[g["protocol_family"].isin(cf)]
        if t.empty or c.empty:
            continue
        if len(t) > 1 or len(c) > 1:
            raise ValueError(f"study {study!r} has {len(t)} treatment and {len(c)} control arm(s) for {outcome!r}; "
                             "select one pair of arms first")
        t, c = t.iloc[0], c.iloc[0]
        problems = []
        for side in (t, c):
            has_msd = np.isfinite(num(side, "mean")) and np.isfinite(num(side, "sd"))
            has_iqr = all(np.isfinite(num(side, x)) for x in ("median", "q1", "q3"))
            if not np.isfinite(num(side, "n")):
                problems.append(f"arm {side['arm']}: number analysed not reported")
            elif not (has_msd or has_iqr):
                problems.append(f"arm {side['arm']}: neither mean and SD nor median and quartiles")
        if problems:
            excluded[study] = "; ".join(problems)
            continue
        row = {"study": study}
        for suffix, side in (("t", t), ("c", c)):
            for col in ("mean", "sd", "n", "median", "q1", "q3"):
                row[f"{col}_{suffix}"] = num(side, col)
        notes = "; ".join(f"{s['arm']}: {_text(s['notes'])}" for s in (t, c) if _text(s.get("notes")))
        row.update({"arm_t": t["arm"], "arm_c": c["arm"], "protocol_family_t": t["protocol_family"],
                    "protocol_family_c": c["protocol_family"],
                    "verification": _weaker(t.get("verification"), c.get("verification")), "notes": notes})
        rows.append(row)
    out = pd.DataFrame(rows, columns=PAIRWISE_CONTINUOUS_COLUMNS)
    out.attrs["excluded"] = excluded
    return out
