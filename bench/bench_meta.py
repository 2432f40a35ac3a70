"""Benchmark hamstudy.meta against statsmodels on the same generated data, in the same run.

Run: .venv/bin/python bench/bench_meta.py
Prints one line per comparison: peer time, ours, ratio (ours / peer), and the largest difference in
the pooled estimate (a sanity check that both compute the same thing).

Peers: statsmodels.stats.meta_analysis.combine_effects (DL = method_re "chi2"; PM = "iterated"),
statsmodels.stats.contingency_tables.StratifiedTable (Mantel-Haenszel odds ratio with the RBG
variance). statsmodels has no REML, MH risk ratio or Peto; ours does more per call (per-study table,
prediction interval, notes), which the timings include.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np
from statsmodels.stats.contingency_tables import StratifiedTable  # noqa: E402
from statsmodels.stats.meta_analysis import combine_effects  # noqa: E402

from hamstudy.meta import meta_binary, meta_generic  # noqa: E402
from hamstudy.meta._effects import escalc_binary  # noqa: E402

N_SETS = 400


def generate(rng):
    sets = []
    while len(sets) < N_SETS:
        k = int(rng.integers(2, 21))
        n1 = rng.integers(10, 41, k)
        n2 = rng.integers(10, 41, k)
        pc = rng.uniform(0.05, 0.35)
        pt = np.clip(pc * np.exp(rng.normal(-0.4, 0.5, k)), 0, 0.95)
        a = rng.binomial(n1, pt)
        c = rng.binomial(n2, pc)
        keep = ~(((a == 0) & (c == 0)) | ((a == n1) & (c == n2)))
        if keep.sum() < 2 or a[keep].sum() == 0 or c[keep].sum() == 0:
            continue
        sets.append((a[keep], n1[keep], c[keep], n2[keep]))
    return sets


def timed(fn, items):
    t0 = time.perf_counter()
    out = [fn(*x) for x in items]
    return time.perf_counter() - t0, out


def line(name, t_peer, t_ours, diff):
    print(f"{name:<48} peer {t_peer * 1e3 / N_SETS:8.3f} ms/set  ours {t_ours * 1e3 / N_SETS:8.3f} ms/set  "
          f"ratio {t_ours / t_peer:6.2f}  max |diff| {diff:.2e}")


def main():
    rng = np.random.default_rng(20261124)
    sets = generate(rng)
    yv = [escalc_binary(a, n1, c, n2, "OR") for a, n1, c, n2 in sets]
    print(f"{N_SETS} generated sets of 2-20 trials, arms of 10-40, zero cells corrected as escalc")

    for label, peer_method, ours_method in (("DL (log OR, yi/vi)", "chi2", "DL"), ("PM (log OR, yi/vi)", "iterated", "PM")):
        with np.errstate(invalid="ignore"):
            tp, rp = timed(lambda y, v: combine_effects(y, v, method_re=peer_method), yv)
        to, ro = timed(lambda y, v: meta_generic(y, v, tau2=ours_method).log_estimate, yv)
        # statsmodels' "chi2" (DL) does not truncate a negative tau² at 0: compare where it is >= 0
        ok = np.array([r.tau2 >= 0 for r in rp])
        diff = np.abs(np.array([r.mean_effect_re for r in rp]) - np.array(ro))[ok]
        line(f"{label}: combine_effects vs meta_generic", tp, to, float(diff.max()))
        if (~ok).any():
            print(f"    statsmodels returned a negative tau² in {(~ok).sum()} of {N_SETS} sets (hamstudy and metafor: 0)")

    def peer_mh(a, n1, c, n2):
        tables = np.stack([np.array([[ai, n1i - ai], [ci, n2i - ci]]) for ai, n1i, ci, n2i in zip(a, n1, c, n2)], axis=2)
        return StratifiedTable(tables.astype(float)).logodds_pooled

    tp, rp = timed(peer_mh, sets)
    to, ro = timed(lambda a, n1, c, n2: meta_binary(events_t=a, total_t=n1, events_c=c, total_c=n2, measure="OR",
                                                    method="MH").log_estimate, sets)
    line("MH log OR: StratifiedTable vs meta_binary", tp, to, float(np.max(np.abs(np.subtract(rp, ro)))))

    tp, rp = timed(lambda y, v: combine_effects(y, v, method_re="iterated").mean_effect_re, yv)
    to, ro = timed(lambda a, n1, c, n2: meta_binary(events_t=a, total_t=n1, events_c=c, total_c=n2, measure="OR",
                                                    method="IV", tau2="REML", hksj=True).log_estimate, sets)
    line("REML+HKSJ from counts (peer: PM from yi/vi)", tp, to, float("nan"))


if __name__ == "__main__":
    main()
