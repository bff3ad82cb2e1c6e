"""Feeding: seconds per epoch of one compiled model fed by Keras' own pipeline for NumPy arrays
and by ldnn's bounded tf.data pipeline (`ldnn_dsl/train/feed.py`), validation included.

Why it is measured: full `ldnn train` runs of sort10x6 on a 2-core machine once alternated
between fast and slow epochs; Keras' autotuned input pipeline competed with the training step
for the cores. Both sides train the same compiled model (so the same compiled step), fitted
for a few epochs per round, the sides alternated round by round."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from benchmarks.cases import Case
from benchmarks.report import Table
from benchmarks.specs import checked
from benchmarks.stats import alternate, median
from ldnn_dsl.build.model import build_model
from ldnn_dsl.train.clock import elapsed_logger
from ldnn_dsl.train.feed import training_batches, validation_data
from ldnn_dsl.train.members import compile_options
from ldnn_dsl.train.xla import choose_jit

SIDES = ("keras arrays", "ldnn pipeline")


def run(case: Case, *, samples: int, epochs: int, reps: int) -> Table:
    table = Table("Feeding: Keras' pipeline for arrays against ldnn's bounded pipeline",
                  ["model", "batch", "samples per epoch", "fed by", "epoch s (median)", "min-max",
                   "ldnn ÷ Keras epoch time"])
    if keras.backend.backend() != "tensorflow":
        table.notes.append(f"not measured: on the {keras.backend.backend()} backend ldnn feeds arrays as Keras does")
        return table
    spec = checked(case.text, f"{case.name}.ldnn").spec
    jit = choose_jit(spec.train.jit, spec.model)  # type: ignore[union-attr]
    model = build_model(spec, xla=jit)
    model.compile(**compile_options(spec.train, jit))
    x, y = case.data(samples + samples // 10)
    x = x.astype(model.inputs[0].dtype, copy=False)
    train, val = (x[:samples], y[:samples]), (x[samples:], y[samples:])
    model.fit(*train, batch_size=case.batch, epochs=1, steps_per_epoch=2, verbose=0)  # trace and compile, untimed
    times: dict[str, list[float]] = {side: [] for side in SIDES}

    def keras_side() -> float:
        return _fit(model, {"x": train[0], "y": train[1], "batch_size": case.batch, "shuffle": True,
                            "validation_data": val}, epochs, times[SIDES[0]])

    def ldnn_side() -> float:
        fed = training_batches(*train, case.batch, seed=1)
        return _fit(model, {**fed, "validation_data": validation_data(*val, case.batch)}, epochs, times[SIDES[1]])

    rounds = alternate({SIDES[0]: keras_side, SIDES[1]: ldnn_side}, reps)
    ratio = rounds.ratio(SIDES[1], SIDES[0])
    for side in SIDES:
        spread = f"{min(times[side]):.3g}-{max(times[side]):.3g}"
        table.add(case.name, case.batch, samples, side, median(times[side]), spread,
                  ratio if side == SIDES[1] else "")
    table.notes.append(f"{reps} alternated rounds of {epochs} epochs per side; the ratio is the median over rounds "
                       "of the two sides' median epoch times (below 1: ldnn's epochs are shorter).")
    return table


def _fit(model: Any, inputs: dict[str, Any], epochs: int, into: list[float]) -> float:
    """The median epoch time of one fit (from `ldnn train`'s own `time_s` clock); every epoch's
    time also goes into `into`."""
    ended = model.fit(**inputs, epochs=epochs, callbacks=[elapsed_logger()], verbose=0).history["time_s"]
    these = list(np.diff([0.0, *ended]))
    into.extend(these)
    return float(np.median(these))
