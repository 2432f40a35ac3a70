"""Reports: ``python -m hamstudy report`` and its Python equivalent :func:`build_reports`.

One command turns trial data into a self-contained HTML page, a Markdown twin, a PDF and a manifest
per dataset, with an auto-written Methods paragraph and Results sentences. Heavy modules are imported
on use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_reports", "build_document", "NumberStyle", "format_frame"]


def __getattr__(name: str) -> Any:
    if name in ("build_reports", "build_document"):
        from hamstudy.report import build

        return getattr(build, name)
    if name in ("NumberStyle", "format_frame"):
        from hamstudy.report import format as _format

        return getattr(_format, name)
    raise AttributeError(f"module 'hamstudy.report' has no attribute {name!r}")
