"""One compiled Keras model, fitted repeatedly for steady-state samples/s.

The timing itself is `ldnn_dsl.tune.throughput` (the same code `batch auto` measures with):
the first `fit` of a model traces and compiles its train step and is never timed; a timed
`fit` leaves its first step out of the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ldnn_dsl.tune.throughput import samples_per_second


@dataclass
class Runner:
    """A model compiled once (optimizer, loss, metrics, XLA setting) and fitted repeatedly."""

    model: Any
    batch: int
    compile_kwargs: dict[str, Any] = field(default_factory=dict)
    warmed: bool = False

    def __post_init__(self) -> None:
        self.model.compile(**self.compile_kwargs)

    def warm_up(self, x: np.ndarray, y: np.ndarray) -> None:
        """Trace and compile the train step on two batches (never timed)."""
        self.model.fit(x[: 2 * self.batch], y[: 2 * self.batch], batch_size=self.batch, epochs=1, verbose=0)
        self.warmed = True

    def samples_per_second(self, x: np.ndarray, y: np.ndarray, steps: int) -> float:
        """Samples/s over `steps` full batches of (x, y), the first one untimed."""
        if not self.warmed:
            self.warm_up(x, y)
        return samples_per_second(self.model, x, y, self.batch, steps)

    def seconds_per_step(self, x: np.ndarray, y: np.ndarray, steps: int = 3) -> float:
        return self.batch / self.samples_per_second(x, y, steps)


def steps_for(seconds: float, step_seconds: float, *, most: int) -> int:
    """How many steps make a measurement of about `seconds` (at least 3: one untimed, two timed)."""
    return int(max(3, min(most, round(seconds / max(step_seconds, 1e-6)) + 1)))
