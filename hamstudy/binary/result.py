"""Result classes of the two-arm binary comparison."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hamstudy._result import Estimate, FrameResultMixin, TestResult, frame_from_rows, row_of
from hamstudy.audit import PValueAudit
from hamstudy.binary.bayes import BayesEstimate
from hamstudy.binary.intervals import NNTEstimate


@dataclass(frozen=True)
class ExactTest(TestResult):
    """A test together with the estimate and interval that belong to it.

    For Fisher's test (and its mid-p version) the estimate is the conditional maximum-likelihood
    odds ratio with the exact (or mid-p) conditional interval; for the unconditional tests it is
    the risk difference p1 - p2 the test is about, without an interval (NaN: not computed).
    ``statistic`` is what scipy reports as the statistic.
    """

    __test__ = False

    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    confidence_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return frame_from_rows({self.name: row_of(self)})


@dataclass(frozen=True)
class ArmSummary:
    """One arm: its label, counts and the event proportion with its Wilson score interval."""

    label: str
    events: int
    total: int
    proportion: Estimate


def _json_number(value: Any) -> Any:
    """NaN (not applicable) becomes None; infinities stay floats; numpy scalars become Python."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    v = float(value)
    return None if math.isnan(v) else v


def _row(obj) -> dict:
    out = {
        "estimate": _json_number(obj.estimate),
        "ci_low": _json_number(obj.ci_low),
        "ci_high": _json_number(obj.ci_high),
        "pvalue": _json_number(obj.pvalue),
        "method": obj.method,
    }
    if isinstance(obj, TestResult):
        out["statistic"] = _json_number(obj.statistic)
        out["alternative"] = obj.alternative
    return out


