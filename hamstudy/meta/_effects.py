"""Per-study effect sizes, as metafor's ``escalc`` (binary RR/OR/RD/PETO, continuous MD/SMD).

Written by hand: statsmodels' ``effectsize_2proportions`` and ``effectsize_smd`` exist but use other
zero-cell and small-sample conventions; these must match ``escalc`` to the last bit.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

BINARY_MEASURES = ("RR", "OR", "RD")
RATIO_MEASURES = ("RR", "OR", "HR", "IRR")  # analysed on the log scale


def double_zero(a, n1, c, n2) -> np.ndarray:
    """metafor's ``id00``: no events in either arm, or all participants had events in both arms."""
    return ((a == 0) & (c == 0)) | ((a == n1) & (c == n2))


def escalc_binary(a, n1, c, n2, measure: str, *, add: float = 0.5):
    """``escalc(measure, ai, n1i, ci, n2i, add=add, to="only0")``: returns (yi, vi).

    Zero-cell tables (any of the four cells 0) get ``add`` in every cell, for every measure,
    as escalc does (RD and PETO included). Callers decide which rows to drop beforehand.
    """
    a = np.asarray(a, dtype=float)
    c = np.asarray(c, dtype=float)
    b = np.asarray(n1, dtype=float) - a
    d = np.asarray(n2, dtype=float) - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    inc = np.where(zero, add, 0.0)
    a, b, c, d = a + inc, b + inc, c + inc, d + inc
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RD":
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2  # vtype "LS"
        elif measure == "PETO":
            n = n1 + n2
            xt, yt = a + c, b + d
            e = xt * n1 / n
            v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
            yi = (a - e) / v
            vi = 1 / v
        else:
            raise ValueError(f"unknown measure {measure!r}")
    return yi, vi


def smd_correction(m) -> np.ndarray:
    """Hedges' exact small-sample factor c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)) (``.cmicalc``)."""
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.exp(special.gammaln(m / 2) - np.log(np.sqrt(m / 2)) - special.gammaln((m - 1) / 2))
    return np.where(m <= 1, np.nan, out)


def escalc_continuous(m1, sd1, n1, m2, sd2, n2, measure: str):
    """``escalc("MD")`` (vi = sd1^2/n1 + sd2^2/n2) or ``escalc("SMD")`` (Hedges' g, vtype "LS")."""
    m1, sd1, n1, m2, sd2, n2 = (np.asarray(x, dtype=float) for x in (m1, sd1, n1, m2, sd2, n2))
    if measure == "MD":
        return m1 - m2, sd1**2 / n1 + sd2**2 / n2
    if measure == "SMD":
        mi = n1 + n2 - 2
        sdp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / mi)
        yi = smd_correction(mi) * (m1 - m2) / sdp
        vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        return yi, vi
    raise ValueError(f"unknown measure {measure!r}")


def wan_mean_sd(median, q1, q3, n):
    """Mean and SD from median and quartiles, Wan et al. (2014) scenario C3.

    mean = (q1 + median + q3) / 3 and SD = (q3 - q1) / (2 * Phi^-1((0.75 n - 0.125) / (n + 0.25))).
    """
    median, q1, q3, n = (np.asarray(x, dtype=float) for x in (median, q1, q3, n))
    mean = (q1 + median + q3) / 3.0
    sd = (q3 - q1) / (2.0 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25)))
    return mean, sd
