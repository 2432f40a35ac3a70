"""power_grid locally (vectorised) and on a Dask LocalCluster (hamstudy.design.grid)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from hamstudy.design import (
    events_logrank,
    power_boschloo,
    power_fisher,
    power_grid,
    sample_size_fisher,
    sample_size_logrank,
    simulate_logrank_power,
)

FISHER_GRID = {"p1": [0.55, 0.3], "p2": [0.05, 0.0], "n1": [11, 6], "n2": 13}


def test_fisher_grid_local_is_vectorised_and_equals_single_calls():
    frame = power_grid(power_fisher, FISHER_GRID)
    assert list(frame.columns) == ["p1", "p2", "n1", "n2", "power"]
    assert len(frame) == 8
    # the last key varies fastest
    assert list(frame["n1"][:2]) == [11, 6]
    for row in frame.itertuples():
        single = power_fisher(row.p1, row.p2, row.n1, row.n2)
        # full-support region here vs truncated support there: the skipped mass is < 4e-17
        assert row.power == pytest.approx(single, abs=1e-14)


def test_boschloo_grid_groups_designs():
    frame = power_grid(power_boschloo, {"p1": [0.55, 0.4], "p2": [0.05], "n1": [6], "n2": [7], "alternative": ["less", "greater"]})
    for row in frame.itertuples():
        assert row.power == pytest.approx(power_boschloo(row.p1, row.p2, row.n1, row.n2, alternative=row.alternative), abs=1e-15)


def test_output_columns_for_each_result_type():
    ev = power_grid(events_logrank, {"hazard_ratio": [0.5, 0.7], "power": [0.8, 0.9]})
    assert list(ev.columns) == ["hazard_ratio", "power", "events_logrank"]
    assert ev["events_logrank"].tolist() == [66, 88, 247, 331]

    ss = power_grid(sample_size_fisher, {"p1": [0.55], "p2": [0.05, 0.1]})
    assert {"n1", "n2", "n1_stable", "n2_stable", "achieved_power"} <= set(ss.columns)
    assert ss.loc[0, "n1"] == 14

    lr = power_grid(sample_size_logrank, {"hazard_ratio": [0.5], "control_median": 100, "follow_up": [100, 200]})
    assert {"events", "n1", "n2", "total", "method"} <= set(lr.columns)
    assert lr.loc[1, "total"] < lr.loc[0, "total"]

    sim = power_grid(
        functools.partial(simulate_logrank_power, control_median=30, follow_up=30, n_sims=500, seed=1),
        {"n1": [10, 20], "n2": [20], "hazard_ratio": [0.5]},
    )
    assert list(sim.columns) == ["n1", "n2", "hazard_ratio", "power", "mc_se", "n_sims"]
    assert sim["n_sims"].tolist() == [500, 500]
    direct = simulate_logrank_power(20, 20, 0.5, control_median=30, follow_up=30, n_sims=500, seed=1)
    assert sim.loc[1, "power"] == direct.power


def test_grid_arguments_are_checked():
    with pytest.raises(ValueError):
        power_grid(power_fisher, {"p1": [], "p2": [0.1], "n1": [5], "n2": [5]})
    with pytest.raises(TypeError):
        power_grid(power_fisher, [("p1", [0.1])])
    with pytest.raises(TypeError):
        power_grid("power_fisher", {"p1": [0.1]})
    with pytest.raises(ValueError):
        power_grid(power_fisher, {"p1": [1.5], "p2": [0.1], "n1": [5], "n2": [5]})
    with pytest.raises(TypeError):
        power_grid(power_fisher, {"p1": [0.5], "p2": [0.1], "n1": [5], "n2": [5], "shape": [2]})


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    power_grid(events_logrank, {"hazard_ratio": np.linspace(0.3, 0.9, 25)})
    assert "scenario" not in capsys.readouterr().err  # pytest's stderr is not a terminal
    power_grid(events_logrank, {"hazard_ratio": [0.5, 0.6]}, progress=True)
    assert "scenario" in capsys.readouterr().err


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.slow
def test_local_cluster_gives_the_local_answers(client, capsys):
    local = power_grid(power_fisher, FISHER_GRID)
    remote = power_grid(power_fisher, FISHER_GRID, client=client)
    pd.testing.assert_frame_equal(local, remote, check_exact=False, atol=1e-14, rtol=0)

    sim = functools.partial(simulate_logrank_power, control_median=30, follow_up=30, n_sims=1500, seed=4)
    grid = {"n1": [10, 20], "n2": [20], "hazard_ratio": [0.5, 1.0]}
    pd.testing.assert_frame_equal(power_grid(sim, grid), power_grid(sim, grid, client=client, progress=True))
    assert "scenario" in capsys.readouterr().err

    # a single simulation spread over the cluster by chunks: same seed, same answer
    a = simulate_logrank_power(30, 30, 0.6, control_median=30, follow_up=30, n_sims=2500, seed=8)
    b = simulate_logrank_power(30, 30, 0.6, control_median=30, follow_up=30, n_sims=2500, seed=8, client=client)
    assert a == b
