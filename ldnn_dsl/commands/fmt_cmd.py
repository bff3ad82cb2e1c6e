"""`ldnn fmt`: one canonical layout, comments kept, meaning unchanged."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="format specs in place (or --check / --diff)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="spec files, directories, or - (stdin to stdout)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 and list files that would change")
    mode.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ldnn_dsl.fmt.command import format_paths

    return format_paths(args.paths, check=args.check, diff=args.diff)
