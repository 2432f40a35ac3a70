"""The Examples sections of the non-parametric survival functions run and print what they say.

(The functions are reached through the lazy package attributes: collecting the modules with
``--doctest-modules`` would bind ``hamstudy.survival.logrank`` / ``.rmst`` to the submodules.)
"""

from __future__ import annotations

import doctest

import pytest

import hamstudy.survival as surv

NAMES = ["kaplan_meier", "logrank", "logrank_exact", "rmst", "cumulative_incidence", "incidence_rate", "rate_ratio"]


@pytest.mark.parametrize("name", NAMES)
def test_docstring_examples(name):
    func = getattr(surv, name)
    assert callable(func)
    tests = doctest.DocTestFinder(recurse=False).find(func, name, globs={})
    assert tests and tests[0].examples, f"{name} has no examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} example(s) failed"
