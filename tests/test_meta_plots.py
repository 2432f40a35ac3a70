"""Layout of the forest plot: wrapped arm names, 'Favours' texts and title never collide."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from hamstudy.meta.example import hamstring_reinjury_example  # noqa: E402
from hamstudy.meta.plots import _wrap  # noqa: E402

LONG_T = "integrated/lengthening or criteria-based"
LONG_C = "conventional or isolated"
TITLE = "A long title for the pooled risk ratio of reinjury across four trials"


@pytest.fixture(scope="module")
def example():
    return hamstring_reinjury_example()


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.split(r"[\s/]+", text) if w}


def _draw(result, **kw):
    ax = result.plot_forest(labels=(LONG_T, LONG_C), title=TITLE, **kw)
    fig = ax.figure
    fig.canvas.draw()
    return ax, fig.canvas.get_renderer()


def _by_gid(ax, gid):
    (text,) = [t for t in ax.texts if t.get_gid() == gid]
    return text


@pytest.mark.parametrize("method", ["MH (RR)", "REML + HKSJ (RR)", "Peto (OR)"])
def test_favours_texts_do_not_overlap(example, method):
    ax, renderer = _draw(example.results[method])
    left, right = _by_gid(ax, "favours-left"), _by_gid(ax, "favours-right")
    assert "\n" in left.get_text() + right.get_text()  # the long labels really wrap
    box_l, box_r = left.get_window_extent(renderer), right.get_window_extent(renderer)
    assert not box_l.overlaps(box_r)
    assert box_l.x1 <= box_r.x0  # left one entirely left of the right one
    plt.close("all")


@pytest.mark.parametrize("method", ["MH (RR)", "REML + HKSJ (RR)"])
def test_title_does_not_overlap_text_columns(example, method):
    ax, renderer = _draw(example.results[method])
    title = _by_gid(ax, "forest-title")
    assert title.get_text().replace("\n", " ") == TITLE
    box = title.get_window_extent(renderer)
    others = [t for t in ax.texts if t is not title and t.get_text().strip()]
    assert len(others) > 20  # heads and cells of all the columns
    for t in others:
        assert not box.overlaps(t.get_window_extent(renderer)), t.get_text()
    assert box.x1 <= ax.figure.bbox.x1 and box.y1 <= ax.figure.bbox.y1  # inside the figure
    plt.close("all")


def test_wrapped_lines_never_split_words(example):
    ax, _ = _draw(example.results["MH (RR)"])
    allowed = _words(LONG_T) | _words(LONG_C) | {"favours", "events", "total"}
    wrapped = [t.get_text() for t in ax.texts if t.get_gid() in ("favours-left", "favours-right")]
    wrapped += [t.get_text() for t in ax.texts if "events/total" in t.get_text()]
    assert len(wrapped) == 4
    for text in wrapped:
        for line in text.replace("←", "").replace("→", "").split("\n"):
            assert _words(line) <= allowed, line
    head = [t.get_text() for t in ax.texts if t.get_text().startswith("Integrated")][0]
    assert "Integrated/\nlengthening" in head or "Integrated/lengthening" in head
    plt.close("all")


def test_wrap_breaks_on_words_and_slash_only():
    assert _wrap("integrated/lengthening or criteria-based", 16) == ["integrated/", "lengthening or", "criteria-based"]
    assert _wrap("supercalifragilistic word", 5) == ["supercalifragilistic", "word"]
    assert _wrap("a / b", 40) == ["a / b"]
    assert _wrap("", 10) == [""]


def test_favours_anchored_at_null_line(example):
    ax, renderer = _draw(example.results["MH (RR)"])
    null_px = ax.transData.transform((1.0, 0.0))[0]
    left, right = _by_gid(ax, "favours-left"), _by_gid(ax, "favours-right")
    assert left.get_window_extent(renderer).x1 <= null_px <= right.get_window_extent(renderer).x0
    plt.close("all")


def test_custom_favours_and_user_axes(example):
    fig, ax = plt.subplots(figsize=(12, 5))
    fig.subplots_adjust(left=0.45, right=0.78)
    example.results["MH (RR)"].plot_forest(ax=ax, favours=("Favours A", "Favours B"))
    assert _by_gid(ax, "favours-left").get_text() == "← Favours A"
    assert _by_gid(ax, "favours-right").get_text() == "Favours B →"
    assert not [t for t in ax.texts if t.get_gid() == "forest-title"]
    plt.close("all")
