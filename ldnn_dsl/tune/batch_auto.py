"""`batch auto`, measured: the smallest minibatch whose training throughput is near the best.

The recipe prefers small minibatches (more updates per epoch, some regularizing noise) as
long as a step is large enough to keep the hardware busy. So: time a few training steps at
every power of two from 16 to 1024 (none larger than the training set; past 1024 the checker
warns, W103), and take the smallest batch reaching 90% of the best samples/s.

    chosen, table = choose_batch(lambda: build_model(spec), x, y,
                                 {"optimizer": "sgd", "loss": "mse", "jit_compile": True})
    print(format_table(table))

Timing needs the machine to itself; the result can differ between runs on a busy machine.
Nothing here depends on the training code: the trainer calls it for `train { batch auto }`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldnn_dsl.build.backend import out_of_memory
from ldnn_dsl.check.lints import LARGEST_BATCH

CompileKwargs = Mapping[str, Any] | Callable[[int], Mapping[str, Any]]  # the same for every batch, or per batch
CANDIDATES = tuple(2**k for k in range(4, LARGEST_BATCH.bit_length()))  # 16 ... 1024
TOLERANCE = 0.9  # the chosen batch reaches at least this share of the best throughput
monotonic = time.monotonic  # the budget's clock (tests replace it)


@dataclass(frozen=True)
class BatchRow:
    """One measured candidate; `samples_per_second` is NaN where the batch failed (e.g. out of memory)."""

    batch: int
    samples_per_second: float
    relative: float
    chosen: bool = False
    problem: str = ""


def choose_batch(build_model_fn: Callable[[], Any], x: np.ndarray, y: np.ndarray, compile_kwargs: CompileKwargs,
                 candidates: Sequence[int] = CANDIDATES, steps: int = 5, seconds_budget: float | None = 60.0, *,
                 tolerance: float = TOLERANCE,
                 measure: Callable[[int], float] | None = None) -> tuple[int, list[BatchRow]]:
    """The smallest candidate batch with throughput ≥ `tolerance` x the best, and the table of all tried.

    Each candidate gets a fresh model from `build_model_fn`, compiled with `compile_kwargs` (an
    optimizer instance is cloned from its config for every model; a function of the batch
    gives each candidate its own, e.g. its `steps_per_execution`), a warm-up fit, then `steps`
    timed steps (at least three calls' worth where one call runs several). Candidates larger
    than the training set are skipped; once `seconds_budget` has run out, or a candidate fails
    (out of memory), larger ones are not tried.
    `measure(batch) -> samples/s` replaces the timing (tests, other harnesses)."""
    sizes = _sizes(candidates, len(x), tolerance)
    measure = measure or fit_throughput(build_model_fn, x, y, compile_kwargs, steps=steps)
    started, measured = monotonic(), []
    for batch in sizes:
        try:
            measured.append((batch, float(measure(batch)), ""))
        except Exception as exc:  # an out-of-memory error ends the search; earlier sizes still count
            if not measured or not out_of_memory(exc):  # anything else is a bug, not a size too large
                raise
            measured.append((batch, math.nan, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"))
            break
        if seconds_budget is not None and monotonic() - started > seconds_budget:
            break
    return _pick(measured, tolerance)


def _sizes(candidates: Sequence[int], samples: int, tolerance: float) -> list[int]:
    if not 0 < tolerance <= 1:
        raise ValueError(f"Received an invalid value for `tolerance`, expected a share in (0, 1]. "
                         f"Received: tolerance={tolerance}")
    if not candidates or any(int(c) != c or c < 1 for c in candidates):
        raise ValueError(f"Received invalid `candidates`, expected positive integers. Received: "
                         f"candidates={tuple(candidates)}")
    if samples < 1:
        raise ValueError("Received an empty training set, expected at least one sample. Received: len(x)=0")
    sizes = sorted({int(c) for c in candidates if c <= samples})
    return sizes or [samples]


def _pick(measured: list[tuple[int, float, str]], tolerance: float) -> tuple[int, list[BatchRow]]:
    best = max(sps for _, sps, _ in measured if not math.isnan(sps))
    chosen = min(batch for batch, sps, _ in measured if not math.isnan(sps) and sps >= tolerance * best)
    rows = [BatchRow(batch, sps, sps / best, batch == chosen, problem) for batch, sps, problem in measured]
    return chosen, rows


def fit_throughput(build_model_fn: Callable[[], Any], x: np.ndarray, y: np.ndarray,
                   compile_kwargs: CompileKwargs, *, steps: int = 5) -> Callable[[int], float]:
    """`batch -> samples/s` of a fresh model: warm-up fit (compiles), then `steps` steps timed
    (the first call's untimed: so at least three calls of `steps_per_execution` steps), as
    several epochs over the data where they hold fewer batches. The data are viewed, not
    copied, unless the set holds fewer than two batches (then it is cycled)."""
    from ldnn_dsl.tune.throughput import samples_per_second

    def measure(batch: int) -> float:
        options = compile_kwargs(batch) if callable(compile_kwargs) else compile_kwargs
        timed = max(2, steps, 3 * options.get("steps_per_execution", 1))
        model = build_model_fn()
        model.compile(**fresh_compile_kwargs(options))
        held = max(2, min(timed, len(x) // batch)) * batch  # more steps run as more epochs over these
        rows = slice(held) if held <= len(x) else np.arange(held) % len(x)  # a view, or the set cycled
        xs, ys = x[rows], y[rows]
        model.fit(xs[: 2 * batch], ys[: 2 * batch], batch_size=batch, epochs=1, verbose=0)
        return samples_per_second(model, xs, ys, batch, timed)

    return measure


def fresh_compile_kwargs(compile_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A Keras optimizer belongs to one model: each model gets a clone of the given one."""
    options = dict(compile_kwargs)
    optimizer = options.get("optimizer")
    if optimizer is not None and hasattr(optimizer, "get_config") and not isinstance(optimizer, str):
        options["optimizer"] = type(optimizer).from_config(optimizer.get_config())
    return options


def format_table(table: Sequence[BatchRow]) -> str:
    """The measurements as aligned text, the chosen row marked.

        batch  samples/s  relative
           16      4,210      0.31
          128     12,950      0.95  <- chosen
    """
    lines = [f"{'batch':>6}  {'samples/s':>11}  {'relative':>8}"]
    for row in table:
        sps = "failed" if math.isnan(row.samples_per_second) else f"{row.samples_per_second:,.0f}"
        relative = "" if math.isnan(row.relative) else f"{row.relative:.2f}"
        mark = "  <- chosen" if row.chosen else (f"  ({row.problem})" if row.problem else "")
        lines.append(f"{row.batch:>6}  {sps:>11}  {relative:>8}{mark}")
    return "\n".join(lines)
