"""Input checking and the design matrix for :func:`hamstudy.cox` (R's model.matrix conventions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Design:
    x: np.ndarray  # (n, p) float
    columns: tuple[str, ...]  # column names as R names them ("armSTST")
    terms: dict  # term (the data column) -> tuple of column indices
    time: np.ndarray
    event: np.ndarray  # bool
    cluster: np.ndarray | None  # integer codes
    n_dropped: int


def _column(data: pd.DataFrame, name: object, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise TypeError(f"{role} must be a column name (str); got {type(name).__name__}")
    if name not in data.columns:
        raise ValueError(f"{role}={name!r} is not a column of data; columns are {list(data.columns)}")
    return data[name]


def _is_factor(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def build_design(data, duration, event, covariates, cluster) -> Design:
    """Check the inputs, drop incomplete rows (as R's na.omit) and dummy-code factors.

    A string or categorical covariate becomes a factor as R's ``factor()`` would make it: the levels
    of a pandas Categorical in their stated order, otherwise the sorted distinct values; the first
    level is the reference and each other level gets a 0/1 column named column + level ("armSTST").
    A boolean covariate becomes a 0/1 column named column + "TRUE", as R names a logical.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if isinstance(covariates, str):
        covariates = [covariates]
    try:
        covariates = list(covariates)
    except TypeError:
        raise TypeError("covariates must be a list of column names") from None
    if not covariates:
        raise ValueError("covariates must name at least one column")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates has repeated names: {covariates}")
    t = _column(data, duration, "duration")
    e = _column(data, event, "event")
    cols = {c: _column(data, c, "covariates") for c in covariates}
    cl = _column(data, cluster, "cluster") if cluster is not None else None

    keep = t.notna() & e.notna()
    for s in cols.values():
        keep &= s.notna()
    if cl is not None:
        keep &= cl.notna()
    keep = keep.to_numpy()
    n_dropped = int((~keep).sum())

    try:
        time = t.to_numpy()[keep].astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"duration column {duration!r} must be numeric") from None
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ValueError(f"duration column {duration!r} must hold finite, non-negative times")
    ev_raw = e.to_numpy()[keep]
    try:
        ev = ev_raw.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"event column {event!r} must hold 0/1 (or True/False)") from None
    if not np.all((ev == 0) | (ev == 1)):
        raise ValueError(f"event column {event!r} must hold 0/1 (or True/False); got values {sorted(set(ev.tolist()))[:6]}")

    blocks: list[np.ndarray] = []
    names: list[str] = []
    terms: dict[str, tuple[int, ...]] = {}
    for c, s in cols.items():
        s = s[keep]
        start = len(names)
        if pd.api.types.is_bool_dtype(s.dtype):
            blocks.append(s.to_numpy().astype(float)[:, None])
            names.append(f"{c}TRUE")
        elif _is_factor(s):
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = [lv for lv in s.cat.categories if (s == lv).any()]
            else:
                try:
                    levels = sorted(set(s.tolist()))
                except TypeError:
                    raise TypeError(f"covariate {c!r} mixes value types that cannot be sorted into factor levels") from None
            if len(levels) < 2:
                raise ValueError(f"covariate {c!r} has a single level ({levels!r}) among the complete rows; it cannot be estimated")
            vals = s.to_numpy()
            for lv in levels[1:]:
                blocks.append((vals == lv).astype(float)[:, None])
                names.append(f"{c}{lv}")
        elif pd.api.types.is_numeric_dtype(s.dtype):
            arr = s.to_numpy().astype(float)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"covariate {c!r} has infinite values")
            blocks.append(arr[:, None])
            names.append(c)
        else:
            raise TypeError(f"covariate {c!r} has dtype {s.dtype}; expected numeric, boolean, string or categorical")
        terms[c] = tuple(range(start, len(names)))
    x = np.hstack(blocks)
    if x.shape[0] == 0:
        raise ValueError("no complete rows in data for the columns used")
    if ev.sum() == 0:
        raise ValueError("there are no events: the Cox model cannot be estimated")
    xc = x - x.mean(axis=0)
    const = np.flatnonzero(np.all(xc == 0, axis=0))
    if const.size:
        raise ValueError(f"covariate column(s) {[names[i] for i in const]} are constant; they cannot be estimated")
    if np.linalg.matrix_rank(xc) < x.shape[1]:
        raise ValueError(f"the covariate columns {names} are collinear; drop a redundant one")
    codes = None
    if cl is not None:
        codes = pd.factorize(cl[keep])[0]
    return Design(x=x, columns=tuple(names), terms=terms, time=time, event=ev.astype(bool), cluster=codes, n_dropped=n_dropped)
