"""Power of the log-rank test by simulation, vectorised across simulated trials.

A loop of ``lifelines.statistics.logrank_test`` costs milliseconds per trial; here whole chunks of
trials are drawn as matrices and tested at once with :func:`logrank_statistics` (hand-written
because no library vectorises the log-rank over data sets).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hamstudy._result import FrameResultMixin, frame_from_rows
from hamstudy._result import check_alpha
from hamstudy.design._checks import check_count, check_positive
from hamstudy.design.logrank_stat import logrank_statistics

#: At most this many trials per chunk; fewer for big trials (about 400,000 athletes per chunk).
MAX_CHUNK = 1000
_CHUNK_CELLS = 400_000


def chunk_size(n_total: int) -> int:
    """Trials per chunk for trials of ``n_total`` athletes (depends on the design only)."""
    return int(max(1, min(MAX_CHUNK, _CHUNK_CELLS // max(1, n_total))))


class _TimeModel:
    """Control-arm time-to-event distribution with proportional hazards for arm 2.

    The control cumulative hazard is ``H(t) = c M(t)``: ``M(t) = t^shape`` (Weibull; exponential
    for shape 1) or the integral of a piecewise-constant relative hazard; ``c`` puts the control
    median at ``control_median``. Arm 2 has ``hazard_ratio * H(t)``, so a time is drawn as
    ``M^{-1}(E / (c * hr))`` with ``E`` standard exponential.
    """

    def __init__(self, control_median: float, shape: float, piecewise):
        self.shape = shape
        if piecewise is None:
            self.knots = None
            # (lambda * median)^shape = log 2
            self.c = math.log(2.0) / control_median**shape
            return
        starts, rel = _parse_piecewise(piecewise)
        widths = np.diff(starts)
        self.knots = starts
        self.rel = rel
        self.cum = np.concatenate([[0.0], np.cumsum(widths * rel[:-1])])  # M at each start
        self.c = math.log(2.0) / float(self._M(np.array([control_median]))[0])

    def _M(self, t):
        j = np.searchsorted(self.knots, t, side="right") - 1
        return self.cum[j] + (t - self.knots[j]) * self.rel[j]

    def draw(self, e_over_hr: np.ndarray) -> np.ndarray:
        y = e_over_hr / self.c
        if self.knots is None:
            return y if self.shape == 1.0 else y ** (1.0 / self.shape)
        last_m, last_t, last_r = self.cum[-1], self.knots[-1], self.rel[-1]
        inside = np.interp(y, self.cum, self.knots)
        return np.where(y <= last_m, inside, last_t + (y - last_m) / last_r)


def _parse_piecewise(piecewise):
    if isinstance(piecewise, dict):
        items = sorted(piecewise.items())
    else:
        try:
            items = [tuple(p) for p in piecewise]
        except TypeError:
            raise TypeError("piecewise must be a sequence of (start, relative_hazard) pairs or a dict") from None
    if not items or any(len(p) != 2 for p in items):
        raise ValueError("piecewise must be a non-empty sequence of (start, relative_hazard) pairs")
    starts = np.array([float(p[0]) for p in items])
    rel = np.array([float(p[1]) for p in items])
    if starts[0] != 0.0:
        raise ValueError(f"the first piecewise interval must start at 0; got {starts[0]!r}")
    if np.any(np.diff(starts) <= 0) or not np.all(np.isfinite(starts)):
        raise ValueError("piecewise interval starts must be finite and strictly increasing")
    if np.any(rel <= 0) or not np.all(np.isfinite(rel)):
        raise ValueError("piecewise relative hazards must be positive and finite")
    return starts, rel


def draw_trials(
    rng: np.random.Generator,
    n_trials: int,
    *,
    n1: int,
    n2: int,
    hazard_ratio: float,
    control_median: float,
    follow_up: float,
    accrual: float = 0.0,
    dropout_rate: float = 0.0,
    shape: float = 1.0,
    piecewise=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n_trials`` trials of the design; one trial per row.

    Returns ``(time, event, group)`` arrays of shape ``(n_trials, n1 + n2)``; the first ``n1``
    columns are arm 1 (``group`` False). Entry is uniform on ``[0, accrual]``, every athlete is
    censored at calendar time ``accrual + follow_up`` or at an exponential dropout time, whichever
    comes first.
    """
    model = _TimeModel(control_median, shape, piecewise)
    n = n1 + n2
    size = (n_trials, n)
    group = np.zeros(n, dtype=bool)
    group[n1:] = True
    inv_hr = np.where(group, 1.0 / hazard_ratio, 1.0)
    t_event = model.draw(rng.standard_exponential(size) * inv_hr)
    if accrual > 0.0:
        limit = accrual + follow_up - accrual * rng.random(size)
    else:
        limit = np.full(size, float(follow_up))
    if dropout_rate > 0.0:
        limit = np.minimum(limit, rng.standard_exponential(size) / dropout_rate)
    event = t_event <= limit
    time = np.where(event, t_event, limit)
    return time, event, np.broadcast_to(group, size)


