"""The bundled datasets.

``data/`` in the source tree is the source of truth; wheels carry a copy as package data
(``hamstudy/_bundled``), so the datasets load from a non-editable install too.
"""

from __future__ import annotations

import builtins
import json
from importlib import resources
from pathlib import Path

import pandas as pd

from hamstudy.data import Trial, read_trial


def bundle_dir() -> Path:
    """The folder that holds the bundled data packages."""
    packaged = Path(str(resources.files("hamstudy"))) / "_bundled"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / "data"
    if source.is_dir():
        return source
    raise FileNotFoundError("the bundled datasets are missing from this installation of hamstudy")


def _names() -> builtins.list[str]:
    root = bundle_dir()
    return sorted(p.name for p in root.iterdir() if (p / "datapackage.json").is_file())


def list() -> pd.DataFrame:  # noqa: A001 - the public name is part of the API
    """List the bundled datasets.

    Returns
    -------
    DataFrame
        Columns ``name, title, kind, source``: ``kind`` is "trial", "collection" or
        "participant-level (synthetic)"; ``source`` is the first citation of the package.

    Examples
    --------
    >>> import hamstudy
    >>> hamstudy.datasets.list()["name"].tolist()
    ['hamstring_rcts', 'sherry_best_2004', 'sherry_best_2004_synthetic_ipd']
    """
    rows = []
    for name in _names():
        desc = json.loads((bundle_dir() / name / "datapackage.json").read_text(encoding="utf-8"))
        hs = desc.get("hamstudy", {})
        kind = hs.get("kind", "trial")
        if any(r.get("name") == "participants" for r in desc.get("resources", [])):
            kind = "participant-level" + (" (synthetic)" if hs.get("synthetic") else "")
        sources = desc.get("sources") or [{}]
        rows.append({"name": name, "title": desc.get("title", name), "kind": kind, "source": sources[0].get("title", "")})
    return pd.DataFrame(rows, columns=["name", "title", "kind", "source"])


def load(name: str) -> Trial:
    """Load a bundled dataset by name (see :func:`list`).

    Examples
    --------
    >>> import hamstudy
    >>> trial = hamstudy.datasets.load("sherry_best_2004")
    >>> trial.binary[["arm", "window_days", "events", "total", "verification"]]  # doctest: +NORMALIZE_WHITESPACE
        arm  window_days  events  total verification
    0  STST         14.0       6     11    secondary
    1  PATS         14.0       0     13    secondary
    2  STST        365.0       7     10    secondary
    3  PATS        365.0       1     13     conflict
    """
    names = _names()
    if name not in names:
        raise ValueError(f"no bundled dataset {name!r}; available: {', '.join(names)}")
    return read_trial(bundle_dir() / name)
