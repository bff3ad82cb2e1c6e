"""The machine's matmul rate: the ceiling every training figure is compared with.

A chain of square matmuls inside one compiled function (so Python dispatch is not timed),
with the backend's own compiler: `tf.function(jit_compile=True)` on TensorFlow, `jax.jit`
on JAX. The weights are scaled by 1/sqrt(n) so values neither overflow nor go subnormal."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.report import Table
from benchmarks.stats import median

CHAIN = 4


@dataclass(frozen=True)
class Rate:
    size: int
    dtype: str
    xla: bool
    flops: list[float]  # FLOP/s per repetition

    @property
    def median(self) -> float:
        return median(self.flops)


def compiled(fn: Callable[..., Any], xla: bool) -> Callable[..., Any]:
    """`fn` compiled by the backend: XLA when `xla`, the backend's graph or eager mode otherwise."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=xla)
    if backend == "jax" and xla:
        import jax

        return jax.jit(fn)
    return fn


def matmul_rate(size: int, dtype: str = "float32", *, reps: int = 5, xla: bool = True) -> Rate:
    """FLOP/s of `CHAIN` chained [size x size] matmuls, one figure per repetition (after a warm-up)."""
    import keras
    from keras import ops

    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32), dtype=dtype)
    w = ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32) / np.sqrt(size), dtype=dtype)

    def chain(a: Any, w: Any) -> Any:
        for _ in range(CHAIN):
            a = ops.matmul(a, w)
        return ops.sum(ops.cast(a[:1], "float32"))

    fn = compiled(chain, xla)
    keras.ops.convert_to_numpy(fn(a, w))
    flops = []
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(fn(a, w))
        flops.append(2.0 * CHAIN * size**3 / (time.perf_counter() - start))
    return Rate(size, dtype, xla, flops)


def run(size: int, reps: int) -> tuple[Table, Rate]:
    """The XLA float32 rate (the training benchmark's ceiling) and, for context, the non-XLA one."""
    peak = matmul_rate(size, reps=reps, xla=True)
    plain = matmul_rate(size, reps=reps, xla=False)
    table = Table("Machine limit: float32 matmul", ["matmul", "compiled with", "GFLOP/s (median)", "min", "max"])
    for rate, how in ((peak, "XLA"), (plain, "no XLA")):
        table.add(f"[{size}x{size}] @ [{size}x{size}] x{CHAIN}, float32", how, rate.median / 1e9,
                  min(rate.flops) / 1e9, max(rate.flops) / 1e9)
    table.notes.append("The XLA figure is the denominator of every utilisation below "
                       f"(repetitions: {reps}, each {CHAIN} chained matmuls in one compiled call).")
    return table, peak
