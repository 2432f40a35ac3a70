"""Vectorised log-rank and the power simulation (hamstudy.design.logrank_stat / logrank_sim)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lifelines.statistics import logrank_test

from hamstudy.design import (
    PowerResult,
    draw_trials,
    event_probability,
    logrank_statistics,
    power_logrank,
    simulate_logrank_power,
)
from hamstudy.design.logrank_sim import _TimeModel, chunk_size
from hamstudy.survival import logrank as hamstudy_logrank


def _chi2(time, event, group):
    score, var = logrank_statistics(time, event, group)
    return score**2 / var


# --- the vectorised statistic --------------------------------------------------------------------


def test_tiny_trials_with_ties_and_zero_events():
    # one athlete per arm, event in arm 1 only
    t = np.array([[1.0, 2.0]])
    e = np.array([[True, False]])
    g = np.array([[False, True]])
    score, var = logrank_statistics(t, e, g)
    # at t=1: 2 at risk, 1 in arm 2; E2 = 1/2, V = 1/4
    assert score[0] == pytest.approx(-0.5, abs=1e-15) and var[0] == pytest.approx(0.25, abs=1e-15)
    # no events at all: score and variance 0
    score, var = logrank_statistics(t, np.zeros_like(e), g)
    assert score[0] == 0.0 and var[0] == 0.0
    # all tied: every athlete has an event at the same time -> variance 0 (no information)
    score, var = logrank_statistics(np.ones((1, 4)), np.ones((1, 4), bool), np.array([[0, 0, 1, 1]], bool))
    assert score[0] == pytest.approx(0.0, abs=1e-15) and var[0] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    "design",
    [
        dict(n1=100, n2=100, hazard_ratio=0.6, control_median=60, follow_up=90),  # admin-censoring ties
        dict(n1=11, n2=13, hazard_ratio=0.2, control_median=20, follow_up=14, accrual=30, dropout_rate=0.01),
        dict(n1=1, n2=3, hazard_ratio=0.5, control_median=10, follow_up=30),
        dict(n1=30, n2=20, hazard_ratio=1.5, control_median=40, follow_up=60, piecewise=[(0, 4.0), (14, 1.0)]),
        dict(n1=25, n2=25, hazard_ratio=0.5, control_median=40, follow_up=60, shape=0.6, accrual=20),
    ],
)
@pytest.mark.parametrize("rounding", [None, 0])
def test_statistic_matches_lifelines_and_hamstudy_on_single_trials(design, rounding):
    rng = np.random.default_rng(20041)
    time, event, group = draw_trials(rng, 8, **design)
    if rounding is not None:
        time = np.round(time, rounding)  # whole days: many tied event times
    chi2 = _chi2(time, event, group)
    for i in range(time.shape[0]):
        t, e, g = time[i], event[i], group[i]
        if not e.any():
            continue
        ref = logrank_test(t[~g], t[g], e[~g], e[g]).test_statistic
        # same formula, different summation order: agreement to rounding
        assert chi2[i] == pytest.approx(ref, rel=1e-10, abs=1e-12)
        ours = hamstudy_logrank(t, e.astype(int), np.where(g, "b", "a")).statistic
        assert chi2[i] == pytest.approx(ours, rel=1e-10, abs=1e-12)


def test_signed_score_points_to_arm_two():
    rng = np.random.default_rng(3)
    time, event, group = draw_trials(rng, 2000, n1=50, n2=50, hazard_ratio=0.5, control_median=30, follow_up=60)
    score, _ = logrank_statistics(time, event, group)
    # fewer events than expected in arm 2 when its hazard is halved
    assert np.mean(score < 0) > 0.9


def test_shapes_and_times_are_checked():
    with pytest.raises(ValueError):
        logrank_statistics(np.ones((2, 3)), np.ones((2, 4), bool), np.ones((2, 3), bool))
    with pytest.raises(ValueError):
        logrank_statistics(np.array([[1.0, np.nan]]), np.ones((1, 2), bool), np.array([[0, 1]], bool))


# --- the time model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, piecewise",
    [(1.0, None), (0.5, None), (2.0, None), (1.0, [(0, 5.0), (14, 1.0)]), (1.0, {0: 1.0, 10: 3.0, 40: 0.5})],
)
def test_control_median_and_hazard_shape(shape, piecewise):
    model = _TimeModel(50.0, shape, piecewise)
    rng = np.random.default_rng(11)
    n = 200_000
    t = model.draw(rng.standard_exponential(n))
    # P(T <= median) = 1/2: binomial SE 0.0011, so 5 SE = 0.0056
    assert abs(np.mean(t <= 50.0) - 0.5) < 5 * math.sqrt(0.25 / n)
    # an arm with hazard ratio 0.5 has S2 = S1^0.5 at every time
    t2 = model.draw(rng.standard_exponential(n) / 0.5)
    for q in (10.0, 30.0, 80.0):
        s1, s2 = np.mean(t > q), np.mean(t2 > q)
        assert abs(s2 - math.sqrt(s1)) < 0.01


def test_piecewise_high_early_risk():
    model = _TimeModel(60.0, 1.0, [(0, 5.0), (14, 1.0)])
    rng = np.random.default_rng(5)
    t = model.draw(rng.standard_exponential(400_000))
    # hazards: c * 5 before day 14, c after; compare empirical rates in [0, 14) and [14, 28)
    early = np.mean(t < 14) / np.mean(np.minimum(t, 14))
    late_mask = t >= 14
    late = np.mean((t >= 14) & (t < 28)) / np.mean(np.clip(t[late_mask], 14, 28) - 14) / late_mask.mean()
    assert early / late == pytest.approx(5.0, rel=0.05)


# --- the simulation ------------------------------------------------------------------------------


def test_simulation_matches_schoenfeld_within_4_mc_se():
    design = dict(control_median=100, follow_up=150, accrual=100, dropout_rate=0.001)
    res = simulate_logrank_power(150, 150, 0.7, n_sims=10000, seed=2024, **design)
    expected = power_logrank(150, 150, 0.7, **design)
    assert abs(res.power - expected) < 4 * res.mc_se
    assert res.mc_se == pytest.approx(math.sqrt(res.power * (1 - res.power) / 10000))
    # the censoring mechanism: mean events equal n1 P1 + n2 P2 (closed form checked against R)
    lam = math.log(2) / 100
    p1, p2 = event_probability([lam, 0.7 * lam], accrual=100, follow_up=150, dropout_rate=0.001)
    d = 150 * p1 + 150 * p2
    sd = math.sqrt(150 * p1 * (1 - p1) + 150 * p2 * (1 - p2))
    assert abs(res.mean_events - d) < 4 * sd / math.sqrt(10000)


def test_type_one_error_within_4_mc_se():
    res = simulate_logrank_power(60, 60, 1.0, control_median=30, follow_up=60, n_sims=10000, seed=7)
    assert abs(res.power - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 10000)


def test_seeded_runs_reproduce_and_seeds_differ():
    kw = dict(control_median=30, follow_up=30, n_sims=3000)
    a = simulate_logrank_power(20, 20, 0.5, seed=1, **kw)
    b = simulate_logrank_power(20, 20, 0.5, seed=1, **kw)
    c = simulate_logrank_power(20, 20, 0.5, seed=2, **kw)
    assert a == b
    assert a.rejections != c.rejections
    again = simulate_logrank_power(20, 20, 0.5, seed=a.seed_entropy, **kw)
    assert again.rejections == a.rejections
    fresh = simulate_logrank_power(20, 20, 0.5, **kw)
    assert isinstance(fresh.seed_entropy, int)
    assert simulate_logrank_power(20, 20, 0.5, seed=np.random.SeedSequence(1), **kw).rejections == a.rejections


def test_chunking_does_not_depend_on_n_sims_split():
    # the first chunk's trials are the same whatever the total: 1000 trials = first chunk of 2500
    kw = dict(control_median=30, follow_up=30, seed=9)
    assert chunk_size(40) == 1000
    small = simulate_logrank_power(20, 20, 0.5, n_sims=1000, **kw)
    rng = np.random.default_rng(np.random.SeedSequence(9).spawn(3)[0])
    t, e, g = draw_trials(rng, 1000, n1=20, n2=20, hazard_ratio=0.5, control_median=30, follow_up=30)
    s, v = logrank_statistics(t, e, g)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = s / np.sqrt(v)
    from scipy.stats import norm

    assert small.rejections == int(np.sum(2 * norm.sf(np.abs(z)) <= 0.05))


def test_result_frame_and_interval():
    res = simulate_logrank_power(11, 13, 0.2, control_median=20, follow_up=14, n_sims=2000, seed=3)
    assert isinstance(res, PowerResult)
    low, high = res.confidence_interval()
    assert low <= res.power <= high
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "pvalue", "method"]
    assert frame.loc["power", "estimate"] == res.power
    assert "exponential" in res.method
    assert res.n_sims == 2000 and res.n1 == 11 and res.n2 == 13


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(n1=0), ValueError),
        (dict(n1=10.0), TypeError),
        (dict(hazard_ratio=0), ValueError),
        (dict(control_median=-1), ValueError),
        (dict(follow_up=0), ValueError),
        (dict(n_sims=0), ValueError),
        (dict(alpha=1), ValueError),
        (dict(shape=2.0, piecewise=[(0, 2.0), (14, 1.0)]), ValueError),
        (dict(piecewise=[(1, 2.0), (14, 1.0)]), ValueError),
        (dict(piecewise=[(0, 2.0), (14, 0.0)]), ValueError),
        (dict(piecewise=[(0, 2.0), (0, 1.0)]), ValueError),
        (dict(piecewise=3), TypeError),
        (dict(seed=-1), ValueError),
        (dict(seed="a"), TypeError),
    ],
)
def test_invalid_arguments(kwargs, exc):
    base = dict(n1=10, n2=10, hazard_ratio=0.5, control_median=30, follow_up=30, n_sims=10)
    base.update(kwargs)
    n1, n2, hr = base.pop("n1"), base.pop("n2"), base.pop("hazard_ratio")
    with pytest.raises(exc):
        simulate_logrank_power(n1, n2, hr, **base)


@pytest.mark.parametrize(
    "extra, control_survival",
    [
        # piecewise: 4x the hazard for 14 days; M(t) = 4 min(t, 14) + max(t - 14, 0), median 60
        (dict(piecewise=[(0, 4.0), (14, 1.0)]), lambda t: 2.0 ** (-(4 * min(t, 14) + max(t - 14, 0)) / (4 * 14 + 46))),
        # Weibull with shape 0.5 and median 60: S(t) = 2^(-(t / 60)^0.5)
        (dict(shape=0.5), lambda t: 2.0 ** (-((t / 60) ** 0.5))),
    ],
    ids=["piecewise", "weibull"],
)
def test_non_exponential_simulation_matches_schoenfeld(extra, control_survival):
    # no accrual or dropout: P(event) = 1 - S(follow_up) per arm, S2 = S1 ** HR under proportional hazards
    hr, n, fu = 0.7, 150, 90.0
    s1 = control_survival(fu)
    d = n * (1 - s1) + n * (1 - s1**hr)
    from scipy.stats import norm

    drift = math.sqrt(d / 4) * abs(math.log(hr))
    expected = norm.cdf(drift - norm.isf(0.025)) + norm.cdf(-drift - norm.isf(0.025))
    res = simulate_logrank_power(n, n, hr, control_median=60, follow_up=fu, n_sims=10000, seed=77, **extra)
    assert abs(res.power - expected) < 4 * res.mc_se
    assert res.mean_events == pytest.approx(d, rel=0.01)  # sd of the mean is ~0.1 event (0.06%)
