"""The report as data: a list of blocks that every renderer (HTML, Markdown, PDF) walks.

Sections build blocks from analysis results; renderers turn blocks into a format. Nothing in a block is
pre-escaped or pre-formatted markup: text is plain text (escaped by each renderer for its own format),
numbers have already been written by :mod:`hamstudy.report.format`, and a figure is a matplotlib
figure that each renderer saves in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "Badge",
    "Cell",
    "Heading",
    "Paragraph",
    "Callout",
    "Table",
    "Figure",
    "Block",
    "Document",
    "VERIFICATION_LABELS",
]

#: verification status -> (short label, explanation); "conflict" and "synthetic" are shown as warnings
VERIFICATION_LABELS: dict[str, tuple[str, str]] = {
    "verified": ("verified", "seen in the trial's own abstract or full text"),
    "secondary": ("secondary", "seen only in reviews or summaries that cite the trial"),
    "conflict": ("CONFLICT", "sources disagree; see the notes"),
    "synthetic": ("SYNTHETIC", "made-up data generated to resemble the trial, not observations"),
    "reconstructed": ("reconstructed", "reconstructed from a published curve (Guyot et al. 2012)"),
    "derived": ("derived", "derived from other summary statistics"),
    "consistent": ("consistent", "the recomputed p-value rounds to the reported one"),
    "disagrees": ("DISAGREES", "the recomputed p-value differs from the reported one beyond rounding"),
}


@dataclass(frozen=True)
class Badge:
    """A short status label (``verified``, ``CONFLICT``, ``SYNTHETIC``) with a longer explanation."""

    status: str
    title: str = ""

    @property
    def label(self) -> str:
        return VERIFICATION_LABELS.get(self.status, (self.status, ""))[0]

    @property
    def explanation(self) -> str:
        return self.title or VERIFICATION_LABELS.get(self.status, ("", ""))[1]

    @property
    def is_warning(self) -> bool:
        return self.status in ("conflict", "synthetic", "disagrees")


@dataclass(frozen=True)
class Cell:
    """A table cell: text, optionally followed by a badge, optionally emphasised."""

    text: str
    badge: Badge | None = None
    strong: bool = False
    numeric: bool = False


CellLike = Union[str, Cell]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``kind`` is "text", "methods" (ready to paste) or "small"."""

    text: str
    kind: str = "text"


@dataclass(frozen=True)
class Callout:
    """A boxed note. ``kind`` is "synthetic", "warning" or "note"."""

    text: str
    kind: str = "note"
    title: str = ""


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[CellLike, ...], ...]
    caption: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.caption!r}: a row has {len(row)} cells for {len(self.columns)} columns")


@dataclass(eq=False)
class Figure:
    """A matplotlib figure with a file-safe ``name`` (unique within a document) and a caption."""

    figure: Any
    name: str
    caption: str = ""
    alt: str = ""
    bbox: Any = None  # the tight bounding box, computed once for all the formats (see figures.tight_bbox)


Block = Union[Heading, Paragraph, Callout, Table, Figure]


@dataclass(eq=False)
class Document:
    """One target's report."""

    name: str
    title: str
    synthetic: bool = False
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    references: list[str] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        for block in blocks:
            if isinstance(block, Figure) and any(
                isinstance(b, Figure) and b.name == block.name for b in self.blocks
            ):
                raise ValueError(f"duplicate figure name {block.name!r} in report {self.name!r}")
            self.blocks.append(block)

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def cite(self, *refs: str) -> None:
        """Add references (full citations) to the list printed at the end, keeping first-seen order."""
        for ref in refs:
            if ref not in self.references:
                self.references.append(ref)

    def close_figures(self) -> None:
        import matplotlib.pyplot as plt

        for fig in self.figures():
            plt.close(fig.figure)
