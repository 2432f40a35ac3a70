"""Figures for reports: one matplotlib style, deterministic SVG and raster output.

The report code path switches matplotlib to the Agg backend (:func:`use_agg`); importing hamstudy never
does, so a notebook keeps its inline backend until it builds a report.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from typing import Iterator

__all__ = ["use_agg", "report_style", "new_figure", "svg_markup", "png_array"]

#: matplotlib settings for report figures: small, plain, readable when printed
_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",  # text as paths: the figure looks the same on a machine without the fonts
    "text.usetex": False,
}


def use_agg() -> None:
    """Select matplotlib's non-interactive Agg backend (no display is needed to build a report)."""
    import matplotlib

    matplotlib.use("Agg", force=True)


@contextmanager
def report_style() -> Iterator[None]:
    """Apply the report's matplotlib settings within a ``with`` block."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def new_figure(width: float = 6.4, height: float = 3.6, nrows: int = 1, ncols: int = 1, *, layout: str | None = "constrained",
               **kwargs):
    """A new figure and axes in the report style (call inside :func:`report_style`).

    ``layout=None`` for plotting functions that place things with ``subplots_adjust`` themselves.
    """
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=(width, height), layout=layout, **kwargs)


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


def tight_bbox(fig):
    """The figure's tight bounding box (as ``bbox_inches="tight"`` computes it), to be computed once
    and passed to every ``savefig`` of the figure: "tight" draws the figure an extra time per save."""
    import matplotlib

    fig.canvas.draw()
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    return bbox.padded(matplotlib.rcParams["savefig.pad_inches"])


def svg_markup(fig, *, salt: str, title: str | None = None, bbox=None) -> str:
    """The figure as an SVG document (UTF-8 text) that is byte-identical from run to run.

    ``salt`` seeds the ids matplotlib gives clip paths and glyphs (``svg.hashsalt``): with a fixed salt
    the file is deterministic, and with a different salt per figure the ids of two figures inlined in
    one HTML page cannot collide. The date is left out of the metadata for the same reason.
    """
    import matplotlib

    buf = io.StringIO()
    metadata = {"Date": None, "Creator": f"hamstudy (matplotlib {matplotlib.__version__})"}
    if title:
        metadata["Title"] = title
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata=metadata, bbox_inches="tight" if bbox is None else bbox)
    return buf.getvalue()


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')


def inline_svg(svg: str, prefix: str | None = None) -> str:
    """An SVG document without its XML prolog and DOCTYPE, ready to place inside an HTML page.

    With ``prefix``, every ``id`` and every reference to one (``href="#..."``, ``url(#...)``) gets the
    prefix, so that several SVGs in one page never share an id (matplotlib names glyphs and groups
    the same way in every figure, e.g. ``DejaVuSans-48`` and ``axes_1``).
    """
    body = _PROLOG.sub("", svg, count=1)
    if prefix:
        body = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)
        body = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    return body


def png_array(fig, *, dpi: int = 200, bbox=None):
    """The figure rendered to an RGBA uint8 array (for placing it on a PDF page)."""
    import matplotlib.image as mpimg

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if bbox is None else bbox, metadata={"Software": None})
    buf.seek(0)
    import numpy as np

    return (np.clip(mpimg.imread(buf, format="png"), 0.0, 1.0) * 255).round().astype(np.uint8)
