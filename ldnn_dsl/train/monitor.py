"""`monitor update_ratio`: how far each layer's weights move per step, relative to their size.

The recipe's health check: ||ΔW|| / ||W|| for one step should be near 1e-3. Much smaller
and the layer is barely learning (raise the lr); much larger and training is unstable
(lower it). The ratio is measured on each epoch's last step, written into the epoch's logs
as `update_ratio/<layer>` (so into history.csv), and a layer that stays out of range for
`PATIENCE` epochs in a row gets one warning line (one line for two layers out of range on
opposite sides)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

LOW, HIGH = 1e-4, 1e-2
PATIENCE = 3
ADVICE = {
    "low": "below {low:g}: the layer is learning very slowly; raise the lr (or check its init)",
    "high": "above {high:g}: updates are large for the weights, training may be unstable; lower the lr",
}


WEIGHTS = ("kernel", "recurrent_kernel", "embeddings")  # not biases, nor a norm's scale and shift


def weights_of(layer: Any) -> list[Any]:
    """The weight matrices of a layer, W: a kernel, an RNN cell's input and recurrent kernels
    (W and U, which one step moves together), or an embedding table."""
    owners = [layer, *([layer.cell] if getattr(layer, "cell", None) is not None else [])]
    return [weights for owner in owners for name in WEIGHTS if (weights := getattr(owner, name, None)) is not None]


def weighted_layers(model: Any) -> list[tuple[str, list[Any]]]:
    """(layer name, its weight matrices) for every layer with any, nested models included."""
    out: list[tuple[str, list[Any]]] = []
    for layer in model.layers:
        weights = weights_of(layer)
        if hasattr(layer, "layers") and not weights:
            out += weighted_layers(layer)
        elif weights:
            out.append((layer.name, weights))
    return out


def update_ratio(before: np.ndarray | list[np.ndarray], after: np.ndarray | list[np.ndarray]) -> float:
    """||after − before|| / ||before||, over all of a layer's weight matrices as one vector (inf
    for all-zero weights that moved, 0 if neither moved)."""
    pairs = list(zip(before, after, strict=True)) if isinstance(before, list) else [(before, after)]
    delta = float(np.sqrt(sum(np.sum(np.square(a - b, dtype=np.float64)) for b, a in pairs)))
    norm = float(np.sqrt(sum(np.sum(np.square(b, dtype=np.float64)) for b, _ in pairs)))
    if norm == 0:
        return 0.0 if delta == 0 else float("inf")
    return delta / norm


class Streaks:
    """Counts consecutive out-of-range epochs per layer; says when to warn (once per streak).

    When one layer is too slow while another is too fast, any change of the lr helps one and
    hurts the other: that gets a single line pointing at the init of the two, not two lines
    giving opposite advice."""

    def __init__(self, low: float = LOW, high: float = HIGH, patience: int = PATIENCE) -> None:
        self.low, self.high, self.patience = low, high, patience
        self.runs: dict[str, tuple[str | None, int]] = {}

    def see(self, ratios: dict[str, float]) -> list[str]:
        """One epoch's ratios in, the warning lines to print now out."""
        due = [layer for layer, ratio in ratios.items() if self._count(layer, ratio) == self.patience]
        if not due:
            return []
        lasting = {side: [(ratios[layer], layer) for layer, (s, n) in self.runs.items()
                          if s == side and n >= self.patience and layer in ratios] for side in ADVICE}
        if lasting["low"] and lasting["high"]:
            return [self._disagree(min(lasting["low"]), max(lasting["high"]))]
        return [self._line(layer, ratios[layer]) for layer in due]

    def _count(self, layer: str, ratio: float) -> int:
        side = "low" if ratio < self.low else "high" if ratio > self.high else None
        previous, count = self.runs.get(layer, (None, 0))
        count = count + 1 if side is not None and side == previous else (1 if side else 0)
        self.runs[layer] = (side, count)
        return count

    def _line(self, layer: str, ratio: float) -> str:
        side = self.runs[layer][0]
        advice = ADVICE[side].format(low=self.low, high=self.high)  # type: ignore[index]
        return (f"ldnn: warning: update ratio of `{layer}` is {ratio:.2g}, {advice} "
                f"({self.patience} epochs in a row)")

    def _disagree(self, slow: tuple[float, str], fast: tuple[float, str]) -> str:
        return (f"ldnn: warning: update ratios disagree: `{slow[1]}` at {slow[0]:.2g} is below {self.low:g} "
                f"while `{fast[1]}` at {fast[0]:.2g} is above {self.high:g} ({self.patience} epochs in a row): "
                "no single lr suits both; the scale of each layer's initial weights sets how far one step "
                "moves it, so check their init")


def update_ratio_monitor(say: Callable[[str], None] | None = None) -> Any:
    """The Keras callback. Snapshots the weights before each epoch's last batch and compares them
    at the epoch's end, when that batch is the last one applied. It has no batch-end hook:
    Keras dispatches steps asynchronously only while no callback has one."""
    import keras

    class UpdateRatio(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.streaks = Streaks()
            self.snapshot: dict[str, list[np.ndarray]] = {}
            self.say = say or (lambda line: print(line, file=sys.stderr))  # `ldnn train --quiet` says nothing

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            if (self.params or {}).get("steps") is None:
                self.say("ldnn: warning: `monitor update_ratio` is off for this run: the number of steps per "
                         "epoch is unknown, so the last step cannot be found")

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            steps = (self.params or {}).get("steps")
            if steps is not None and batch == steps - 1:
                self.snapshot = {name: [np.array(w.numpy()) for w in weights]
                                 for name, weights in weighted_layers(self.model)}

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            after = dict(weighted_layers(self.model))
            ratios = {name: update_ratio(before, [np.asarray(w.numpy()) for w in after[name]])
                      for name, before in self.snapshot.items()}
            if logs is not None:
                logs.update({f"update_ratio/{name}": ratio for name, ratio in ratios.items()})
            for line in self.streaks.see(ratios):
                self.say(line)
            self.snapshot = {}

    return UpdateRatio()
