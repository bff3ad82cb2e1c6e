"""The progress shown while `fit` runs: Keras' bar, which counts a cut-short epoch's steps as run."""

from __future__ import annotations

import sys
from typing import Any


def progress_style() -> int:
    """Keras' live progress bar on a terminal; one line per epoch in a log file or pipe."""
    return 1 if sys.stdout.isatty() else 2


def progress_bar() -> Any:
    """Keras' `ProgbarLogger`, which `fit` uses in place of its own, that ends an epoch cut
    short (Ctrl-C, `--max-time`) at the steps it ran: Keras' finishes every epoch at its full
    count (`422/422` after 96 steps). Put last among the callbacks, so that its line shows the
    logs the others add (the lr, the time)."""
    import keras

    class CountedProgbar(keras.callbacks.ProgbarLogger):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if self.model.stop_training and self.target is not None and 0 < self.seen < self.target:
                self.target = self.seen
                if self.progbar is not None:
                    self.progbar.target = self.seen
            super().on_epoch_end(epoch, logs)

    return CountedProgbar()
