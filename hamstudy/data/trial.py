"""The loaded trial: tables plus provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from hamstudy.binary import BinaryComparison


@dataclass(frozen=True)
class Provenance:
    """Where a trial's figures come from, and how far they can be trusted.

    Attributes
    ----------
    name, title, description : str
        The data package's own words.
    sources : tuple of dict
        Frictionless ``sources`` (``title``, ``path``) of the package.
    license : str
        The package licence.
    synthetic : bool
        True when the data are simulated and not any trial's data. Every report says so.
    reconstructed : bool
        True when participant-level data were reconstructed from a published Kaplan-Meier curve.
    files : dict
        ``{relative path: sha256}`` of every input file read.
    verification : dict
        ``{status: number of rows}`` over the binary and continuous tables.
    notes : tuple of str
        Package-level caveats.
    """

    name: str
    title: str = ""
    description: str = ""
    sources: tuple[dict, ...] = ()
    license: str = ""
    synthetic: bool = False
    reconstructed: bool = False
    files: dict = field(default_factory=dict)
    verification: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """A short label for reports: "SYNTHETIC", "RECONSTRUCTED" or ""."""
        if self.synthetic:
            return "SYNTHETIC"
        if self.reconstructed:
            return "RECONSTRUCTED"
        return ""


@dataclass(frozen=True, eq=False)
class Trial:
    """One trial, or a collection of trials, as loaded from a data package or CSV.

    Attributes
    ----------
    name, title : str
        Identifier and human title.
    kind : {"trial", "collection"}
        A collection holds several studies (``studies`` has more than one row).
    arms : DataFrame
        ``study, arm, protocol, protocol_family, n_randomized``.
    binary : DataFrame
        ``study, arm, outcome, window_days, events, total, exposure, exposure_unit, reported_p, source,
        verification, notes``. Empty (with those columns) when absent.
    continuous : DataFrame
        ``study, arm, outcome, n, mean, sd, median, q1, q3, unit, reported_p, source, verification,
        notes``. Empty when absent.
    participants : DataFrame or None
        ``participant_id, arm, time, event, exposure_hours`` and covariates; None when absent.
    studies : DataFrame
        ``study, citation, doi, year, notes``.
    provenance : Provenance
    path : Path or None
        The folder or file read (None for bundled data built in memory).
    """

    name: str
    title: str
    kind: str
    arms: pd.DataFrame
    binary: pd.DataFrame
    continuous: pd.DataFrame
    participants: pd.DataFrame | None
    studies: pd.DataFrame
    provenance: Provenance
    path: Path | None = None

    def __repr__(self) -> str:
        parts = [f"{len(self.arms)} arms"]
        if len(self.binary):
            parts.append(f"{len(self.binary)} binary rows")
        if len(self.continuous):
            parts.append(f"{len(self.continuous)} continuous rows")
        if self.participants is not None:
            parts.append(f"{len(self.participants)} participants")
        label = f" [{self.provenance.label}]" if self.provenance.label else ""
        return f"<Trial {self.name!r}{label}: {self.kind}, {', '.join(parts)}>"

    @property
    def outcomes(self) -> pd.DataFrame:
        """The binary outcomes available: one row per (study, outcome, window_days)."""
        cols = ["study", "outcome", "window_days"]
        return self.binary[cols].drop_duplicates().reset_index(drop=True)

    def summary(self) -> str:
        """One line: what the trial holds."""
        n_studies = len(self.studies)
        bits = [f"{n_studies} {'study' if n_studies == 1 else 'studies'}", f"{len(self.arms)} arms"]
        if len(self.binary):
            bits.append(f"{len(self.binary)} binary rows")
        if len(self.continuous):
            bits.append(f"{len(self.continuous)} continuous rows")
        if self.participants is not None:
            bits.append(f"{len(self.participants)} participants")
        label = f" ({self.provenance.label.lower()})" if self.provenance.label else ""
        return f"{self.name}{label}: " + ", ".join(bits)

    def binary_rows(self, outcome: str, window_days: float | None = None, study: str | None = None) -> pd.DataFrame:
        """The binary rows of one comparison, in arm order; errors say what is available."""
        rows = self.binary[self.binary["outcome"] == outcome]
        if rows.empty:
            have = ", ".join(sorted(self.binary["outcome"].dropna().unique())) or "none"
            raise ValueError(f"{self.name}: no binary outcome {outcome!r}; available: {have}")
        if study is not None:
            rows = rows[rows["study"] == study]
            if rows.empty:
                raise ValueError(f"{self.name}: no study {study!r} with outcome {outcome!r}")
        elif rows["study"].nunique() > 1:
            have = ", ".join(rows["study"].unique())
            raise ValueError(f"{self.name}: outcome {outcome!r} is in several studies ({have}); pass study=")
        if window_days is not None:
            rows = rows[np.isclose(rows["window_days"].astype(float), float(window_days))]
        else:
            windows = rows["window_days"].dropna().unique()
            if len(windows) > 1:
                have = ", ".join(f"{w:g}" for w in sorted(windows))
                raise ValueError(f"{self.name}: outcome {outcome!r} has several windows ({have} days); pass window_days=")
        if len(rows) != 2:
            raise ValueError(
                f"{self.name}: outcome {outcome!r}"
                + (f" at {window_days:g} days" if window_days is not None else "")
                + f" has {len(rows)} arm rows; a two-arm comparison needs exactly 2"
            )
        order = {arm: i for i, arm in enumerate(self.arms["arm"])}
        return rows.assign(_order=rows["arm"].map(order)).sort_values("_order").drop(columns="_order")

    def compare(self, outcome: str, window_days: float | None = None, *, study: str | None = None, confidence_level: float = 0.95) -> "BinaryComparison":
        """Compare the two arms on a binary outcome with :func:`hamstudy.compare_binary`.

        Arm 1 is the first arm of the arms table. When both rows carry the same ``reported_p``, it is
        passed on so that the result shows it beside the recomputed p-values.

        Examples
        --------
        >>> import hamstudy
        >>> trial = hamstudy.datasets.load("sherry_best_2004")
        >>> res = trial.compare("reinjury", window_days=14)
        """
        from hamstudy.binary import compare_binary

        rows = self.binary_rows(outcome, window_days, study)
        reported = rows["reported_p"].dropna().unique()
        reported_p = float(reported[0]) if len(reported) == 1 else None
        return compare_binary(
            int(rows["events"].iloc[0]),
            int(rows["total"].iloc[0]),
            int(rows["events"].iloc[1]),
            int(rows["total"].iloc[1]),
            labels=(str(rows["arm"].iloc[0]), str(rows["arm"].iloc[1])),
            confidence_level=confidence_level,
            reported_p=reported_p,
        )
