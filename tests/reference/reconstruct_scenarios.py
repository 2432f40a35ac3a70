"""Seeded simulated trials for the reconstruction round-trip tests (tests/test_reconstruct_roundtrip.py).

Each scenario simulates a two-arm trial whose participant data are known, and "publishes" it as a
figure would: the Kaplan-Meier step points of each arm (computed with lifelines, independently of
hamstudy) plus the end of the curve, and a numbers-at-risk table at 6 to 10 times. The noisy
scenario digitises the figure as a person with a digitiser would: two points per step (before and
after the drop), jittered in time and survival, in percent, in random order.

Run as a script to print, for every scenario, the agreement metrics of the reconstruction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scenario:
    name: str
    n: tuple[int, int]  # participants per arm
    rate: tuple[float, float]  # exponential event rate per arm
    dropout: float  # exponential dropout rate (both arms)
    follow_up: float  # administrative censoring uniform on (accrual_min * follow_up, follow_up)
    accrual_min: float = 0.5
    cure: float = 0.0  # fraction who never have the event (flat tail)
    shape: float = 1.0  # Weibull shape (1 = exponential)
    n_risk_times: int = 8
    noise: bool = False
    missing_at_risk: tuple[int, ...] = ()  # rows of the at-risk table blanked (not 0)
    zero_at_risk_tail: bool = False  # add an at-risk time after the last follow-up (count 0)


SCENARIOS = {
    "standard": Scenario("standard", (150, 150), (0.05, 0.03), 0.01, 36),
    "flat_tail": Scenario("flat_tail", (200, 200), (0.15, 0.09), 0.01, 60, accrual_min=0.3, cure=0.45),
    "heavy_censoring": Scenario("heavy_censoring", (250, 250), (0.03, 0.018), 0.06, 40, accrual_min=0.2),
    "noisy": Scenario("noisy", (200, 200), (0.05, 0.03), 0.015, 36, noise=True),
    "noisy_heavy_censoring": Scenario("noisy_heavy_censoring", (250, 250), (0.03, 0.018), 0.06, 40, accrual_min=0.2, noise=True),
    "to_zero": Scenario("to_zero", (80, 80), (0.25, 0.15), 0.0, 200, accrual_min=0.99, shape=1.5, n_risk_times=6),
    "missing_at_risk": Scenario("missing_at_risk", (150, 150), (0.05, 0.03), 0.01, 36, n_risk_times=10, missing_at_risk=(2, 5)),
    "zero_at_risk": Scenario("zero_at_risk", (120, 120), (0.06, 0.035), 0.01, 30, accrual_min=0.4, zero_at_risk_tail=True),
}


def simulate_arm(sc: Scenario, arm: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = sc.n[arm]
    lam = sc.rate[arm]
    t = (rng.exponential(1.0, n) ** (1.0 / sc.shape)) / lam
    if sc.cure:
        t[rng.random(n) < sc.cure] = np.inf
    c = rng.uniform(sc.accrual_min * sc.follow_up, sc.follow_up, n)
    if sc.dropout:
        c = np.minimum(c, rng.exponential(1.0 / sc.dropout, n))
    time = np.round(np.minimum(t, c), 6)
    return time, (t <= c).astype(np.int64)


def km_points(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """The published curve: lifelines' Kaplan-Meier at each event time, plus the curve's end."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(time, event)
    sf = kmf.survival_function_.iloc[:, 0]
    observed = kmf.event_table["observed"] > 0
    pts = pd.DataFrame({"time": sf.index[observed.to_numpy()], "survival": sf[observed.to_numpy()].to_numpy()})
    end = pd.DataFrame({"time": [float(time.max())], "survival": [float(sf.iloc[-1])]})
    if pts.empty or pts["time"].iloc[-1] < end["time"].iloc[0]:
        pts = pd.concat([pts, end], ignore_index=True)
    return pts


# time jitter of a noisy digitisation, as a share of the time axis (one sd)
TIME_JITTER = 0.002


def reading_error(sc: Scenario) -> float:
    """The horizontal reading error allowed when comparing a noisy digitisation: 3 sd of its jitter."""
    return 3 * TIME_JITTER * sc.follow_up


def sup_difference(k1, k2) -> float:
    """sup |S1 - S2| of two lifelines Kaplan-Meier fits (reached at a jump of one of them)."""
    grid = np.union1d(k1.survival_function_.index, k2.survival_function_.index)
    a = k1.survival_function_at_times(grid).to_numpy()
    b = k2.survival_function_at_times(grid).to_numpy()
    return float(np.max(np.abs(a - b)))


def shifted_excess(k_true, k_rec, delta: float, t_max: float) -> float:
    """How far the reconstructed curve leaves the band [S(t + delta), S(t - delta)] of the true one,
    for t <= t_max: the vertical error once a horizontal reading error of delta is allowed."""
    j1 = k_true.survival_function_.index.to_numpy()
    j2 = k_rec.survival_function_.index.to_numpy()
    grid = np.unique(np.concatenate([j1, j1 + delta, j1 - delta, j2]))
    grid = grid[(grid >= 0) & (grid <= t_max)]
    s = k_rec.survival_function_at_times(grid).to_numpy()
    upper = k_true.survival_function_at_times(np.clip(grid - delta, 0, None)).to_numpy()
    lower = k_true.survival_function_at_times(grid + delta).to_numpy()
    return float(np.max(np.clip(np.maximum(s - upper, lower - s), 0, None)))


