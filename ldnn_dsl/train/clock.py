"""The `time_s` column of history.csv: when each epoch ended, in seconds since `fit` began.

It answers "how long until the net was good enough?" from the run folder alone: the first
row whose validation metric reaches the bar gives the time to that accuracy, validation
passes included."""

from __future__ import annotations

import time
from typing import Any


def elapsed_logger() -> Any:
    """A Keras callback that writes `time_s` into each epoch's logs."""
    import keras

    class ElapsedLogger(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if logs is not None:
                logs["time_s"] = round(time.perf_counter() - self._started, 3)

    return ElapsedLogger()
