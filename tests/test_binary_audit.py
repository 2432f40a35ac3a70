"""Reported-versus-recomputed p-value audit (hamstudy.audit) and its use in compare_binary."""

from __future__ import annotations

import json

import pytest

from hamstudy.audit import PValueAudit, audit_pvalue
from hamstudy.binary import compare_binary


@pytest.mark.parametrize(
    "reported,comparator,value,decimals",
    [
        (0.003, "=", 0.003, 3),
        (0.0034, "=", 0.0034, 4),
        ("0.003", "=", 0.003, 3),
        ("p = .003", "=", 0.003, 3),
        ("P=0.0034", "=", 0.0034, 4),
        ("p < .05", "<", 0.05, 2),
        ("<0.001", "<", 0.001, 3),
        ("p ≤ 0.01", "<=", 0.01, 2),
        ("p > .05", ">", 0.05, 2),
        ("p = 3.4e-4", "=", 3.4e-4, 5),
        ("3.4 x 10^-4", "=", 3.4e-4, 5),
        ("n.s.", ">", 0.05, None),
        (1e-05, "=", 1e-05, 5),
    ],
)
def test_parsing(reported, comparator, value, decimals):
    a = audit_pvalue(reported, {"t": 0.5})
    assert a.comparator == comparator
    assert a.value == pytest.approx(value, rel=1e-12)
    assert a.decimals == decimals


def test_rounding_rule_is_inclusive_at_half_a_unit():
    # reported .003 covers [0.0025, 0.0035]
    assert audit_pvalue("p = .003", {"a": 0.0025}).consistent_with == ("a",)
    assert audit_pvalue("p = .003", {"a": 0.0035}).consistent_with == ("a",)
    assert audit_pvalue("p = .003", {"a": 0.00351}).disagreement
    assert audit_pvalue("p = .003", {"a": 0.00249}).disagreement


def test_inequalities():
    assert audit_pvalue("p < .05", {"a": 0.049}).consistent_with == ("a",)
    assert audit_pvalue("p < .05", {"a": 0.05}).disagreement
    assert audit_pvalue("p <= .05", {"a": 0.05}).consistent_with == ("a",)
    assert audit_pvalue("p > .05", {"a": 0.2}).consistent_with == ("a",)


def test_decision_error():
    a = audit_pvalue("p = .04", {"fisher": 0.07, "chi2": 0.06})
    assert a.disagreement and a.decision_error
    b = audit_pvalue("p = .04", {"fisher": 0.07, "chi2": 0.041})
    assert not b.disagreement and not b.decision_error and b.consistent_with == ("chi2",)
    # "p < .10" states no side of .05
    assert not audit_pvalue("p < .10", {"a": 0.5}).decision_error
    assert audit_pvalue("ns", {"a": 0.01}).decision_error


def test_result_object():
    a = audit_pvalue("p = .003", {"fisher": 0.00343, "chi2": 0.0061})
    assert isinstance(a, PValueAudit)
    with pytest.raises(Exception):
        a.value = 0.5  # frozen
    frame = a.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert list(frame.index) == ["reported", "recomputed_fisher", "recomputed_chi2"]
    assert "consistent with fisher" in a.describe()
    json.dumps(a.to_dict())
    assert "inconsistent" not in audit_pvalue("p = .003", {"fisher": 0.003})._repr_html_()


@pytest.mark.parametrize(
    "reported,candidates,exc",
    [
        (2.0, {"a": 0.1}, ValueError),
        ("p = 1.5", {"a": 0.1}, ValueError),
        ("small", {"a": 0.1}, ValueError),
        (True, {"a": 0.1}, TypeError),
        (None, {"a": 0.1}, TypeError),
        (0.1, [("a", 0.1)], TypeError),
        (0.1, {"a": 1.5}, ValueError),
        (0.1, {1: 0.1}, TypeError),
    ],
)
def test_validation(reported, candidates, exc):
    with pytest.raises(exc):
        audit_pvalue(reported, candidates)


def test_compare_binary_audit_seed_case():
    # Sherry & Best (2004) 6/11 vs 0/13; Fisher's two-sided p is 0.00343
    res = compare_binary(6, 11, 0, 13, reported_p="p = 0.0034")
    assert res.audit is not None
    assert "fisher" in res.audit.consistent_with and not res.audit.disagreement
    assert set(res.audit.candidates) == {"fisher", "fisher_midp", "fisher_one_sided", "barnard", "boschloo", "chi2", "chi2_yates"}
    assert res.audit.candidates["fisher"] == res.fisher.pvalue
    wrong = compare_binary(6, 11, 0, 13, reported_p=0.2)
    assert wrong.audit.disagreement and wrong.audit.decision_error
    assert compare_binary(6, 11, 0, 13).audit is None


def test_compare_binary_audit_zero_margin_has_nan_chi2():
    res = compare_binary(0, 5, 0, 6, reported_p="n.s.")
    assert res.audit.candidates["chi2"] != res.audit.candidates["chi2"]  # NaN: undefined
    assert "chi2" not in res.audit.consistent_with and "fisher" in res.audit.consistent_with
