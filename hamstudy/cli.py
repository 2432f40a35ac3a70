"""Command line: ``python -m hamstudy VERB ...``.

Thin over the library: every verb calls the same public functions as the notebooks. Heavy modules
(numpy, pandas, scipy, matplotlib) are imported inside the handlers so that ``--help`` is fast. Any
error in the data or the arguments becomes one readable line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Callable, Sequence

from hamstudy.errors import DataError

EXIT_USAGE = 2

# verbs contributed by the analysis packages: module holding add_parser(subparsers)
_PLUGINS = ("hamstudy.report.cli", "hamstudy.design.cli")


def _cmd_datasets(args: argparse.Namespace) -> int:
    from hamstudy import datasets

    table = datasets.list()
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        print(table.to_string(index=False))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from hamstudy.data import read_trial

    try:
        trial = read_trial(args.path, at_risk=args.at_risk)
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    print(f"ok: {trial.summary()}")
    return 0


def parse_counts(text: str) -> tuple[int, int]:
    """Parse ``EVENTS/TOTAL`` (e.g. ``6/11``)."""
    parts = text.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"{text!r} is not EVENTS/TOTAL; expected two whole numbers such as 6/11")
    events, total = (int(p) for p in parts)
    if total < 1 or events > total:
        raise ValueError(f"{text!r}: expected 0 <= events <= total and total >= 1")
    return events, total


def _cmd_compare(args: argparse.Namespace) -> int:
    (e1, n1), (e2, n2) = parse_counts(args.arm1), parse_counts(args.arm2)
    labels = None
    if args.labels:
        labels = tuple(s.strip() for s in args.labels.split(","))
        if len(labels) != 2 or not all(labels):
            raise ValueError(f"--labels {args.labels!r}: expected two labels separated by a comma, such as STST,PATS")
    from hamstudy.binary import compare_binary

    result = compare_binary(e1, n1, e2, n2, labels=labels, confidence_level=args.confidence_level)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    from hamstudy.report.format import format_frame

    l1, l2 = labels or ("arm 1", "arm 2")
    print(f"{l1}: {e1}/{n1}   {l2}: {e2}/{n2}")
    print(format_frame(result.to_frame()).to_string())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hamstudy",
        description="Exact small-trial analysis of rehabilitation protocols (hamstudy).",
    )
    from hamstudy import __version__

    parser.add_argument("--version", action="version", version=f"hamstudy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="VERB")
    sub.required = True

    p = sub.add_parser("datasets", help="list the bundled datasets")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("validate", help="check a data package folder or CSV; exit 2 with every problem found")
    p.add_argument("path", help="data package folder, datapackage.json, or CSV file")
    p.add_argument("--at-risk", default=None, help="numbers-at-risk CSV for a digitised Kaplan-Meier curve")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("compare", help="exact two-arm comparison of a binary outcome, e.g. compare 6/11 0/13")
    p.add_argument("arm1", help="EVENTS/TOTAL of arm 1, e.g. 6/11")
    p.add_argument("arm2", help="EVENTS/TOTAL of arm 2, e.g. 0/13")
    p.add_argument("--labels", default=None, help="two arm labels, e.g. STST,PATS")
    p.add_argument("--confidence-level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--json", action="store_true", help="print every estimate as JSON")
    p.set_defaults(func=_cmd_compare)

    for module in _PLUGINS:
        try:
            plugin = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # only the plugin (or its package) being absent is tolerated; an import error inside it is a bug
            if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
                raise
            continue
        plugin.add_parser(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    lines = text.splitlines()
    if isinstance(exc, DataError) and len(exc.problems) > 1:
        first = exc.problems[0].describe()
        return f"{first} (and {len(exc.problems) - 1} more problems; run 'python -m hamstudy validate' to list them)"
    return lines[0] if len(lines) == 1 else f"{lines[0]} {' '.join(line.strip() for line in lines[1:])}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(handler(args) or 0)
    except (DataError, ValueError, OSError) as exc:
        print(f"hamstudy {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"hamstudy {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, with a way to see the traceback
        if os.environ.get("HAMSTUDY_DEBUG"):
            raise
        print(
            f"hamstudy {args.command}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(set HAMSTUDY_DEBUG=1 to see the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1
