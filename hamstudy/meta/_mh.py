"""Mantel-Haenszel and Peto pooled estimates, as metafor's ``rma.mh`` and ``rma.peto``.

Written by hand: statsmodels' ``StratifiedTable`` gives the MH odds ratio with the RBG variance but
has no MH risk ratio or risk difference and no Peto method, and works on 2x2x k arrays with its
own zero handling; these few sums are clearer than adapting it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class CommonFit:
    """Pooled log-scale (or RD) estimate with standard error and Q (internal)."""

    beta: float
    se: float
    q: float
    q_pvalue: float
    i2: float
    h2: float
    weights: np.ndarray  # un-normalised study weights as metafor's weights()


def _het_from_q(q: float, k_yi: int, *, peto_kpos: int | None = None):
    ok = k_yi > 1 if peto_kpos is None else peto_kpos > 1
    if ok and np.isfinite(q):
        q_p = float(special.chdtrc(k_yi - 1, q))
        i2 = max(0.0, 100 * (q - (k_yi - 1)) / q) if q > 0 else 0.0
        return q_p, i2, q / (k_yi - 1)
    if not np.isfinite(q):
        return np.nan, np.nan, np.nan
    return 1.0, 0.0, 1.0


def mantel_haenszel(a, n1, c, n2, measure: str, yi, vi) -> CommonFit:
    """``rma.mh(..., add=c(1/2, 0), to=c("only0", "none"))`` on the kept tables.

    ``yi, vi`` are the escalc effects of the same tables (for Q, as metafor). Variances:
    OR Robins-Breslow-Greenland (1986), RR Greenland-Robins (1985), RD Greenland-Robins (1985).
    The estimate is NaN where metafor's is NA (no events in one arm across all tables).
    """
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (a, n1, c, n2))
    b, d = n1 - a, n2 - c
    N = n1 + n2
    if measure == "OR":
        P = a / N + d / N
        Q = b / N + c / N
        Ri = (a / N) * d
        Si = (b / N) * c
        R, S = Ri.sum(), Si.sum()
        if R == 0 or S == 0:
            beta = se = np.nan
        else:
            beta = np.log(R / S)
            se = np.sqrt(0.5 * (np.sum(P * Ri) / R**2 + np.sum(P * Si + Q * Ri) / (R * S)
                                + np.sum(Q * Si) / S**2))
        w = (b / N) * c
    elif measure == "RR":
        R = np.sum(a * (n2 / N))
        S = np.sum(c * (n1 / N))
        if a.sum() == 0 or c.sum() == 0:
            beta = se = np.nan
        else:
            beta = np.log(R / S)
            se = np.sqrt(np.sum((n1 / N) * (n2 / N) * (a + c) - (a / N) * c) / (R * S))
        w = (c / N) * n1
    elif measure == "RD":
        den = np.sum(n1 * (n2 / N))
        beta = np.sum(a * (n2 / N) - c * (n1 / N)) / den
        var = (beta * np.sum(c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
               + np.sum(a * (n2 - c) / N + c * (n1 - a) / N) / 2) / den**2
        # The variance is exactly 0 when every arm is all-or-none and every study has the same RD (all
        # +1, all -1 or all 0; checked in exact arithmetic over all such 2-study tables with arms of 1-3).
        # Rounding then leaves a few ulp of either sign (metafor: NaN with a warning), so say 0 exactly.
        all_or_none = np.all((a == 0) | (a == n1)) and np.all((c == 0) | (c == n2))
        if all_or_none and np.unique(a / n1 - c / n2).size == 1:
            var = 0.0
        se = float(np.sqrt(var)) if var >= 0.0 else np.nan
        w = (n1 / N) * n2
    else:
        raise ValueError(f"unknown measure {measure!r}")
    k_yi = int(np.sum(np.isfinite(yi)))
    if np.isfinite(beta) and k_yi > 1:
        q = max(0.0, float(np.sum((yi - beta) ** 2 / vi)))
    elif k_yi <= 1:
        q = 0.0
    else:
        q = np.nan
    q_p, i2, h2 = _het_from_q(q, k_yi)
    return CommonFit(beta=float(beta), se=float(se), q=q, q_pvalue=q_p, i2=i2, h2=h2, weights=w)


def peto(a, n1, c, n2) -> CommonFit:
    """``rma.peto(..., add=c(1/2, 0), to=c("only0", "none"))``: one-step (Yusuf-Peto) log odds ratio."""
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (a, n1, c, n2))
    N = n1 + n2
    xt = a + c
    yt = N - xt
    E = xt * n1 / N
    V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    sv = V.sum()
    if sv == 0:
        raise ValueError("Peto's method cannot be used: one of the two outcomes never occurred in any study")
    beta = float(np.sum(a - E) / sv)
    se = float(np.sqrt(1 / sv))
    pos = V > 0
    q = max(0.0, float(np.sum((a[pos] - E[pos]) ** 2 / V[pos]) - np.sum(a - E) ** 2 / sv))
    q_p, i2, h2 = _het_from_q(q, a.size, peto_kpos=int(pos.sum()))
    return CommonFit(beta=beta, se=se, q=q, q_pvalue=q_p, i2=i2, h2=h2, weights=V)
