"""Pooling 2x2 tables: Mantel-Haenszel, Peto and inverse variance (common or random effects)."""

from __future__ import annotations

from hamstudy.meta._core import check_counts, check_data, check_options, column, fit, same_length, study_labels
from hamstudy.meta._effects import BINARY_MEASURES
from hamstudy.meta.result import MetaResult

METHODS = ("MH", "Peto", "IV")


def meta_binary(data=None, *, events_t, total_t, events_c, total_c, study=None, measure="RR", method="MH",
                tau2=None, hksj=False, confidence_level=0.95) -> MetaResult:
    """Pool the 2x2 tables of several trials (treatment ``_t`` versus control ``_c``).

    Parameters
    ----------
    data : pandas.DataFrame, optional
        If given, the other data arguments may be column names of it.
    events_t, total_t, events_c, total_c : array-like or str
        Events and participants per arm, one entry per study (whole numbers, 0 <= events <= total).
    study : array-like or str, optional
        Study labels (default "Study 1", "Study 2", ...).
    measure : {"RR", "OR", "RD"}
        Risk ratio, odds ratio or risk difference (treatment versus control).
    method : {"MH", "Peto", "IV"}
        Mantel-Haenszel (common effect), Peto's one-step odds ratio (common effect; ``measure="OR"``
        only) or inverse variance (common effect, or random effects with ``tau2``).
    tau2 : {None, "DL", "REML", "PM"}
        Between-study variance estimator for a random-effects model (``method="IV"`` only);
        None fits a common-effect model.
    hksj : bool
        Knapp-Hartung (Hartung-Knapp-Sidik-Jonkman) adjustment: the variance is scaled by the
        weighted residual mean square (no truncation) and t with k-1 df is used for the interval,
        the test and the prediction interval. ``method="IV"`` only.
    confidence_level : float
        Coverage of the confidence and prediction intervals.

    Returns
    -------
    MetaResult
        Pooled estimate (natural scale), the analysis-scale estimate and SE, tau², I², Q, the
        prediction interval, per-study ``table``, ``dropped`` studies and ``notes``.

    Raises
    ------
    ValueError
        Bad counts or options; every study dropped; Peto's method with no event variance.

    Notes
    -----
    Equal to metafor 3.8 (checked to ~1e-10 against committed R references):

    * ``method="MH"``: ``rma.mh(measure=..., drop00=c(TRUE, TRUE))``; ``method="Peto"``:
      ``rma.peto(drop00=c(TRUE, TRUE))``; ``method="IV"``: ``rma(measure=..., method="FE"|"DL"|
      "REML"|"PM", test="z"|"knha", drop00=TRUE)``, with ``predict`` for the prediction interval.
    * Zero cells. For IV, a table with any zero cell gets 1/2 added to all four cells (escalc's
      ``add=1/2, to="only0"``). MH and Peto pool the raw counts with no correction; their per-study
      effects (``table``, forest plot, Q) use the same 1/2 correction as escalc, as metafor does.
    * Double-zero studies (no events in both arms, or events in every participant of both arms)
      are dropped for RR and OR (they carry no information on a ratio) and listed in ``.dropped``
      and ``.notes``. For RD they are kept, because RD = 0 is estimable (metafor ``drop00=FALSE``;
      metafor's default for ``rma.mh`` keeps them in the MH sums but not in Q).
    * MH variances: Robins-Breslow-Greenland for OR, Greenland-Robins for RR and RD. If an arm has
      no events in any study, the MH ratio is not estimable and is NaN (metafor: NA), with a note.
    * Heterogeneity. Q is Cochran's Q of the per-study effects around the pooled one (for Peto, the
      Peto Q from O - E and V). I² = 100·tau²/(tau² + s²) for random effects, with metafor's typical
      within-study variance s² = (k-1)/(Σw - Σw²/Σw); for common-effect models (MH, Peto, IV with
      ``tau2=None``) I² = max(0, 100·(Q - (k-1))/Q), as metafor prints.
    * tau² is never negative: DL is truncated at 0; REML (Fisher scoring as metafor, including its
      check against tau² = 0) and PM (root of the generalised Q = k-1) are truncated at 0 and solved
      to machine precision (metafor's defaults stop at ``threshold=1e-5``).
    * Prediction interval: estimate ± q·sqrt(SE² + tau²), q the normal quantile, or the t(k-1)
      quantile under HKSJ (metafor ``predict``). For common-effect models it equals the CI.
    * k = 1 (after dropping): tau² = 0 and a z test, as metafor.

    RevMan (Review Manager 5) differs: its random-effects model for binary data is DerSimonian-Laird
    with inverse-variance weights, but tau² comes from the Q of the Mantel-Haenszel analysis (Q around
    the MH estimate, as R's ``meta`` with ``Q.Cochrane=TRUE``), whereas metafor and hamstudy
    (``method="IV", tau2="DL"``) use Q around the inverse-variance common estimate, so the two DL tau²
    differ slightly; it reports I² from Q (max(0, (Q - df)/Q)) even for random-effects models; it
    adds 0.5 to every cell of zero-cell studies for MH as well, so its MH sums include the correction
    (metafor and hamstudy pool the raw counts; R's ``meta`` copies RevMan unless ``MH.exact=TRUE``),
    and never for Peto; like hamstudy it keeps double-zero studies for RD only; it has no HKSJ and no
    prediction interval.

    References
    ----------
    Mantel N, Haenszel W. J Natl Cancer Inst 1959;22:719-748. Robins J, Breslow N, Greenland S.
    Biometrics 1986;42:311-323. Greenland S, Robins JM. Biometrics 1985;41:55-68. Yusuf S et al.
    Prog Cardiovasc Dis 1985;27:335-371. DerSimonian R, Laird N. Control Clin Trials 1986;7:177-188.
    Paule RC, Mandel J. J Res Natl Bur Stand 1982;87:377-385. Hartung J, Knapp G. Stat Med
    2001;20:3875-3889. Higgins JPT, Thompson SG, Spiegelhalter DJ. J R Stat Soc A 2009;172:137-159.
    Viechtbauer W. J Stat Softw 2010;36(3):1-48 (metafor).

    Examples
    --------
    >>> from hamstudy.meta import meta_binary
    >>> res = meta_binary(events_t=[7, 0, 0, 1], total_t=[10, 37, 28, 24],
    ...                   events_c=[1, 1, 2, 6], total_c=[13, 38, 28, 24],
    ...                   study=["Sherry 2004", "Askling 2013", "Askling 2014", "Mendiguchia 2017"],
    ...                   measure="RR", method="MH")
    >>> round(res.k), res.method
    (4, 'MH')
    """
    check_data(data)
    if measure not in BINARY_MEASURES:
        raise ValueError(f"measure must be 'RR', 'OR' or 'RD'; got {measure!r}")
    if method not in METHODS:
        raise ValueError(f"method must be 'MH', 'Peto' or 'IV'; got {method!r}")
    level = check_options(tau2=tau2, hksj=hksj, confidence_level=confidence_level)
    if method == "Peto" and measure != "OR":
        raise ValueError(f"Peto's method estimates an odds ratio: use measure='OR' with method='Peto' (got {measure!r})")
    if method != "IV" and tau2 is not None:
        raise ValueError(f"method={method!r} is a common-effect method (as metafor rma.mh/rma.peto); "
                         f"use method='IV' with tau2={tau2!r} for a random-effects model")
    if method != "IV" and hksj:
        raise ValueError("hksj=True needs method='IV' (the Knapp-Hartung adjustment is for inverse-variance models)")
    a = column(data, events_t, "events_t")
    n1 = column(data, total_t, "total_t")
    c = column(data, events_c, "events_c")
    n2 = column(data, total_c, "total_c")
    k = same_length(events_t=a, total_t=n1, events_c=c, total_c=n2)
    check_counts(a, n1, "events_t", "total_t")
    check_counts(c, n2, "events_c", "total_c")
    spec = {"kind": "binary", "measure": measure, "method": method, "tau2": tau2, "hksj": bool(hksj),
            "level": level, "study": study_labels(data, study, k),
            "columns": {"events_t": a, "total_t": n1, "events_c": c, "total_c": n2}}
    return fit(spec)