def digitise_noisily(curve: pd.DataFrame, rng: np.random.Generator, t_range: float) -> pd.DataFrame:
    """Two points per step, jittered (time sd TIME_JITTER of the axis, survival sd 0.003), percent, shuffled."""
    t = curve["time"].to_numpy()
    s = curve["survival"].to_numpy()
    before = np.concatenate([[1.0], s[:-1]])
    tt = np.concatenate([t, t])
    ss = np.concatenate([before, s])
    tt = np.clip(tt + rng.normal(0, TIME_JITTER * t_range, tt.size), 0, None)
    ss = np.clip(ss + rng.normal(0, 0.003, ss.size), 0, 1)
    order = rng.permutation(tt.size)
    return pd.DataFrame({"time": tt[order], "survival": 100 * ss[order]})


def make_trial(sc: Scenario, seed: int) -> dict:
    """Simulate and publish one trial. Returns the truth and what a reader of the paper would see."""
    rng = np.random.default_rng(seed)
    arms = {}
    for a, label in enumerate(("control", "treated")):
        time, event = simulate_arm(sc, a, rng)
        curve = km_points(time, event)
        t_end = float(time.max())
        step = sc.follow_up / (sc.n_risk_times - 1)
        risk_t = np.arange(sc.n_risk_times) * step
        risk_t = risk_t[risk_t <= t_end]
        n_risk = np.array([(time >= x).sum() for x in risk_t], dtype=float)
        if sc.zero_at_risk_tail:
            # the figure's axis (and a flat digitised point) runs past the last follow-up, and the
            # at-risk table prints 0 there
            axis_end = t_end + step
            risk_t = np.append(risk_t, t_end + step / 2)
            n_risk = np.append(n_risk, 0.0)
            curve = pd.concat([curve, pd.DataFrame({"time": [axis_end], "survival": [curve["survival"].iloc[-1]]})], ignore_index=True)
        for r in sc.missing_at_risk:
            if r < n_risk.size:
                n_risk[r] = np.nan
        if sc.noise:
            curve = digitise_noisily(curve, rng, sc.follow_up)
        arms[label] = {
            "time": time,
            "event": event,
            "curve": curve,
            "at_risk": pd.DataFrame({"time": risk_t, "n_risk": n_risk}),
        }
    return arms


def worst_case(name: str, seeds, decimals: int | None = None) -> dict:
    """Worst agreement over seeds: sup |S_true - S_rec| (for the noisy scenario: the excess over a
    horizontal reading error of 3 sd, up to the last at-risk time and over the whole curve),
    relative event error, relative HR error, and which reconstruction paths were taken."""
    from lifelines import CoxPHFitter, KaplanMeierFitter

    from hamstudy.reconstruct import reconstruct_ipd

    sc = SCENARIOS[name]
    worst = {"sup": 0.0, "sup_tail": 0.0, "events": 0.0, "hr": 0.0, "paths": set()}
    for seed in seeds:
        orig, rec = [], []
        for x, (label, arm) in enumerate(make_trial(sc, seed).items()):
            curve = arm["curve"]
            if decimals is not None:
                curve = curve.assign(survival=curve["survival"].round(decimals))
            ipd = reconstruct_ipd(curve, arm["at_risk"], total_events=int(arm["event"].sum()))
            worst["paths"].add(ipd.attrs["method"].split(" ")[0])
            k1 = KaplanMeierFitter().fit(arm["time"], arm["event"])
            k2 = KaplanMeierFitter().fit(ipd["time"], ipd["event"])
            if sc.noise:
                sup = shifted_excess(k1, k2, reading_error(sc), float(arm["at_risk"]["time"].max()))
                tail = shifted_excess(k1, k2, reading_error(sc), float(arm["time"].max()) + 1)
            else:
                sup = tail = sup_difference(k1, k2)
            worst["sup"] = max(worst["sup"], sup)
            worst["sup_tail"] = max(worst["sup_tail"], tail)
            worst["events"] = max(worst["events"], abs(ipd["event"].sum() / max(arm["event"].sum(), 1) - 1))
            orig.append(pd.DataFrame({"time": arm["time"], "event": arm["event"], "x": x}))
            rec.append(ipd.assign(x=x)[["time", "event", "x"]])
        h0 = np.exp(CoxPHFitter().fit(pd.concat(orig), "time", "event").params_["x"])
        h1 = np.exp(CoxPHFitter().fit(pd.concat(rec), "time", "event").params_["x"])
        worst["hr"] = max(worst["hr"], abs(h1 / h0 - 1))
    return worst


if __name__ == "__main__":  # pragma: no cover - exploration aid
    import sys

    sys.path.insert(0, ".")
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    print(f"worst case over seeds 0-{seeds[-1]}; sup = max |S_true - S_rec| (noisy: beyond a 3-sd horizontal reading error, up to the last at-risk time / everywhere)")
    for name in SCENARIOS:
        for decimals in ([None] if SCENARIOS[name].noise else [None, 4, 3, 2]):
            w = worst_case(name, seeds, decimals)
            label = "full" if decimals is None else f"{decimals} dec"
            print(
                f"{name:16s} {label:5s} sup {w['sup']:.4f}  everywhere {w['sup_tail']:.4f}  events {w['events']:.4f}  "
                f"HR {w['hr']:.4f}  path {'+'.join(sorted(w['paths']))}",
                flush=True,
            )
