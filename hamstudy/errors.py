"""Exceptions raised by hamstudy."""

from __future__ import annotations


class DataError(ValueError):
    """Trial data that cannot be used as it is.

    The message names the file, the line in that file (the header is line 1), the column, the bad
    value and what was expected, one problem per line. ``problems`` holds the same problems as
    :class:`Problem` records, so that a caller can show or count them.
    """

    def __init__(self, message: str, problems: list["Problem"] | None = None):
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])

    @classmethod
    def from_problems(cls, problems: list["Problem"]) -> "DataError":
        problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        lines = [p.describe() for p in problems]
        head = lines[0] if len(lines) == 1 else f"{len(lines)} problems found:\n" + "\n".join(f"  {line}" for line in lines)
        return cls(head, problems)


class Problem:
    """One problem in one place of one file."""

    __slots__ = ("file", "line", "column", "message")

    def __init__(self, file: str, line: int | None, column: str | None, message: str):
        self.file = file
        self.line = line
        self.column = column
        self.message = message

    def describe(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f', column "{self.column}"'
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.describe()!r})"
