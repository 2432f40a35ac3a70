"""Kaplan-Meier step points by hand, the independent reference of the reconstruction tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def curve(t, s) -> pd.DataFrame:
    return pd.DataFrame({"time": t, "survival": s})


def km_points(time, event) -> pd.DataFrame:
    """The published curve: the product-limit estimate at each distinct event time (a loop over
    them), plus the end of follow-up."""
    time, event = np.asarray(time, float), np.asarray(event, int)
    pts_t, pts_s, s = [0.0], [1.0], 1.0
    for u in np.unique(time[event == 1]):
        s *= 1 - ((time == u) & (event == 1)).sum() / (time >= u).sum()
        pts_t.append(u)
        pts_s.append(s)
    if time.max() > pts_t[-1]:
        pts_t.append(time.max())
        pts_s.append(s)
    return curve(pts_t, pts_s)
