"""The `schedule` and `early_stop` settings as Keras callbacks, plus the lr in every epoch's logs.

```
schedule   plateau(factor=0.5, patience=3, min_lr=1e-5)   # stop once lr < min_lr
schedule   step(every=30, factor=0.1)
schedule   cosine(warmup=5)
early_stop patience=10 restore_best
```
Keras' `ReduceLROnPlateau` can only floor the lr, never stop; the recipe stops training
once the lr has been divided below `min_lr`, so the plateau reducer runs with no floor
and `StopBelowMinLr` ends the run after the epoch that crossed it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ldnn_dsl.check.train_section import Constant, Cosine, Plateau, Step, TrainSection


def step_lr(lr: float, every: int, factor: float) -> Callable[[int], float]:
    """lr × factor^(epoch // every), epochs counted from 0."""
    return lambda epoch: lr * factor ** (epoch // every)


def cosine_lr(lr: float, warmup: int, epochs: int) -> Callable[[int], float]:
    """Linear warm-up to lr over `warmup` epochs (lr·(e+1)/warmup), then a cosine decay that
    would reach 0 when training ends, as Keras' `CosineDecay` over the run's steps does: each
    epoch's lr is the curve's value at its start, so the last epoch still learns (decaying to 0
    at the last epoch's start left it at lr 0: a third of a 3-epoch run did nothing)."""

    def at(epoch: int) -> float:
        if epoch < warmup:
            return lr * (epoch + 1) / warmup
        progress = min((epoch - warmup) / max(epochs - warmup, 1), 1.0)
        return lr * 0.5 * (1 + math.cos(math.pi * progress))

    return at


def lr_function(train: TrainSection, epochs: int) -> Callable[[int], float] | None:
    """The per-epoch lr of a fixed schedule; None for constant and plateau."""
    schedule = train.schedule
    if isinstance(schedule, Step):
        return step_lr(train.lr, schedule.every, schedule.factor)
    if isinstance(schedule, Cosine):
        return cosine_lr(train.lr, schedule.warmup, epochs)
    if isinstance(schedule, Constant | Plateau):
        return None
    raise ValueError(f"Received an unknown schedule. Received: schedule={schedule!r}")


def schedule_callbacks(train: TrainSection, epochs: int, validated: bool = True) -> list[Any]:
    """Keras callbacks for the schedule and early stopping, in the order they must run. Without
    a validation set (`validated` false; W114) the plateau watches the training loss."""
    import keras

    out: list[Any] = []
    schedule = train.schedule
    if isinstance(schedule, Plateau):
        out.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss" if validated else "loss",
                                                     factor=schedule.factor,
                                                     patience=schedule.patience, min_lr=0.0, verbose=0))
        out.append(stop_below_min_lr(schedule.min_lr))
    fixed = lr_function(train, epochs)
    if fixed is not None:
        out.append(keras.callbacks.LearningRateScheduler(lambda epoch, lr: fixed(epoch)))
    if train.early_stop is not None:
        out.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=train.early_stop.patience,
                                                 restore_best_weights=train.early_stop.restore_best))
    return out


def schedule_ending(callbacks: list[Any]) -> tuple[str, str] | None:
    """(reason, why) when early stopping or the plateau's `min_lr` ended the run; None otherwise.
    With `restore_best`, Keras restores the best epoch's weights however the run ends."""
    import keras

    for callback in callbacks:
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.stopped_epoch > 0:
            n = callback.patience
            return "early_stop", f"val_loss has not improved for {n} epoch{'s' * (n != 1)} (`early_stop`)"
        if getattr(callback, "ending", None) is not None:
            return callback.ending
    return None


def restored_epoch(callbacks: list[Any]) -> int | None:
    """The epoch (from 1) whose weights `early_stop ... restore_best` put back, if any."""
    import keras

    for callback in callbacks:
        if (isinstance(callback, keras.callbacks.EarlyStopping) and callback.restore_best_weights
                and callback.best_weights is not None):
            return int(callback.best_epoch) + 1
    return None


def current_lr(model: Any) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


# The optimizer keeps the lr in float32: `lr 1e-4` reads back as 9.9999997e-05, and 0.1 cut twice
# by 0.1 as 0.00099999993. Neither is below a min_lr of the same value as written.
FLOAT32_SLACK = 1e-5


def stop_below_min_lr(min_lr: float) -> Any:
    """A callback that stops training once the lr has fallen below `min_lr`."""
    import keras

    class StopBelowMinLr(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ending: tuple[str, str] | None = None

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if current_lr(self.model) < min_lr * (1 - FLOAT32_SLACK):
                self.ending = ("min_lr", f"the plateau schedule took the lr below min_lr {min_lr:g}")
                self.model.stop_training = True

    return StopBelowMinLr()


def lr_logger() -> Any:
    """Puts the lr the epoch trained with into its logs (`lr` column of history.csv).

    Recorded at the epoch's start, so a plateau cut at the end of epoch e shows from e + 1.
    Keras' schedule callbacks log `learning_rate`, the lr after their cut; it is dropped, so
    that the progress line and the history show one lr. Runs after the schedule callbacks."""
    import keras

    class LrLogger(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._lr = current_lr(self.model)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if logs is not None:
                logs.pop("learning_rate", None)
                logs["lr"] = self._lr

    return LrLogger()
