"""Build the bundled data packages from the curated source material.

Run from the repository root:  python data/build_datasets.py [path/to/hamstring_rcts.csv]

The source is ``shared/data/hamstring_rcts.csv`` beside the project (its README describes the
columns and the verification statuses). Every figure keeps its source, verification status and notes.
The output folders (``data/sherry_best_2004``, ``data/hamstring_rcts``) are committed; the test suite
checks that they are what this script produces.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hamstudy.data import Provenance, Trial, write_trial  # noqa: E402
from hamstudy.data.schema import COLUMN_ORDER  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "hamstring_rcts.csv"
SOURCE_NOTE = "Curated from shared/data/hamstring_rcts.csv (hamstudy source material)"
BINARY_OUTCOMES = ("reinjury", "recurrent_injury")


def _num(value: object) -> float:
    return float(value) if pd.notna(value) and str(value).strip() != "" else np.nan


def build_tables(src: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Studies, arms, binary and continuous tables for every study in the source."""
    studies = (
        src.groupby("study_id", sort=False)
        .first()
        .reset_index()[["study_id", "citation", "doi"]]
        .rename(columns={"study_id": "study"})
    )
    studies["year"] = [int(re.search(r"(\d{4})", s).group(1)) for s in studies["study"]]
    studies["notes"] = None

    arms = src.groupby(["study_id", "arm"], sort=False).agg(
        protocol=("protocol", "first"), protocol_family=("protocol_family", "first"), n_randomized=("n_randomized", "max")
    ).reset_index().rename(columns={"study_id": "study"})
    arms["n_randomized"] = arms["n_randomized"].map(_num)

    b = src[src["outcome"].isin(BINARY_OUTCOMES)].rename(columns={"study_id": "study"})
    binary = b.reindex(columns=COLUMN_ORDER["binary"]).reset_index(drop=True)
    binary["events"] = binary["events"].astype(int)
    binary["total"] = binary["total"].astype(int)

    rows = []
    have = set()
    for _, r in src[src["outcome"] == "days_to_return"].iterrows():
        have.add((r["study_id"], r["arm"]))
        rows.append(_continuous_row(r, n=_num(r["total"]), source=r["source"], notes=r["notes"]))
    for _, r in src[src["outcome"].isin(BINARY_OUTCOMES)].iterrows():
        key = (r["study_id"], r["arm"])
        has_rts = pd.notna(r["rts_days_mean"]) or pd.notna(r["rts_days_median"])
        if has_rts and key not in have:
            have.add(key)
            note = "days to return reported with the reinjury figures; n = athletes followed for reinjury"
            if pd.notna(r["notes"]):
                note = f"{note}; {r['notes']}"
            rows.append(_continuous_row(r, n=_num(r["total"]), source=r["source"], notes=note, reported_p=np.nan))
    continuous = pd.DataFrame(rows).reindex(columns=COLUMN_ORDER["continuous"])
    return {"studies": studies, "arms": arms, "binary": binary, "continuous": continuous}


def _continuous_row(r: pd.Series, *, n: float, source: str, notes: object, reported_p: float | None = None) -> dict:
    return {
        "study": r["study_id"], "arm": r["arm"], "outcome": "days_to_return", "n": n,
        "mean": _num(r["rts_days_mean"]), "sd": _num(r["rts_days_sd"]), "median": _num(r["rts_days_median"]),
        "q1": _num(r["rts_days_q1"]), "q3": _num(r["rts_days_q3"]), "unit": "days",
        "reported_p": _num(r["reported_p"]) if reported_p is None else reported_p,
        "source": source, "verification": r["verification"], "notes": notes if pd.notna(notes) else None,
    }


def build(source: Path = DEFAULT_SOURCE, out: Path = ROOT / "data") -> list[Path]:
    src = pd.read_csv(source, dtype=str, keep_default_na=False).replace({"": np.nan})
    tables = build_tables(src)
    written = []

    cite = {r.study: r for r in tables["studies"].itertuples()}
    sources = [{"title": f"{r.citation}", "path": f"https://doi.org/{r.doi}"} for r in tables["studies"].itertuples()]
    notes = (
        "The primary trial's own reinjury table and reinjury p-values were not found; its 2-week counts "
        "(6/11 vs 0/13) come from the seed document and a secondary source.",
        "The 1-year PATS count is in conflict: 1/13 in three sources, 0/13 in one review table.",
        "protocol_family is an analyst's label for pooling, not the paper's.",
    )

    # the seed trial on its own
    s = "sherry2004"
    one = {k: v[v["study"] == s].reset_index(drop=True) for k, v in tables.items() if k != "studies"}
    trial = Trial(
        name="sherry_best_2004",
        title="Sherry & Best 2004: STST vs PATS after hamstring strain",
        kind="trial",
        arms=one["arms"], binary=one["binary"], continuous=one["continuous"], participants=None,
        studies=tables["studies"][tables["studies"]["study"] == s].reset_index(drop=True),
        provenance=Provenance(
            name="sherry_best_2004",
            sources=({"title": cite[s].citation, "path": f"https://doi.org/{cite[s].doi}"}, {"title": SOURCE_NOTE, "path": "shared/data/hamstring_rcts.csv"}),
            notes=notes,
        ),
    )
    written.append(write_trial(trial, out / "sherry_best_2004", description=(
        "Randomized trial of stretching and isolated strengthening (STST, n=11) versus progressive agility and "
        "trunk stabilization (PATS, n=13) after acute hamstring strain. Reinjury within 2 weeks and 1 year of "
        "return to sport, and days to return to sport. Figures carry their source and verification status.")))

    collection = Trial(
        name="hamstring_rcts",
        title="Randomized trials of hamstring strain rehabilitation",
        kind="collection",
        arms=tables["arms"], binary=tables["binary"], continuous=tables["continuous"], participants=None,
        studies=tables["studies"],
        provenance=Provenance(name="hamstring_rcts", sources=tuple(sources) + ({"title": SOURCE_NOTE, "path": "shared/data/hamstring_rcts.csv"},), notes=notes + (
            "silder2013 reports reinjury only for both arms pooled (arm 'all'); it cannot enter a between-arm comparison.",
            "petersen2011 is a prevention trial: its recurrent_injury rows are the previously injured subset, with exposure in player-seasons.",
        )),
    )
    written.append(write_trial(collection, out / "hamstring_rcts", description=(
        "Per-arm figures from published randomized trials of hamstring strain rehabilitation (and the recurrence "
        "subset of one prevention trial): reinjury counts, recurrent injuries with exposure, and days to return to sport.")))
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE):
        print(f"wrote {path.relative_to(ROOT)}")
