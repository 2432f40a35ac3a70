"""Render a :class:`~hamstudy.report.document.Document` as one self-contained HTML page.

Self-contained means: CSS inline, figures as inline SVG, no scripts, no fonts or images fetched from
anywhere, so the page opens from a USB stick. A Content-Security-Policy meta tag makes the browser
enforce that (no script runs and nothing is fetched even if a data file smuggled markup in). Every string
that comes from data is escaped with :func:`html.escape`; the only unescaped markup is the SVG that
matplotlib writes (which escapes its own text).
"""

from __future__ import annotations

import html
import re
from typing import Iterable

from hamstudy.report.document import Badge, Callout, Cell, Document, Figure, Heading, Paragraph, Table
from hamstudy.report.figures import inline_svg

__all__ = ["render_html", "render_index", "CSP"]

#: no scripts, no network: only inline styles and data: images are allowed
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de; --warn: #9a3412; --warnbg: #fff4e5;
        --syn: #7c2d92; --synbg: #f6e8fb; --ok: #116329; --okbg: #e6f4ea; --sec: #6e5a00; --secbg: #fff8c5; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--ink);
       line-height: 1.5; margin: 0; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
.subtitle { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 0.25rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0.25rem 0; }
.tablewrap { overflow-x: auto; }
.tnotes { font-size: 0.85rem; color: var(--muted); margin: 0.2rem 0 1rem; }
.badge { display: inline-block; font-size: 0.72rem; font-weight: 600; border-radius: 0.6rem;
         padding: 0 0.45rem; margin-left: 0.3rem; border: 1px solid currentColor; white-space: nowrap; }
