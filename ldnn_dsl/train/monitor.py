"""`monitor update_ratio`: how far each layer's weights move per step, relative to their size.

The recipe's health check: ||ΔW|| / ||W|| for one step should be near 1e-3. Much smaller
and the layer is barely learning (raise the lr); much larger and training is unstable
(lower it). The ratio is measured on each epoch's last step, written into the epoch's logs
as `update_ratio/<layer>` (so into history.csv), and a layer that stays out of range for
`PATIENCE` epochs in a row gets one warning line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

LOW, HIGH = 1e-4, 1e-2
PATIENCE = 3
ADVICE = {
    "low": "below {low:g}: the layer is learning very slowly; raise the lr (or check its init)",
    "high": "above {high:g}: updates are large for the weights, training may be unstable; lower the lr",
}


def kernel_of(layer: Any) -> Any | None:
    """The main weight matrix of a layer: `kernel`, an RNN cell's kernel, or embeddings."""
    for owner in (layer, getattr(layer, "cell", None)):
        kernel = getattr(owner, "kernel", None) if owner is not None else None
        if kernel is not None:
            return kernel
    return getattr(layer, "embeddings", None)


def weighted_layers(model: Any) -> list[tuple[str, Any]]:
    """(layer name, kernel variable) for every layer with a kernel, nested models included."""
    out: list[tuple[str, Any]] = []
    for layer in model.layers:
        if hasattr(layer, "layers") and kernel_of(layer) is None:
            out += weighted_layers(layer)
            continue
        kernel = kernel_of(layer)
        if kernel is not None:
            out.append((layer.name, kernel))
    return out


def update_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """||after − before|| / ||before|| (inf for an all-zero kernel that moved, 0 if neither moved)."""
    delta = float(np.linalg.norm((after - before).ravel()))
    norm = float(np.linalg.norm(before.ravel()))
    if norm == 0:
        return 0.0 if delta == 0 else float("inf")
    return delta / norm


class Streaks:
    """Counts consecutive out-of-range epochs per layer; says when to warn (once per streak)."""

    def __init__(self, low: float = LOW, high: float = HIGH, patience: int = PATIENCE) -> None:
        self.low, self.high, self.patience = low, high, patience
        self.runs: dict[str, tuple[str | None, int]] = {}

    def see(self, layer: str, ratio: float) -> str | None:
        """The warning line to print now, or None."""
        side = "low" if ratio < self.low else "high" if ratio > self.high else None
        previous, count = self.runs.get(layer, (None, 0))
        count = count + 1 if side is not None and side == previous else (1 if side else 0)
        self.runs[layer] = (side, count)
        if side is None or count != self.patience:
            return None
        advice = ADVICE[side].format(low=self.low, high=self.high)
        return (f"ldnn: warning: update ratio of `{layer}` is {ratio:.2g}, {advice} "
                f"({self.patience} epochs in a row)")


def update_ratio_monitor(out: TextIO | None = None) -> Any:
    """The Keras callback. Snapshots kernels before each epoch's last batch and compares them
    at the epoch's end, when that batch is the last one applied. It has no batch-end hook:
    Keras dispatches steps asynchronously only while no callback has one."""
    import keras

    class UpdateRatio(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.streaks = Streaks()
            self.snapshot: dict[str, np.ndarray] = {}
            self.say: Callable[[str], None] = lambda line: print(line, file=out or sys.stderr)

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            if (self.params or {}).get("steps") is None:
                self.say("ldnn: warning: `monitor update_ratio` is off for this run: the number of steps per "
                         "epoch is unknown, so the last step cannot be found")

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            steps = (self.params or {}).get("steps")
            if steps is not None and batch == steps - 1:
                self.snapshot = {name: np.array(k.numpy()) for name, k in weighted_layers(self.model)}

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            after = dict(weighted_layers(self.model))
            for name, before in self.snapshot.items():
                ratio = update_ratio(before, np.asarray(after[name].numpy()))
                if logs is not None:
                    logs[f"update_ratio/{name}"] = ratio
                line = self.streaks.see(name, ratio)
                if line:
                    self.say(line)
            self.snapshot = {}

    return UpdateRatio()
