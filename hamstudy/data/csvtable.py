"""Read one CSV table with line numbers, checking every cell against its schema.

pandas.read_csv is not used here: it cannot say which line of the file a bad value came from, and it
stops at the first problem. This reader keeps the line of every row (header = line 1, quoted
newlines counted) and collects every problem in the file before raising.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hamstudy.data.schema import (
    COLUMN_ORDER,
    MISSING_VALUES,
    OPEN_TABLES,
    TABLES,
    Field,
    detect_kind,
    expectation,
    fields_by_name,
)
from hamstudy.errors import Problem

KIND_HINT = (
    "expected binary summaries (arm, outcome, events, total[, window_days]), participant-level data "
    "(participant_id, arm, time, event[, ...]), continuous summaries (arm, outcome, n, mean, sd or median, q1, q3) "
    "or a digitised Kaplan-Meier curve (arm, time, survival)"
)


@dataclass(frozen=True)
class RawTable:
    """A parsed table: its frame, the file line of each row, and where it came from."""

    kind: str
    frame: pd.DataFrame
    lines: np.ndarray
    file: str
    header: tuple[str, ...]


def decode(raw: bytes, file: str, problems: list[Problem]) -> str | None:
    """Decode UTF-8 (a BOM is allowed), or record where the first bad byte is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(file, line, None, f"byte 0x{raw[exc.start]:02x} is not UTF-8; expected a UTF-8 text file (re-save it as UTF-8)")
        )
        return None


def _fmt(value: str) -> str:
    return f'"{value}"' if not _is_number(value) else value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def parse_cell(value: str, field: Field) -> tuple[object, str | None]:
    """Parse one cell. Returns (value, None) or (None, message). Missing is (None, None)."""
    text = value.strip()
    if text in MISSING_VALUES:
        if field.nonmissing:
            return None, f"value is missing; {expectation(field)}"
        return None, None
    if field.kind == "string":
        if field.enum and text not in field.enum:
            return None, f"{_fmt(text)} is not allowed; {expectation(field)}"
        return text, None
    try:
        number = float(text)
    except ValueError:
        return None, f"{_fmt(text)} is not a number; {expectation(field)}"
    if not math.isfinite(number):
        return None, f"{text} is not a finite number; {expectation(field)}"
    if field.kind in ("integer", "event"):
        if not number.is_integer():
            return None, f"{text} is not a whole number; {expectation(field)}"
        number = int(number)
        if field.kind == "event" and number not in (0, 1):
            return None, f"{text} is not an event code; {expectation(field)}"
    if field.minimum is not None and number < field.minimum:
        return None, f"{text} is below {field.minimum:g}; {expectation(field)}"
    if field.exclusive_minimum is not None and number <= field.exclusive_minimum:
        return None, f"{text} is not greater than {field.exclusive_minimum:g}; {expectation(field)}"
    if field.maximum is not None and number > field.maximum:
        return None, f"{text} is above {field.maximum:g}; {expectation(field)}"
    return number, None


def _covariate_column(values: list[str]) -> list[object]:
    stripped = [v.strip() for v in values]
    present = [v for v in stripped if v not in MISSING_VALUES]
    if present and all(_is_number(v) and math.isfinite(float(v)) for v in present):
        return [float(v) if v not in MISSING_VALUES else np.nan for v in stripped]
    return [v if v not in MISSING_VALUES else None for v in stripped]


