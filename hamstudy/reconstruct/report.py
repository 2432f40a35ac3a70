"""How well a reconstruction reproduces the digitised curve and the published numbers at risk."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import FrameResultMixin, frame_from_rows
from hamstudy.reconstruct._clean import clean_curve
from hamstudy.reconstruct.ipd import _select_arm


@dataclass(frozen=True, eq=False)
class ReconstructionReport(FrameResultMixin):
    """Agreement between a reconstructed data set and the figure it came from.

    Attributes
    ----------
    max_abs_diff, mean_abs_diff : float
        Largest and mean absolute difference between the Kaplan-Meier curve of the reconstructed
        data and the digitised survival, over the digitised points (after cleaning).
    curve : DataFrame
        One row per digitised point: ``time, survival_digitised, survival_reconstructed,
        abs_diff``.
    at_risk : DataFrame
        ``time, n_risk_published, n_risk_reconstructed, difference`` (reconstructed minus
        published; NaN where the published count is missing). Empty when no table was given.
    km : DataFrame
        The reconstructed data's Kaplan-Meier table (:func:`hamstudy.survival.kaplan_meier`).
    n, n_events : int
        Participants and events in the reconstructed data.
    method : str
        What was compared.
    """

    max_abs_diff: float
    mean_abs_diff: float
    curve: pd.DataFrame
    at_risk: pd.DataFrame
    km: pd.DataFrame
    n: int
    n_events: int
    method: str

    @property
    def max_abs_at_risk_diff(self) -> float:
        """Largest absolute difference in the numbers at risk (NaN without a table)."""
        diff = self.at_risk["difference"].abs() if len(self.at_risk) else pd.Series(dtype=float)
        return float(diff.max()) if diff.notna().any() else float("nan")

    @property
    def _html_title(self) -> str:
        return f"Reconstruction agreement ({self.n} participants, {self.n_events} events)"

    def to_frame(self) -> pd.DataFrame:
        """Rows ``max_abs_diff, mean_abs_diff, max_abs_at_risk_diff, n, n_events``."""
        return frame_from_rows(
            {
                "max_abs_diff": {"estimate": self.max_abs_diff, "method": self.method},
                "mean_abs_diff": {"estimate": self.mean_abs_diff, "method": self.method},
                "max_abs_at_risk_diff": {
                    "estimate": self.max_abs_at_risk_diff,
                    "method": "reconstructed minus published numbers at risk",
                },
                "n": {"estimate": self.n, "method": "participants reconstructed"},
                "n_events": {"estimate": self.n_events, "method": "events reconstructed"},
            }
        )

    def plot(self, ax=None):
        """Digitised points over the reconstructed Kaplan-Meier step curve, with the published and
        reconstructed numbers at risk printed under the time axis (mismatches in red)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        km_t = np.concatenate([[0.0], self.km["time"].to_numpy()])
        km_s = np.concatenate([[1.0], self.km["survival"].to_numpy()])
        t_end = max(float(km_t[-1]), float(self.curve["time"].max()))
        ax.step(np.append(km_t, t_end), np.append(km_s, km_s[-1]), where="post", color="C0", lw=1.6,
                label="reconstructed Kaplan-Meier")
        ax.plot(self.curve["time"], self.curve["survival_digitised"], "o", ms=3.5, mfc="none", color="C1",
                label="digitised points")
        ax.set_ylim(-0.02, 1.05)
        ax.set_xlim(left=0)
        ax.set_xlabel("time")
        ax.set_ylabel("survival")
        ax.set_title(f"max |difference| {self.max_abs_diff:.3g}, mean {self.mean_abs_diff:.3g}")
        ax.legend(loc="lower left", frameon=False, fontsize="small")
        if len(self.at_risk):
            rows = (("published", "n_risk_published", -0.27), ("reconstructed", "n_risk_reconstructed", -0.35))
            for label, col, y in rows:
                ax.annotate(label, xy=(0, y), xycoords="axes fraction", ha="right", va="center",
                            fontsize="small", xytext=(-6, 0), textcoords="offset points")
                for _, r in self.at_risk.iterrows():
                    v = r[col]
                    text = "NA" if pd.isna(v) else f"{int(v)}"
                    bad = col == "n_risk_reconstructed" and pd.notna(r["difference"]) and r["difference"] != 0
                    ax.annotate(text, xy=(r["time"], y), xycoords=("data", "axes fraction"), ha="center",
                                va="center", fontsize="small", color="C3" if bad else "black")
            ax.annotate("numbers at risk", xy=(0, -0.20), xycoords="axes fraction", ha="left", va="center",
                        fontsize="small", style="italic")
        return ax


