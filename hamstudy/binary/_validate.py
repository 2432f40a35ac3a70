"""Input checks shared by the binary-outcome functions."""

from __future__ import annotations

import numbers

import numpy as np


def as_count_arrays(events1, total1, events2, total2, *, min_total: int = 0):
    """Broadcast four count arguments to int64 arrays, checking that they are valid counts.

    Raises ``TypeError`` for non-integer input and ``ValueError`` for negative counts, events above
    the total, or totals below ``min_total``.
    """
    names = ("events1", "total1", "events2", "total2")
    arrays = []
    for name, value in zip(names, (events1, total1, events2, total2)):
        arr = np.asarray(value)
        if arr.dtype == bool or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be integer counts; got {value!r}")
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise TypeError(f"{name} must be whole numbers; got {value!r}")
        arr = arr.astype(np.int64)
        if np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative; got {value!r}")
        arrays.append(arr)
    e1, n1, e2, n2 = np.broadcast_arrays(*arrays)
    if np.any(n1 < min_total) or np.any(n2 < min_total):
        raise ValueError(f"total1 and total2 must be at least {min_total}; got {total1!r} and {total2!r}")
    if np.any(e1 > n1):
        raise ValueError(f"events1 must not exceed total1; got events1={events1!r}, total1={total1!r}")
    if np.any(e2 > n2):
        raise ValueError(f"events2 must not exceed total2; got events2={events2!r}, total2={total2!r}")
    return e1, n1, e2, n2


def as_count(value, name: str) -> int:
    """Return ``value`` as a Python int if it is a whole non-negative number, else raise."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer count; got {value!r}")
    if isinstance(value, numbers.Integral):
        out = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        out = int(value)
    else:
        raise TypeError(f"{name} must be an integer count; got {value!r}")
    if out < 0:
        raise ValueError(f"{name} must be non-negative; got {value!r}")
    return out


def check_table(events1, total1, events2, total2, *, min_total: int = 1) -> tuple[int, int, int, int]:
    """Validate one two-arm table and return it as four Python ints."""
    e1 = as_count(events1, "events1")
    n1 = as_count(total1, "total1")
    e2 = as_count(events2, "events2")
    n2 = as_count(total2, "total2")
    if n1 < min_total or n2 < min_total:
        raise ValueError(f"total1 and total2 must be at least {min_total}; got {n1} and {n2}")
    if e1 > n1:
        raise ValueError(f"events1 must not exceed total1; got {e1} > {n1}")
    if e2 > n2:
        raise ValueError(f"events2 must not exceed total2; got {e2} > {n2}")
    return e1, n1, e2, n2
