"""The result of a meta-analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hamstudy._result import FrameResultMixin, frame_from_rows

MEASURE_NAMES = {
    "RR": "risk ratio",
    "OR": "odds ratio",
    "RD": "risk difference",
    "MD": "mean difference",
    "SMD": "standardised mean difference (Hedges' g)",
    "generic": "effect",
    "HR": "hazard ratio",
    "IRR": "incidence rate ratio",
}


@dataclass(frozen=True)
class MetaResult(FrameResultMixin):
    """A pooled estimate from several studies.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Pooled effect and its confidence interval on the natural scale (ratios for RR and OR).
    log_estimate, se : float
        The pooled effect and its standard error on the analysis scale (log for RR and OR; for
        RD, MD, SMD and generic effects the analysis scale is the natural one, so
        ``log_estimate == estimate``).
    statistic, pvalue : float
        Wald z (or t with ``df`` degrees of freedom under Knapp-Hartung) and its two-sided p-value
        for "no effect".
    df : float
        Degrees of freedom of the t statistic (k - 1) under HKSJ, else NaN.
    tau2, tau : float
        Between-study variance (0 for a common-effect model; never negative) and its root.
    i2, h2 : float
        I² (percent) and H². Random effects: I² = 100·tau²/(tau² + s²) with metafor's typical
        within-study variance s²; common effect: I² = max(0, 100·(Q - (k-1))/Q), as metafor.
    q, q_pvalue : float
        Cochran's Q test of heterogeneity (k - 1 df).
    k : int
        Number of studies in the model (after dropping double-zero studies).
    pi_low, pi_high : float
        Prediction interval for the effect in a new study, natural scale (as metafor
        ``predict``; equal to the confidence interval when tau² = 0 in a common-effect model).
    table : pandas.DataFrame
        One row per study given (dropped ones included, with ``included`` False and a ``note``):
        the input data, ``yi``/``vi`` (analysis scale), ``effect``, ``ci_low``, ``ci_high``
        (natural scale, normal-quantile intervals as metafor's forest plot) and ``weight`` (percent
        of the total, as metafor ``weights()``).
    dropped : pandas.DataFrame
        The studies left out of the model and why (``study``, ``reason``).
    measure, method, tau2_method, hksj, confidence_level :
        The options used; ``tau2_method`` is None for a common-effect model.
    notes : tuple of str
        What happened in this fit that a report should print (dropped studies, k = 1, ...).
    conventions : str
        The conventions used, in words, for a report's methods section.
    """

    estimate: float
    ci_low: float
    ci_high: float
    log_estimate: float
    se: float
    statistic: float
    pvalue: float
    df: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_pvalue: float
    k: int
    pi_low: float
    pi_high: float
    measure: str
    method: str
    tau2_method: str | None
    hksj: bool
    confidence_level: float
    notes: tuple = ()
    conventions: str = field(default="", repr=False)
    _spec: dict = field(default_factory=dict, repr=False, compare=False)
    _table_data: dict = field(default_factory=dict, repr=False, compare=False)

    # the two tables are built on first access (most refits in leave-one-out etc. never look at them)
    @cached_property
    def table(self) -> pd.DataFrame:
        """Per-study table (see the class docstring)."""
        return pd.DataFrame(self._table_data)

    @cached_property
    def dropped(self) -> pd.DataFrame:
        """Studies left out of the model, with the reason."""
        inc = np.asarray(self._table_data.get("included", []), dtype=bool)
        study = np.asarray(self._table_data.get("study", []), dtype=object)
        note = np.asarray(self._table_data.get("note", []), dtype=object)
        return pd.DataFrame({"study": list(study[~inc]), "reason": list(note[~inc])})

    # --- derived -----------------------------------------------------------------------------
    @property
    def is_ratio(self) -> bool:
        return self.measure in ("RR", "OR", "HR", "IRR")

    @property
    def model(self) -> str:
        """A short description such as "Mantel-Haenszel, common effect" or "REML, HKSJ"."""
        if self.method == "MH":
            return "Mantel-Haenszel, common effect"
        if self.method == "Peto":
            return "Peto, common effect"
        base = "inverse variance, common effect" if self.tau2_method is None else (
            f"inverse variance, random effects ({self.tau2_method})")
        return base + (", Knapp-Hartung (HKSJ)" if self.hksj else "")

    @property
    def _html_title(self) -> str:
        return f"Meta-analysis: {MEASURE_NAMES.get(self.measure, self.measure)}, {self.model}, k = {self.k}"

    def to_frame(self) -> pd.DataFrame:
        """Tidy summary: pooled effect, prediction interval, tau², I² and the Q test.

        Rows ``pooled`` (natural scale, z or t test p-value), ``prediction`` (the predicted
        effect with the prediction interval), ``tau2``, ``i2`` and ``q`` (Cochran's Q with its
        p-value). Nothing is rounded.
        """
        lvl = f"{100 * self.confidence_level:g}%"
        test = f"t test, df={self.df:g}" if np.isfinite(self.df) else "z test"
        rows: dict[str, dict[str, Any]] = {
            "pooled": {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                       "pvalue": self.pvalue,
                       "method": f"{MEASURE_NAMES.get(self.measure, self.measure)}, {self.model}; {lvl} CI, {test}"},
            "prediction": {"estimate": self.estimate, "ci_low": self.pi_low, "ci_high": self.pi_high,
                           "method": f"{lvl} prediction interval (metafor predict)"},
            "tau2": {"estimate": self.tau2,
                     "method": "between-study variance" + (f" ({self.tau2_method})" if self.tau2_method else " (fixed at 0)")},
            "i2": {"estimate": self.i2, "method": "I² (%)"},
            "q": {"estimate": self.q, "pvalue": self.q_pvalue, "method": f"Cochran's Q, df={max(self.k - 1, 0)}"},
        }
        return frame_from_rows(rows)

    def summary(self) -> str:
        """A few plain lines for a terminal or a report."""
        lvl = f"{100 * self.confidence_level:g}%"
        lines = [
            f"{MEASURE_NAMES.get(self.measure, self.measure)} ({self.model}), k = {self.k}",
            f"  pooled {self.estimate:.4g} ({lvl} CI {self.ci_low:.4g} to {self.ci_high:.4g}), p = {self.pvalue:.3g}",
            f"  prediction interval {self.pi_low:.4g} to {self.pi_high:.4g}",
            f"  tau² = {self.tau2:.4g}, I² = {self.i2:.1f}%, Q = {self.q:.3g} (p = {self.q_pvalue:.3g})",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot_forest(self, ax=None, **kwargs):
        """Forest plot (see :func:`hamstudy.meta.plots.forest_plot`)."""
        from hamstudy.meta.plots import forest_plot

        return forest_plot(self, ax=ax, **kwargs)

    def plot_funnel(self, ax=None, **kwargs):
        """Funnel plot with pseudo-confidence contours (see :func:`hamstudy.meta.plots.funnel_plot`)."""
        from hamstudy.meta.plots import funnel_plot

        return funnel_plot(self, ax=ax, **kwargs)

    def plot(self, ax=None):
        """The forest plot."""
        return self.plot_forest(ax=ax)

    # --- the extras as methods (same as the functions in hamstudy.meta.sensitivity) -------------
    def tau2_ci(self, *, confidence_level=None):
        """Q-profile interval for tau² (see :func:`hamstudy.meta.tau2_ci`)."""
        from hamstudy.meta.sensitivity import tau2_ci

        return tau2_ci(self, confidence_level=confidence_level)

    def egger_test(self, *, model="rma"):
        """Egger's regression test (see :func:`hamstudy.meta.egger_test`)."""
        from hamstudy.meta.sensitivity import egger_test

        return egger_test(self, model=model)

    def leave_one_out(self):
        """Leave-one-out refits (see :func:`hamstudy.meta.leave_one_out`)."""
        from hamstudy.meta.sensitivity import leave_one_out

        return leave_one_out(self)

    def cumulative(self, order=None):
        """Cumulative meta-analysis (see :func:`hamstudy.meta.cumulative`)."""
        from hamstudy.meta.sensitivity import cumulative

        return cumulative(self, order=order)

    def subgroup(self, groups, *, test="separate"):
        """Subgroup analysis (see :func:`hamstudy.meta.subgroup`)."""
        from hamstudy.meta.sensitivity import subgroup

        return subgroup(self, groups, test=test)
