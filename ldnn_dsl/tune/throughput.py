"""Steady-state training throughput of a compiled Keras model: `fit` timed by a callback.

The clock starts once the first call into the step has finished (it pulls the input
pipeline's first batch; a call runs `steps_per_execution` steps, or the steps left in the
epoch) and stops at the end of training, once the last step's weights are computed (under
JAX a step that failed, out of memory, raises there instead of being timed as fast). The
callback is `async_safe`, so Keras still dispatches batch-end callbacks asynchronously, as
in a plain `fit`: they get the step's logs as Python numbers, which under JAX means after
the asynchronously dispatched step has run. Call `fit` once before timing: the first call
traces and compiles the train step."""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from ldnn_dsl.build.backend import settled


class Clock(keras.callbacks.Callback):
    """Starts when the first call into the step has finished; stops when training ends."""

    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.start: float | None = None
        self.first_step = 0  # the steps of the first call, run before the clock started
        self.steps = 0
        self.stop: float | None = None

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        called = steps_in_call(self, batch)
        if self.steps == 0:
            self.first_step = called
        self.steps += called

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.start is None:  # the first call's logs, as numbers: its steps have run
            self.start = time.perf_counter()

    def on_train_end(self, logs: Any = None) -> None:
        settled(self.model.trainable_variables)  # JAX's last step may still run, or have failed (out of memory)
        self.stop = time.perf_counter()


def steps_in_call(callback: keras.callbacks.Callback, batch: int) -> int:
    """The steps of the call that a batch-begin hook sees begin at step `batch`: Keras calls the
    hook once per `steps_per_execution` steps, and the epoch's last call runs those left (where
    `fit` knows the steps per epoch)."""
    per_call, per_epoch = callback.model.steps_per_execution, (callback.params or {}).get("steps")
    return per_call if per_epoch is None else min(per_call, per_epoch - batch)


def samples_per_second(model: Any, x: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
    """Samples/s of `model.fit` over `steps` full batches of (x, y) (at least 2), the first untimed;
    where (x, y) holds fewer batches, as many epochs over it as make up `steps`.

        model.fit(x[:2 * 64], y[:2 * 64], batch_size=64, verbose=0)   # warm-up: compiles
        samples_per_second(model, x, y, batch=64, steps=10)"""
    per_epoch = len(x) // batch
    if per_epoch < 2:
        raise ValueError(f"Received too few samples to time two steps, expected at least {2 * batch}. "
                         f"Received: len(x)={len(x)}, batch={batch}")
    epochs = max(1, math.ceil(steps / per_epoch))
    per_epoch = min(per_epoch, max(2, steps))
    n = per_epoch * batch
    clock = Clock()
    model.fit(x[:n], y[:n], batch_size=batch, epochs=epochs, verbose=0, shuffle=True, callbacks=[clock])
    if clock.start is None or clock.stop is None:
        raise RuntimeError("the timing callback saw no step after the first")
    return (epochs * per_epoch - clock.first_step) * batch / (clock.stop - clock.start)
