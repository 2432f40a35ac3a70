"""Arm colours agree between the Kaplan-Meier and cumulative incidence figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import hamstudy  # noqa: E402
from hamstudy import datasets  # noqa: E402
from hamstudy.survival.plots import arm_colors, plot_km  # noqa: E402


@pytest.fixture(scope="module")
def ipd():
    return datasets.load("sherry_best_2004_synthetic_ipd").participants


@pytest.fixture(scope="module")
def kms(ipd):
    stst, pats = ipd[ipd.arm == "STST"], ipd[ipd.arm == "PATS"]
    return {"STST": hamstudy.kaplan_meier(stst.time, stst.event), "PATS": hamstudy.kaplan_meier(pats.time, pats.event)}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _colour_of(ax, prefix):
    """Colour of the line whose legend label starts with ``prefix`` (the curve, not the + marks)."""
    colours = {to_rgba(line.get_color()) for line in ax.get_lines() if line.get_label().startswith(prefix)}
    assert len(colours) == 1, (prefix, colours)
    return colours.pop()


def _cif(ipd):
    return hamstudy.cumulative_incidence(ipd.time, ipd.event, group=ipd.arm)


def test_same_arm_same_colour_in_km_and_incidence(ipd, kms):
    assert list(ipd.arm.unique()) == ["STST", "PATS"]
    ax_km = plot_km(kms, at_risk=False)
    ax_ci = _cif(ipd).plot()
    for arm in ("STST", "PATS"):
        assert _colour_of(ax_km, arm) == _colour_of(ax_ci, arm + ":")
    assert _colour_of(ax_km, "STST") != _colour_of(ax_km, "PATS")


def test_km_colours_do_not_depend_on_dict_order(kms):
    ax1 = plot_km(kms, at_risk=False)
    ax2 = plot_km(dict(reversed(list(kms.items()))), at_risk=False)
    for arm in kms:
        assert _colour_of(ax1, arm) == _colour_of(ax2, arm)


def test_colors_override_both_plots(ipd, kms):
    forced = {"STST": "#d62728", "PATS": "black"}
    ax_km = plot_km(kms, at_risk=False, colors=forced)
    ax_ci = _cif(ipd).plot(colors=forced)
    for arm, colour in forced.items():
        assert _colour_of(ax_km, arm) == to_rgba(colour)
        assert _colour_of(ax_ci, arm + ":") == to_rgba(colour)


def test_partial_override_keeps_default_for_other_arms(kms):
    default = arm_colors(kms)
    ax = plot_km(kms, at_risk=False, colors={"PATS": "black"})
    assert _colour_of(ax, "PATS") == to_rgba("black")
    assert _colour_of(ax, "STST") == to_rgba(default["STST"])


def test_arm_colors_order_and_validation():
    out = arm_colors(["b", "a", "b", "c"])
    assert list(out) == ["b", "a", "c"]  # first appearance
    assert out == arm_colors(["c", "a", "b"])  # same colours whatever the order
    with pytest.raises(ValueError, match="mapping"):
        arm_colors(["a"], colors=["red"])
    with pytest.raises(ValueError, match="not a matplotlib colour"):
        arm_colors(["a"], colors={"a": "notacolour"})


def test_single_group_incidence_colours_by_cause():
    res = hamstudy.cumulative_incidence([3, 5, 5, 8, 12, 14], [1, 2, 0, 1, 0, 2])
    ax = res.plot(colors={2: "black"})
    assert _colour_of(ax, "cause 2") == to_rgba("black")
    assert _colour_of(ax, "cause 1") != to_rgba("black")
