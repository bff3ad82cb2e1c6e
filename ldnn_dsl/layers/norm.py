"""Normalization layers. Their parameter counts include Keras' non-trainable statistics."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ldnn_dsl.layers.base import Float32, InitDefaults, LayerKind, Positive, Shape


class BatchNorm(LayerKind):
    """`batchnorm`: normalize each channel over the batch (4 numbers per channel)."""

    kind: Literal["batchnorm"] = "batchnorm"
    momentum: Annotated[Float32, Field(gt=0, lt=1)] = 0.99
    epsilon: Positive = 1e-3

    doc: ClassVar = "normalize each channel over the batch; momentum=, epsilon="
    elsewhere: ClassVar = ("BatchNormalization", "BatchNorm2d", "BatchNorm1d")

    def param_count(self, shape: Shape) -> int:
        return 4 * shape[-1]  # gamma, beta, moving mean, moving variance

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.BatchNormalization(momentum=self.momentum, epsilon=self.epsilon, name=name)


class LayerNorm(LayerKind):
    """`layernorm`: normalize each sample over its last axis."""

    kind: Literal["layernorm"] = "layernorm"
    epsilon: Positive = 1e-3

    doc: ClassVar = "normalize each sample over the last axis; epsilon="
    elsewhere: ClassVar = ("LayerNormalization",)

    def param_count(self, shape: Shape) -> int:
        return 2 * shape[-1]

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.LayerNormalization(epsilon=self.epsilon, name=name)
