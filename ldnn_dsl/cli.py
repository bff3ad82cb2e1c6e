"""`ldnn`: check, fmt, schema, compile, train, gradcheck.

Exit status: 0 clean, 1 errors in a spec (or warnings with --strict), 2 usage errors,
130 for Ctrl-C outside training (E406 and 1 for `train`), 143 when SIGTERM stopped `train`,
`compile` or `gradcheck` (which remove what they had half written first), 70 for a bug in ldnn.
Only the compile, train and gradcheck subcommands import TensorFlow."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from ldnn_dsl import __version__
from ldnn_dsl.exit_status import INTERNAL_ERROR_STATUS, INTERRUPTED_STATUS


def parser() -> argparse.ArgumentParser:
    """The subcommands' modules load the checker (about half a second): imported here, inside
    `main`'s handler, a Ctrl-C while they load is an interruption like any other."""
    from ldnn_dsl.commands import check_cmd, compile_cmd, fmt_cmd, gradcheck_cmd, schema_cmd, train_cmd

    p = argparse.ArgumentParser(prog="ldnn", description="Declarative deep-net specs: check, format, compile, train.")
    p.add_argument("--version", action="version", version=f"ldnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (check_cmd, fmt_cmd, schema_cmd, compile_cmd, train_cmd, gradcheck_cmd):
        module.add_parser(sub)
    return p


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C held back while the checker's modules load, and delivered once they have: one
    that lands inside a compiled extension's own import (pydantic-core's) is not turned into
    a panic with a traceback there, but into the plain interruption `main` reports. The mask is
    the calling thread's: as `ldnn` starts, that is its only thread."""
    hold = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def main(argv: list[str] | None = None) -> int:
    try:
        with _ctrl_c_held():
            commands = parser()
        args = commands.parse_args(argv)
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


def entry() -> None:
    """The `ldnn` command: `main`, then exit with its status. Once the command is done, a
    Ctrl-C or SIGTERM could only cut short the interpreter's own shutdown (JAX's exit handler
    printed "Exception ignored in atexit callback" over a saved run): from then on they wait."""
    status = main()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(status)


if __name__ == "__main__":
    entry()
