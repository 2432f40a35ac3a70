"""Input checking and the one fitting path shared by meta_binary, meta_continuous and meta_generic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from hamstudy._result import check_confidence_level, normal_quantile
from hamstudy.meta._effects import RATIO_MEASURES, double_zero, escalc_binary
from hamstudy.meta._mh import mantel_haenszel, peto
from hamstudy.meta._rma import TAU2_METHODS, fit_iv, prediction_interval
from hamstudy.meta.result import MetaResult

# --- argument handling ---------------------------------------------------------------------------


def column(data, value, name: str, *, numeric: bool = True, required: bool = True):
    """An argument as a 1-d array: a column name of ``data`` or an array-like."""
    if value is None:
        if required:
            raise TypeError(f"{name} is required")
        return None
    if isinstance(value, str):
        if data is None:
            raise TypeError(f"{name}={value!r} is a column name but no data frame was given as data")
        if value not in data.columns:
            raise ValueError(f"{name}={value!r} is not a column of data (columns: {', '.join(map(str, data.columns))})")
        value = data[value].to_numpy()
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if numeric:
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be numeric") from None
    return arr


def check_data(data):
    if data is not None and not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or None; got {type(data).__name__}")


def study_labels(data, study, k: int) -> list[str]:
    if study is None:
        return [f"Study {i + 1}" for i in range(k)]
    labels = column(data, study, "study", numeric=False)
    if labels.size != k:
        raise ValueError(f"study has {labels.size} labels but there are {k} studies")
    return [str(s) for s in labels]


def same_length(**arrays) -> int:
    sizes = {n: a.size for n, a in arrays.items() if a is not None}
    if len(set(sizes.values())) > 1:
        raise ValueError("arguments must have the same length; got " + ", ".join(f"{n}={s}" for n, s in sizes.items()))
    k = next(iter(sizes.values()))
    if k == 0:
        raise ValueError("no studies given")
    return k


def check_counts(events, total, ename: str, tname: str):
    for name, arr in ((ename, events), (tname, total)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains missing or infinite values")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers")
        if np.any(arr < 0):
            raise ValueError(f"{name} must not be negative")
    if np.any(total == 0):
        raise ValueError(f"{tname} must be positive")
    bad = np.flatnonzero(events > total)
    if bad.size:
        raise ValueError(f"{ename} exceeds {tname} for study position(s) {', '.join(map(str, bad))}")


def check_options(*, tau2, hksj, confidence_level):
    if tau2 is not None and tau2 not in TAU2_METHODS:
        raise ValueError(f"tau2 must be None (common effect), 'DL', 'REML' or 'PM'; got {tau2!r}")
    if not isinstance(hksj, (bool, np.bool_)):
        raise TypeError(f"hksj must be True or False; got {hksj!r}")
    return check_confidence_level(confidence_level)


# --- conventions text ------------------------------------------------------------------------------


def conventions_text(*, kind: str, measure: str, method: str, tau2: str | None, hksj: bool) -> str:
    parts = []
    if kind == "binary":
        if method == "IV":
            parts.append("Per-study effects as metafor escalc: 1/2 added to every cell of a table with a zero cell "
                         "(add=1/2, to=\"only0\").")
        else:
            parts.append(f"{'Mantel-Haenszel' if method == 'MH' else 'Peto'} pooling uses the raw counts, with no "
                         "continuity correction; the per-study effects shown and used for Q get 1/2 added to tables "
                         "with a zero cell (as metafor rma.mh/rma.peto).")
        if measure == "RD":
            parts.append("Studies with no events (or only events) in both arms are kept: their risk difference (0) is "
                         "estimable (metafor drop00=FALSE).")
        else:
            parts.append("Studies with no events (or only events) in both arms are dropped (metafor drop00=TRUE).")
        if method == "MH":
            parts.append({"OR": "Variance of the MH log odds ratio by Robins, Breslow and Greenland (1986).",
                          "RR": "Variance of the MH log risk ratio by Greenland and Robins (1985).",
                          "RD": "Variance of the MH risk difference by Greenland and Robins (1985)."}[measure])
    if method in ("MH", "Peto") or tau2 is None:
        parts.append("Common-effect model: tau² = 0; I² = max(0, 100·(Q - df)/Q); the prediction interval equals "
                     "the confidence interval.")
    else:
        parts.append(f"Random effects with tau² by {tau2} (never negative"
                     + ("" if tau2 == "DL" else "; solved to machine precision") + "); I² = 100·tau²/(tau² + s²) with "
                     "metafor's typical within-study variance s²; prediction interval as metafor predict.")
    if hksj:
        parts.append("Knapp-Hartung (HKSJ) adjustment without truncation (metafor test=\"knha\"): t with k-1 df for "
                     "the CI, the test and the prediction interval.")
    return " ".join(parts)


# --- fitting -------------------------------------------------------------------------------------


def _natural(measure: str, x):
    x = np.asarray(x, dtype=float)
    return np.exp(x) if measure in RATIO_MEASURES else x


def fit(spec: dict, keep: np.ndarray | None = None) -> MetaResult:
    """Fit the model that ``spec`` describes, on the rows ``keep`` (positions) of its data."""
    kind = spec["kind"]
    measure, method, tau2m, hksj, level = (spec[x] for x in ("measure", "method", "tau2", "hksj", "level"))
    cols = spec["columns"]
    labels = spec["study"]
    if keep is not None:
        keep = np.asarray(keep, dtype=int)
        cols = {n: np.asarray(v)[keep] for n, v in cols.items()}
        labels = [labels[i] for i in keep]
    k_all = len(labels)
    notes: list[str] = []
    tab: dict = {"study": labels}
    for n, v in cols.items():
        if n != "yi" and n != "vi":
            tab[n] = v
    included = np.ones(k_all, dtype=bool)
    reasons = [""] * k_all

    if kind == "binary":
        a, n1, c, n2 = (cols[x] for x in ("events_t", "total_t", "events_c", "total_c"))
        if measure != "RD" or method == "Peto":
            dz = double_zero(a, n1, c, n2)
            for i in np.flatnonzero(dz):
                included[i] = False
                reasons[i] = ("no events in either arm" if a[i] == 0 and c[i] == 0
                              else "every participant had the event in both arms")
        esc_measure = "PETO" if method == "Peto" else measure
        yi, vi = escalc_binary(a, n1, c, n2, esc_measure)
        yi = np.where(included, yi, np.nan)
        vi = np.where(included, vi, np.nan)
    else:
        yi, vi = cols["yi"], cols["vi"]
    tab["yi"] = yi
    tab["vi"] = vi
    k = int(included.sum())
    if k == 0:
        raise ValueError("no study can be pooled: every study has no events (or only events) in both arms")
    out = np.flatnonzero(~included)
    if out.size:
        notes.append(f"{out.size} of {k_all} studies dropped: " + "; ".join(f"{labels[i]} ({reasons[i]})" for i in out))

    yk, vk = yi[included], vi[included]
    weights = np.full(k_all, np.nan)
    df = np.nan
    if method in ("MH", "Peto"):
        a, n1, c, n2 = (x[included] for x in (cols["events_t"], cols["total_t"], cols["events_c"], cols["total_c"]))
        cf = mantel_haenszel(a, n1, c, n2, measure, yk, vk) if method == "MH" else peto(a, n1, c, n2)
        beta, se = cf.beta, cf.se
        crit = normal_quantile(level)
        if not np.isfinite(beta):
            statistic = np.nan
        elif se == 0.0:  # every study at RD = +-1 (or all-event/no-event ratios): the MH variance is 0
            # an estimate of exactly 0 with no variance sits on the null: z = 0, p = 1 (as a zero-margin table)
            statistic = math.copysign(math.inf, beta) if beta != 0 else 0.0
            notes.append("The Mantel-Haenszel variance is 0 (every study sits at the boundary, e.g. RD = 1): "
                         "z is infinite and the interval collapses to the estimate, as in metafor; read the "
                         "per-study exact intervals instead.")
        else:
            statistic = beta / se
        pvalue = float(2 * special.ndtr(-abs(statistic))) if not np.isnan(statistic) else np.nan
        lo, hi = beta - crit * se, beta + crit * se
        tau2 = 0.0
        q, q_p, i2, h2 = cf.q, cf.q_pvalue, cf.i2, cf.h2
        pi_lo, pi_hi = lo, hi
        w = cf.weights
        weights[included] = 100 * w / w.sum() if w.sum() > 0 else np.nan
        if not np.isfinite(beta):
            notes.append("The Mantel-Haenszel estimate is not estimable: no events in one arm of every study "
                         "(metafor returns NA); see the per-study table and consider the risk difference.")
    else:
        test = "knha" if hksj else "z"
        fitres = fit_iv(yk, vk, method=tau2m or "FE", test=test, level=level)
        if k == 1:
            notes.append("Only one study: tau² set to 0 and the z test used (as metafor with k = 1).")
        elif hksj and fitres.s2w < 1:
            notes.append(f"HKSJ variance factor {fitres.s2w:.3g} < 1 (the studies agree more than their variances "
                         "predict): the HKSJ interval can then be narrower than the unadjusted one. metafor's "
                         "test=\"adhoc\" truncates the factor at 1 (Röver, Knapp, Friede 2015).")
        beta, se = float(fitres.beta[0]), float(fitres.se[0])
        statistic, pvalue = float(fitres.statistic[0]), float(fitres.pvalue[0])
        lo, hi = float(fitres.ci_low[0]), float(fitres.ci_high[0])
        tau2, q, q_p, i2, h2 = fitres.tau2, fitres.q, fitres.q_pvalue, fitres.i2, fitres.h2
        df = fitres.df
        pi_lo, pi_hi = prediction_interval(fitres)
        weights[included] = 100 * fitres.weights / fitres.weights.sum()

    z = normal_quantile(level)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(vi)
    tab["effect"] = _natural(measure, yi)
    tab["ci_low"] = _natural(measure, yi - z * sd)
    tab["ci_high"] = _natural(measure, yi + z * sd)
    tab["weight"] = weights
    tab["included"] = included
    tab["note"] = reasons
    if "derived" in tab:
        tab["derived"] = np.asarray(tab["derived"], dtype=bool)

    return MetaResult(
        estimate=float(_natural(measure, beta)), ci_low=float(_natural(measure, lo)),
        ci_high=float(_natural(measure, hi)), log_estimate=float(beta), se=float(se),
        statistic=float(statistic), pvalue=float(pvalue), df=float(df), tau2=float(tau2),
        tau=float(np.sqrt(tau2)), i2=float(i2), h2=float(h2), q=float(q), q_pvalue=float(q_p), k=k,
        pi_low=float(_natural(measure, pi_lo)), pi_high=float(_natural(measure, pi_hi)),
        _table_data=tab, measure=measure, method=method, tau2_method=tau2m,
        hksj=bool(hksj), confidence_level=level, notes=tuple(notes + list(spec.get("notes", ()))),
        conventions=conventions_text(kind=kind, measure=measure, method=method, tau2=tau2m, hksj=hksj),
        _spec=spec,
    )
