"""Loaders for the metafor reference files written by tests/reference/meta_metafor.R."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).parent / "reference"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, comment="#", na_values=["NA"], keep_default_na=False)


@lru_cache(maxsize=None)
def binary_sets() -> dict[str, pd.DataFrame]:
    d = _read("meta_datasets.csv")
    return {name: g.reset_index(drop=True) for name, g in d.groupby("dataset", sort=False)}


@lru_cache(maxsize=None)
def continuous_sets() -> dict[str, pd.DataFrame]:
    d = _read("meta_cont_datasets.csv")
    return {name: g.reset_index(drop=True) for name, g in d.groupby("dataset", sort=False)}


@lru_cache(maxsize=None)
def summary() -> dict[str, dict[str, float]]:
    d = _read("meta_summary.csv")
    return {m: dict(zip(g["key"], g["value"].astype(float))) for m, g in d.groupby("model", sort=False)}


@lru_cache(maxsize=None)
def studies() -> dict[str, pd.DataFrame]:
    d = _read("meta_studies.csv")
    return {m: g.reset_index(drop=True) for m, g in d.groupby("model", sort=False)}


@lru_cache(maxsize=None)
def extras() -> pd.DataFrame:
    return _read("meta_extras.csv")


def versions() -> str:
    with open(REF / "meta_summary.csv") as fh:
        return fh.readline().strip("# \n")


def close(ours, ref, *, rtol, atol=0.0) -> bool:
    """Equal within tolerance, NaN (metafor NA) matching NaN."""
    ours = np.asarray(ours, dtype=float)
    ref = np.asarray(ref, dtype=float)
    return bool(np.all(np.isclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)))
