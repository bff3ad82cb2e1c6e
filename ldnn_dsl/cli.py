"""`ldnn`: check, fmt, schema, compile, train, gradcheck.

Exit status: 0 clean, 1 errors in a spec (or warnings with --strict), 2 usage errors,
130 for Ctrl-C outside training (E406 and 1 for `train`), 143 when SIGTERM stopped `train`,
`compile` or `gradcheck` (which remove what they had half written first), 70 for a bug in ldnn.
Only the compile, train and gradcheck subcommands import TensorFlow."""

from __future__ import annotations

import argparse
import sys
import traceback

from ldnn_dsl import __version__
from ldnn_dsl.commands import check_cmd, compile_cmd, fmt_cmd, gradcheck_cmd, schema_cmd, train_cmd
from ldnn_dsl.train.stopping import INTERRUPTED_STATUS

SUBCOMMANDS = (check_cmd, fmt_cmd, schema_cmd, compile_cmd, train_cmd, gradcheck_cmd)
INTERNAL_ERROR_STATUS = 70  # EX_SOFTWARE


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ldnn", description="Declarative deep-net specs: check, format, compile, train.")
    p.add_argument("--version", action="version", version=f"ldnn {__version__}")
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
    except Exception:  # every failure of the spec, its data or the run is a diagnostic: this is ldnn's own
        traceback.print_exc()
        print("ldnn: internal error: the traceback above is a bug in ldnn, not a mistake in the spec; "
              "please report it with the spec and the command", file=sys.stderr)
        return INTERNAL_ERROR_STATUS


if __name__ == "__main__":
    sys.exit(main())
