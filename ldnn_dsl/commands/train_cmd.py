"""`ldnn train SPEC [--out DIR] [--epochs N] [--seed N] [--max-time T] [--quiet]`: train a spec and save a
run folder. Ctrl-C once stops training and saves the run; twice, or SIGTERM, aborts and saves nothing."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

from ldnn_dsl.commands.guard import guarded, load_keras
from ldnn_dsl.commands.report import duration, named_path, positive, report, seed
from ldnn_dsl.exit_status import INTERRUPTED_STATUS, TERMINATED_STATUS
from ldnn_dsl.layers.base import MAX_SIZE
from ldnn_dsl.source.diagnostics import Diagnostic, error
from ldnn_dsl.train.folder import TRAIN_CODE, forget_placed, placed
from ldnn_dsl.train.stopping import interrupted, raise_swallowed_signal


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a spec; writes runs/<model>-<time>/",
                       description="Train a spec: model.keras, the resolved spec.ldnn, history.csv, metrics.json "
                                   "and curves.png in a new run folder. Ctrl-C once stops training after the "
                                   "current step (or call of steps) and saves the run; twice (or SIGTERM) "
                                   "aborts and saves nothing.")
    p.add_argument("spec", metavar="SPEC", help="the .ldnn file (needs `data` and `train`), or - for standard input")
    p.add_argument("--out", type=named_path, metavar="DIR", help="the run folder (must not exist or be empty); "
                                                "default runs/<model>-<YYYYmmdd-HHMMSS>")
    p.add_argument("--epochs", type=positive(int, at_most=MAX_SIZE), metavar="N",  # as `epochs` in a spec
                   help="train N epochs instead of the spec's `epochs`")
    p.add_argument("--seed", type=seed, metavar="N", help="train from seed N instead of the spec's `seed` "
                                                          "(the data keep theirs)")
    p.add_argument("--max-time", type=duration, metavar="T",
                   help="stop training once T (e.g. 90s, 20m, 1.5h) has passed since the command started, "
                        "then validate and save the run as it is")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar or messages: only the run folder's path, on stdout (or the errors)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.quiet:
        return _run(args)
    # Quiet: only the run folder (or the diagnostics). Keras' Python warnings and TensorFlow's C++
    # log lines (a oneDNN "falling back" at ERROR level) are also messages.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    args.started = time.perf_counter()  # `--max-time` counts from here, Keras' import included
    forget_placed()
    # From the start: a Ctrl-C while Keras loads may land where it cannot propagate and be lost
    # (the run would go on), or inside a library that reports it as an error of its own.
    # SIGTERM (`kill`, `timeout`) cleans up the staging folder.
    return guarded(lambda: _train(args), interrupted=lambda: _interrupted(args.spec),
                   terminated=lambda: _terminated(args.spec))


def _train(args: argparse.Namespace) -> int:
    load_keras()
    from ldnn_dsl.train.run import train

    raise_swallowed_signal()  # one lost in this import too: `train` starts by forgetting them
    result = train(args.spec, out=args.out, epochs=args.epochs, seed=args.seed, quiet=args.quiet,
                   max_time=args.max_time, max_time_since=args.started)
    if args.quiet:
        print(result.folder)
    return 0 if result.folder.exists() else 1


def _interrupted(spec: str) -> int:
    if (folder := placed()) is not None:  # in the moment after the run was saved
        print(f"ldnn train: interrupted (Ctrl-C) after the run was saved: {folder} is complete", file=sys.stderr)
        return INTERRUPTED_STATUS
    report([interrupted(path=spec)], {})
    return 1


def _terminated(spec: str) -> int:
    if (folder := placed()) is not None:
        print(f"ldnn train: terminated (SIGTERM) after the run was saved: {folder} is complete", file=sys.stderr)
    else:
        report([terminated(spec)], {})
    return TERMINATED_STATUS


def terminated(spec: str) -> Diagnostic:
    """One line: the run was stopped from outside, and (the staging folder being gone) kept nothing."""
    return error(TRAIN_CODE, "training terminated (SIGTERM); nothing was saved", path=spec)


__all__ = ["add_parser", "run"]
