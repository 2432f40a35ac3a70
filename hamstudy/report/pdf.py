"""Render a :class:`~hamstudy.report.document.Document` as a PDF with matplotlib alone.

Pure Python: text pages are matplotlib figures of A4 size with text placed line by line, and each
report figure is drawn into the flow of the pages. Nothing beyond what pip installs is needed (no LaTeX,
no browser, no cairo). Every page of a report on synthetic data carries the SYNTHETIC label.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from hamstudy.report.document import Callout, Cell, Document, Figure, Heading, Paragraph, Table
from hamstudy.report.figures import png_array

__all__ = ["render_pdf"]

_PAGE_W, _PAGE_H = 8.27, 11.69  # A4 in inches
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.75, 0.75, 0.85, 0.85
_TEXT_W = _PAGE_W - _LEFT - _RIGHT
# The PDF uses the standard 14 PDF fonts (Helvetica, Courier; matplotlib's ``pdf.use14corefonts``):
# nothing is embedded and text is drawn about 30 times faster than with embedded TrueType subsets, which
# matters for the 20-second budget of the default report. Those fonts cover Windows-1252 only, so the few
# other symbols a report prints are spelt out (``_PDF_TEXT``); anything else prints as "?" in the PDF
# (the HTML and Markdown keep the original text).
_SANS = "Helvetica"
_MONO = "Courier"
_PDF_TEXT = str.maketrans({"\u2212": "-", "\u221e": "inf", "\u2265": ">=", "\u2264": "<=", "\u03c7": "chi",
                           "\u03c4": "tau", "\u2192": "->", "\u2248": "~", "\u2011": "-", "\u2009": " ",
                           "\u00a0": " "})


def pdf_text(text: str) -> str:
    """``text`` in the characters the PDF's core fonts have."""
    return text.translate(_PDF_TEXT).encode("cp1252", errors="replace").decode("cp1252")
_SYN_COLOR = "#7c2d92"
_WARN_COLOR = "#9a3412"


def _chars_per_line(size: float, width_in: float = _TEXT_W, mono: bool = False) -> int:
    # average advance of Helvetica is about 0.5 em for text (0.6 em exactly for Courier);
    # a slightly larger factor keeps wrapped lines inside the margin
    em = 0.60 if mono else 0.56
    return max(int(width_in * 72.0 / (size * em)), 10)


_LP_CACHE: dict[tuple[float, str], float] = {}


def _linespacing(size: float, family: str, pitch_in: float) -> float:
    """matplotlib ``linespacing`` that puts consecutive lines of one text object ``pitch_in`` apart.

    With a numeric ``linespacing``, matplotlib (3.10+) puts the lines of a multi-line text
    ``linespacing * (ascent + descent)`` apart, with the font's ascent and descent; for the PDF core
    fonts those come from the AFM file (``_backend_pdf_ps._get_font_height_metrics``). Knowing the pitch
    lets a whole block of lines be drawn as one text object, which is much faster than one object per
    line (drawing text dominates the PDF's cost).
    """
    key = (size, family)
    if key not in _LP_CACHE:
        from matplotlib import _afm, font_manager
        from matplotlib.backends.backend_pdf import RendererPdf

        prop = font_manager.FontProperties(family=family, size=size, weight="medium")
        path = font_manager.findfont(prop, fontext="afm", directory=RendererPdf._afm_font_dir)
        with open(path, "rb") as fh:
            afm = _afm.AFM(fh)
        _LP_CACHE[key] = (afm.get_ascender() - afm.get_descender()) * size / 1000.0
    return pitch_in * 72.0 / _LP_CACHE[key]


