"""What every layer kind provides, and the argument types they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ldnn_dsl.layers.initializers import Init

Shape = tuple[int, ...]


def fmt_shape(shape: Shape) -> str:
    """A shape as the spec writes it: [32, 32, 3]."""
    return "[" + ", ".join(map(str, shape)) + "]"

ACTIVATIONS = ("relu", "tanh", "sigmoid", "softmax", "linear", "gelu", "elu", "selu", "softplus", "swish",
               "leaky_relu")
Activation = Literal["relu", "tanh", "sigmoid", "softmax", "linear", "gelu", "elu", "selu", "softplus", "swish",
                     "leaky_relu"]


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
PositiveWhole = Annotated[int, BeforeValidator(_whole), Field(gt=0)]
Positive = Annotated[float, Field(gt=0)]


def _window(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (_whole(value),)
    return value


def _positive_dims(dims: tuple[int, ...]) -> tuple[int, ...]:
    if any(d <= 0 for d in dims):
        raise ValueError(f"window sizes must be positive, got {'x'.join(map(str, dims))}")
    return dims


Window = Annotated[tuple[int, ...], BeforeValidator(_window), AfterValidator(_positive_dims)]


@dataclass
class ShapeError(Exception):
    """A layer that cannot take the shape it is given; `field` picks the argument to point at."""

    code: str
    message: str
    field: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class InitDefaults:
    """The `init` section: what weights and biases start from when a layer does not say."""

    weights: Init | None = None
    biases: Init | None = None
    forget_bias: float | None = None


class LayerKind(BaseModel):
    """Base of the table. Subclasses declare fields (the arguments) and these class
    attributes, and override the three rules: shape, parameters, Keras layer."""

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    positional: ClassVar[tuple[str, ...]] = ()
    words: ClassVar[dict[str, tuple[str, Any]]] = {}
    doc: ClassVar[str] = ""
    has_weights: ClassVar[bool] = False
    keeps_ids: ClassVar[bool] = False  # integer ids pass through unchanged (only moved), so an embedding may follow

    name: str | None = None

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def param_count(self, shape: Shape) -> int:
        return 0

    def macs(self, shape: Shape) -> int:
        """Multiply-accumulates of one forward pass for one sample (for FLOP counts)."""
        return 0

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        raise NotImplementedError(type(self).__name__)

    @classmethod
    def option_names(cls) -> list[str]:
        return [f for f in cls.model_fields if f != "kind"]


def activation_words(field: str = "activation") -> dict[str, tuple[str, Any]]:
    return {a: (field, a) for a in ACTIVATIONS}


class WeightLayer(LayerKind):
    """A layer with a kernel and a bias: initializers, max-norm, L2, bias switch."""

    has_weights: ClassVar[bool] = True

    init: Init | None = None
    bias_init: Init | None = None
    bias: bool = True
    max_norm: Positive | None = None
    l2: Annotated[float, Field(ge=0)] | None = None

    def kernel_initializer(self, defaults: InitDefaults) -> Any:
        chosen = self.init or defaults.weights
        return chosen.keras() if chosen else "glorot_uniform"

    def bias_initializer(self, defaults: InitDefaults) -> Any:
        chosen = self.bias_init or defaults.biases
        return chosen.keras() if chosen else "zeros"

    def weight_options(self, defaults: InitDefaults, max_norm_axis: int | list[int]) -> dict[str, Any]:
        """Keras keyword arguments shared by every weight layer.

        Max-norm bounds each unit's incoming weight vector, so the norm is taken over
        every kernel axis except the last (the units/filters axis)."""
        import keras

        constraint = keras.constraints.MaxNorm(self.max_norm, axis=max_norm_axis) if self.max_norm else None
        return {
            "kernel_initializer": self.kernel_initializer(defaults),
            "bias_initializer": self.bias_initializer(defaults),
            "use_bias": self.bias,
            "kernel_constraint": constraint,
            "kernel_regularizer": keras.regularizers.L2(self.l2) if self.l2 else None,
        }