def _simulate_chunk(seed, n_trials: int, *, alpha: float, **design) -> tuple[int, float]:
    """Simulate ``n_trials`` trials from ``seed``; return (rejections, total observed events)."""
    from scipy.special import ndtr

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    time, event, group = draw_trials(rng, n_trials, **design)
    score, variance = logrank_statistics(time, event, group)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = score / np.sqrt(variance)
    pvalue = 2.0 * ndtr(-np.abs(z))  # NaN (no events) is never a rejection
    return int(np.count_nonzero(pvalue <= alpha)), float(event.sum())


@dataclass(frozen=True)
class PowerResult(FrameResultMixin):
    """Simulated power of a design.

    Attributes
    ----------
    power : float
        Fraction of simulated trials in which the test rejected at ``alpha``.
    mc_se : float
        Monte Carlo standard error ``sqrt(power (1 - power) / n_sims)``.
    n_sims : int
        Number of simulated trials.
    rejections : int
        Number of rejecting trials.
    mean_events : float
        Average number of observed events per simulated trial.
    n1, n2, hazard_ratio, control_median, follow_up, accrual, dropout_rate, alpha, shape, piecewise
        The design (``piecewise`` as a tuple of (start, relative hazard) pairs, or None).
    seed_entropy : int
        Entropy of the root ``SeedSequence``: ``seed=seed_entropy`` reproduces the result.
    method : str
        Description of the simulation.
    """

    power: float
    mc_se: float
    n_sims: int
    rejections: int
    mean_events: float
    n1: int
    n2: int
    hazard_ratio: float
    control_median: float
    follow_up: float
    accrual: float
    dropout_rate: float
    alpha: float
    shape: float
    piecewise: tuple | None
    seed_entropy: object
    method: str

    _html_title = "Simulated power"

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """Clopper-Pearson interval for the true power from the simulated rejections."""
        from scipy.stats import binomtest

        from hamstudy._result import check_confidence_level

        ci = binomtest(self.rejections, self.n_sims).proportion_ci(
            confidence_level=check_confidence_level(confidence_level), method="exact"
        )
        return float(ci.low), float(ci.high)

    def to_frame(self) -> pd.DataFrame:
        low, high = self.confidence_interval()
        return frame_from_rows({"power": {"estimate": self.power, "ci_low": low, "ci_high": high, "method": self.method}})


