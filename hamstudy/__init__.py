"""hamstudy: exact, small-trial analysis of rehabilitation protocols.

The public functions are imported lazily (on first attribute access) so that ``python -m hamstudy
--help`` stays fast and importing the package does not pull in scipy, pandas or matplotlib until they
are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from hamstudy._lazy import lazy_exports
from hamstudy.errors import DataError

__version__ = "0.1.0"

# public name -> the module that defines it (not a package that re-exports it: a submodule named
# like its function, once imported, would shadow the function on the package)
_LAZY: dict[str, str] = {
    # data layer
    "read_trial": "hamstudy.data",
    "Trial": "hamstudy.data",
    # binary outcomes
    "compare_binary": "hamstudy.binary",
    "fisher_exact_batch": "hamstudy.binary",
    "BinaryComparison": "hamstudy.binary",
    # time to reinjury
    "kaplan_meier": "hamstudy.survival.km",
    "logrank": "hamstudy.survival.logrank_tests",
    "logrank_exact": "hamstudy.survival.logrank_tests",
    "rmst": "hamstudy.survival.restricted_mean",
    "cox": "hamstudy.survival.proportional_hazards",
    "ph_test": "hamstudy.survival.zph",
    "cumulative_incidence": "hamstudy.survival.competing",
    "incidence_rate": "hamstudy.survival.rates",
    "rate_ratio": "hamstudy.survival.rates",
    # pooling trials
    "meta_binary": "hamstudy.meta",
    "meta_continuous": "hamstudy.meta",
    "meta_generic": "hamstudy.meta",
    # trial design
    "power_fisher": "hamstudy.design",
    "power_boschloo": "hamstudy.design",
    "sample_size_fisher": "hamstudy.design",
    "events_logrank": "hamstudy.design",
    "sample_size_logrank": "hamstudy.design",
    "simulate_logrank_power": "hamstudy.design",
    "power_logrank": "hamstudy.design",
    "follow_up_logrank": "hamstudy.design",
    "power_grid": "hamstudy.design",
    # reconstruction from published curves
    "reconstruct_ipd": "hamstudy.reconstruct",
    "reconstruction_report": "hamstudy.reconstruct",
}

_SUBMODULES = {"datasets", "data", "binary", "survival", "meta", "design", "reconstruct", "plots", "report", "cli"}

__all__ = ["DataError", "__version__", "datasets", *_LAZY]


_lazy_getattr, _lazy_dir = lazy_exports("hamstudy", _LAZY, globals())


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # a submodule is itself the attribute
        module = importlib.import_module(f"hamstudy.{name}")
        globals()[name] = module
        return module
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(_lazy_dir()) | _SUBMODULES)
