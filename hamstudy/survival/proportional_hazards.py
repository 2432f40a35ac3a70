"""Cox proportional-hazards regression that matches R ``coxph`` and says so when the MLE is infinite.

:func:`cox` fits by Newton-Raphson on the vectorised derivatives of ``_cox_core`` (Efron or
Breslow ties), adds dfbeta sandwich variances (robust / cluster), decides monotone likelihood
exactly with the linear programme of ``_cox_monotone``, and hands ``firth=True`` to ``firth``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from hamstudy._result import FrameResultMixin, TestResult, check_confidence_level, frame_from_rows
from hamstudy.survival import _cox_core as core
from hamstudy.survival._cox_design import build_design
from hamstudy.survival._cox_monotone import monotone_direction
from hamstudy.survival.firth import fit_firth

__all__ = ["cox", "CoxResult", "MonotoneLikelihoodWarning", "CoxConvergenceWarning"]

# Above this many rows the exact monotone-likelihood LP runs only when the Newton fit looks
# divergent (linear-predictor range > _ETA_RANGE_SCREEN or no convergence); below it, always.
_ALWAYS_CHECK_ROWS = 5000
_ETA_RANGE_SCREEN = 25.0


class MonotoneLikelihoodWarning(UserWarning):
    """The Cox partial likelihood has no finite maximum (for example an arm with no events)."""


class CoxConvergenceWarning(UserWarning):
    """Newton-Raphson did not reach a stationary point of the partial likelihood."""


@dataclass(frozen=True)
class CoxState:
    """What :func:`hamstudy.ph_test` and diagnostics need from a fit (not part of the public API)."""

    data: core.CoxData
    beta: np.ndarray  # finite working coefficients (the last Newton iterate when monotone)
    imat: np.ndarray
    terms: dict
    columns: tuple


@dataclass(frozen=True, eq=False)  # DataFrame fields: compare results by their tables, not ==
class CoxResult(FrameResultMixin):
    """Result of :func:`hamstudy.cox`.

    Attributes
    ----------
    table : DataFrame
        Indexed by covariate column (R's names, e.g. ``armSTST``), with columns ``coef, std_err,
        hazard_ratio, ci_low, ci_high, z, pvalue``; the interval is on the hazard-ratio scale.
    loglik : tuple of float
        ``(null, fitted)`` log partial likelihood, as R's ``fit$loglik`` (penalised ones when
        ``firth=True``, as coxphf's ``fit$loglik``).
    likelihood_ratio_test, wald_test, score_test : TestResult or None
        The three global tests of ``summary.coxph`` (``df`` = number of coefficients). With
        ``robust=True`` the Wald test uses the sandwich variance, as R. With ``firth=True`` the
        likelihood-ratio test is the penalised one and ``score_test`` is None.
    n, n_events : int
        Rows used and events among them.
    monotone : bool
        True when the unpenalised partial likelihood has no finite maximum.
    method : str
        What was fitted (ties, variance, penalty).
    ties : str
        Tie handling actually used ("efron" or "breslow"; always "breslow" with Firth).
    covariance : DataFrame
        The covariance matrix behind ``std_err`` (the sandwich one when robust).
    confidence_level : float
    warnings : tuple of str
        Everything worth knowing that went wrong or was changed (monotone likelihood, rows dropped
        for missing values, non-convergence).
    """

    table: pd.DataFrame
    loglik: tuple
    likelihood_ratio_test: TestResult
    wald_test: TestResult
    score_test: TestResult | None
    n: int
    n_events: int
    monotone: bool
    method: str
    ties: str
    covariance: pd.DataFrame
    confidence_level: float
    warnings: tuple = ()
    _state: CoxState | None = field(default=None, repr=False, compare=False)

    @property
    def _html_title(self) -> str:
        return self.method

    @property
    def coef(self) -> pd.Series:
        """Log hazard ratios (``table['coef']``)."""
        return self.table["coef"]

    def to_frame(self) -> pd.DataFrame:
        """One row per covariate: ``estimate`` is the hazard ratio, with its CI and p-value."""
        rows = {
            name: {
                "estimate": r.hazard_ratio,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "pvalue": r.pvalue,
                "method": self.method,
            }
            for name, r in self.table.iterrows()
        }
        return frame_from_rows(rows)

    def plot(self, ax=None):
        """Forest plot of the hazard ratios with their confidence intervals (log scale)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.6 + 0.5 * len(self.table)))
        tab = self.table
        y = np.arange(len(tab))[::-1]
        finite_vals = np.r_[tab["hazard_ratio"], tab["ci_low"], tab["ci_high"]]
        finite_vals = finite_vals[np.isfinite(finite_vals) & (finite_vals > 0)]
        lo_lim = finite_vals.min() / 2 if finite_vals.size else 0.1
        hi_lim = finite_vals.max() * 2 if finite_vals.size else 10
        for yi, (_, r) in zip(y, tab.iterrows()):
            lo = r.ci_low if np.isfinite(r.ci_low) and r.ci_low > 0 else lo_lim
            hi = r.ci_high if np.isfinite(r.ci_high) else hi_lim
            if np.isnan(r.ci_low) or np.isnan(r.ci_high):
                continue
            ax.plot([lo, hi], [yi, yi], color="C0")
            if np.isfinite(r.hazard_ratio) and r.hazard_ratio > 0:
                ax.plot([r.hazard_ratio], [yi], "s", color="C0")
        ax.axvline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_yticks(y)
        ax.set_yticklabels(list(tab.index))
        ax.set_xlabel(f"hazard ratio ({self.confidence_level:.0%} CI)")
        ax.set_title(self.method, fontsize=9)
        return ax


