"""Reference values for hamstudy.design.power_fisher / power_boschloo / sample_size_fisher.

Brute force, independent of hamstudy: every table's p-value from scipy.stats.fisher_exact (or
boschloo_exact), one call per table, summed against binomial probabilities. Also records a few
published exact-power figures (typed once here, with their source).

Run from the repository root:  .venv/bin/python tests/reference/design_power.py
Writes tests/reference/design_power.json.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import scipy
from scipy.stats import binom, boschloo_exact, fisher_exact

OUT = Path(__file__).with_name("design_power.json")

FISHER_DESIGNS = [(1, 1), (2, 3), (5, 1), (6, 6), (11, 13), (12, 12), (7, 15), (20, 20)]
BOSCHLOO_DESIGNS = [(1, 2), (4, 5), (6, 6), (3, 8)]
PROBABILITIES = [(0.55, 0.05), (0.5, 0.5), (0.05, 0.4), (0.0, 0.3), (1.0, 0.5), (0.3, 0.9)]
ALTERNATIVES = ["two-sided", "less", "greater"]

# Published exact powers of Fisher's exact test, from the test suite of the R package pwrss
# (Bulus M., pwrss: Statistical Power and Sample Size Calculation Tools; file
# tests/testthat/test-proportions.fisher.R of github.com/metinbulus/pwrss), whose
# power.exact.fisher() is documented as validated against PASS (NCSS, chapter 194, "Fisher's Exact
# Test for Two Proportions") and G*Power. "one.sided" there is our "greater" (p1 > p2).
PUBLISHED = [
    {"p1": 0.6, "p2": 0.4, "n1": 50, "n2": 50, "alternative": "two-sided", "power": 0.462100133},
    {"p1": 0.6, "p2": 0.4, "n1": 108, "n2": 108, "alternative": "two-sided", "power": 0.80194182},
    {"p1": 0.6, "p2": 0.4, "n1": 85, "n2": 85, "alternative": "greater", "power": 0.805746021},
    {"p1": 2 / 3, "p2": 1 / 3, "n1": 39, "n2": 39, "alternative": "two-sided", "power": 0.8008238},
    {"p1": 0.75, "p2": 0.25, "n1": 18, "n2": 18, "alternative": "two-sided", "power": 0.833005149},
]
PUBLISHED_SOURCE = (
    "pwrss (R package, M. Bulus) tests/testthat/test-proportions.fisher.R: power.exact.fisher values, "
    "validated by its authors against PASS (NCSS) and G*Power; pwrss reports n = 108 for 0.6 vs 0.4 at "
    "80% power, 85 one-sided, 39 for 2/3 vs 1/3 and 18 for 0.75 vs 0.25"
)


def brute_power(pvalues: np.ndarray, p1: float, p2: float, alpha: float) -> float:
    n1, n2 = pvalues.shape[0] - 1, pvalues.shape[1] - 1
    f1 = binom.pmf(np.arange(n1 + 1), n1, p1)
    f2 = binom.pmf(np.arange(n2 + 1), n2, p2)
    return float(f1 @ (pvalues <= alpha).astype(float) @ f2)


def table_pvalues(n1: int, n2: int, alternative: str, test: str) -> np.ndarray:
    out = np.ones((n1 + 1, n2 + 1))
    for x1 in range(n1 + 1):
        for x2 in range(n2 + 1):
            table = [[x1, x2], [n1 - x1, n2 - x2]]
            if test == "fisher":
                # scipy's table [[x1, x2], [n1-x1, n2-x2]]: "less" = lower odds of the event in arm 1
                out[x1, x2] = fisher_exact(table, alternative=alternative).pvalue
            else:
                p = boschloo_exact(table, alternative=alternative).pvalue
                out[x1, x2] = 1.0 if np.isnan(p) else p
    return out


def main() -> None:
    rows = []
    for test, designs in (("fisher", FISHER_DESIGNS), ("boschloo", BOSCHLOO_DESIGNS)):
        for n1, n2 in designs:
            for alternative in ALTERNATIVES:
                pv = table_pvalues(n1, n2, alternative, test)
                for p1, p2 in PROBABILITIES:
                    for alpha in (0.05, 0.01):
                        rows.append({
                            "test": test, "n1": n1, "n2": n2, "p1": p1, "p2": p2, "alpha": alpha,
                            "alternative": alternative, "power": brute_power(pv, p1, p2, alpha),
                        })
    payload = {
        "generated_by": "tests/reference/design_power.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__},
        "brute_force": rows,
        "published": PUBLISHED,
        "published_source": PUBLISHED_SOURCE,
    }
    OUT.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    print(f"wrote {len(rows)} brute-force powers and {len(PUBLISHED)} published values to {OUT}")


if __name__ == "__main__":
    main()
