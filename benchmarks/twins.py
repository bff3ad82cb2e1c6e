"""The hand-written Keras 3 twins of the benchmarked specs: what a Keras user would write.

Public Keras API only (no `tf.*`), so every twin runs on any backend. Layer for layer the
same as the spec, with the same initializers and the same optimizer settings; the
benchmarks check that each twin has exactly the compiled model's parameter count.
This module imports nothing from ldnn, so a fresh process can time Keras alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import layers


def scaled(scale: float) -> keras.initializers.Initializer:
    """The recipe's `scaled(s)`: s / sqrt(fan_in) * randn, as Keras spells it."""
    return keras.initializers.VarianceScaling(scale * scale, mode="fan_in", distribution="untruncated_normal")


def sgd(lr: float, **options: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.SGD(learning_rate=lr, momentum=0.9, **options)


def sort10x6() -> keras.Model:
    init = {"kernel_initializer": scaled(1.0), "bias_initializer": "zeros"}
    return keras.Sequential([
        keras.Input((60,)),
        layers.Dense(1024, activation="relu", **init),
        layers.Dense(1024, activation="relu", **init),
        layers.Dense(640, **init),
        layers.Reshape((10, 64)),
        layers.Softmax(),
    ], name="sorter")


def parity() -> keras.Model:
    return keras.Sequential([
        keras.Input((16,)),
        layers.Dense(256, activation="tanh", kernel_initializer=scaled(2.0)),
        layers.Dense(256, activation="tanh", kernel_initializer=scaled(2.0)),
        layers.Dense(1, activation="sigmoid"),
    ], name="parity")


def convnet() -> keras.Model:
    init = {"kernel_initializer": "he_normal", "bias_initializer": "zeros"}
    stack: list[Any] = [keras.Input((32, 32, 3))]
    for filters in (64, 128, 256):
        stack += [layers.Conv2D(filters, 3, activation="relu", padding="same", **init),
                  layers.Conv2D(filters, 3, activation="relu", padding="same", **init),
                  layers.MaxPooling2D(2)]
    stack += [layers.Flatten(),
              layers.Dense(512, activation="relu", kernel_constraint=keras.constraints.MaxNorm(3.0), **init),
              layers.Dropout(0.5),
              layers.Dense(10, activation="softmax", **init)]
    return keras.Sequential(stack, name="cifar_like")


class ForgetBias(keras.initializers.Initializer):
    """Zeros with the forget gate's quarter of an LSTM bias set to `value` (Keras only has 1.0 built in)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        units = shape[0] // 4
        return keras.ops.concatenate([keras.ops.zeros((units,), dtype), keras.ops.full((units,), self.value, dtype),
                                      keras.ops.zeros((2 * units,), dtype)])

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


def char_lstm(steps: int = 100) -> keras.Model:
    init = keras.initializers.RandomNormal(stddev=0.02)
    lstm = {"return_sequences": True, "kernel_initializer": init, "recurrent_initializer": init,
            "unit_forget_bias": False}
    return keras.Sequential([
        keras.Input((steps,), dtype="int32"),
        layers.Embedding(96, 64, embeddings_initializer=init),
        layers.LSTM(512, bias_initializer=ForgetBias(2.0), **lstm),
        layers.LSTM(512, bias_initializer=ForgetBias(2.0), **lstm),
        layers.Dropout(0.2),
        layers.Dense(96, activation="softmax", kernel_initializer=init),
    ], name="char_lm")


def deep_residual() -> keras.Model:
    init = {"kernel_initializer": scaled(1.0), "bias_initializer": "zeros"}
    inputs = keras.Input((784,))
    x = layers.Dense(256, activation="relu", **init)(inputs)
    for _ in range(9):
        h = layers.Dense(256, activation="relu", **init)(x)
        h = layers.Dense(256, **init)(h)
        x = layers.Activation("relu")(layers.Add()([x, h]))
    outputs = layers.Dense(10, activation="softmax", **init)(x)
    return keras.Model(inputs, outputs, name="deep_mlp")


def wide_mlp(width: int = 2048, depth: int = 4, inputs: int = 1024) -> keras.Model:
    """specs/wide_mlp.ldnn; also the `--gpu-mlp` model (8 x dense 8192) with other sizes."""
    init = scaled(1.4)
    stack = [keras.Input((inputs,))]
    stack += [layers.Dense(width, activation="relu", kernel_initializer=init) for _ in range(depth)]
    stack += [layers.Dense(10, activation="softmax", kernel_initializer=init)]
    return keras.Sequential(stack, name="wide_mlp")


TWINS: dict[str, Callable[..., keras.Model]] = {
    "sort10x6": sort10x6, "parity": parity, "convnet": convnet, "char_lstm": char_lstm,
    "deep_residual": deep_residual, "wide_mlp": wide_mlp,
}

OPTIMIZERS: dict[str, Callable[[], keras.optimizers.Optimizer]] = {
    "sort10x6": lambda: sgd(0.1),
    "parity": lambda: sgd(0.1),
    "convnet": lambda: sgd(0.1, nesterov=True, weight_decay=5e-4),
    "char_lstm": lambda: sgd(0.1, global_clipnorm=5.0),
    "deep_residual": lambda: sgd(0.1),
    "wide_mlp": lambda: sgd(0.05),
}
