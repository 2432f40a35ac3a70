"""The ``report`` verb: ``python -m hamstudy report [TARGET ...] [--out DIR] [--format html,md,pdf] [--outcome NAME]``."""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["add_parser", "handler"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``report`` on the ``python -m hamstudy`` sub-command parser."""
    p = subparsers.add_parser(
        "report",
        help="write HTML, Markdown and PDF reports (with manifest.json) for bundled datasets or data files",
        description=(
            "Write one self-contained report per target into --out: report.html (inline figures, no network), "
            "report.md with figures/*.svg, report.pdf and manifest.json, plus index.html linking them. "
            "The output is replaced atomically: a failed run leaves the previous report intact."
        ),
    )
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="bundled dataset name or path to a data package folder or CSV (default: every bundled dataset)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output folder (default: ./reports/)")
    p.add_argument("--format", default="html,md,pdf", dest="formats", metavar="FORMATS",
                   help="comma-separated formats among html, md, pdf (default: html,md,pdf)")
    p.add_argument("--outcome", default=None, metavar="NAME", help="report only this outcome (e.g. reinjury)")
    p.add_argument("--p-style", default="apa", choices=("apa", "leading-zero", "exact"),
                   help="how p-values are written: apa (p < .001), leading-zero (p < 0.001) or exact")
    p.add_argument("--digits", type=int, default=3, metavar="N", help="significant digits for estimates (default 3)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=handler)
    return p


def handler(args: argparse.Namespace) -> int:
    """Run the report; errors in the data or arguments are raised as ValueError / DataError / OSError."""
    from hamstudy.report.build import build_reports, parse_formats
    from hamstudy.report.format import NumberStyle

    formats = parse_formats(args.formats)
    style = NumberStyle(p_style=args.p_style, sig_digits=args.digits)
    command = " ".join(["python", "-m", "hamstudy", "report"] + [shlex.quote(t) for t in args.targets]
                       + ["--out", shlex.quote(str(args.out)), "--format", ",".join(formats)]
                       + (["--outcome", shlex.quote(args.outcome)] if args.outcome else [])
                       + (["--p-style", args.p_style] if args.p_style != "apa" else [])
                       + (["--digits", str(args.digits)] if args.digits != 3 else []))
    run = build_reports(args.targets, out=args.out, formats=formats, outcome=args.outcome, style=style,
                        progress=not args.quiet, command=command, argv=sys.argv)
    if not args.quiet:
        print(f"wrote {len(run.reports)} report(s) to {run.out} in {run.seconds:.1f} s; open {run.index}", file=sys.stderr)
    print(run.index)
    return 0
