"""The shared result helpers: checks and the normal critical value."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from hamstudy._result import check_alpha, check_confidence_level, frame_from_rows, normal_quantile


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_normal_quantile_is_the_two_sided_critical_value(level):
    # closed form: z = Phi^-1((1 + level) / 2); ndtri and norm.ppf agree to a few ulp
    assert normal_quantile(level) == pytest.approx(stats.norm.ppf((1 + level) / 2), rel=1e-15)
    assert math.isclose(normal_quantile(0.95), 1.959963984540054, rel_tol=1e-15)


@pytest.mark.parametrize("check, name", [(check_alpha, "alpha"), (check_confidence_level, "confidence_level")])
@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, float("nan"), "x", None])
def test_unit_interval_checks_reject(check, name, bad):
    with pytest.raises(ValueError, match=name):
        check(bad)


def test_frame_has_fixed_columns_and_keeps_infinity():
    frame = frame_from_rows({"rr": {"estimate": math.inf, "ci_low": 2.2, "ci_high": math.inf, "method": "Koopman"}})
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert frame.loc["rr", "ci_high"] == math.inf and math.isnan(frame.loc["rr", "pvalue"])
