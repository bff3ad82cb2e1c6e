"""`steps_per_execution auto|N`: how many training steps `fit` runs per call into the compiled step.

```
train { steps_per_execution auto }     # the default: the rule in `auto_steps`
```

Every call from Keras' `fit` loop into the step costs the same overhead (the Python loop,
the callbacks, on TensorFlow the launch of the compiled function), however little the step
computes. A short step cannot hide it: Keras' `steps_per_execution` runs N steps per call
(on TensorFlow one compiled loop, on JAX N compiled steps in a row) and pays it once.

Measured with Keras 3.15 (ldnn's compiled models, 3 alternated rounds; README, "Measured here"):
- 2-core CPU, TensorFlow, XLA on: parity (2 ms per step) x2.3 at 32 steps per call,
  sort10x6 (11 ms per step) x1.16, deep_residual x1.17;
- H100, JAX: sort10x6 x1.67, parity x1.81, deep_residual x1.59, convnet x1.21, a 4 x 2048
  MLP x1.30 at 32 steps per call; a step of 68 ms (8 x dense 8192 at batch 4096) gains
  nothing (x1.02). Whole `ldnn train` runs gain more than these bare `fit` loops, since
  ldnn's own callbacks also run once per call: sort10x6 x2.1-2.5 on the H100, x1.21-1.24 here.

Monitoring `update_ratio` measures one step's update, so it needs one step per call.
"""

from __future__ import annotations

import math
from typing import Literal

from ldnn_dsl.check.shapes import infer
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.expand.graph import ModelGraph

MOST_STEPS = 32  # past 32 nothing measured gained more than a few percent
CHUNK_SECONDS = 0.25  # the longest one call should take: Ctrl-C and --max-time act between calls
# Conservative training rates (FLOP/s) for a step's length before it has run: a 2-core CPU
# trained sort10x6 at ~100 GFLOP/s; an H100 trains small nets at ~10 TFLOP/s and more.
CPU_FLOPS = 1e11
GPU_FLOPS = 1e13


def auto_steps(*, step_flops: float, gpu: bool, monitors_updates: bool, backend: str = "tensorflow") -> int:
    """The `steps_per_execution auto` rule: as many steps per call as fit in `CHUNK_SECONDS`
    at a conservative rate for the device, at most `MOST_STEPS`; one where the update of a
    single step is monitored, and on torch, whose Keras trainer runs one step per call only.
    `step_flops` is one training step's work (≈ 3 forward passes)."""
    if monitors_updates or backend == "torch":
        return 1
    seconds = step_flops / (GPU_FLOPS if gpu else CPU_FLOPS)
    return max(1, min(MOST_STEPS, math.floor(CHUNK_SECONDS / max(seconds, 1e-9))))


def step_flops(graph: ModelGraph, batch: int) -> float:
    """One training step's floating-point work: forward MACs x 2 x 3 (forward and backward)."""
    return infer(graph).total_macs * 2.0 * 3.0 * batch


def choose_steps(train: TrainSection, graph: ModelGraph, batch: int, *, samples: int | None = None,
                 gpu: bool | None = None) -> int:
    """An explicit `steps_per_execution N` wins; `auto` applies `auto_steps`, and runs no more
    steps per call than an epoch of `samples` training samples has."""
    setting: Literal["auto"] | int = train.steps_per_execution
    if setting != "auto":
        return setting
    import keras

    from ldnn_dsl.train.xla import gpu_available

    steps = auto_steps(step_flops=step_flops(graph, batch), gpu=gpu_available() if gpu is None else gpu,
                       monitors_updates="update_ratio" in train.monitor, backend=keras.backend.backend())
    return steps if samples is None else max(1, min(steps, math.ceil(samples / batch)))
