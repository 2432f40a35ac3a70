"""Progress for long report batches: a tqdm bar on a terminal, one plain line per step in a pipe."""

from __future__ import annotations

import sys
import time
from typing import IO, Iterable, Iterator, TypeVar

__all__ = ["track"]

T = TypeVar("T")


def track(items: Iterable[T], *, desc: str, label=str, stream: IO[str] | None = None, enabled: bool = True) -> Iterator[T]:
    """Yield ``items`` while showing progress on ``stream`` (default: standard error).

    On a terminal this is a tqdm bar with the current item's ``label(item)``; when the stream is not a
    terminal (a pipe, a log file, CI) it writes one plain line per item, ``desc [i/n] label``, and a last
    line with the elapsed time, so that logs stay readable. ``enabled=False`` prints nothing.
    """
    items = list(items)
    stream = sys.stderr if stream is None else stream
    if not enabled:
        yield from items
        return
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    if is_tty:
        from tqdm import tqdm

        with tqdm(items, desc=desc, file=stream, unit="report", leave=True, dynamic_ncols=True) as bar:
            for item in bar:
                bar.set_postfix_str(str(label(item)))
                yield item
        return
    start = time.perf_counter()
    n = len(items)
    for i, item in enumerate(items, 1):
        print(f"{desc} [{i}/{n}] {label(item)}", file=stream, flush=True)
        yield item
    print(f"{desc}: {n} done in {time.perf_counter() - start:.1f} s", file=stream, flush=True)
