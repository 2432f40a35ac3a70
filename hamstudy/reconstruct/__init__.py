"""Participant-level data reconstructed from published Kaplan-Meier curves (Guyot et al. 2012).

* :func:`reconstruct_ipd` - one arm: digitised points (+ numbers at risk, total events) to
  participant rows ``time, event``.
* :func:`reconstruct_arms` - every arm of a digitised figure (used by the trial loader).
* :func:`reconstruction_report` - how well the reconstruction reproduces the digitised curve and
  the published numbers at risk, with a plot.
"""

from __future__ import annotations

from hamstudy.reconstruct.ipd import reconstruct_arms, reconstruct_ipd
from hamstudy.reconstruct.report import ReconstructionReport, reconstruction_report

__all__ = ["reconstruct_ipd", "reconstruct_arms", "reconstruction_report", "ReconstructionReport"]
