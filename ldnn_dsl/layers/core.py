"""Input, dense and the shape-only layers."""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ldnn_dsl.layers.base import (
    Activation,
    Float32,
    InitDefaults,
    LayerKind,
    PositiveWhole,
    Shape,
    ShapeError,
    Size,
    WeightLayer,
    activation_words,
    fmt_shape,
)


class InputLayer(LayerKind):
    """`input [32, 32, 3]`: the shape of one sample; `int` for token ids."""

    kind: Literal["input"] = "input"
    shape: tuple[PositiveWhole, ...] = Field(min_length=1)
    dtype: Literal["float32", "int32"] = "float32"

    positional: ClassVar = ("shape",)
    words: ClassVar = {"int": ("dtype", "int32"), "float": ("dtype", "float32")}
    doc: ClassVar = "the shape of one sample (no batch axis); `int` for integer ids"
    elsewhere: ClassVar = ("InputLayer",)

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        return self.tensor(name)

    def tensor(self, name: str) -> Any:
        """A symbolic Keras input of this shape and dtype; wrappers around the network
        (standardize, log1p, an ensemble's mean) start from one too."""
        import keras

        return keras.Input(shape=self.shape, dtype=self.dtype, name=name)


class Dense(WeightLayer):
    """`dense 512 relu`: a fully connected layer on the last axis."""

    kind: Literal["dense"] = "dense"
    units: PositiveWhole
    activation: Activation = "linear"

    positional: ClassVar = ("units",)
    words: ClassVar = activation_words()
    doc: ClassVar = "fully connected on the last axis: units, activation"
    elsewhere: ClassVar = ("Linear", "FullyConnected", "InnerProduct")

    def output_shape(self, shape: Shape) -> Shape:
        return (*shape[:-1], self.units)

    def param_count(self, shape: Shape) -> int:
        return shape[-1] * self.units + (self.units if self.bias else 0)

    def macs(self, shape: Shape) -> int:
        return math.prod(shape) * self.units

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.Dense(self.units, activation=self.activation, name=name,
                                  **self.weight_options(defaults, max_norm_axis=0))


class Dropout(LayerKind):
    """`dropout 0.5`: zero a fraction of activations in training."""

    kind: Literal["dropout"] = "dropout"
    rate: Annotated[Float32, Field(ge=0, lt=1)]

    positional: ClassVar = ("rate",)
    doc: ClassVar = "the fraction of activations dropped in training, in [0, 1)"
    keeps_range: ClassVar = True
    random_in_training: ClassVar = True

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.Dropout(self.rate, name=name)


class Flatten(LayerKind):
    """`flatten`: one vector per sample."""

    kind: Literal["flatten"] = "flatten"
    doc: ClassVar = "one vector per sample"
    keeps_ids: ClassVar = True
    keeps_range: ClassVar = True

    def output_shape(self, shape: Shape) -> Shape:
        return (math.prod(shape),)

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.Flatten(name=name)


class Reshape(LayerKind):
    """`reshape [10, 64]`: the same values in another shape; one entry may be -1."""

    kind: Literal["reshape"] = "reshape"
    shape: tuple[Size, ...] = Field(min_length=1)

    positional: ClassVar = ("shape",)
    doc: ClassVar = "the same values in another shape (one entry may be -1)"
    keeps_ids: ClassVar = True
    keeps_range: ClassVar = True

    def output_shape(self, shape: Shape) -> Shape:
        size = math.prod(shape)
        if any(d == 0 or d < -1 for d in self.shape) or list(self.shape).count(-1) > 1:
            raise ShapeError("E202", f"reshape sizes must be positive (one may be -1); got {list(self.shape)}",
                             "shape")
        known = math.prod(d for d in self.shape if d != -1)
        if -1 in self.shape:
            if size % known:
                raise ShapeError("E304", f"cannot reshape {size} values ({fmt_shape(shape)}) into {list(self.shape)}",
                                 "shape")
            return tuple(size // known if d == -1 else d for d in self.shape)
        if known != size:
            raise ShapeError("E304", f"reshape to {list(self.shape)} ({known} values) from {fmt_shape(shape)} "
                             f"({size} values): the sizes must match", "shape")
        return tuple(self.shape)

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.Reshape(self.shape, name=name)


class ActivationLayer(LayerKind):
    """`activation relu`: an activation on its own."""

    kind: Literal["activation"] = "activation"
    activation: Activation

    positional: ClassVar = ("activation",)
    words: ClassVar = activation_words()
    doc: ClassVar = "an activation on its own"

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        if self.activation == "softmax":
            return keras.layers.Softmax(name=name)
        return keras.layers.Activation(self.activation, name=name)