class _Pager:
    def __init__(self, pdf, doc: Document, footer: str):
        self.pdf = pdf
        self.doc = doc
        self.footer = footer
        self.page_no = 0
        self.fig = None
        self.y = 0.0

    # page handling -------------------------------------------------------------------------------
    def new_page(self) -> None:
        import matplotlib.pyplot as plt

        if self.fig is not None:
            self.finish_page()
        self.fig = plt.figure(figsize=(_PAGE_W, _PAGE_H))
        self.page_no += 1
        self.y = _PAGE_H - _TOP
        if self.doc.synthetic:
            self._text(_PAGE_W / 2, _PAGE_H - 0.45, "SYNTHETIC DATA: not observations from any trial", size=10,
                       weight="bold", color=_SYN_COLOR, ha="center")

    def finish_page(self) -> None:
        import matplotlib.pyplot as plt

        foot = f"{self.doc.title}  ·  page {self.page_no}"
        if self.doc.synthetic:
            foot = "SYNTHETIC DATA  ·  " + foot
        self._text(_LEFT, 0.45, foot, size=7, color="#57606a")
        if self.footer:
            self._text(_PAGE_W - _RIGHT, 0.45, self.footer, size=7, color="#57606a", ha="right")
        self.pdf.savefig(self.fig)
        plt.close(self.fig)
        self.fig = None

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < _BOTTOM:
            self.new_page()

    def _text(self, x: float, y: float, text: str, *, size: float, ha: str = "left", **kw) -> None:
        kw.setdefault("weight", "medium")  # the core fonts' regular weight is called "medium"
        self.fig.text(x / _PAGE_W, y / _PAGE_H, pdf_text(text), fontsize=size, ha=ha, va="top", parse_math=False,
                      family=kw.pop("family", _SANS), **kw)

    # content -------------------------------------------------------------------------------------
    def lines(self, text: str, *, size: float = 9.0, mono: bool = False, indent: float = 0.0, gap_after: float = 0.08,
              **kw) -> None:
        width = _TEXT_W - indent
        wrapped = textwrap.wrap(text, _chars_per_line(size, width, mono), break_long_words=True) or [""]
        self.block(wrapped, size=size, family=_MONO if mono else _SANS, indent=indent, **kw)
        self.y -= gap_after

    def block(self, lines: list[str], *, size: float, family: str, indent: float = 0.0, pitch: float | None = None,
              **kw) -> None:
        """Draw lines one under the other, as one text object per page they fall on."""
        step = pitch if pitch is not None else size * 1.38 / 72.0
        i = 0
        while i < len(lines):
            self.need(step)
            room = max(int((self.y - _BOTTOM) / step + 1e-9), 1)
            chunk = lines[i: i + room]
            if kw.get("weight", "normal") == "normal":
                kw["weight"] = "medium"  # the core fonts' regular weight is called "medium"
            self.fig.text((_LEFT + indent) / _PAGE_W, self.y / _PAGE_H, pdf_text("\n".join(chunk)), fontsize=size,
                          ha="left", va="top", parse_math=False, family=family,
                          linespacing=_linespacing(size, family, step), **kw)
            self.y -= len(chunk) * step
            i += len(chunk)

    def heading(self, block: Heading) -> None:
        size = {1: 16, 2: 13, 3: 11}.get(block.level, 10)
        self.need(size * 3.5 / 72.0)  # never leave a heading alone at the bottom of a page
        self.y -= 0.12 if block.level <= 2 else 0.06
        self.lines(block.text, size=size, weight="bold", gap_after=0.06)

    def table(self, table: Table) -> None:
        size = 7.0
        if table.caption:
            self.need(0.5)
            self.lines(table.caption, size=8.5, weight="bold", gap_after=0.03)
        texts = [[_cell_text(c) for c in row] for row in table.rows]
        columns = list(table.columns)
        ncol = len(columns)
        natural = [max([len(columns[j])] + [len(r[j]) for r in texts]) for j in range(ncol)]
        available = _chars_per_line(size, _TEXT_W, mono=True) - 2 * (ncol - 1)
        # shrink the long columns in proportion (a column of short numbers keeps its width), never below
        # 8 characters, the header's longest word, or the cells' longest word (up to 14 characters)
        def longest_word(texts_: list[str]) -> int:
            return max((len(w) for t in texts_ for w in t.split()), default=1)

        floor = [max(8, longest_word([columns[j]]), min(14, longest_word([r[j] for r in texts]))) for j in range(ncol)]
        widths = list(natural)
        factor = 1.0
        while sum(widths) > available and factor > 0.05:
            factor -= 0.02
            widths = [n if n <= f else max(f, int(n * factor)) for n, f in zip(natural, floor)]
        step = size * 1.3 / 72.0

        def visual_lines(cells: list[str]) -> list[str]:
            wrapped = [textwrap.wrap(c, widths[j]) or [""] for j, c in enumerate(cells)]
            height = max(len(w) for w in wrapped)
            return ["  ".join((w[k] if k < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)).rstrip()
                    for k in range(height)]

        # runs of lines with the same look are drawn as one text object
        runs: list[tuple[bool, list[str]]] = [(True, visual_lines(columns))]
        for row, cells in zip(table.rows, texts):
            warn = any(isinstance(c, Cell) and c.badge is not None and c.badge.is_warning for c in row)
            lines = visual_lines(cells)
            if runs and runs[-1][0] == warn and len(runs) > 1:
                runs[-1][1].extend(lines)
            else:
                runs.append((warn, lines))
        for k, (emphasis, lines) in enumerate(runs):
            header = k == 0
            self.block(lines, size=size, family=_MONO, pitch=step, weight="bold" if emphasis else "normal",
                       color=_WARN_COLOR if emphasis and not header else "#1b1f24")
            if header:
                self.y -= 0.03
        for note in table.notes:
            self.lines(note, size=7.5, style="italic", color="#57606a", gap_after=0.02)
        self.y -= 0.1

    def figure(self, block: Figure) -> None:
        # raster at 150 dpi: a report page to read and print; the SVG files are the vector originals
        dpi = 150
        image = png_array(block.figure, dpi=dpi, bbox=block.bbox)
        h_px, w_px = image.shape[:2]
        width = min(_TEXT_W, w_px / dpi)
        height = width * h_px / w_px
        max_height = _PAGE_H - _TOP - _BOTTOM - 0.6
        if height > max_height:
            height = max_height
            width = height * w_px / h_px
        self.need(height + 0.1)
        ax = self.fig.add_axes(((_LEFT + (_TEXT_W - width) / 2) / _PAGE_W, (self.y - height) / _PAGE_H,
                                width / _PAGE_W, height / _PAGE_H))
        ax.imshow(image, interpolation="none")
        ax.set_axis_off()
        self.y -= height + 0.08
        if block.caption:
            self.lines(block.caption, size=8, style="italic", color="#57606a", gap_after=0.15)


