"""What a report section works with: the trial, the document being built, the number style and the
Methods/Results accumulators."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from hamstudy.report.document import Badge, Document, Figure
from hamstudy.report.format import DEFAULT_STYLE, NumberStyle

__all__ = ["Context", "slug", "badge_for", "clean_text"]


def slug(text: object) -> str:
    """A file-safe name: lower case letters, digits and hyphens."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "x"


def clean_text(value: object) -> str:
    """A data cell as text: '' for missing values, numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return f"{value:g}"
    try:
        if value is np.nan or (hasattr(value, "__float__") and np.isnan(float(value))):  # pandas NA-likes
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def badge_for(verification: object, notes: object = "") -> Badge | None:
    """The badge of a data row's verification status (None when the row carries none)."""
    status = clean_text(verification).strip().lower()
    if not status:
        return None
    note = clean_text(notes)
    return Badge(status, note if status == "conflict" and note else "")


@dataclass(eq=False)
class Context:
    """Passed to every section builder."""

    trial: object
    doc: Document
    style: NumberStyle = DEFAULT_STYLE
    outcome: str | None = None
    methods_used: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    def use(self, *keys: str) -> None:
        """Record that a method was used (it then appears in the Methods paragraph with its references)."""
        for key in keys:
            if key not in self.methods_used:
                self.methods_used.append(key)

    def result(self, sentence: str) -> None:
        self.results.append(sentence)

    def caveat(self, sentence: str) -> None:
        if sentence not in self.caveats:
            self.caveats.append(sentence)

    def figure(self, fig, name: str, caption: str = "", alt: str = "") -> None:
        """Add a matplotlib figure under a name unique in this report."""
        base = slug(name)
        taken = {f.name for f in self.doc.figures()}
        unique, i = base, 2
        while unique in taken:
            unique, i = f"{base}-{i}", i + 1
        self.doc.add(Figure(fig, unique, caption, alt))

    def wants(self, outcome: str) -> bool:
        """True unless ``--outcome`` names another outcome."""
        return self.outcome is None or self.outcome == outcome

    def study_label(self, study: object) -> str:
        """A study's short citation ("Sherry & Best 2004", "Askling et al. 2013") or its identifier."""
        studies = getattr(self.trial, "studies", None)
        if studies is None or not len(studies) or "citation" not in studies:
            return str(study)
        match = studies[studies["study"] == study]
        if not len(match):
            return str(study)
        citation = clean_text(match["citation"].iloc[0])
        year = clean_text(match["year"].iloc[0]) if "year" in match else ""
        if not citation or citation.upper().startswith("SYNTHETIC"):
            return str(study)
        return short_citation(citation, year)


def _surname(author: str) -> str:
    tokens = author.replace("et al", "").split()
    if len(tokens) > 1 and tokens[-1].isupper():
        tokens = tokens[:-1]  # drop the initials
    return " ".join(tokens)


def short_citation(citation: str, year: str = "") -> str:
    """"Sherry MA, Best TM. J Orthop ..." -> "Sherry & Best"; "Askling CM et al. ..." -> "Askling et al."."""
    authors = citation.split(".")[0]
    if "et al" in citation.split(".", 1)[0] + "." or " et al." in citation[: len(authors) + 8]:
        label = f"{_surname(authors.split(',')[0])} et al."
    else:
        names = [a.strip() for a in authors.split(",") if a.strip()]
        label = " & ".join(_surname(n) for n in names[:2]) if len(names) <= 2 else f"{_surname(names[0])} et al."
    return f"{label} {year}".strip()
