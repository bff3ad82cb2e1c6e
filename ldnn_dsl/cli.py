"""`ldnn`: check, fmt, schema, compile, train, gradcheck.

Exit status: 0 clean, 1 errors in a spec (or warnings with --strict), 2 usage errors,
130 for Ctrl-C outside training (E406 and 1 for `train`), 143 when SIGTERM stopped `train`,
`compile` or `gradcheck` (which remove what they had half written first).
Only the compile, train and gradcheck subcommands import TensorFlow."""

from __future__ import annotations

import argparse
import sys

from ldnn_dsl.commands import check_cmd, compile_cmd, fmt_cmd, gradcheck_cmd, schema_cmd, train_cmd
from ldnn_dsl.train.stopping import INTERRUPTED_STATUS

SUBCOMMANDS = (check_cmd, fmt_cmd, schema_cmd, compile_cmd, train_cmd, gradcheck_cmd)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ldnn", description="Declarative deep-net specs: check, format, compile, train.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("ldnn: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