def _global_tests(beta, cov, ll0, ll1, score, p, label_var):
    lr = max(2.0 * (ll1 - ll0), 0.0)
    lr_test = TestResult(lr, float(stats.chi2.sf(lr, p)), "Likelihood ratio test", df=p, name="likelihood_ratio")
    if np.all(np.isfinite(beta)):
        # generalised inverse with df = rank, as coxph.wtest (a cluster-robust variance with few
        # clusters can be singular)
        vals, vecs = np.linalg.eigh(cov)
        keep = vals > 1e-9 * max(vals.max(), 0.0)
        proj = vecs[:, keep].T @ beta
        w = float(np.sum(proj**2 / vals[keep]))
        rank = int(keep.sum())
        wald = TestResult(w, float(stats.chi2.sf(w, rank)), f"Wald test ({label_var} variance)", df=rank, name="wald")
    else:
        wald = TestResult(np.nan, np.nan, "Wald test (undefined: infinite coefficient)", df=p, name="wald")
    score_test = None
    if score is not None:
        score_test = TestResult(score, float(stats.chi2.sf(score, p)), "Score (log-rank) test", df=p, name="score")
    return lr_test, wald, score_test


def cox(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates,
    *,
    ties: str = "efron",
    robust: bool = False,
    cluster: str | None = None,
    firth: bool = False,
    confidence_level: float = 0.95,
) -> CoxResult:
    """Cox proportional-hazards regression, exact against R ``coxph``, with Firth's penalty on request.

    Parameters
    ----------
    data : DataFrame
        One row per participant.
    duration : str
        Column of follow-up times (finite, non-negative).
    event : str
        Column of event indicators (1/True = event, 0/False = censored).
    covariates : list of str
        Covariate columns. Numeric columns enter as they are; a boolean column becomes a 0/1
        column named ``<col>TRUE``; a string or categorical column becomes a factor with R's
        conventions: levels are the categories of a pandas Categorical in their order, otherwise
        the sorted distinct values; the first level is the reference and the others get 0/1
        columns named ``<col><level>`` (``arm`` with levels PATS < STST gives ``armSTST``).
    ties : {"efron", "breslow"}
        Handling of tied event times. Ignored with ``firth=True``, which always uses Breslow's
        (as coxphf).
    robust : bool
        Report the dfbeta-based sandwich ("robust") standard errors of ``coxph(robust=TRUE)``.
    cluster : str, optional
        Column identifying clusters (for example athletes with repeated injuries); implies
        ``robust=True`` and sums the dfbetas within clusters, as ``coxph(..., cluster=)``.
    firth : bool
        Fit Firth's penalised partial likelihood (Heinze & Schemper 2001, R ``coxphf``): finite
        estimates even when an arm has no events, profile penalised-likelihood confidence
        intervals and penalised likelihood-ratio p-values.
    confidence_level : float
        Coverage of the intervals.

    Returns
    -------
    CoxResult
        ``table`` (coef, std_err, hazard_ratio, ci_low, ci_high, z, pvalue), ``loglik``, global
        likelihood-ratio / Wald / score tests, ``n``, ``n_events``, ``monotone``, ``method``,
        ``warnings`` and ``to_frame()``.

    Warns
    -----
    MonotoneLikelihoodWarning
        When the partial likelihood is monotone (infinite MLE) and ``firth=False``.
    CoxConvergenceWarning
        When Newton-Raphson stops without reaching a stationary point.

    Notes
    -----
    R equivalent: ``coxph(Surv(duration, event) ~ covariates, data, ties=, robust=, cluster=)``
    with ``summary()`` for the tests; the Firth fit corresponds to ``coxphf(..., firth=TRUE,
    pl=TRUE)``.

    *Fitting.* Newton-Raphson from zero with step-halving, as coxph. coxph stops when the relative
    change in the log-likelihood drops below 1e-9; we continue until the Newton step itself is
    negligible, so the estimates agree with a tightly converged coxph to about 1e-10.

    *Robust variance.* ``D' D`` where ``D`` holds the dfbeta residuals (score residuals times the
    inverse information), with Efron's tie weights in the score residuals; with ``cluster`` the
    rows of ``D`` are first summed within clusters. The table's ``std_err``, ``z``, p-values, CIs
    and the Wald test then use this variance, as R's summary does. With fewer clusters than
    coefficients that variance is singular: R then inverts rounding noise and prints a
    meaningless Wald statistic, whereas this function uses a generalised inverse and reports
    ``df`` equal to the rank.

    *Monotone likelihood.* Where R iterates until its coefficient reaches some meaningless large
    value (and perhaps warns that it "may be infinite"), this function decides the question
    exactly: the likelihood is monotone iff some direction ``v`` gives every death the largest
    ``v . x`` in its risk set (Bryson & Johnson 1981), which is a linear programme solved with
    HiGHS. When it is, ``monotone`` is True, a :class:`MonotoneLikelihoodWarning` recommends
    ``firth=True``, and each coefficient with a non-zero component along ``v`` is reported as
    ``coef = +inf`` or ``-inf`` (``hazard_ratio`` ``inf`` or 0): the maximum-likelihood estimate
    is that limit. Its ``std_err``, ``z`` and Wald ``pvalue`` are NaN (the information vanishes,
    so the Wald quantities do not exist); the CI bound on the side of the estimate is that
    limit (0 or inf) and the other bound is NaN (no Wald bound exists; use ``firth=True`` for a
    profile interval). The likelihood-ratio test (against the supremum of the likelihood) and
    the score test remain valid and are reported. Coefficients not involved in ``v`` are reported
    at the limit of the Newton iterates with their variance from the information restricted to
    them. For more than 5,000 rows the exact check runs only when the Newton fit diverges.

    *Firth.* ``loglik`` then holds the penalised log-likelihoods (null, fitted), ``std_err`` and
    ``z`` are Wald quantities from ``I(beta)^{-1}`` at the penalised estimate (as coxphf reports
    them), while ``ci_low``/``ci_high`` and ``pvalue`` come from the profile penalised
    likelihood, as coxphf with ``pl=TRUE``. Robust variances are not available with Firth.

    References
    ----------
    Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox Model. Springer.
    Bryson MC, Johnson ME (1981). The incidence of monotone likelihood in the Cox model.
    Technometrics 23:381-383.
    Heinze G, Schemper M (2001). A solution to the problem of monotone likelihood in Cox
    regression. Biometrics 57:114-119.

    Examples
    --------
    In the synthetic Sherry & Best data, censored at the 14-day horizon, no PATS athlete is
    re-injured: the Cox likelihood is monotone, and the MLE of the PATS-vs-STST log hazard ratio
    is infinite.

    >>> import warnings
    >>> import hamstudy
    >>> ipd = hamstudy.datasets.load("sherry_best_2004_synthetic_ipd").participants
    >>> early = ipd.assign(event=((ipd.event == 1) & (ipd.time <= 14)).astype(int),
    ...                    time=ipd.time.clip(upper=14))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fit = hamstudy.cox(early, "time", "event", ["arm"])
    >>> fit.monotone, float(fit.table.loc["armSTST", "coef"])
    (True, inf)
    >>> fit.score_test.pvalue < 0.01  # the score (log-rank) test is still valid
    True

    Firth's penalty gives a finite hazard ratio, with a profile penalised-likelihood interval and
    p-value (the Wald ``std_err`` is shown as coxphf shows it):

    >>> firth = hamstudy.cox(early, "time", "event", ["arm"], firth=True)
    >>> firth.table.loc["armSTST", ["hazard_ratio", "ci_low", "ci_high", "pvalue"]].round(4).tolist()
    [20.792, 2.437, 2717.0731, 0.0024]

    Over the whole year both arms have events and the ordinary fit is finite:

    >>> year = hamstudy.cox(ipd, "time", "event", ["arm"])
    >>> year.monotone, round(float(year.table.loc["armSTST", "hazard_ratio"]), 2)
    (False, 14.6)
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow'; got {ties!r}")
    level = check_confidence_level(confidence_level)
    if not isinstance(robust, (bool, np.bool_)):
        raise TypeError(f"robust must be True or False; got {robust!r}")
    if not isinstance(firth, (bool, np.bool_)):
        raise TypeError(f"firth must be True or False; got {firth!r}")
    if cluster is not None:
        robust = True
    if firth and robust:
        raise ValueError("robust/cluster variances are not available with firth=True")
    des = build_design(data, duration, event, covariates, cluster)
    notes: list[str] = []
    if des.n_dropped:
        notes.append(f"{des.n_dropped} row(s) with missing values dropped")
    used_ties = "breslow" if firth else ties
    cdata = core.prepare(des.x, des.time, des.event, used_ties)
    names = list(des.columns)
    p = len(names)
    n, n_events = cdata.n, int(cdata.event.sum())
    zcrit = stats.norm.ppf(0.5 + level / 2.0)

    nf = core.newton(cdata)
    direction = None
    eta_range = float(np.ptp(nf.pieces.eta)) if nf.pieces.eta.size else 0.0
    if n <= _ALWAYS_CHECK_ROWS or not nf.converged or eta_range > _ETA_RANGE_SCREEN:
        direction = monotone_direction(cdata)
    monotone = direction is not None

    if firth:
        ff = fit_firth(cdata, level)
        beta = ff.beta
        se = np.sqrt(np.diag(ff.covariance))
        z = beta / se
        table = pd.DataFrame(
            {
                "coef": beta,
                "std_err": se,
                "hazard_ratio": np.exp(beta),
                "ci_low": np.exp(ff.ci_low),
                "ci_high": np.exp(ff.ci_high),
                "z": z,
                "pvalue": ff.pvalue,
            },
            index=pd.Index(names, name="covariate"),
        )
        cov = ff.covariance
        lr = TestResult(float(ff.lr_global), float(stats.chi2.sf(ff.lr_global, p)), "Penalised likelihood ratio test", df=p, name="likelihood_ratio")
        w = float(beta @ ff.imat @ beta)
        wald = TestResult(w, float(stats.chi2.sf(w, p)), "Wald test (model-based variance)", df=p, name="wald")
        if not ff.converged:
            notes.append("Firth iterations did not converge")
            warnings.warn("Firth-penalised Cox fit did not converge", CoxConvergenceWarning, stacklevel=2)
        if monotone:
            notes.append("unpenalised likelihood is monotone (infinite MLE); Firth estimates are finite")
        state = CoxState(cdata, beta, ff.imat, des.terms, des.columns)
        method = f"Firth-penalised Cox regression (Breslow ties), profile penalised-likelihood {level:.0%} CI and p-values"
        return CoxResult(
            table=table,
            loglik=(float(ff.pl_null), float(ff.pl)),
            likelihood_ratio_test=lr,
            wald_test=wald,
            score_test=None,
            n=n,
            n_events=n_events,
            monotone=monotone,
            method=method,
            ties="breslow",
            covariance=pd.DataFrame(cov, index=names, columns=names),
            confidence_level=level,
            warnings=tuple(notes),
            _state=state,
        )

    beta = nf.beta.copy()
    affected = np.zeros(p, dtype=bool)
    if monotone:
        affected = direction != 0
    ok = ~affected
    # model-based covariance (restricted to the finite coefficients when monotone)
    cov = np.full((p, p), np.nan)
    if ok.any():
        cov[np.ix_(ok, ok)] = core.safe_inverse(nf.imat[np.ix_(ok, ok)])
    var_label = "model-based"
    if robust:
        resid = core.score_residuals(cdata, nf.pieces)
        dfb = np.zeros((n, p))
        dfb[:, ok] = resid[:, ok] @ cov[np.ix_(ok, ok)]
        if des.cluster is not None:
            # dfbetas summed within clusters, as coxph(cluster=)
            # (score_residuals returns rows in data order, like des.cluster)
            dfb = np.array([np.bincount(des.cluster, weights=dfb[:, k]) for k in range(p)]).T
            var_label = "cluster-robust"
        else:
            var_label = "robust"
        rcov = np.full((p, p), np.nan)
        rcov[np.ix_(ok, ok)] = (dfb.T @ dfb)[np.ix_(ok, ok)]
        cov = rcov
    se = np.sqrt(np.diag(cov))
    coef = beta.copy()
    if monotone:
        coef[affected] = np.sign(direction[affected]) * np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        hr = np.exp(coef)
        z = coef / se
        pval = 2.0 * stats.norm.sf(np.abs(z))
        lo = np.exp(coef - zcrit * se)
        hi = np.exp(coef + zcrit * se)
    if monotone:
        for k in np.flatnonzero(affected):
            z[k] = pval[k] = se[k] = np.nan
            if coef[k] > 0:
                lo[k], hi[k] = np.nan, np.inf
            else:
                lo[k], hi[k] = 0.0, np.nan
    table = pd.DataFrame(
        {"coef": coef, "std_err": se, "hazard_ratio": hr, "ci_low": lo, "ci_high": hi, "z": z, "pvalue": pval},
        index=pd.Index(names, name="covariate"),
    )
    lr, wald, score = _global_tests(coef, cov, nf.loglik_null, nf.pieces.loglik, nf.score_test, p, var_label)
    if monotone:
        bad = [names[k] for k in np.flatnonzero(affected)]
        msg = (
            "Monotone likelihood: the partial likelihood increases without bound along "
            f"{', '.join(bad)} (for example an arm with no events), so the maximum-likelihood "
            "estimate is infinite; reported as +/-inf with no Wald standard error. "
            "Use firth=True for finite estimates with profile-likelihood intervals."
        )
        notes.append(msg)
        warnings.warn(msg, MonotoneLikelihoodWarning, stacklevel=2)
    elif not nf.converged:
        msg = f"Newton-Raphson did not converge in {nf.iterations} iterations"
        notes.append(msg)
        warnings.warn(msg, CoxConvergenceWarning, stacklevel=2)
    method = f"Cox regression ({used_ties.capitalize()} ties, {var_label} variance)"
    state = CoxState(cdata, beta, nf.imat, des.terms, des.columns)
    return CoxResult(
        table=table,
        loglik=(float(nf.loglik_null), float(nf.pieces.loglik)),
        likelihood_ratio_test=lr,
        wald_test=wald,
        score_test=score,
        n=n,
        n_events=n_events,
        monotone=monotone,
        method=method,
        ties=used_ties,
        covariance=pd.DataFrame(cov, index=names, columns=names),
        confidence_level=level,
        warnings=tuple(notes),
        _state=state,
    )
