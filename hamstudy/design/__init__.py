"""Planning the next trial: exact power and sample size, log-rank designs, simulation, grids.

Public names are imported lazily from the submodule that holds them, so that importing the package
(e.g. for ``python -m hamstudy design --help``) does not load numpy, scipy or pandas.
"""

from __future__ import annotations

from hamstudy._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "power_fisher": "fisher_power",
    "power_boschloo": "fisher_power",
    "sample_size_fisher": "fisher_power",
    "FisherSampleSize": "fisher_power",
    "fisher_boundaries": "fisher_power",
    "approximate_n1": "fisher_power",
    "events_logrank": "logrank_size",
    "sample_size_logrank": "logrank_size",
    "power_logrank": "logrank_size",
    "follow_up_logrank": "logrank_size",
    "event_probability": "logrank_size",
    "LogrankSampleSize": "logrank_size",
    "simulate_logrank_power": "logrank_sim",
    "PowerResult": "logrank_sim",
    "logrank_statistics": "logrank_stat",
    "draw_trials": "logrank_sim",
    "power_grid": "grid",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
