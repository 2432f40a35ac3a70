"""Benchmarks for hamstudy.binary against scipy, measured in the same run.

Run from the repository root:  .venv/bin/python bench/bench_binary.py

Each line: what was timed, the peer's time, ours, and the ratio (peer / ours). Times are the best
of a few repeats (the machine may be shared); per-table peer times are measured on a random
subsample and scaled, as stated on the line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hamstudy.binary import compare_binary, fisher_exact_batch, fragility_index, unconditional_pvalues  # noqa: E402
from hamstudy.binary import unconditional as _unconditional  # noqa: E402


def best_of(fn, repeats):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def clear_caches():
    for name in ("_hypergeom_grid", "_fisher_one_sided_grid", "_pooled_score_grid", "_grid", "_log_comb_row", "_comb_row"):
        getattr(_unconditional, name).cache_clear()


def line(what, peer, ours, note=""):
    print(f"{what:<58} peer {peer * 1e3:10.2f} ms   ours {ours * 1e3:9.2f} ms   ratio {peer / ours:8.1f}x  {note}")


def bench_fisher_batch():
    rng = np.random.default_rng(20261124)
    size = 400_000
    n1 = rng.integers(5, 201, size)
    n2 = rng.integers(5, 201, size)
    e1 = rng.binomial(n1, rng.uniform(size=size))
    e2 = rng.binomial(n2, rng.uniform(size=size))
    ours, p = best_of(lambda: fisher_exact_batch(e1, n1, e2, n2), 3)
    sub = rng.choice(size, 2_000, replace=False)

    def scipy_loop():
        return np.array([stats.fisher_exact([[e1[i], e2[i]], [n1[i] - e1[i], n2[i] - e2[i]]]).pvalue for i in sub])

    peer_sub, q = best_of(scipy_loop, 1)
    peer = peer_sub / sub.size * size
    dev = np.max(np.abs(p[sub] - q) / q)
    line(
        "fisher_exact_batch, 400,000 tables (5-200 per arm)",
        peer,
        ours,
        f"(scipy timed on 2,000 random tables, scaled per table; max rel. diff {dev:.1e})",
    )
    return peer / ours


def bench_compare():
    table = [[50, 25], [50, 75]]
    peer, ref = best_of(lambda: stats.boschloo_exact(table), 3)

    def cold():
        clear_caches()
        return compare_binary(50, 100, 25, 100)

    ours_cold, res = best_of(cold, 5)
    ours_warm, _ = best_of(lambda: compare_binary(50, 100, 25, 100), 5)
    dev = abs(res.boschloo.pvalue - ref.pvalue) / ref.pvalue
    line("compare_binary(50/100 vs 25/100) vs boschloo_exact alone", peer, ours_cold, f"(cold caches; Boschloo p rel. diff {dev:.1e})")
    line("  same, warm caches (arm sizes seen before)", peer, ours_warm)
    return peer / ours_cold, dev


def bench_fragility():
    worst = 0.0
    # a typical case, and the longest possible walk (almost every PATS-like arm event changes)
    for e1, n1, e2, n2 in [(100, 1000, 150, 1000), (0, 1000, 999, 1000)]:

        def scipy_walk():
            k = 0
            while True:
                k += 1
                if stats.fisher_exact([[e1 + k, e2], [n1 - e1 - k, n2 - e2]]).pvalue >= 0.05:
                    return k

        peer, k_peer = best_of(scipy_walk, 1)
        ours, k = best_of(lambda: fragility_index(e1, n1, e2, n2), 5)
        assert k == k_peer, (k, k_peer)
        line(f"fragility_index {e1}/{n1} vs {e2}/{n2} (FI = {k})", peer, ours, "(peer: scipy fisher_exact walk)")
        worst = max(worst, ours)
    return worst


def bench_grid():
    n1 = n2 = 30

    def ours_fn():
        clear_caches()
        return unconditional_pvalues(n1, n2, test="boschloo")

    ours, grid = best_of(ours_fn, 1)
    rng = np.random.default_rng(1)
    cells = [(int(a), int(b)) for a, b in zip(rng.integers(0, n1 + 1, 10), rng.integers(0, n2 + 1, 10))]
    t0 = time.perf_counter()
    ps = [stats.boschloo_exact([[a, b], [n1 - a, n2 - b]]).pvalue for a, b in cells]
    peer = (time.perf_counter() - t0) / len(cells) * (n1 + 1) * (n2 + 1)
    dev = max(abs(grid[a, b] - p) / p for (a, b), p in zip(cells, ps))
    line("unconditional_pvalues(30, 30), all 961 tables", peer, ours, f"(scipy timed on 10 tables, scaled; max rel. diff {dev:.1e})")


def main() -> int:
    t0 = time.perf_counter()
    r1 = bench_fisher_batch()
    r2, dev = bench_compare()
    fi_time = bench_fragility()
    bench_grid()
    print(
        f"targets: batch >= 500x: {'met' if r1 >= 500 else 'NOT met'} ({r1:.0f}x); "
        f"compare_binary >= 5x boschloo_exact with p to 1e-6: {'met' if r2 >= 5 and dev <= 1e-6 else 'NOT met'} ({r2:.1f}x); "
        f"fragility_index < 50 ms: {'met' if fi_time < 0.05 else 'NOT met'} ({fi_time * 1e3:.1f} ms); "
        f"total {time.perf_counter() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