def _root_seed(seed):
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
        return np.random.SeedSequence(None if seed is None else int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise TypeError(f"seed must be None, a non-negative int, a numpy SeedSequence or Generator; got {seed!r}")


def simulate_logrank_power(
    n1,
    n2,
    hazard_ratio,
    *,
    control_median,
    follow_up,
    accrual=0,
    dropout_rate=0,
    n_sims=10000,
    alpha=0.05,
    seed=None,
    client=None,
    shape=1.0,
    piecewise=None,
) -> PowerResult:
    """Power of the two-sided log-rank test for a design, by simulation.

    Parameters
    ----------
    n1, n2 : int
        Athletes in arm 1 (control) and arm 2 (experimental).
    hazard_ratio : float
        Hazard in arm 2 over arm 1 (proportional hazards). 1 simulates the type I error.
    control_median : float
        Median time to reinjury in arm 1 (e.g. days).
    follow_up : float
        Follow-up after the end of accrual: every athlete is censored at calendar time
        ``accrual + follow_up``, so an athlete who entered at ``u`` is followed for
        ``accrual + follow_up - u`` (all for ``follow_up`` when ``accrual`` is 0).
    accrual : float, default 0
        Length of the recruitment period; entry times are uniform on ``[0, accrual]``.
    dropout_rate : float, default 0
        Exponential dropout hazard per time unit (both arms); a dropout is censored.
    n_sims : int, default 10000
        Number of simulated trials.
    alpha : float, default 0.05
        Two-sided significance level.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Root of the random streams. The trials are split into chunks of a size fixed by the
        design (:func:`chunk_size`), each with its own child of ``SeedSequence(seed)`` (spawned in
        order), so the result is the same with or without a client and whatever the number of
        workers.
    client : dask.distributed.Client, optional
        Run the chunks as tasks on this cluster (``client.map``/``gather``); without one they run
        here, one after another.
    shape : float, default 1
        Weibull shape of the time to reinjury (1 is exponential); arm 2 keeps proportional
        hazards. ``>1`` risk grows with time, ``<1`` risk is highest early.
    piecewise : sequence of (start, relative_hazard) pairs or dict, optional
        A piecewise-constant hazard shape, e.g. ``[(0, 4.0), (14, 1.0)]`` for four times the risk
        in the first 14 days; scaled so the control median is ``control_median``. Not combined
        with ``shape``.

    Returns
    -------
    PowerResult
        ``.power``, ``.mc_se``, ``.n_sims`` and the design.

    Notes
    -----
    The statistic equals ``survival::survdiff`` (R) and ``lifelines.statistics.logrank_test``
    to rounding (tests compare single trials to 1e-10); the p-value is the normal one,
    ``2 Phi(-|Z|)``. A trial without events counts as not rejecting. There is no R function for
    this simulation; R users write the loop around ``survdiff`` themselves.

    References
    ----------
    Schoenfeld DA (1981). The asymptotic properties of nonparametric tests for comparing survival
    distributions. Biometrika 68:316-319.

    Examples
    --------
    >>> from hamstudy.design import simulate_logrank_power
    >>> res = simulate_logrank_power(40, 40, 0.4, control_median=60, follow_up=90, n_sims=2000, seed=1)
    >>> 0 < res.power < 1
    True
    """
    n1 = check_count(n1, "n1")
    n2 = check_count(n2, "n2")
    hr = check_positive(hazard_ratio, "hazard_ratio")
    median = check_positive(control_median, "control_median")
    fu = check_positive(follow_up, "follow_up")
    acc = check_positive(accrual, "accrual", allow_zero=True)
    drop = check_positive(dropout_rate, "dropout_rate", allow_zero=True)
    n_sims = check_count(n_sims, "n_sims")
    a = check_alpha(alpha)
    k = check_positive(shape, "shape")
    pw = None
    if piecewise is not None:
        if k != 1.0:
            raise ValueError("give either a Weibull shape or a piecewise hazard, not both")
        starts, rel = _parse_piecewise(piecewise)
        pw = tuple(zip(starts.tolist(), rel.tolist()))

    root = _root_seed(seed)
    per_chunk = chunk_size(n1 + n2)
    sizes = [per_chunk] * (n_sims // per_chunk)
    if n_sims % per_chunk:
        sizes.append(n_sims % per_chunk)
    children = root.spawn(len(sizes))
    design = dict(
        n1=n1, n2=n2, hazard_ratio=hr, control_median=median, follow_up=fu, accrual=acc,
        dropout_rate=drop, alpha=a, shape=k, piecewise=pw,
    )
    if client is None:
        parts = [_simulate_chunk(s, m, **design) for s, m in zip(children, sizes)]
    else:
        futures = client.map(_simulate_chunk, children, sizes, pure=False, **design)
        parts = client.gather(futures)
    rejections = sum(p[0] for p in parts)
    events = sum(p[1] for p in parts)
    power = rejections / n_sims
    if pw is not None:
        times = "piecewise-exponential"
    elif k != 1.0:
        times = f"Weibull (shape {k:g})"
    else:
        times = "exponential"
    entropy = root.entropy if isinstance(root, np.random.SeedSequence) else None
    return PowerResult(
        power=power,
        mc_se=math.sqrt(power * (1.0 - power) / n_sims),
        n_sims=n_sims,
        rejections=rejections,
        mean_events=events / n_sims,
        seed_entropy=entropy,
        method=f"Simulated two-sided log-rank power ({times} times, {n_sims} trials)",
        **design,
    )
