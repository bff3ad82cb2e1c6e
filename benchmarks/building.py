"""Compile: building the Keras model from a checked spec against building the hand-written twin.

In one process, TensorFlow (or JAX) imported and every layer class warmed up first, so only
the building is timed. The Keras session is cleared before each build, untimed."""

from __future__ import annotations

import gc
from collections.abc import Callable

import keras

import ldnn_dsl
from benchmarks.cases import Case
from benchmarks.report import Table
from benchmarks.specs import checked
from benchmarks.stats import alternate, seconds
from ldnn_dsl.build.model import build_model


def _fresh(build: Callable[[], object]) -> Callable[[], float]:
    def measure() -> float:
        keras.backend.clear_session()
        gc.collect()
        return seconds(build)

    return measure


def run(cases: list[Case], reps: int) -> Table:
    table = Table("Compile: spec → Keras model, against the hand-written model",
                  ["model", "parameters", "ldnn build_model (ms)", "Keras twin (ms)", "ldnn ÷ Keras",
                   "ldnn check + build (ms)", "check + build ÷ Keras"])
    for case in cases:
        result = checked(case.text, f"{case.name}.ldnn")
        spec = result.spec
        assert spec is not None
        warm = (build_model(spec), case.twin())
        if warm[0].count_params() != warm[1].count_params():
            raise RuntimeError(f"{case.name}: the twin has {warm[1].count_params():,} parameters, "
                               f"ldnn's model {warm[0].count_params():,}")
        del warm
        runs = alternate({"ldnn": _fresh(lambda spec=spec: build_model(spec)), "keras": _fresh(case.twin),
                          "check+build": _fresh(lambda text=case.text: ldnn_dsl.compile(text, xla=False))}, reps)
        table.add(case.name, result.inference.total_params if result.inference else None,
                  runs.median("ldnn") * 1e3, runs.median("keras") * 1e3, runs.ratio("ldnn", "keras"),
                  runs.median("check+build") * 1e3, runs.ratio("check+build", "keras"))
    keras.backend.clear_session()
    table.notes.append(f"Alternated rounds (ldnn, Keras, check + build) per model: {reps}; "
                       f"backend {keras.backend.backend()} imported and warmed up before timing.")
    return table
