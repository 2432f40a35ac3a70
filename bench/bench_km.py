"""Benchmark: hamstudy.kaplan_meier vs lifelines' KaplanMeierFitter.fit on 1,000,000 rows.

Run: .venv/bin/python bench/bench_km.py
Prints one line per scenario: lifelines' time, ours, ratio (lifelines / ours; > 1 means faster).
Both fit the same data in the same run; the best of several repeats is reported for each. The
target of the issue is a ratio of at least 1.5 on 1,000,000 rows.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hamstudy.survival import kaplan_meier  # noqa: E402

N = 1_000_000
REPEATS = 3


def best_of(fn, repeats=REPEATS):
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(2004)
    scenarios = {
        "continuous times (all distinct)": rng.exponential(365.0, N),
        "whole days (heavy ties)": np.ceil(rng.exponential(365.0, N)),
    }
    event = (rng.random(N) < 0.6).astype(np.int8)
    worst = np.inf
    for label, t in scenarios.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer_s, kmf = best_of(lambda: KaplanMeierFitter().fit(t, event))
        ours_s, res = best_of(lambda: kaplan_meier(t, event))
        # same curve (lifelines adds a row at time 0)
        sf = kmf.survival_function_.to_numpy()[1:, 0]
        assert sf.shape == res.table["survival"].shape
        assert np.allclose(sf, res.table["survival"].to_numpy(), rtol=1e-9, atol=1e-12)
        ratio = peer_s / ours_s
        worst = min(worst, ratio)
        print(
            f"kaplan_meier {N:,} rows, {label}: lifelines {peer_s:.3f} s, hamstudy {ours_s:.3f} s, "
            f"ratio {ratio:.2f}x"
        )
    print(f"target >= 1.5x: {'met' if worst >= 1.5 else 'NOT met'} (worst {worst:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
