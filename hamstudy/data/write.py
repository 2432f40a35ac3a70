"""Write a Trial as a data package (the inverse of read_trial)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from hamstudy._atomic import StagedOutput
from hamstudy.data.schema import COLUMN_ORDER, OPEN_TABLES, fields_by_name, table_schema
from hamstudy.data.trial import Trial

LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons Attribution 4.0"}


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, float):
        # repr is the shortest text that reads back to the same float
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _columns(kind: str, frame: pd.DataFrame, *, with_study: bool) -> list[str]:
    """Schema columns present in the frame (dropping all-empty optional ones), then covariates."""
    known = fields_by_name(kind)
    cols = []
    for name in COLUMN_ORDER[kind]:
        if name not in frame:
            continue
        if name == "study" and not with_study:
            continue
        if not known[name].required and frame[name].isna().all() and name != "study":
            continue
        cols.append(name)
    if kind in OPEN_TABLES:
        cols += [c for c in frame.columns if c not in known]
    return cols


def write_trial(trial: Trial, folder: str | Path, *, description: str | None = None, extra: dict | None = None) -> Path:
    """Write ``trial`` as a data package folder (``datapackage.json`` plus one CSV per table).

    The folder is written atomically (:class:`hamstudy._atomic.StagedOutput`): built beside the
    target and renamed into place, the earlier package kept aside and restored if the rename fails,
    so a failure leaves any earlier package untouched. Floats are written with ``repr`` so that reading
    the package back gives the same numbers bit for bit.
    """
    folder = Path(folder)
    studies = trial.studies
    has_studies = trial.kind == "collection" or (
        len(studies) > 0 and studies.drop(columns="study").notna().to_numpy().any()
    )
    tables = {"studies": studies if has_studies else None, "arms": trial.arms, "binary": trial.binary,
              "continuous": trial.continuous, "participants": trial.participants}
    with StagedOutput(folder.parent) as stage:
        tmp = stage.path / folder.name
        tmp.mkdir()
        resources = []
        for kind, frame in tables.items():
            if frame is None or len(frame) == 0:
                continue
            cols = _columns(kind, frame, with_study=has_studies)
            with open(tmp / f"{kind}.csv", "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(cols)
                for row in frame[cols].itertuples(index=False):
                    writer.writerow([_cell(v) for v in row])
            resources.append({
                "name": kind, "path": f"{kind}.csv", "profile": "tabular-data-resource", "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8", "schema": table_schema(kind, cols),
            })
        prov = trial.provenance
        hs = {"kind": trial.kind, "synthetic": prov.synthetic, "reconstructed": prov.reconstructed, "notes": list(prov.notes)}
        hs.update(extra or {})
        descriptor = {
            "profile": "tabular-data-package",
            "name": trial.name,
            "title": trial.title,
            "description": description if description is not None else prov.description,
            "version": "1.0.0",
            "licenses": [LICENSE],
            "sources": list(prov.sources),
            "hamstudy": hs,
            "resources": resources,
        }
        (tmp / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        stage.commit()
    return folder
