"""Embedding and the recurrent layers, with Keras 3's parameter layouts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Literal

from pydantic import ValidationInfo, field_validator

from ldnn_dsl.layers.base import (
    Activation,
    Flag,
    Float32,
    InitDefaults,
    LayerKind,
    PositiveWhole,
    Shape,
    ShapeError,
    WeightLayer,
    activation_words,
    contradiction,
    fmt_shape,
)
from ldnn_dsl.layers.initializers import Init


class Embedding(LayerKind):
    """`embedding 64 vocab=96`: a learned vector per integer id."""

    kind: Literal["embedding"] = "embedding"
    units: PositiveWhole
    vocab: PositiveWhole
    init: Init | None = None

    positional: ClassVar = ("units",)
    has_weights: ClassVar = True
    doc: ClassVar = "a learned vector of `units` per integer id below `vocab`"

    @classmethod
    def reordered(cls, values: Sequence[object], keyed: Collection[str]) -> tuple[str, str, int] | None:
        """`embedding 100 16`: Keras' Embedding(input_dim, output_dim), a vocabulary above the units."""
        vocab, units = (values[0], values[1]) if len(values) >= 2 else (None, None)
        if "vocab" in keyed or not isinstance(vocab, int) or not isinstance(units, int) or isinstance(vocab, bool) \
                or isinstance(units, bool) or vocab <= units:
            return None
        return (f"embedding {units} vocab={vocab}", "the units first, and the vocabulary by name "
                "(Keras' Embedding takes the vocabulary first)", 2)

    def output_shape(self, shape: Shape) -> Shape:
        return (*shape, self.units)

    def param_count(self, shape: Shape) -> int:
        return self.vocab * self.units

    def filled(self, defaults: InitDefaults) -> dict[str, Any]:
        return {"init": self.init or defaults.weights or Init(name="uniform", args=(0.05,))}  # Keras' "uniform"

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        return keras.layers.Embedding(self.vocab, self.units, name=name,
                                      embeddings_initializer=self.filled(defaults)["init"].keras())


class Recurrent(WeightLayer):
    """Shared by lstm, gru and simplernn: units, `sequences`, activation, recurrent_init=."""

    units: PositiveWhole
    sequences: Flag = False
    activation: Activation = "tanh"
    recurrent_init: Init | None = None

    gates: ClassVar[int] = 1
    bias_vectors: ClassVar[int] = 1
    activation_last: ClassVar = False  # the cell's activation, inside the recurrence
    keras_name: ClassVar[str] = "SimpleRNN"
    positional: ClassVar = ("units",)
    words: ClassVar = {**activation_words(), "sequences": ("sequences", True)}

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError("E302", f"`{self.kind}` needs a sequence input [steps, features]; it gets "
                             f"{fmt_shape(shape)}")
        return (shape[0], self.units) if self.sequences else (self.units,)

    def param_count(self, shape: Shape) -> int:
        bias = self.bias_vectors * self.gates * self.units if self.bias else 0
        return self.gates * self.units * (shape[-1] + self.units) + bias

    def macs(self, shape: Shape) -> int:
        return shape[0] * self.gates * self.units * (shape[-1] + self.units)

    def filled(self, defaults: InitDefaults) -> dict[str, Any]:
        """`weights` in `init`, and a layer's own `init=`, cover both kernels."""
        return {**super().filled(defaults),
                "recurrent_init": self.recurrent_init or self.init or defaults.weights or Init(name="orthogonal")}

    def keras_options(self, defaults: InitDefaults) -> dict[str, Any]:
        """Initializers for kernel, recurrent kernel and bias."""
        options = self.weight_options(defaults, max_norm_axis=0)
        options["recurrent_initializer"] = self.filled(defaults)["recurrent_init"].keras()
        if self.gates > 1:
            options["use_cudnn"] = False if _xla_wanted() else "auto"
        return options

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        cls = getattr(keras.layers, self.keras_name)
        return cls(self.units, activation=self.activation, return_sequences=self.sequences, name=name,
                   **self.keras_options(defaults))


class LSTM(Recurrent):
    """`lstm 512 sequences forget_bias=2.0`."""

    kind: Literal["lstm"] = "lstm"
    forget_bias: Float32 | None = None

    gates: ClassVar = 4
    gated: ClassVar = True  # h = o * act(c)
    keras_name: ClassVar = "LSTM"
    doc: ClassVar = "LSTM: units, `sequences` to return every step, forget_bias= (the forget gate's initial bias)"

    @field_validator("forget_bias")
    @classmethod
    def _bias_to_set(cls, forget_bias: float | None, info: ValidationInfo) -> float | None:
        """`bias=false forget_bias=2.0` contradicts itself: there is no forget-gate bias to set."""
        if forget_bias is not None and info.data.get("bias") is False:
            raise contradiction("`bias=false` leaves this `lstm` without a bias, so `forget_bias=` has no forget "
                                "gate's bias to set", "drop `forget_bias=`, or drop `bias=false` to keep the bias")
        return forget_bias

    def filled(self, defaults: InitDefaults) -> dict[str, Any]:
        """No `forget_bias` anywhere leaves Keras' `unit_forget_bias` (1.0); without a bias, there is none."""
        forget = self.forget_bias if self.forget_bias is not None else defaults.forget_bias
        return {**super().filled(defaults), "forget_bias": forget if self.bias else None}

    def keras_options(self, defaults: InitDefaults) -> dict[str, Any]:
        """Keras' `unit_forget_bias` can only set 1.0; any other value takes our initializer."""
        import keras

        from ldnn_dsl.build.custom import ForgetGateBias

        options = super().keras_options(defaults)
        forget = self.filled(defaults)["forget_bias"]
        options["unit_forget_bias"] = forget is None
        if forget is not None and self.bias:
            options["bias_initializer"] = ForgetGateBias(forget, keras.initializers.get(options["bias_initializer"]))
        return options


class GRU(Recurrent):
    """`gru 256`: Keras 3's GRU (reset_after, so two bias vectors)."""

    kind: Literal["gru"] = "gru"

    gates: ClassVar = 3
    gated: ClassVar = True  # h = z * h_before + (1 - z) * act(...)
    bias_vectors: ClassVar = 2
    keras_name: ClassVar = "GRU"
    doc: ClassVar = "GRU (reset_after, as Keras 3 builds it): units, `sequences`"


class SimpleRNN(Recurrent):
    """`simplernn 128`: h = act(W x + U h + b)."""

    kind: Literal["simplernn"] = "simplernn"

    doc: ClassVar = "a plain recurrent layer: units, `sequences`"
    elsewhere: ClassVar = ("RNN",)


def _xla_wanted() -> bool:
    """cuDNN kernels switch XLA off for the whole model, so they are off when XLA is on."""
    from ldnn_dsl.build.context import current

    return current().xla
