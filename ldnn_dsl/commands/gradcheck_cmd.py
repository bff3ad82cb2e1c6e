"""`ldnn gradcheck SPEC`: the analytic gradient against central differences, layer by layer.

    $ ldnn gradcheck specs/parity.ldnn --samples 16
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import TYPE_CHECKING

from ldnn_dsl.check.check import check_source
from ldnn_dsl.commands.guard import guarded, load_keras
from ldnn_dsl.commands.report import positive, report, seed
from ldnn_dsl.exit_status import INTERRUPTED_STATUS, TERMINATED_STATUS
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import read_spec
from ldnn_dsl.train.stopping import raise_swallowed_signal
from ldnn_dsl.verify.options import EPS_RANGE, GradcheckOptions

if TYPE_CHECKING:
    from ldnn_dsl.verify.gradcheck import GradcheckReport, LayerResult

DEFAULTS = GradcheckOptions()


def step(text: str) -> float:
    """An argparse type: a finite-difference step the check can learn from, or a usage error
    saying why not (a step of 1e-20 passed every gradient: it measured only rounding)."""
    low, high = EPS_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected a step from {low:g} to {high:g}, got {text!r}{_why(value)}")
    return value


def _why(value: float) -> str:
    """What goes wrong on each side of `EPS_RANGE`, for steps that are numbers at all."""
    if 0 < value < EPS_RANGE[0]:
        return (": below it, float64 rounding of the loss outweighs the change the step makes; the check "
                "allows for that rounding, so every gradient would pass, a wrong one too")
    if EPS_RANGE[1] < value < math.inf:
        return ": above it, the difference quotient measures the loss's curvature, not only its slope"
    return ""


MAX_BATCH = 4096  # the check needs a small batch; a huge one only runs out of memory, in float64


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradcheck", help="check the backward pass against finite differences (float64)",
                       description="Build the spec's network in float64 and compare the backend's analytic "
                                   "gradient with central differences on a random sample of every variable.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("path", metavar="SPEC", help="the .ldnn spec, or - for standard input")
    p.add_argument("--batch", type=positive(int, at_most=MAX_BATCH), default=DEFAULTS.batch,
                   help=f"samples in the random batch (at most {MAX_BATCH:,}: the check runs in float64, "
                        "the whole batch at once)")
    p.add_argument("--samples", type=positive(int), default=DEFAULTS.samples,
                   help="entries sampled per trainable variable")
    p.add_argument("--tolerance", type=positive(float), default=DEFAULTS.tolerance,
                   help="largest relative error that passes")
    p.add_argument("--seed", type=seed, default=DEFAULTS.seed, help="seed of weights, batch and sample")
    p.add_argument("--eps", type=step, default=DEFAULTS.eps,
                   help=f"finite-difference step, from {EPS_RANGE[0]:g} to {EPS_RANGE[1]:g}")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return guarded(lambda: _gradcheck(args), interrupted=lambda: _stopped("interrupted (Ctrl-C)", INTERRUPTED_STATUS),
                   terminated=lambda: _stopped("terminated (SIGTERM)", TERMINATED_STATUS))


def _gradcheck(args: argparse.Namespace) -> int:
    load_keras()
    result = check_source(read_spec(args.path), "compile")
    if result.errors or result.spec is None:
        report(result.errors, result.sources)
        return 1
    from ldnn_dsl.build.backend import out_of_memory
    from ldnn_dsl.verify.backends import GradcheckError
    from ldnn_dsl.verify.gradcheck import gradcheck

    options = GradcheckOptions(args.batch, args.samples, args.tolerance, args.seed, args.eps)
    started = time.perf_counter()
    try:
        outcome = gradcheck(result.spec, options)
    except DiagnosticError as exc:
        report(exc.diagnostics, result.sources)
        return 1
    except GradcheckError as exc:
        print(f"ldnn gradcheck: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # out of memory is the machine's limit; anything else is ldnn's bug (status 70)
        if not out_of_memory(exc):
            raise
        print(f"ldnn gradcheck: error: out of memory ({type(exc).__name__}): the check runs in float64, on the "
              "whole batch at once; lower --batch", file=sys.stderr)
        return 1
    raise_swallowed_signal()  # one lost while the check ran: no verdict on a check cut short
    print(render(outcome, result.path, time.perf_counter() - started))
    return 0 if outcome.passed else 1


def _stopped(how: str, status: int) -> int:
    print(f"ldnn gradcheck: {how}; no gradient was judged", file=sys.stderr)
    return status


def render(outcome: GradcheckReport, path: str, seconds: float | None = None) -> str:
    """The table, the skipped layers, the notes and one final line."""
    o = outcome.options
    head = (f"gradcheck {outcome.model} ({path}): {outcome.backend}, float64, batch {o.batch}, "
            f"{o.samples} samples per variable, eps {o.eps:g}, seed {o.seed}\n"
            f"loss {outcome.loss} (batch mean) = {outcome.loss_value:.6g}")
    lines = [head, "", *_table(outcome.layers, o.tolerance)]
    if outcome.skipped:
        width = max(len(s.name) for s in outcome.skipped)
        lines += ["", "skipped:"] + [f"  {s.name.ljust(width)}  {s.kind}: {s.reason}" for s in outcome.skipped]
    notes = list(outcome.notes)
    if undefined := sum(r.undefined for r in outcome.layers):
        notes.append(f"{undefined} entr{'ies' if undefined > 1 else 'y'} sit on a max-pooling tie that several "
                     "samples of the batch share (weights that make units equal, such as `init=zeros` or "
                     "`constant`): the loss has no derivative there, its one-sided slopes do not bound the "
                     "gradient, and they are not judged; a random init judges them")
    lines += ["", "notes:"] + [f"  - {note}" for note in notes]
    failed = sum(not r.passed for r in outcome.layers)
    status = "ok" if outcome.passed else f"FAILED ({failed} layer{'s' * (failed != 1)})"
    took = f" in {seconds:.1f}s" if seconds is not None else ""
    n = len(outcome.layers)
    lines += ["", f"ldnn gradcheck: {n} layer{'s' * (n != 1)}, {outcome.sampled} parameters sampled, "
                  f"max relative error {outcome.max_error:.2e} (tolerance {o.tolerance:g}){took}: {status}"]
    return "\n".join(lines)


def _status(result: LayerResult) -> str:
    if not result.passed:
        return "FAIL"
    if result.undefined == result.sampled:
        return "not judged (all at a tie)"
    said = [f"{result.kinks} at or across a kink"] * bool(result.kinks)
    said += [f"{result.undefined} at a tie, not judged"] * bool(result.undefined)
    return f"ok ({', '.join(said)})" if said else "ok"


def _table(layers: list[LayerResult], tolerance: float) -> list[str]:
    if not layers:
        return ["no layer has trainable parameters: nothing to check"]
    header = ("layer", "kind", "sampled", "max rel. error", "status")
    rows = [(r.name, r.kind, str(r.sampled), f"{r.max_error:.2e}", _status(r)) for r in layers]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in (2, 3) else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    out = [line(header), "-" * (sum(widths) + 8), *map(line, rows)]
    for r in layers:
        if not r.passed:
            w = r.worst
            out.append(f"FAIL {r.name}: {w.variable}{list(w.index)}: analytic {w.analytic:.6e}, "
                       f"numerical {w.numerical:.6e}, relative error {w.error:.2e} > {tolerance:g}")
    return out
