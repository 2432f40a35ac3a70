"""Write the digitised-curve fixtures of tests/data/curves/ (seeded; rerun to regenerate).

* ``sim_<scenario>_<arm>_curve.csv`` / ``_at_risk.csv`` / ``_truth.csv``: simulated trials from
  reconstruct_scenarios.py published as exact Kaplan-Meier step points, with a point added at each
  at-risk time (so that the R transcription of the published algorithm, reconstruct_guyot.R, and
  hamstudy see the same points). ``manifest.csv`` lists them with the total number of events.
* ``hamstring_synthetic_curve.csv`` (arm, time, survival) and ``hamstring_synthetic_at_risk.csv``
  (arm, time, n_risk): a SYNTHETIC two-arm reinjury trial "digitised" with noise, in the layout the
  trial loader reads; ``hamstring_synthetic_truth.csv`` holds the simulated athletes.

Usage: .venv/bin/python tests/reference/reconstruct_make_fixtures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reconstruct_scenarios import SCENARIOS, Scenario, digitise_noisily, km_points, make_trial  # noqa: E402

OUT = HERE.parent / "data" / "curves"
FIXTURE_CASES = (("standard", 1), ("heavy_censoring", 2), ("flat_tail", 3), ("missing_at_risk", 4))


def _step(t, s, at):
    idx = np.searchsorted(t, at, side="right") - 1
    return s[np.clip(idx, 0, None)]


def with_risk_points(curve: pd.DataFrame, risk_times: np.ndarray) -> pd.DataFrame:
    t = np.concatenate([[0.0], curve["time"].to_numpy()])
    s = np.concatenate([[1.0], curve["survival"].to_numpy()])
    new = np.setdiff1d(risk_times, t)
    t2 = np.concatenate([t, new])
    s2 = np.concatenate([s, _step(t, s, new)])
    order = np.argsort(t2, kind="stable")
    return pd.DataFrame({"time": t2[order], "survival": s2[order]})


def write_csv(frame: pd.DataFrame, name: str) -> None:
    frame.to_csv(OUT / name, index=False, float_format="%.17g")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for scenario, seed in FIXTURE_CASES:
        trial = make_trial(SCENARIOS[scenario], seed)
        for arm, data in trial.items():
            case = f"sim_{scenario}_{arm}"
            risk = data["at_risk"].dropna()
            curve = with_risk_points(data["curve"], risk["time"].to_numpy())
            write_csv(curve, f"{case}_curve.csv")
            write_csv(risk.astype({"n_risk": int}), f"{case}_at_risk.csv")
            write_csv(pd.DataFrame({"time": data["time"], "event": data["event"]}), f"{case}_truth.csv")
            rows.append({"case": case, "scenario": scenario, "seed": seed, "arm": arm, "total_events": int(data["event"].sum())})
    pd.DataFrame(rows).to_csv(OUT / "manifest.csv", index=False)

    # SYNTHETIC hamstring reinjury trial: days to reinjury over a 365-day follow-up, 60 per arm,
    # heavier early hazard with the conventional protocol; digitised with noise (in percent).
    sc = Scenario("hamstring", (60, 60), (0.0025, 0.0011), 0.0006, 365, accrual_min=0.7, shape=0.7, n_risk_times=7)
    rng = np.random.default_rng(20240412)
    from reconstruct_scenarios import simulate_arm

    curves, risks, truth = [], [], []
    for a, label in enumerate(("conventional", "eccentric")):
        time, event = simulate_arm(sc, a, rng)
        time = np.ceil(time)  # whole days
        curve = digitise_noisily(km_points(time, event), rng, sc.follow_up)
        risk_t = np.arange(0, 361, 60.0)
        risk_t = risk_t[risk_t <= time.max()]
        curves.append(curve.assign(arm=label)[["arm", "time", "survival"]])
        risks.append(pd.DataFrame({"arm": label, "time": risk_t, "n_risk": [(time >= x).sum() for x in risk_t]}))
        truth.append(pd.DataFrame({"arm": label, "time": time, "event": event}))
    pd.concat(curves).round({"time": 2, "survival": 2}).to_csv(OUT / "hamstring_synthetic_curve.csv", index=False)
    pd.concat(risks).to_csv(OUT / "hamstring_synthetic_at_risk.csv", index=False)
    pd.concat(truth).to_csv(OUT / "hamstring_synthetic_truth.csv", index=False)


if __name__ == "__main__":
    main()
