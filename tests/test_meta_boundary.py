"""Mantel-Haenszel risk difference at the boundary (every study at RD = +-1, or all double zeros).

Reference: tests/reference/meta_boundary.R (metafor rma.mh). Estimate, Q and I^2 must equal metafor's.
Where metafor's variance is NaN (rounding leaves it a few ulp below 0) or its z is 0/0, hamstudy
returns the exact answer instead: variance 0, z = +-inf with p = 0, or z = 0 with p = 1.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hamstudy import meta_binary

REF = pd.read_csv(Path(__file__).parent / "reference" / "meta_boundary.csv", dtype={"se": str, "zval": str, "pval": str})
CASES = REF.to_dict("records")


def _counts(text):
    return np.array([int(x) for x in str(text).split(";")])


@pytest.mark.parametrize("row", CASES, ids=[r["id"] for r in CASES])
def test_boundary_against_metafor(row):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a sqrt of a negative variance
        res = meta_binary(events_t=_counts(row["ai"]), total_t=_counts(row["n1i"]), events_c=_counts(row["ci"]),
                          total_c=_counts(row["n2i"]), measure="RD", method="MH")
    # closed-form sums: agreement to a few ulp of R's arithmetic
    assert res.log_estimate == pytest.approx(row["beta"], rel=1e-12, abs=1e-15)
    assert res.q == pytest.approx(row["QE"], rel=1e-12)
    assert res.i2 == pytest.approx(row["I2"], rel=1e-12)
    r_se = float(row["se"])
    if row["id"] == "interior":  # ordinary case: everything equals metafor
        assert res.se == pytest.approx(r_se, rel=1e-12)
        assert res.pvalue == pytest.approx(float(row["pval"]), rel=1e-12)
        return
    assert res.se == 0.0  # exact; metafor gives 0 or NaN (rounding) here
    assert res.ci_low == res.ci_high == res.log_estimate
    if abs(round(res.log_estimate)) == 1:
        assert res.statistic == math.copysign(math.inf, res.log_estimate) and res.pvalue == 0.0
    else:
        assert res.statistic == 0.0 and res.pvalue == 1.0
    assert any("variance is 0" in n for n in res.notes)
