"""The `augment` setting: random image transforms applied to each training batch.

```
data { augment translate(4) rotate(10) flip(horizontal) noise(0.1) }
```
The transforms are Keras preprocessing layers run (training=True) on numpy batches
*outside* the compiled train step: a random image layer inside the model would switch
XLA off for the whole step, and the saved model would carry layers inference never
needs. `noise(std)` is in the units of the raw input (before `standardize`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ldnn_dsl.check.data_section import Augment, Flip, Noise, Rotate, Shuffle, Translate


def augment_layers(augment: tuple[Augment, ...], input_shape: tuple[int, ...], seed: int) -> list[Any]:
    """One Keras layer per transform, in the order written; each seeded from `seed`. The checker
    has made sure that image transforms get [height, width, channels] inputs (E404)."""
    import keras

    layers: list[Any] = []
    for i, a in enumerate(augment):
        s = seed + i
        if isinstance(a, Translate):
            h, w = input_shape[0], input_shape[1]
            layers.append(keras.layers.RandomTranslation(a.pixels / h, a.pixels / w, fill_mode="constant", seed=s))
        elif isinstance(a, Rotate):
            layers.append(keras.layers.RandomRotation(a.degrees / 360, fill_mode="constant", seed=s))
        elif isinstance(a, Flip):
            layers.append(keras.layers.RandomFlip(a.mode, seed=s))
        elif isinstance(a, Noise):
            layers.append(_GaussianNoise(a.std, s))
    return layers


class _GaussianNoise:
    """`keras.layers.GaussianNoise`, the same draw, without its refusal of a std above 1: the
    std is in the raw input's units, and raw pixels (0..255) need several."""

    def __init__(self, std: float, seed: int) -> None:
        import keras

        self.std = std
        self.seed = keras.random.SeedGenerator(seed)

    def __call__(self, x: Any, training: bool = True) -> Any:
        import keras

        return x + keras.random.normal(keras.ops.shape(x), stddev=self.std, dtype=x.dtype, seed=self.seed)


def augmented_batches(x: np.ndarray, y: np.ndarray, batch: int, layers: list[Any], seed: int,
                      shuffle: Shuffle = "once") -> Any:
    """A `keras.utils.PyDataset` of augmented (x, y) numpy batches, in the order `shuffle` asks
    for (`once`: one seeded order; `epoch`: a new one every epoch; `off`: as given)."""
    import keras

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = np.arange(len(x)) if shuffle == "off" else self.rng.permutation(len(x))

        def __len__(self) -> int:
            return math.ceil(len(x) / batch)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            pick = self.order[index * batch:(index + 1) * batch]
            xb = x[pick].astype("float32")
            for layer in layers:
                xb = layer(xb, training=True)
            return keras.ops.convert_to_numpy(xb), y[pick]

        def on_epoch_end(self) -> None:
            if shuffle == "epoch":
                self.order = self.rng.permutation(len(x))

    return AugmentedBatches()
