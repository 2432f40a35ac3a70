"""Data layer: read, validate and write trial data packages."""

from hamstudy.data.package import read_trial
from hamstudy.data.trial import Provenance, Trial
from hamstudy.data.write import write_trial

__all__ = ["read_trial", "write_trial", "Trial", "Provenance"]
