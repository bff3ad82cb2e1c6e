"""`ldnn`: check, fmt, schema, compile, train, gradcheck.

Exit status: 0 clean, 1 errors in a spec (or warnings with --strict), 2 usage errors.
Only the compile, train and gradcheck subcommands import TensorFlow."""

from __future__ import annotations

import argparse
import sys

from ldnn_dsl.commands import check_cmd, fmt_cmd, schema_cmd


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ldnn", description="Declarative deep-net specs: check, format, compile, train.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (check_cmd, fmt_cmd, schema_cmd):
        module.add_parser(sub)
    for name in ("compile_cmd", "train_cmd", "gradcheck_cmd"):
        try:
            module = __import__(f"ldnn_dsl.commands.{name}", fromlist=["add_parser"])
        except ImportError:
            continue
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("ldnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