def reconstruction_report(ipd: pd.DataFrame, curve: pd.DataFrame, at_risk=None, *, arm=None) -> ReconstructionReport:
    """Compare a reconstructed data set with the digitised curve and the published numbers at risk.

    Parameters
    ----------
    ipd : DataFrame
        Reconstructed participants, columns ``time, event`` (as returned by
        :func:`reconstruct_ipd`).
    curve : DataFrame
        The digitised points ``time, survival`` the data came from (in percent or not; cleaned
        the same way as in :func:`reconstruct_ipd`).
    at_risk : DataFrame or int, optional
        The published numbers at risk ``time, n_risk`` (or the number randomised).
    arm : str, optional
        When the frames have an ``arm`` column, compare that arm only.

    Returns
    -------
    ReconstructionReport
        ``max_abs_diff``, ``mean_abs_diff``, ``curve`` (point by point), ``at_risk`` (published
        against reconstructed), ``to_frame()``, ``_repr_html_`` and ``plot(ax=None)``.

    Notes
    -----
    The reconstructed curve is the Kaplan-Meier estimate of ``ipd``
    (:func:`hamstudy.survival.kaplan_meier`), evaluated as a right-continuous step function at
    each digitised time. The digitised points are compared after the cleaning of
    :func:`reconstruct_ipd` (percent scaled, sorted, made non-increasing, one point per time), but
    without the points that cleaning adds (0, 1 and the at-risk times). The reconstructed number
    at risk at time t counts participants with time >= t, as R's ``summary(survfit)`` does.
    IPDfromKM's ``getIPD`` reports similar summaries; R has no single equivalent.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJNM, Welton NJ. BMC Med Res Methodol 2012;12:9.

    Examples
    --------
    >>> import pandas as pd
    >>> from hamstudy.reconstruct import reconstruct_ipd, reconstruction_report
    >>> curve = pd.DataFrame({"time": [3, 7, 10, 14, 30], "survival": [0.9, 0.7, 0.6, 0.45, 0.45]})
    >>> at_risk = pd.DataFrame({"time": [0, 14], "n_risk": [20, 12]})
    >>> rep = reconstruction_report(reconstruct_ipd(curve, at_risk), curve, at_risk)
    >>> round(rep.max_abs_diff, 12), rep.at_risk["difference"].tolist()
    (0.0, [0, 0])
    """
    from hamstudy.survival import kaplan_meier

    if not isinstance(ipd, pd.DataFrame) or not {"time", "event"} <= set(ipd.columns):
        raise ValueError("ipd must be a DataFrame with columns time and event")
    ipd = _select_arm(ipd, arm, "ipd")
    curve = _select_arm(curve, arm, "curve")
    at_risk = _select_arm(at_risk, arm, "at_risk")
    if len(ipd) == 0:
        raise ValueError("ipd has no rows")
    km = kaplan_meier(ipd["time"].to_numpy(dtype=float), ipd["event"].to_numpy(dtype=int))
    clean = clean_curve(curve)
    t, s = clean.time, clean.survival
    if any(line.startswith("prepended") for line in clean.log):
        t, s = t[1:], s[1:]
    s_hat = km.at(t)
    diff = np.abs(s_hat - s)
    curve_cmp = pd.DataFrame({"time": t, "survival_digitised": s, "survival_reconstructed": s_hat, "abs_diff": diff})

    times = ipd["time"].to_numpy(dtype=float)
    if at_risk is None:
        risk_cmp = pd.DataFrame(columns=["time", "n_risk_published", "n_risk_reconstructed", "difference"])
    else:
        if isinstance(at_risk, numbers.Integral) and not isinstance(at_risk, bool):
            at_risk = pd.DataFrame({"time": [0.0], "n_risk": [at_risk]})
        if not isinstance(at_risk, pd.DataFrame) or not {"time", "n_risk"} <= set(at_risk.columns):
            raise ValueError("at_risk must be a DataFrame with columns time and n_risk, or an integer")
        rt = pd.to_numeric(at_risk["time"]).to_numpy(dtype=float)
        rn = pd.to_numeric(at_risk["n_risk"]).to_numpy(dtype=float)
        ok = ~np.isnan(rt)
        rt, rn = rt[ok], rn[ok]
        order = np.argsort(rt, kind="stable")
        rt, rn = rt[order], rn[order]
        rec = np.array([(times >= x).sum() for x in rt], dtype=np.int64)
        risk_cmp = pd.DataFrame(
            {
                "time": rt,
                "n_risk_published": rn,
                "n_risk_reconstructed": rec,
                "difference": rec - rn,
            }
        )
        if not np.isnan(rn).any():
            risk_cmp["n_risk_published"] = rn.astype(np.int64)
            risk_cmp["difference"] = (rec - rn).astype(np.int64)
    return ReconstructionReport(
        max_abs_diff=float(diff.max()),
        mean_abs_diff=float(diff.mean()),
        curve=curve_cmp,
        at_risk=risk_cmp,
        km=km.table,
        n=int(len(ipd)),
        n_events=int(ipd["event"].sum()),
        method=f"reconstructed Kaplan-Meier vs {len(t)} digitised points",
    )