def _cell_text(cell: str | Cell) -> str:
    if isinstance(cell, str):
        return cell
    text = cell.text
    if cell.badge is not None:
        text += f" [{cell.badge.label}]"
    return text


def render_pdf(doc: Document, path: str | Path, *, footer: str = "") -> int:
    """Write ``doc`` to ``path`` as PDF; return the number of pages.

    The PDF metadata carry no dates, so that the same report gives the same file.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    import matplotlib

    metadata = {"Title": doc.title, "Creator": "hamstudy report", "CreationDate": None, "ModDate": None}
    with matplotlib.rc_context({"pdf.use14corefonts": True}), PdfPages(path, metadata=metadata) as pdf:
        pager = _Pager(pdf, doc, footer)
        pager.new_page()
        pager.lines(doc.title, size=17, weight="bold", gap_after=0.05)
        if doc.subtitle:
            pager.lines(doc.subtitle, size=9.5, color="#57606a", gap_after=0.15)
        for block in doc.blocks:
            if isinstance(block, Heading):
                pager.heading(block)
            elif isinstance(block, Paragraph):
                pager.lines(block.text, size=8.5 if block.kind == "small" else 9.0, gap_after=0.1)
            elif isinstance(block, Callout):
                color = {"synthetic": _SYN_COLOR, "warning": _WARN_COLOR}.get(block.kind, "#1b1f24")
                if block.title:
                    pager.lines(block.title, size=9, weight="bold", color=color, gap_after=0.0, indent=0.1)
                pager.lines(block.text, size=9, color=color, indent=0.1, gap_after=0.12)
            elif isinstance(block, Table):
                pager.table(block)
            elif isinstance(block, Figure):
                pager.figure(block)
            else:  # pragma: no cover
                raise TypeError(f"cannot render block {block!r}")
        if doc.references:
            pager.heading(Heading("References", 2))
            for i, ref in enumerate(doc.references, 1):
                pager.lines(f"{i}. {ref}", size=8, gap_after=0.04)
        pager.finish_page()
        return pager.page_no
