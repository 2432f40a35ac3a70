"""Pooling continuous outcomes (e.g. days to return to sport) and generic effects."""

from __future__ import annotations

import numpy as np

from hamstudy.meta._core import check_data, check_options, column, fit, same_length, study_labels
from hamstudy.meta._effects import escalc_continuous, wan_mean_sd
from hamstudy.meta.result import MetaResult

_SHARED_NOTES = """
    Common to all inverse-variance fits (as metafor ``rma``): tau² by DL (truncated at 0), REML
    (Fisher scoring as metafor, truncated at 0) or PM (root of the generalised Q = k-1), the last
    two solved to machine precision; I² = 100·tau²/(tau² + s²) with metafor's typical within-study
    variance s² for random effects and max(0, 100·(Q - df)/Q) for a common effect; prediction
    interval estimate ± q·sqrt(SE² + tau²) with the normal quantile, or t(k-1) under HKSJ (metafor
    ``predict``); the HKSJ variance factor is not truncated (metafor ``test="knha"``); k = 1 gives
    tau² = 0 and a z test. RevMan reports I² from Q also for random effects and has no HKSJ or
    prediction interval."""


def _arm(data, mean, sd, n, median, q1, q3, arm: str):
    n = column(data, n, f"n_{arm}")
    mean = column(data, mean, f"mean_{arm}", required=False)
    sd = column(data, sd, f"sd_{arm}", required=False)
    med = column(data, median, f"median_{arm}", required=False)
    lo = column(data, q1, f"q1_{arm}", required=False)
    hi = column(data, q3, f"q3_{arm}", required=False)
    k = n.size
    mean = np.full(k, np.nan) if mean is None else mean
    sd = np.full(k, np.nan) if sd is None else sd
    derived = np.zeros(k, dtype=bool)
    if med is not None or lo is not None or hi is not None:
        if med is None or lo is None or hi is None:
            raise TypeError(f"median_{arm}, q1_{arm} and q3_{arm} must be given together")
        same_length(**{f"n_{arm}": n, f"median_{arm}": med, f"q1_{arm}": lo, f"q3_{arm}": hi})
        need = ~(np.isfinite(mean) & np.isfinite(sd))
        have = np.isfinite(med) & np.isfinite(lo) & np.isfinite(hi)
        use = need & have
        if np.any(use & (lo > med)) or np.any(use & (med > hi)):
            raise ValueError(f"q1_{arm} <= median_{arm} <= q3_{arm} is required")
        m_w, s_w = wan_mean_sd(med, lo, hi, n)
        mean = np.where(use, m_w, mean)
        sd = np.where(use, s_w, sd)
        derived = use
    return mean, sd, n, derived


