"""Render a :class:`~hamstudy.report.document.Document` as Markdown (GitHub-flavoured pipe tables).

Figures are linked as SVG files written beside the Markdown file (``figures/<name>.svg``). Text from data
files is made inert twice over: ``<``, ``>`` and ``&`` become HTML entities (Markdown passes raw HTML
through to the browser) and Markdown's own punctuation is backslash-escaped.
"""

from __future__ import annotations

import html
import re
from typing import Iterable

from hamstudy.report.document import Callout, Cell, Document, Figure, Heading, Paragraph, Table

__all__ = ["render_markdown", "md_escape"]

# emphasis, code, links, tables and strikethrough anywhere in a line; the rest only at its start
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: object, *, line_start: bool = True) -> str:
    """Escape ``text`` for Markdown: HTML-escape, then backslash-escape Markdown punctuation, one line.

    With ``line_start`` (text that begins a line: paragraphs, list items), also the characters that
    only matter there: a leading ``#``, ``>``, ``-``, ``+``, ``=`` or ``1.`` would make a heading, quote,
    list or rule.
    """
    s = html.escape(str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = re.sub(r"\s*\n\s*", " ", s)
    if line_start:
        s = re.sub(r"^(\d+)([.)])", r"\1\\\2", re.sub(r"^([-+=>#])", r"\\\1", s))
    return s


def _cell(cell: str | Cell) -> str:
    if isinstance(cell, str):
        cell = Cell(cell)
    text = md_escape(cell.text, line_start=False)
    if cell.strong:
        text = f"**{text}**"
    if cell.badge is not None:
        label = md_escape(cell.badge.label)
        text += f" [**{label}**]" if cell.badge.is_warning else f" [{label}]"
    return text


def _table(table: Table) -> list[str]:
    lines = []
    if table.caption:
        lines += [f"**{md_escape(table.caption)}**", ""]
    lines.append("| " + " | ".join(md_escape(c, line_start=False) for c in table.columns) + " |")
    aligns = []
    for j in range(len(table.columns)):
        numeric = any(isinstance(r[j], Cell) and r[j].numeric for r in table.rows)
        aligns.append("---:" if numeric else "---")
    lines.append("| " + " | ".join(aligns) + " |")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines.append("")
    for note in table.notes:
        lines += [f"*{md_escape(note)}*", ""]
    return lines


def render_markdown(doc: Document, *, figure_dir: str = "figures", links: Iterable[tuple[str, str]] = (), footer: str = "") -> str:
    """The report as Markdown text; figures are referenced as ``{figure_dir}/{name}.svg``."""
    out: list[str] = []
    if doc.synthetic:
        out += ["> **SYNTHETIC DATA: not observations from any trial.**", ""]
    out += [f"# {md_escape(doc.title)}", ""]
    if doc.subtitle:
        out += [f"*{md_escape(doc.subtitle)}*", ""]
    links = list(links)
    if links:
        out += [" · ".join(f"[{md_escape(label)}](<{href}>)" for label, href in links), ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * min(max(block.level, 2), 4) + " " + md_escape(block.text), ""]
        elif isinstance(block, Paragraph):
            out += [md_escape(block.text), ""]
        elif isinstance(block, Callout):
            title = f"**{md_escape(block.title)}** " if block.title else ""
            out += [f"> {title}{md_escape(block.text)}", ""]
        elif isinstance(block, Table):
            out += _table(block)
        elif isinstance(block, Figure):
            alt = md_escape(block.alt or block.caption or block.name)
            out += [f"![{alt}](<{figure_dir}/{block.name}.svg>)", ""]
            if block.caption:
                out += [f"*{md_escape(block.caption)}*", ""]
        else:  # pragma: no cover
            raise TypeError(f"cannot render block {block!r}")
    if doc.references:
        out += ["## References", ""]
        out += [f"{i}. {md_escape(ref)}" for i, ref in enumerate(doc.references, 1)]
        out.append("")
    if footer:
        out += ["---", "", md_escape(footer), ""]
    if doc.synthetic:
        out += ["> **SYNTHETIC DATA: not observations from any trial.**", ""]
    return "\n".join(out)
