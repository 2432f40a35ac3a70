"""Time to reinjury: Kaplan-Meier, log-rank, RMST, Cox and Firth, PH test, competing risks, rates.

Public names are imported lazily from the submodule that holds them.
"""

from __future__ import annotations

from hamstudy._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "kaplan_meier": "km",
    "KaplanMeierResult": "km",
    "logrank": "logrank_tests",
    "logrank_exact": "logrank_tests",
    "rmst": "restricted_mean",
    "RMSTResult": "restricted_mean",
    "cumulative_incidence": "competing",
    "incidence_rate": "rates",
    "rate_ratio": "rates",
    "cox": "proportional_hazards",
    "CoxResult": "proportional_hazards",
    "ph_test": "zph",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