@dataclass(frozen=True)
class BinaryComparison(FrameResultMixin):
    """Exact two-arm comparison of event proportions (see :func:`compare_binary`).

    Attributes
    ----------
    arms : tuple of ArmSummary
        Per-arm label, events, total and proportion with its Wilson score interval.
    fisher, fisher_midp, barnard, boschloo : ExactTest
        Two-sided tests. ``fisher.statistic`` and ``fisher.estimate`` are the conditional MLE odds
        ratio; ``barnard.statistic`` is the pooled score z and ``boschloo.statistic`` the one-sided
        Fisher p-value that orders the tables (as in scipy).
    odds_ratio : Estimate
        Conditional MLE with the exact conditional interval (R ``fisher.test``).
    risk_difference : Estimate
        p1 - p2 with Newcombe's hybrid score interval.
    risk_ratio : Estimate
        p1 / p2 with Koopman's score interval.
    nnt : NNTEstimate
        Number needed to treat with arm 1 instead of arm 2 (Altman's NNTB/NNTH).
    fragility_index, reverse_fragility_index : int or None
        Walsh et al. (2014) and Khan et al. (2020).
    bayes : BayesEstimate
        Posterior mean and credible interval of p1 - p2 and ``prob_greater`` = P(p1 > p2).
    confidence_level : float
    audit : PValueAudit or None
        The reported-versus-recomputed check when a reported p-value was given.
    """

    arms: tuple
    fisher: ExactTest
    fisher_midp: ExactTest
    barnard: ExactTest
    boschloo: ExactTest
    odds_ratio: Estimate
    risk_difference: Estimate
    risk_ratio: Estimate
    nnt: NNTEstimate
    fragility_index: int | None
    reverse_fragility_index: int | None
    bayes: BayesEstimate
    confidence_level: float = 0.95
    audit: PValueAudit | None = None
    details: dict = field(default_factory=dict, compare=False, repr=False)

    # ---- convenient views -------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, str]:
        return tuple(a.label for a in self.arms)

    @property
    def events(self) -> tuple[int, int]:
        return tuple(a.events for a in self.arms)

    @property
    def totals(self) -> tuple[int, int]:
        return tuple(a.total for a in self.arms)

    @property
    def proportions(self) -> tuple[Estimate, Estimate]:
        return tuple(a.proportion for a in self.arms)

    @property
    def _html_title(self) -> str:  # type: ignore[override]
        (l1, l2), (e1, e2), (n1, n2) = self.labels, self.events, self.totals
        return f"{l1} {e1}/{n1} vs {l2} {e2}/{n2}"

    # ---- tables -----------------------------------------------------------------------------
    def _estimates(self) -> dict[str, Any]:
        return {
            "fisher": self.fisher,
            "fisher_midp": self.fisher_midp,
            "barnard": self.barnard,
            "boschloo": self.boschloo,
            "odds_ratio": self.odds_ratio,
            "risk_difference": self.risk_difference,
            "risk_ratio": self.risk_ratio,
            "nnt": self.nnt,
            "bayes": self.bayes,
        }

    def _nnt_method(self) -> str:
        """The NNT row's method text: the direction convention, no numbers (the report formats those)."""
        text = f"{self.nnt.method}; positive = NNTB, negative = NNTH, {self.labels[0]} instead of {self.labels[1]}"
        return text + ("; the interval runs through infinity" if self.nnt.crosses_infinity else "")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per arm proportion, test and estimate (nothing rounded)."""
        rows: dict[str, dict] = {}
        for i, arm in enumerate(self.arms, start=1):
            p = arm.proportion
            rows[f"risk{i}"] = {
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "method": f"{arm.label}: {arm.events}/{arm.total}, Wilson score interval",
            }
        for name, obj in self._estimates().items():
            rows[name] = {
                "estimate": obj.estimate,
                "ci_low": obj.ci_low,
                "ci_high": obj.ci_high,
                "pvalue": obj.pvalue,
                "method": obj.method if name != "nnt" else self._nnt_method(),
            }
        rows["bayes_prob_greater"] = {
            "estimate": self.bayes.prob_greater,
            "method": f"posterior P(risk {self.labels[0]} > risk {self.labels[1]}), "
            f"Beta({self.bayes.prior[0]:g}, {self.bayes.prior[1]:g}) priors",
        }
        rows["fragility_index"] = {
            "estimate": np.nan if self.fragility_index is None else self.fragility_index,
            "method": "Walsh 2014 (Fisher two-sided, alpha 0.05)"
            + ("" if self.fragility_index is not None else ": not significant"),
        }
        rows["reverse_fragility_index"] = {
            "estimate": np.nan if self.reverse_fragility_index is None else self.reverse_fragility_index,
            "method": "Khan 2020 (Fisher two-sided, alpha 0.05)"
            + ("" if self.reverse_fragility_index is not None else ": already significant"),
        }
        if self.audit is not None:
            rows["reported_p"] = {
                "estimate": self.audit.value,
                "pvalue": self.audit.value,
                "method": self.audit.describe(),
            }
        return frame_from_rows(rows)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of the whole comparison.

        NaN (not applicable) becomes ``None``; infinite bounds stay ``float('inf')``, which
        ``json.dumps`` writes as ``Infinity`` (its default ``allow_nan=True``; strict-JSON
        consumers should pass a ``default`` or post-process). Nothing is rounded.
        """
        return {
            "arms": [
                {
                    "label": a.label,
                    "events": a.events,
                    "total": a.total,
                    "proportion": _json_number(a.proportion.estimate),
                    "ci_low": _json_number(a.proportion.ci_low),
                    "ci_high": _json_number(a.proportion.ci_high),
                    "method": a.proportion.method,
                }
                for a in self.arms
            ],
            "confidence_level": self.confidence_level,
            "estimates": {name: _row(obj) for name, obj in self._estimates().items()},
            "nnt_description": self.nnt.describe(),
            "nnt_crosses_infinity": self.nnt.crosses_infinity,
            "bayes": {
                "prob_greater": _json_number(self.bayes.prob_greater),
                "prior": list(self.bayes.prior),
                "posterior1": list(self.bayes.posterior1),
                "posterior2": list(self.bayes.posterior2),
                "integration_error": _json_number(self.bayes.integration_error),
            },
            "fragility_index": self.fragility_index,
            "reverse_fragility_index": self.reverse_fragility_index,
            "audit": None if self.audit is None else self.audit.to_dict(),
        }

    # ---- figure -----------------------------------------------------------------------------
    def plot(self, ax=None):
        """Per-arm event proportions with their Wilson score intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is made when omitted.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.2, 4.0), constrained_layout=True)
        xs = np.arange(len(self.arms))
        colours = ("#1b6ca8", "#d1495b")
        for x, arm, colour in zip(xs, self.arms, colours):
            p = arm.proportion
            ax.errorbar(
                x,
                p.estimate,
                yerr=[[p.estimate - p.ci_low], [p.ci_high - p.estimate]],
                fmt="o",
                color=colour,
                markersize=8,
                capsize=6,
                elinewidth=1.8,
                capthick=1.8,
            )
            ax.annotate(
                f"{100 * p.estimate:.0f}%",
                (x, p.estimate),
                xytext=(10, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                color=colour,
            )
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{a.label}\n{a.events}/{a.total}" for a in self.arms])
        ax.set_xlim(-0.6, len(self.arms) - 0.4)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"Proportion with event ({100 * self.confidence_level:g}% Wilson CI)")
        ax.yaxis.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        p = self.fisher.pvalue
        ptext = f"p = {p:.2g}" if p >= 0.001 else "p < 0.001"
        ax.set_title(f"Fisher exact {ptext}; RD {self.risk_difference.estimate:+.2f}", fontsize=10)
        return ax
