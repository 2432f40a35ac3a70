"""Pooling trials: meta-analysis of binary, continuous and generic effects, equal to metafor.

Public API: :func:`meta_binary` (Mantel-Haenszel, Peto, inverse variance with DL/REML/PM and
HKSJ), :func:`meta_continuous` (MD, Hedges' g, Wan et al. derivation from median and IQR),
:func:`meta_generic`, the :class:`MetaResult` they return, and the extras :func:`tau2_ci`
(Q-profile), :func:`egger_test`, :func:`leave_one_out`, :func:`cumulative`, :func:`subgroup`, and
:func:`pairwise_binary` and :func:`pairwise_continuous` (one row per study from a collection's
per-arm tables) and the worked
example :func:`hamstring_reinjury_example`.
"""

from hamstudy.meta.binary import meta_binary
from hamstudy.meta.collection import pairwise_binary, pairwise_continuous
from hamstudy.meta.continuous import meta_continuous, meta_generic
from hamstudy.meta.example import WorkedExample, hamstring_reinjury_example
from hamstudy.meta.result import MetaResult
from hamstudy.meta.sensitivity import (
    SubgroupResult,
    Tau2Interval,
    cumulative,
    egger_test,
    leave_one_out,
    subgroup,
    tau2_ci,
)

__all__ = [
    "meta_binary",
    "meta_continuous",
    "meta_generic",
    "MetaResult",
    "tau2_ci",
    "Tau2Interval",
    "egger_test",
    "leave_one_out",
    "cumulative",
    "subgroup",
    "SubgroupResult",
    "pairwise_binary",
    "pairwise_continuous",
    "hamstring_reinjury_example",
    "WorkedExample",
]