.b-verified, .b-consistent { color: var(--ok); background: var(--okbg); }
.b-disagrees { color: var(--warn); background: var(--warnbg); }
.b-secondary { color: var(--sec); background: var(--secbg); }
.b-conflict { color: var(--warn); background: var(--warnbg); }
.b-synthetic { color: var(--syn); background: var(--synbg); }
.b-reconstructed, .b-derived { color: var(--muted); background: #f6f8fa; }
.callout { border-left: 4px solid var(--rule); background: #f6f8fa; padding: 0.5rem 0.9rem; margin: 0.8rem 0; }
.callout.warning { border-color: var(--warn); background: var(--warnbg); }
.callout.synthetic { border-color: var(--syn); background: var(--synbg); }
.callout .ctitle { font-weight: 700; }
.synbanner { position: sticky; top: 0; z-index: 10; background: var(--syn); color: #fff; text-align: center;
             font-weight: 700; letter-spacing: 0.03em; padding: 0.3rem 1rem; }
figure { margin: 1rem 0 1.5rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.88rem; color: var(--muted); margin-top: 0.3rem; }
p.methods { background: #f6f8fa; border: 1px solid var(--rule); padding: 0.6rem 0.9rem; }
p.small, footer { font-size: 0.85rem; color: var(--muted); }
nav.toc { font-size: 0.9rem; }
nav.toc ul { margin: 0.2rem 0; }
ol.refs { font-size: 0.88rem; }
footer { border-top: 1px solid var(--rule); margin-top: 2rem; padding-top: 0.5rem; }
@media print { .synbanner { position: static; } }
"""

_SYN_TEXT = "SYNTHETIC DATA: not observations from any trial"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


def _badge(badge: Badge) -> str:
    cls = re.sub(r"[^a-z]", "", badge.status.lower()) or "other"
    return f'<span class="badge b-{cls}" title="{_e(badge.explanation)}">{_e(badge.label)}</span>'


def _cell(cell: str | Cell, tag: str = "td") -> str:
    if isinstance(cell, str):
        cell = Cell(cell)
    cls = ' class="num"' if cell.numeric and tag == "td" else ""
    text = _e(cell.text)
    if cell.strong:
        text = f"<strong>{text}</strong>"
    if cell.badge is not None:
        text += _badge(cell.badge)
    return f"<{tag}{cls}>{text}</{tag}>"


def _table(table: Table) -> str:
    parts = ['<div class="tablewrap"><table>']
    if table.caption:
        parts.append(f"<caption>{_e(table.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in table.columns) + "</tr></thead>")
    parts.append("<tbody>")
    for row in table.rows:
        parts.append("<tr>" + "".join(_cell(c) for c in row) + "</tr>")
    parts.append("</tbody></table></div>")
    if table.notes:
        parts.append("".join(f'<p class="tnotes">{_e(n)}</p>' for n in table.notes))
    return "".join(parts)


def _figure(fig: Figure, svgs: dict[str, str]) -> str:
    svg = inline_svg(svgs[fig.name], prefix=f"f-{fig.name}")
    label = _e(fig.alt or fig.caption or fig.name)
    caption = f"<figcaption>{_e(fig.caption)}</figcaption>" if fig.caption else ""
    return f'<figure id="fig-{_e(fig.name)}" role="img" aria-label="{label}">{svg}{caption}</figure>'


def _page(title: str, body: str, *, synthetic: bool) -> str:
    banner = f'<div class="synbanner" role="note">{_e(_SYN_TEXT)}</div>' if synthetic else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="hamstudy report">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{banner}\n<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    )


def render_html(doc: Document, svgs: dict[str, str], *, links: Iterable[tuple[str, str]] = (), footer: str = "") -> str:
    """The report page.

    Parameters
    ----------
    doc : Document
    svgs : dict
        Figure name -> SVG document text (from :func:`hamstudy.report.figures.svg_markup`).
    links : iterable of (label, relative href)
        Shown under the title (the Markdown twin, the PDF, the manifest, the index).
    footer : str
        Plain text for the page footer.
    """
    out: list[str] = []
    title = doc.title + (" [SYNTHETIC]" if doc.synthetic else "")
    out.append(f"<h1>{_e(doc.title)}</h1>")
    if doc.subtitle:
        out.append(f'<p class="subtitle">{_e(doc.subtitle)}</p>')
    links = list(links)
    if links:
        out.append('<p class="small">' + " · ".join(f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in links) + "</p>")
    headings = [b for b in doc.blocks if isinstance(b, Heading) and b.level == 2]
    if len(headings) > 2:
        items = "".join(f'<li><a href="#{_e(h.anchor or _anchor(h.text))}">{_e(h.text)}</a></li>' for h in headings)
        if doc.references:
            items += '<li><a href="#references">References</a></li>'
        out.append(f'<nav class="toc" aria-label="Contents"><strong>Contents</strong><ul>{items}</ul></nav>')
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 2), 4)
            out.append(f'<h{level} id="{_e(block.anchor or _anchor(block.text))}">{_e(block.text)}</h{level}>')
        elif isinstance(block, Paragraph):
            cls = f' class="{_e(block.kind)}"' if block.kind != "text" else ""
            out.append(f"<p{cls}>{_e(block.text)}</p>")
        elif isinstance(block, Callout):
            kind = block.kind if block.kind in ("synthetic", "warning", "note") else "note"
            head = f'<div class="ctitle">{_e(block.title)}</div>' if block.title else ""
            out.append(f'<div class="callout {kind}" role="note">{head}{_e(block.text)}</div>')
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Figure):
            out.append(_figure(block, svgs))
        else:  # pragma: no cover - the Document type admits nothing else
            raise TypeError(f"cannot render block {block!r}")
    if doc.references:
        out.append('<h2 id="references">References</h2><ol class="refs">')
        out.extend(f"<li>{_e(ref)}</li>" for ref in doc.references)
        out.append("</ol>")
    if footer or doc.synthetic:
        text = (_SYN_TEXT + ". " if doc.synthetic else "") + footer
        out.append(f"<footer>{_e(text)}</footer>")
    return _page(title, "\n".join(out), synthetic=doc.synthetic)


def render_index(entries: list[dict], *, title: str = "hamstudy reports", footer: str = "") -> str:
    """The index page linking every report.

    ``entries`` are dicts with ``title``, ``name``, ``kind``, ``synthetic`` (bool), ``status`` (a short
    plain-text provenance summary) and ``links`` (list of (label, href), the first being the HTML page).
    """
    rows = []
    for entry in entries:
        links = entry["links"]
        first_label, first_href = links[0]
        title_cell = f'<a href="{_e(first_href)}">{_e(entry["title"])}</a>'
        if entry.get("synthetic"):
            title_cell += _badge(Badge("synthetic"))
        others = " · ".join(f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in links[1:])
        rows.append(
            f"<tr><td>{title_cell}</td><td><code>{_e(entry['name'])}</code></td><td>{_e(entry.get('kind', ''))}</td>"
            f"<td>{_e(entry.get('status', ''))}</td><td>{others}</td></tr>"
        )
    any_synthetic = any(e.get("synthetic") for e in entries)
    body = (
        f"<h1>{_e(title)}</h1>"
        '<div class="tablewrap"><table><thead><tr><th scope="col">Report</th><th scope="col">Dataset</th>'
        '<th scope="col">Kind</th><th scope="col">Data status</th><th scope="col">Other formats</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if any_synthetic:
        body += f'<p class="small">{_e("Reports marked SYNTHETIC use made-up data; no conclusion about any trial can be drawn from them.")}</p>'
    if footer:
        body += f"<footer>{_e(footer)}</footer>"
    return _page(title, body, synthetic=False)
