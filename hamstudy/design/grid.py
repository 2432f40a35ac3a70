"""Evaluate a design function over a grid of scenarios, locally or on a Dask cluster."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import numbers
import sys
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: Grids with at least this many scenarios get a progress bar (on a terminal) unless told otherwise.
PROGRESS_THRESHOLD = 20


def _values(key, value) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        return [value]
    out = list(value)
    if not out:
        raise ValueError(f"grid[{key!r}] is empty; give at least one value")
    return out


def _func_name(func) -> str:
    base = func.func if isinstance(func, functools.partial) else func
    return getattr(base, "__name__", type(base).__name__)


def _outputs(result, name: str, inputs: dict) -> dict:
    """Flatten one result into output columns (inputs already echoed are not repeated)."""
    from hamstudy.design.fisher_power import FisherSampleSize
    from hamstudy.design.logrank_sim import PowerResult

    if isinstance(result, PowerResult):
        out = {"power": result.power, "mc_se": result.mc_se, "n_sims": result.n_sims}
    elif isinstance(result, FisherSampleSize):
        out = result.as_dict()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        out = {
            f.name: getattr(result, f.name)
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), (numbers.Number, str, np.generic))
        }
    elif isinstance(result, tuple) and hasattr(result, "_asdict"):
        out = dict(result._asdict())
    elif isinstance(result, Mapping):
        out = dict(result)
    elif isinstance(result, (numbers.Number, np.generic)):
        column = "power" if name.startswith("power") else name
        return {column: result.item() if isinstance(result, np.generic) else result}
    else:
        return {name: result}
    # keep outputs that are not simply the design echoed back
    return {k: v for k, v in out.items() if k not in inputs}


def _call(kwargs: dict, target):
    return target(**kwargs)


def _progress_bar(total: int, progress):
    show = progress
    if progress is None:
        show = total >= PROGRESS_THRESHOLD and sys.stderr.isatty()
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="scenarios", unit="scenario", file=sys.stderr)


def power_grid(func, grid: dict, *, client=None, progress=None) -> pd.DataFrame:
    """Evaluate a design function over every combination of the grid's values.

    Parameters
    ----------
    func : callable
        Any design function called with keyword arguments, e.g. :func:`power_fisher`,
        :func:`simulate_logrank_power`, :func:`sample_size_fisher` or :func:`events_logrank`
        (or a ``functools.partial`` of one, to fix arguments).
    grid : dict
        ``{argument name: values}``; a scalar (or string) counts as one value. Scenarios are
        the Cartesian product, in the order of the keys (the last key varies fastest).
    client : dask.distributed.Client, optional
        With a client, one task per scenario is submitted (``client.map``) and gathered, so the
        same code runs on a laptop's ``LocalCluster`` and on a real cluster. Without one, the
        grid runs here; :func:`power_fisher` and :func:`power_boschloo` are then vectorised
        (one rejection region per ``(n1, n2, alpha, alternative)`` serves every ``(p1, p2)``).
    progress : bool, optional
        Show a tqdm progress bar on stderr. By default it is shown for grids of at least 20
        scenarios, and only when stderr is a terminal.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: the inputs, then the outputs. A number becomes column ``power``
        (functions named ``power_*``) or a column named after the function; a
        :class:`PowerResult` gives ``power``, ``mc_se`` and ``n_sims``; a
        :class:`FisherSampleSize` gives ``n1, n2, n1_stable, n2_stable, achieved_power,
        stable_power, search_limit``; other result dataclasses give their scalar fields.

    Notes
    -----
    Simulation scenarios are reproducible only with a ``seed`` in the grid (or in a partial);
    the same seed in every scenario gives common random numbers, which makes comparisons
    between scenarios less noisy. With a client the results are identical to the local ones,
    because each simulation draws its streams from its own seed, not from the worker. R has no
    single equivalent (``expand.grid`` plus ``future.apply::future_Map`` comes closest).

    Examples
    --------
    >>> from hamstudy.design import power_fisher, power_grid
    >>> frame = power_grid(power_fisher, {"p1": [0.55], "p2": [0.05, 0.1], "n1": [12], "n2": [12]})
    >>> list(frame.columns)
    ['p1', 'p2', 'n1', 'n2', 'power']
    """
    if not callable(func):
        raise TypeError(f"func must be callable; got {func!r}")
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a dict of argument name -> values; got {type(grid).__name__}")
    keys = list(grid)
    if not all(isinstance(k, str) for k in keys):
        raise TypeError("grid keys must be argument names (strings)")
    columns = [_values(k, grid[k]) for k in keys]
    scenarios = [dict(zip(keys, combo)) for combo in itertools.product(*columns)]
    name = _func_name(func)

    base, fixed = func, {}
    if isinstance(func, functools.partial) and not func.args:
        base, fixed = func.func, dict(func.keywords)
    calls = [{**fixed, **s} for s in scenarios]

    bar = _progress_bar(len(scenarios), progress)
    try:
        if client is not None:
            futures = client.map(_call, calls, target=func if not fixed else base, pure=False)
            if bar is not None:
                from distributed import as_completed

                for _ in as_completed(futures):
                    bar.update(1)
            results = client.gather(futures)
        elif hasattr(base, "_grid_batch"):
            results = base._grid_batch(calls, progress=bar)
        else:
            results = []
            for kwargs in calls:
                results.append(base(**kwargs))
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    rows = [{**s, **_outputs(r, name, s)} for s, r in zip(scenarios, results)]
    return pd.DataFrame(rows)
