"""The training benchmark's models: each spec, its hand-written twin, its data and its batch.

Data are synthetic (the tasks' own generators for sort and parity, random arrays of the
right shapes otherwise): throughput does not depend on what the numbers are. Models are
never shrunk; char_lstm runs shorter sequences (an LSTM's weights do not depend on the
sequence length) so that one measurement takes seconds, not minutes, on a small CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from benchmarks import MODELS, twins
from benchmarks.specs import mlp_text, spec_text, with_input
from ldnn_dsl.data.generators import parity_task, sort_task

Data = Callable[[int], tuple[np.ndarray, np.ndarray]]
ALL = MODELS


@dataclass(frozen=True)
class Case:
    name: str
    text: str  # the spec text benchmarked
    twin: Callable[[], Any]
    optimizer: Callable[[], Any]  # the twin's, hand-written
    data: Data
    batch: int
    note: str = ""
    precision: str = "float32"
    utilisation_target: float | None = None


def _classes(shape: tuple[int, ...], classes: int, labels: tuple[int, ...] = ()) -> Data:
    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(1)
        return rng.standard_normal((n, *shape), dtype=np.float32), rng.integers(0, classes, (n, *labels))

    return make


def _ids(steps: int, vocab: int) -> Data:
    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(1)
        return rng.integers(0, vocab, (n, steps), dtype=np.int32), rng.integers(0, vocab, (n, steps))

    return make


def case(name: str, *, tiny: bool = False, steps: int | None = None) -> Case:
    """One benchmark case by name; `tiny` shortens char_lstm's sequences further (smoke tests)."""
    if name == "sort10x6":
        return Case(name, spec_text(name), twins.sort10x6, twins.OPTIMIZERS[name],
                    lambda n: sort_task(count=10, bits=6, samples=n, seed=1), 128)
    if name == "parity":
        return Case(name, spec_text(name), twins.parity, twins.OPTIMIZERS[name],
                    lambda n: parity_task(bits=16, samples=n, seed=1), 128)
    if name == "convnet":
        return Case(name, spec_text(name), twins.convnet, twins.OPTIMIZERS[name], _classes((32, 32, 3), 10), 128)
    if name == "char_lstm":
        steps = steps or (5 if tiny else 25)
        return Case(name, with_input(spec_text(name), (steps,)), partial(twins.char_lstm, steps),
                    twins.OPTIMIZERS[name], _ids(steps, 96), 64, note=f"sequences of {steps} (spec: 100)")
    if name == "deep_residual":
        return Case(name, spec_text(name), twins.deep_residual, twins.OPTIMIZERS[name], _classes((784,), 10), 128)
    if name == "wide_mlp":
        return Case(name, spec_text(name), twins.wide_mlp, twins.OPTIMIZERS[name], _classes((1024,), 10), 256,
                    utilisation_target=0.6)
    raise ValueError(f"Received an unknown benchmark model, expected one of {', '.join(ALL)}. Received: {name!r}")


def gpu_mlp(*, width: int = 8192, depth: int = 8, batch: int = 4096) -> Case:
    """`--gpu-mlp`: 8 x dense 8192 at batch 4096 in mixed bfloat16, compared with the bf16 matmul peak."""
    text = mlp_text(width, depth, width, batch, "mixed_bfloat16")
    return Case("gpu_mlp", text, partial(twins.wide_mlp, width, depth, width), lambda: twins.sgd(0.05),
                _classes((width,), 10), batch, note=f"{depth} x dense {width}, mixed_bfloat16",
                precision="mixed_bfloat16", utilisation_target=0.6)