def read_table(path: Path, *, kind: str | None = None, file: str | None = None, problems: list[Problem]) -> RawTable | None:
    """Read ``path`` as a table of ``kind`` (detected from the header when None).

    Problems are appended to ``problems``; the table is returned when it could be parsed at all
    (possibly with problems recorded), else None.
    """
    file = file or path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(file, None, None, "file not found"))
        return None
    except IsADirectoryError:
        problems.append(Problem(file, None, None, "is a folder; expected a CSV file"))
        return None
    except OSError as exc:
        problems.append(Problem(file, None, None, f"cannot be read ({exc.strerror})"))
        return None
    text = decode(raw, file, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(file, None, None, "the file is empty; expected a header line and at least one row"))
        return None

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        rows: list[tuple[int, list[str]]] = []
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, None, f"is not valid CSV ({exc})"))
        return None

    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, 1, name, "column appears twice in the header; expected each column once"))
        seen.add(name)

    if kind is None:
        kind = detect_kind(header)
        if kind is None:
            problems.append(Problem(file, 1, None, f"cannot tell what this CSV holds from its columns ({', '.join(header)}); {KIND_HINT}"))
            return None

    known = fields_by_name(kind)
    header_ok = True
    for field in TABLES[kind]:
        if field.required and field.name not in header:
            problems.append(
                Problem(file, 1, field.name, f"required column is missing; expected the columns {', '.join(f.name for f in TABLES[kind] if f.required)}")
            )
            header_ok = False
    if kind not in OPEN_TABLES:
        for name in header:
            if name not in known:
                problems.append(
                    Problem(file, 1, name, f"unknown column for a {kind} table; expected some of {', '.join(COLUMN_ORDER[kind])}")
                )
    if not rows:
        problems.append(Problem(file, None, None, "has a header but no rows; expected at least one row"))
        return None
    if not header_ok:
        return None

    width = len(header)
    good_rows: list[tuple[int, list[str]]] = []
    for line, row in rows:
        if len(row) != width:
            problems.append(Problem(file, line, None, f"has {len(row)} cells; expected {width}, as in the header"))
        else:
            good_rows.append((line, row))

    columns: dict[str, list[object]] = {}
    for j, name in enumerate(header):
        cells = [row[j] for _, row in good_rows]
        field = known.get(name)
        if field is None:
            columns[name] = _covariate_column(cells)
            continue
        parsed: list[object] = []
        for (line, _), cell in zip(good_rows, cells):
            value, message = parse_cell(cell, field)
            if message:
                problems.append(Problem(file, line, name, message))
            parsed.append(value)
        if field.unique:
            first: dict[object, int] = {}
            for (line, _), value in zip(good_rows, parsed):
                if value is None:
                    continue
                if value in first:
                    problems.append(
                        Problem(file, line, name, f'"{value}" repeats the {name} of line {first[value]}; expected each {name} once')
                    )
                else:
                    first[value] = line
        columns[name] = parsed

    frame = _build_frame(kind, header, columns)
    lines = np.array([line for line, _ in good_rows], dtype=np.int64)
    _row_checks(kind, frame, lines, file, problems)
    return RawTable(kind=kind, frame=frame, lines=lines, file=file, header=tuple(header))


def _build_frame(kind: str, header: list[str], columns: dict[str, list[object]]) -> pd.DataFrame:
    n = len(next(iter(columns.values()))) if columns else 0
    data: dict[str, object] = {}
    for field in TABLES[kind]:
        values = columns.get(field.name, [None] * n)
        data[field.name] = column_values(field, values)
    for name in header:
        if name not in data:
            data[name] = columns[name]
    return pd.DataFrame(data)


def column_values(field: Field, values: list[object]) -> object:
    """Typed column: int64 when a whole-number column has no gaps, else float64; strings as object."""
    if field.kind == "string":
        return pd.Series([v if v is not None else None for v in values], dtype=object)
    if field.kind in ("integer", "event") and all(v is not None for v in values):
        return np.array(values, dtype=np.int64)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _row_checks(kind: str, frame: pd.DataFrame, lines: np.ndarray, file: str, problems: list[Problem]) -> None:
    """Checks that involve more than one cell of a row."""
    if kind == "binary":
        ev = pd.to_numeric(frame["events"], errors="coerce")
        tot = pd.to_numeric(frame["total"], errors="coerce")
        for i in np.flatnonzero((ev > tot).to_numpy()):
            problems.append(Problem(file, int(lines[i]), "events", f"{int(ev.iloc[i])} is more than total ({int(tot.iloc[i])}); expected events <= total"))
    elif kind == "continuous":
        for i in range(len(frame)):
            row = frame.iloc[i]
            has_mean = not (pd.isna(row["mean"]) or pd.isna(row["sd"]))
            if not has_mean and pd.isna(row["median"]):
                problems.append(Problem(file, int(lines[i]), "mean", "no summary given; expected mean and sd, or median (with q1 and q3)"))
            q = [row["q1"], row["median"], row["q3"]]
            if not any(pd.isna(v) for v in q) and not (q[0] <= q[1] <= q[2]):
                problems.append(Problem(file, int(lines[i]), "median", f"q1 {q[0]:g}, median {q[1]:g}, q3 {q[2]:g} are out of order; expected q1 <= median <= q3"))
