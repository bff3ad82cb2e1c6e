"""Steady-state training throughput of a compiled Keras model: `fit` timed by a callback.

The clock starts at the second call into the step (the first pulls the input pipeline's
first batch; a call runs `steps_per_execution` steps, or the steps left in the epoch) and
stops at the end of training, after Keras has waited for the last step. The callback is
`async_safe`, so Keras still dispatches batch callbacks asynchronously, as in a plain `fit`.
Call `fit` once before timing: the first call traces and compiles the train step."""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np


class Clock(keras.callbacks.Callback):
    """Starts at the second call into the step, counting the steps run before; stops when
    training ends."""

    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.start: float | None = None
        self.first_step = 0  # steps run before the clock started
        self.steps = 0
        self.stop: float | None = None

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self.start is None and self.steps > 0:
            _wait_for_steps(self.model)
            self.start, self.first_step = time.perf_counter(), self.steps
        self.steps += steps_in_call(self, batch)

    def on_train_end(self, logs: Any = None) -> None:
        self.stop = time.perf_counter()


def steps_in_call(callback: keras.callbacks.Callback, batch: int) -> int:
    """The steps of the call that a batch-begin hook sees begin at step `batch`: Keras calls the
    hook once per `steps_per_execution` steps, and the epoch's last call runs those left (where
    `fit` knows the steps per epoch)."""
    per_call, per_epoch = callback.model.steps_per_execution, (callback.params or {}).get("steps")
    return per_call if per_epoch is None else min(per_call, per_epoch - batch)


def _wait_for_steps(model: Any) -> None:
    """JAX dispatches steps asynchronously: wait for step 0 so that the clock does not count it."""
    if keras.backend.backend() != "jax":
        return
    import jax

    state = getattr(model, "_jax_state", None)
    if state is not None:
        jax.block_until_ready(state)


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
