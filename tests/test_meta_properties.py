"""Properties that must hold for any data (hypothesis): order invariance, arm symmetry, bounds."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hamstudy.meta import meta_binary, meta_generic


@st.composite
def tables(draw):
    k = draw(st.integers(2, 8))
    rows = []
    for _ in range(k):
        n1 = draw(st.integers(1, 40))
        n2 = draw(st.integers(1, 40))
        rows.append((draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2))
    a, n1, c, n2 = (np.array(x) for x in zip(*rows))
    dz = ((a == 0) & (c == 0)) | ((a == n1) & (c == n2))
    if dz.all():
        a[0], c[0] = (1 if n1[0] > 1 else 0), 0
        if a[0] == 0:
            n1[0], a[0] = 2, 1
    return a, n1, c, n2


def _fit(t, perm=None, swap=False, **kw):
    a, n1, c, n2 = t
    if perm is not None:
        a, n1, c, n2 = a[perm], n1[perm], c[perm], n2[perm]
    if swap:
        a, n1, c, n2 = c, n2, a, n1
    return meta_binary(events_t=a, total_t=n1, events_c=c, total_c=n2, **kw)


MODELS = [dict(measure="RR", method="MH"), dict(measure="OR", method="MH"), dict(measure="RD", method="MH"),
          dict(measure="OR", method="Peto"), dict(measure="RR", method="IV", tau2="REML", hksj=True),
          dict(measure="OR", method="IV", tau2="PM"), dict(measure="RD", method="IV", tau2="DL")]


@settings(max_examples=40, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_order_invariance_and_arm_symmetry(t, rnd):
    perm = list(range(len(t[0])))
    rnd.shuffle(perm)
    for kw in MODELS:
        try:
            base = _fit(t, **kw)
        except ValueError:  # e.g. Peto with no event variance: raised for every order alike
            continue
        other = _fit(t, perm=np.array(perm), **kw)
        swapped = _fit(t, swap=True, **kw)
        for x, y in ((base.log_estimate, other.log_estimate), (base.tau2, other.tau2), (base.q, other.q)):
            assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        # swapping the arms negates the analysis-scale effect and keeps its SE and heterogeneity
        if math.isfinite(base.log_estimate):
            assert math.isclose(swapped.log_estimate, -base.log_estimate, rel_tol=1e-9, abs_tol=1e-9)
            assert math.isclose(swapped.se, base.se, rel_tol=1e-9, abs_tol=1e-12)
        assert base.tau2 >= 0
        assert 0 <= base.i2 <= 100 or (math.isnan(base.i2) and math.isnan(base.estimate))  # MH NA as metafor
        if math.isfinite(base.estimate):
            assert base.ci_low <= base.estimate <= base.ci_high
            assert base.pi_low <= base.estimate <= base.pi_high


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 4)), min_size=2, max_size=12),
       st.sampled_from(["DL", "REML", "PM"]))
def test_generic_location_shift(rows, method):
    y = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    a = meta_generic(y, v, tau2=method)
    b = meta_generic(y + 1.5, v, tau2=method)
    assert math.isclose(b.estimate, a.estimate + 1.5, rel_tol=1e-9, abs_tol=1e-8)
    assert math.isclose(b.tau2, a.tau2, rel_tol=1e-7, abs_tol=1e-9)
    assert a.tau2 >= 0
