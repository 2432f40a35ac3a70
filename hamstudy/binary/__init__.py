"""Binary outcomes: exact two-arm comparison of event proportions.

Public names
------------
compare_binary, BinaryComparison
    The whole analysis of one two-arm table.
fisher_exact_batch
    Fisher's exact test for many tables at once (R ``fisher.test`` convention).
unconditional_pvalues
    Barnard / Boschloo p-values of every table with given arm sizes.
fragility_index, reverse_fragility_index
    Walsh et al. (2014), Khan et al. (2020).
wilson_interval
    A proportion with its Wilson score interval.
"""

from hamstudy.binary.bayes import BayesEstimate
from hamstudy.binary.compare import compare_binary
from hamstudy.binary.fisher import fisher_exact_batch
from hamstudy.binary.fragility import fragility_index, reverse_fragility_index
from hamstudy.binary.intervals import NNTEstimate, nnt_from_difference, wilson_interval
from hamstudy.binary.result import ArmSummary, BinaryComparison, ExactTest
from hamstudy.binary.unconditional import unconditional_pvalues

__all__ = [
    "ArmSummary",
    "BayesEstimate",
    "BinaryComparison",
    "ExactTest",
    "NNTEstimate",
    "compare_binary",
    "fisher_exact_batch",
    "fragility_index",
    "nnt_from_difference",
    "reverse_fragility_index",
    "unconditional_pvalues",
    "wilson_interval",
]
