"""Make the SYNTHETIC participant-level dataset ``sherry_best_2004_synthetic_ipd``.

Run from the repository root:  python data/make_synthetic_ipd.py

These are simulated athletes, NOT the trial's data: Sherry & Best (2004) published counts, not
participant records. The simulation is constrained so that its counts match the published ones:

* 14 days after return to sport: 6 of 11 STST and 0 of 13 PATS athletes re-injured;
* 365 days: 7 of 10 STST (one athlete lost to follow-up between day 14 and day 365) and 1 of 13 PATS.

Days to reinjury are drawn with a seeded generator (early reinjuries clustered in the first
fortnight, as reported); athletes without reinjury are censored at 365 days (administrative) or,
for the one lost STST athlete, at the day of the loss. Exposure hours accrue at an athlete-specific
weekly training and match load. The script checks the published counts before writing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hamstudy.data import Provenance, Trial, write_trial  # noqa: E402

SEED = 20040301  # the trial's publication month; fixed so the dataset is reproducible
FOLLOW_UP = 365
NAME = "sherry_best_2004_synthetic_ipd"


def simulate(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []

    def add(arm: str, i: int, time: int, event: int) -> None:
        weekly = max(2.0, rng.normal(8.0, 1.5))  # training + match hours a week
        rows.append({
            "participant_id": f"{arm[0]}{i:02d}",
            "arm": arm,
            "time": float(time),
            "event": event,
            "exposure_hours": round(time / 7.0 * weekly * 2) / 2,  # to the half hour
            "age": int(rng.integers(18, 36)),
        })

    # STST: 6 reinjuries within 14 days, 1 later, 1 lost to follow-up after day 14, 3 event-free
    early = np.sort(rng.integers(1, 15, size=6))
    late = int(rng.integers(30, 200))
    lost = int(rng.integers(20, 120))
    stst = [(int(t), 1) for t in early] + [(late, 1), (lost, 0)] + [(FOLLOW_UP, 0)] * 3
    for i, (t, e) in enumerate(stst, start=1):
        add("STST", i, t, e)
    # PATS: no reinjury within 14 days, 1 within the year, 12 event-free at 365 days
    pats = [(int(rng.integers(30, 300)), 1)] + [(FOLLOW_UP, 0)] * 12
    for i, (t, e) in enumerate(pats, start=1):
        add("PATS", i, t, e)
    return pd.DataFrame(rows)


def check_counts(ipd: pd.DataFrame) -> None:
    """Raise unless the simulated athletes reproduce the published counts."""
    def count(arm: str, window: int) -> tuple[int, int]:
        d = ipd[ipd["arm"] == arm]
        events = int(((d["event"] == 1) & (d["time"] <= window)).sum())
        followed = int(((d["time"] >= window) | ((d["event"] == 1) & (d["time"] <= window))).sum())
        return events, followed

    expected = {("STST", 14): (6, 11), ("PATS", 14): (0, 13), ("STST", 365): (7, 10), ("PATS", 365): (1, 13)}
    for (arm, window), want in expected.items():
        got = count(arm, window)
        if got != want:
            raise RuntimeError(f"{arm} at {window} days: simulated {got[0]}/{got[1]}, published {want[0]}/{want[1]}")


def build(out: Path = ROOT / "data" / NAME) -> Path:
    ipd = simulate()
    check_counts(ipd)
    arms = pd.DataFrame({
        "study": [NAME, NAME],
        "arm": ["STST", "PATS"],
        "protocol": [
            "static stretching, isolated progressive hamstring resistance exercise, icing",
            "progressive agility and trunk stabilization exercises, icing",
        ],
        "protocol_family": ["isolated", "integrated"],
        "n_randomized": [11.0, 13.0],
    })
    studies = pd.DataFrame({"study": [NAME], "citation": ["SYNTHETIC data modelled on Sherry MA, Best TM. J Orthop Sports Phys Ther 2004;34(3):116-125"],
                            "doi": [None], "year": [np.nan], "notes": ["simulated by data/make_synthetic_ipd.py; not the trial's data"]})
    trial = Trial(
        name=NAME,
        title="SYNTHETIC participant-level data modelled on Sherry & Best 2004 (simulated, not the trial's data)",
        kind="trial",
        arms=arms,
        binary=pd.DataFrame(),
        continuous=pd.DataFrame(),
        participants=ipd,
        studies=studies,
        provenance=Provenance(
            name=NAME,
            synthetic=True,
            sources=({"title": "Simulated by data/make_synthetic_ipd.py (seed 20040301); counts constrained to Sherry MA, Best TM. J Orthop Sports Phys Ther 2004;34(3):116-125", "path": "https://doi.org/10.2519/jospt.2004.34.3.116"},),
            notes=(
                "SYNTHETIC: simulated athletes, not the trial's data. It exists to show the survival analyses end to end.",
                "Counts match the published ones: 6/11 vs 0/13 re-injured within 14 days; 7/10 vs 1/13 within 365 days (one STST athlete lost to follow-up).",
                "The 1-year PATS count follows the 1/13 that three sources agree on; one review table gives 0/13.",
            ),
        ),
    )
    return write_trial(trial, out, description=(
        "SYNTHETIC participant-level data: days from return to sport to hamstring reinjury or censoring, "
        "exposure hours and age for 24 simulated athletes whose counts match Sherry & Best (2004). "
        "Not the trial's data."), extra={"seed": SEED})


if __name__ == "__main__":
    print(f"wrote {build().relative_to(ROOT)}")