def meta_continuous(data=None, *, mean_t=None, sd_t=None, n_t, mean_c=None, sd_c=None, n_c, study=None,
                    measure="MD", tau2=None, hksj=False, confidence_level=0.95, median_t=None, q1_t=None,
                    q3_t=None, median_c=None, q1_c=None, q3_c=None) -> MetaResult:
    """Pool a continuous outcome by inverse variance: mean difference or Hedges' g.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        If given, the other data arguments may be column names of it.
    mean_t, sd_t, n_t, mean_c, sd_c, n_c : array-like or str
        Mean, SD and number analysed per arm (treatment ``_t``, control ``_c``). Entries may be NaN
        where the median and quartiles are given instead.
    study : array-like or str, optional
        Study labels.
    measure : {"MD", "SMD"}
        Mean difference (treatment minus control), or standardised mean difference with Hedges'
        exact small-sample correction (Hedges' g).
    tau2 : {None, "DL", "REML", "PM"}
        Between-study variance estimator; None fits a common-effect model.
    hksj : bool
        Knapp-Hartung adjustment (t with k-1 df).
    confidence_level : float
        Coverage of the confidence and prediction intervals.
    median_t, q1_t, q3_t, median_c, q1_c, q3_c : array-like or str, optional
        Median and quartiles per arm; used, by Wan et al. (2014), for the studies whose mean or SD is
        missing. Those rows are flagged ``derived`` in ``.table`` and listed in ``.notes``.

    Returns
    -------
    MetaResult
        ``.table`` holds per-arm means, SDs and n (after derivation), ``derived`` and the usual
        per-study columns.

    Notes
    -----
    Equal to metafor 3.8 ``escalc`` + ``rma``:

    * MD: yi = mean_t - mean_c, vi = sd_t²/n_t + sd_c²/n_c (escalc "MD", vtype "LS").
    * SMD: yi = c(m)·(mean_t - mean_c)/s_pooled with m = n_t + n_c - 2 and the exact Hedges factor
      c(m) = Γ(m/2) / (sqrt(m/2)·Γ((m-1)/2)); vi = 1/n_t + 1/n_c + yi²/(2(n_t + n_c))
      (escalc "SMD", vtype "LS"). RevMan uses the approximate factor 1 - 3/(4m - 1) and
      vi = 1/n_t + 1/n_c + yi²/(2(n_t + n_c - 3.94)).
    * Median and IQR: mean ≈ (q1 + median + q3)/3 and SD ≈ (q3 - q1) / (2·Φ⁻¹((0.75n - 0.125)/
      (n + 0.25))) (Wan et al. 2014, scenario C3). metafor 3.8 has no such conversion (later
      versions' ``conv.fivenum`` defaults to Luo et al. 2018 for the mean, which weights the
      quartiles and the median differently); RevMan has none. Such rows assume a roughly symmetric
      distribution: return-to-sport times are usually right-skewed, so read derived rows as
      approximations.
    """ + _SHARED_NOTES + """

    References
    ----------
    Hedges LV. J Educ Stat 1981;6:107-128. Wan X, Wang W, Liu J, Tong T. BMC Med Res Methodol
    2014;14:135. Viechtbauer W. J Stat Softw 2010;36(3):1-48.

    Examples
    --------
    >>> from hamstudy.meta import meta_continuous
    >>> res = meta_continuous(mean_t=[28, 49], sd_t=[15, 26], n_t=[37, 28],
    ...                       mean_c=[51, 86], sd_c=[21, 34], n_c=[38, 28],
    ...                       study=["Askling 2013", "Askling 2014"], measure="MD")
    >>> round(res.estimate, 1) < 0
    True
    """
    check_data(data)
    if measure not in ("MD", "SMD"):
        raise ValueError(f"measure must be 'MD' or 'SMD'; got {measure!r}")
    level = check_options(tau2=tau2, hksj=hksj, confidence_level=confidence_level)
    m1, s1, n1, d1 = _arm(data, mean_t, sd_t, n_t, median_t, q1_t, q3_t, "t")
    m2, s2, n2, d2 = _arm(data, mean_c, sd_c, n_c, median_c, q1_c, q3_c, "c")
    k = same_length(mean_t=m1, sd_t=s1, n_t=n1, mean_c=m2, sd_c=s2, n_c=n2)
    labels = study_labels(data, study, k)
    for name, arr in (("mean_t", m1), ("sd_t", s1), ("mean_c", m2), ("sd_c", s2)):
        bad = [labels[i] for i in np.flatnonzero(~np.isfinite(arr))]
        if bad:
            raise ValueError(f"{name} is missing for {', '.join(bad)} (and no median/q1/q3 to derive it from)")
    for name, arr in (("n_t", n1), ("n_c", n2)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 1):
            raise ValueError(f"{name} must be positive")
    for name, arr in (("sd_t", s1), ("sd_c", s2)):
        if np.any(arr <= 0):
            raise ValueError(f"{name} must be positive")
    if measure == "SMD" and np.any(n1 + n2 <= 3):
        raise ValueError("measure='SMD' needs n_t + n_c > 3 in every study")
    yi, vi = escalc_continuous(m1, s1, n1, m2, s2, n2, measure)
    derived = d1 | d2
    notes = []
    if derived.any():
        notes.append("Mean and SD derived from median and quartiles (Wan et al. 2014) for: "
                     + ", ".join(labels[i] for i in np.flatnonzero(derived)))
    spec = {"kind": "continuous", "measure": measure, "method": "IV", "tau2": tau2, "hksj": bool(hksj),
            "level": level, "study": labels, "notes": tuple(notes),
            "columns": {"mean_t": m1, "sd_t": s1, "n_t": n1, "mean_c": m2, "sd_c": s2, "n_c": n2,
                        "derived": derived, "yi": yi, "vi": vi}}
    return fit(spec)


def meta_generic(yi, vi, *, study=None, tau2=None, hksj=False, confidence_level=0.95, data=None,
                 measure="generic") -> MetaResult:
    """Pool any effect given with its sampling variance (inverse variance).

    Parameters
    ----------
    yi, vi : array-like or str
        Effects on the analysis scale (e.g. log hazard ratios) and their variances (> 0).
    study : array-like or str, optional
        Study labels.
    tau2 : {None, "DL", "REML", "PM"}
        Between-study variance estimator; None fits a common-effect model.
    hksj : bool
        Knapp-Hartung adjustment (t with k-1 df).
    confidence_level : float
        Coverage of the confidence and prediction intervals.
    data : pandas.DataFrame, optional
        If given, ``yi``, ``vi`` and ``study`` may be column names of it.
    measure : str
        A label. "RR" or "OR" (or "HR", "IRR") declare ``yi`` as log ratios, so that estimates are
        reported exponentiated; anything else is reported as given.

    Returns
    -------
    MetaResult

    Notes
    -----
    Equal to metafor 3.8 ``rma(yi, vi, method=..., test=...)`` and ``predict``.
    """ + _SHARED_NOTES + """

    References
    ----------
    Viechtbauer W. J Stat Softw 2010;36(3):1-48.

    Examples
    --------
    >>> from hamstudy.meta import meta_generic
    >>> res = meta_generic([0.1, 0.3, -0.2], [0.04, 0.09, 0.05], tau2="REML")
    >>> res.k
    3
    """
    check_data(data)
    if not isinstance(measure, str):
        raise TypeError(f"measure must be a string; got {measure!r}")
    level = check_options(tau2=tau2, hksj=hksj, confidence_level=confidence_level)
    y = column(data, yi, "yi")
    v = column(data, vi, "vi")
    k = same_length(yi=y, vi=v)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("yi and vi must be finite (drop studies without an estimate before pooling)")
    if np.any(v <= 0):
        raise ValueError("vi must be positive")
    spec = {"kind": "generic", "measure": measure, "method": "IV", "tau2": tau2, "hksj": bool(hksj),
            "level": level, "study": study_labels(data, study, k), "columns": {"yi": y, "vi": v}}
    return fit(spec)
