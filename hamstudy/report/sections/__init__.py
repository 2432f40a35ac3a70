"""Report sections, one module per analysis.

Each section declares the hamstudy modules it needs. A section is included when those modules import;
when one does not (an installation without that analysis), the report says so in a note instead of
failing. A section that imports but then raises is a bug and is never hidden: the error propagates.
The test suite asserts that every section is available, so a missing or broken analysis module fails
there loudly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from hamstudy.report.context import Context

__all__ = ["Section", "SECTIONS", "section_status"]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    requires: tuple[str, ...]  # "module" or "module:name"
    applies: Callable[[object], bool]
    builder: str  # "module:function" inside hamstudy.report.sections

    def import_error(self) -> str | None:
        """None when every required module imports, else the error as one line."""
        for spec in self.requires:
            module, _, name = spec.partition(":")
            try:
                imported = importlib.import_module(module)
                if name:
                    getattr(imported, name)
            except ImportError as exc:
                return f"{spec}: {exc}"
            except AttributeError as exc:
                return f"{spec}: {exc}"
        return None

    def build(self, ctx: Context) -> None:
        module, func = self.builder.split(":")
        getattr(importlib.import_module(f"hamstudy.report.sections.{module}"), func)(ctx)


def _has_binary(trial) -> bool:
    return trial.binary is not None and len(trial.binary) > 0


def _has_continuous(trial) -> bool:
    return trial.continuous is not None and len(trial.continuous) > 0


def _has_participants(trial) -> bool:
    return trial.participants is not None and len(trial.participants) > 0


def _is_collection(trial) -> bool:
    return trial.kind == "collection" and _has_binary(trial)


SECTIONS: tuple[Section, ...] = (
    Section("binary", "Binary outcomes", ("hamstudy.binary:compare_binary", "hamstudy.binary:wilson_interval"),
            _has_binary, "binary:build"),
    Section("continuous", "Days to return to sport", ("scipy.stats:ttest_ind_from_stats", "hamstudy.audit:audit_pvalue"),
            _has_continuous, "continuous:build"),
    Section("survival", "Time to reinjury",
            ("hamstudy.survival:kaplan_meier", "hamstudy.survival:logrank", "hamstudy.survival:logrank_exact",
             "hamstudy.survival:rmst", "hamstudy.survival:cox", "hamstudy.survival:cumulative_incidence",
             "hamstudy.survival:incidence_rate", "hamstudy.survival:rate_ratio", "hamstudy.survival.plots:plot_km"),
            _has_participants, "survival:build"),
    Section("meta", "Pooling the trials",
            ("hamstudy.meta:meta_binary", "hamstudy.meta:pairwise_binary", "hamstudy.meta.plots:forest_plot",
             "hamstudy.meta.plots:funnel_plot"),
            _is_collection, "meta:build"),
)


def section_status() -> dict[str, str | None]:
    """``{section name: None if available else the import error}``."""
    return {s.name: s.import_error() for s in SECTIONS}
