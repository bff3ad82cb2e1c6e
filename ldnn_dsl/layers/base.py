"""What every layer kind provides, and the argument types they share."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)

from ldnn_dsl.layers.initializers import FLOAT32_MAX, Init
from ldnn_dsl.layers.refusals import WrongKindError, contradiction
from ldnn_dsl.layers.values import Percentage

Shape = tuple[int, ...]


def fmt_shape(shape: Shape) -> str:
    """A shape as the spec writes it: [32, 32, 3]."""
    return "[" + ", ".join(map(str, shape)) + "]"


Activation = Literal["relu", "tanh", "sigmoid", "softmax", "linear", "gelu", "elu", "selu", "softplus", "swish",
                     "leaky_relu"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)


MAX_SIZE = 2**31 - 1  # TensorFlow indexes tensors with int32: no axis, vocabulary or count beyond this


def _whole(value: Any) -> Any:
    if isinstance(value, Percentage):  # `dense 800%` is not 8 units: a percentage is a fraction
        raise WrongKindError(f"must be a whole number; got {value * 100:g}%, a fraction")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise WrongKindError(f"must be a whole number; got {str(value).lower() if isinstance(value, bool) else value}")
    return value


def _number(value: float) -> str:
    """A number as a reader wrote it: `1e+300`, not three hundred digits."""
    return f"{value:g}" if isinstance(value, float) or abs(value) >= 1e16 else str(value)


def _size(value: Any) -> Any:
    """A whole number that Keras can build with: units, filters, vocab, an axis of a shape.

    A bigger one passes Python's arithmetic and the shape rules, then fails in TensorFlow as an
    out-of-range integer (or allocates forever), so it is refused where it is written."""
    whole = _whole(value)
    if isinstance(whole, int) and abs(whole) > MAX_SIZE:
        raise ValueError(f"must be at most {MAX_SIZE} (2**31 - 1, the most TensorFlow can index); "
                         f"got {_number(value)}")
    return whole


def _float32(value: float) -> float:
    """A float the layer hands to Keras, which keeps it in float32: inf, nan or a value past
    float32's range would become a non-finite weight, penalty or bound."""
    if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
        raise ValueError(f"must be finite and within float32's range, ±{FLOAT32_MAX:.3g}; got {_number(value)}")
    return value


# Numbers are strict: Pydantic would otherwise read the text "8", or a bare name such as
# `inf` or `nan`, as a number.
Whole = Annotated[int, BeforeValidator(_whole), Strict()]
# `le`: for the JSON Schema (`ldnn schema`); `_size` has refused a larger value with its own words.
Size = Annotated[int, BeforeValidator(_size), Strict(), Field(ge=-MAX_SIZE, le=MAX_SIZE)]
PositiveWhole = Annotated[int, BeforeValidator(_size), Strict(), Field(gt=0, le=MAX_SIZE)]


def _float32_schema(schema: dict[str, Any]) -> None:
    """`_float32`'s bounds in the JSON Schema (`ldnn schema`), where no tighter bound is given."""
    if "minimum" not in schema and "exclusiveMinimum" not in schema:
        schema["minimum"] = -FLOAT32_MAX
    if "maximum" not in schema and "exclusiveMaximum" not in schema:
        schema["maximum"] = FLOAT32_MAX


Float32 = Annotated[float, Strict(), AfterValidator(_float32), Field(json_schema_extra=_float32_schema)]
Positive = Annotated[Float32, Field(gt=0)]
Flag = Annotated[bool, Strict()]  # `true`, `false` or the bare word; not `1`, `yes` or "true"


def _window(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (_whole(value),)
    return value


def _positive_dims(dims: tuple[int, ...]) -> tuple[int, ...]:
    if any(d <= 0 for d in dims):
        raise ValueError(f"must be positive on every side; got {'x'.join(map(str, dims))}")
    if any(d > MAX_SIZE for d in dims):
        raise ValueError(f"must be at most {MAX_SIZE} on every side (2**31 - 1, the most TensorFlow can index); "
                         f"got {'x'.join(map(_number, dims))}")
    return dims


Window = Annotated[tuple[Whole, ...], BeforeValidator(_window), Field(min_length=1), AfterValidator(_positive_dims)]
WINDOW_FIELDS = ("window", "stride")  # the arguments of type Window, written `3x3`

# What Keras can train under a layer name: TensorFlow makes it a scope name (ASCII letters, digits
# and `_ . \ / > -`), its op names refuse `\`, Keras refuses `/` (it separates layers from weights),
# and a `>` must start a new part of an op name (a letter, digit or `.` after it), which the `_1`
# Keras appends to a scope breaks (`a>` trained as `a>_1` and failed at the first step): no `>`.
LAYER_NAME = re.compile(r"[A-Za-z0-9_.-]+")
NAME_CHARACTERS = "ASCII letters, digits, `_`, `.` and `-`"


def _nearest_ascii(character: str) -> str:
    """`é` -> `e` (its letter without the accent), any other character -> `_`."""
    base = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
    return base if base and LAYER_NAME.fullmatch(base) else "_"


def _layer_name(name: str) -> str:
    """A `name=` that Keras can build and train with: a space, `:`, `/` or a non-ASCII letter
    passes Keras' constructor and then fails the first training step (or the build)."""
    if not name:
        raise ValueError(f"a layer name holds at least one character ({NAME_CHARACTERS}); got an empty name")
    if not LAYER_NAME.fullmatch(name):
        bad = next(c for c in name if not LAYER_NAME.fullmatch(c))
        what = "a space" if bad == " " else f"`{bad}`"
        fixed = "".join(c if LAYER_NAME.fullmatch(c) else _nearest_ascii(c) for c in name)
        raise ValueError(f"a layer name may hold only {NAME_CHARACTERS} (Keras makes it a TensorFlow scope "
                         f"name); got `{name}`, with {what}: try `{fixed}`")
    return name


LayerName = Annotated[str, AfterValidator(_layer_name), Field(json_schema_extra={"pattern": f"^{LAYER_NAME.pattern}$"})]


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
    attributes, and override the rules that apply: shape, parameters, multiply-accumulates,
Keras layer, and, for a layer with weights, its initializers (`filled`, `init_misfits`)."""

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    positional: ClassVar[tuple[str, ...]] = ()
    words: ClassVar[dict[str, tuple[str, Any]]] = {}
    doc: ClassVar[str] = ""
    elsewhere: ClassVar[tuple[str, ...]] = ()  # other frameworks' names; the kind in any case is matched too
    has_weights: ClassVar[bool] = False
    keeps_ids: ClassVar[bool] = False  # integer ids pass through unchanged (only moved), so an embedding may follow
    keeps_range: ClassVar[bool] = False  # moves, drops or pools its input's values: the output range is set before it
    random_in_training: ClassVar[bool] = False  # draws random numbers in every training step (dropout masks)
    activation_last: ClassVar[bool] = True  # an `activation` field is applied to the output, after all else
    gated: ClassVar[bool] = False  # the output mixes the activation with gates (lstm: o * act(c)), not act(...) alone

    name: LayerName | None = None

    @classmethod
    def reordered(cls, values: Sequence[object], keyed: Collection[str]) -> tuple[str, str, int] | None:
        """(the start of the line put right, why, how many leading values it replaces) where the
        leading unnamed values are in another order than this kind's, as another framework writes
        them (`embedding 100 16`: Keras' input_dim first), or lack the first (`conv 3x3 relu`);
        `keyed`: the options the line gives by name, which no value may take."""
        return None

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def param_count(self, shape: Shape) -> int:
        return 0

    def macs(self, shape: Shape) -> int:
        """Multiply-accumulates of one forward pass for one sample (for FLOP counts)."""
        return 0

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        raise NotImplementedError(type(self).__name__)

    def filled(self, defaults: InitDefaults) -> dict[str, Any]:
        """The arguments decided by the `init` section, or by Keras, where the layer leaves them
        out: the Keras layer is built from these, and the resolved spec writes them out, so what a
        run folder says and what was trained cannot drift apart."""
        return {}

    def init_misfits(self, defaults: InitDefaults) -> list[tuple[str, str]]:
        """(`init` setting, reason) for each default of the `init` section that this layer would
        take but cannot use; the checker reports them at the section's line. A layer's own
        `init=` is checked where it is written."""
        return []


def activation_words(field: str = "activation") -> dict[str, tuple[str, Any]]:
    return {a: (field, a) for a in ACTIVATIONS}


class WeightLayer(LayerKind):
    """A layer with a kernel and a bias: initializers, max-norm, L2, bias switch."""

    has_weights: ClassVar[bool] = True

    init: Init | None = None
    bias_init: Init | None = None
    bias: Flag = True
    max_norm: Positive | None = None
    l2: Annotated[Float32, Field(ge=0)] | None = None

    kernel_axes: ClassVar[int] = 2  # dense and recurrent kernels are matrices; a convolution's has more axes

    @classmethod
    def kernel_words(cls) -> str:
        """The kernel, as a message names it."""
        kind = cls.model_fields["kind"].default
        if cls.kernel_axes == 2:
            return f"the kernel of `{kind}`, a matrix"
        return f"the {cls.kernel_axes}-D kernel of `{kind}`"

    @classmethod
    def bias_words(cls) -> str:
        """The bias, as a message names it."""
        return f"the bias of `{cls.model_fields['kind'].default}`, a vector"

    @field_validator("init")
    @classmethod
    def _kernel_fits(cls, init: Init | None) -> Init | None:
        """`identity` on a conv kernel passes every shape rule, then Keras refuses it at build."""
        return _fitting(init, cls.kernel_axes, cls.kernel_words())

    @field_validator("bias_init")
    @classmethod
    def _bias_fits(cls, init: Init | None) -> Init | None:
        return _fitting(init, 1, cls.bias_words())

    @field_validator("bias")
    @classmethod
    def _bias_to_set(cls, bias: bool, info: ValidationInfo) -> bool:
        """`bias=false bias_init=ones` contradicts itself; Keras would drop the initializer silently."""
        if not bias and info.data.get("bias_init") is not None:
            raise contradiction(f"`bias=false` leaves this `{cls.model_fields['kind'].default}` without a bias, so "
                                f"its `bias_init={info.data['bias_init'].text()}` has nothing to set",
                                "drop `bias_init=`, or drop `bias=false` to keep the bias")
        return bias

    def init_misfits(self, defaults: InitDefaults) -> list[tuple[str, str]]:
        out: list[tuple[str, str | None]] = []
        if defaults.weights is not None and self.init is None:
            out.append(("weights", defaults.weights.misfit(self.kernel_axes, self.kernel_words())))
        if defaults.biases is not None and self.bias_init is None and self.bias:
            out.append(("biases", defaults.biases.misfit(1, self.bias_words())))
        return [(setting, reason) for setting, reason in out if reason]

    def filled(self, defaults: InitDefaults) -> dict[str, Any]:
        """A layer without a bias takes no bias initializer, not even the `init` section's."""
        bias_init = (self.bias_init or defaults.biases or Init(name="zeros")) if self.bias else None
        return {"init": self.init or defaults.weights or Init(name="glorot_uniform"), "bias_init": bias_init}

    def weight_options(self, defaults: InitDefaults, max_norm_axis: int | list[int]) -> dict[str, Any]:
        """Keras keyword arguments shared by every weight layer.

        Max-norm bounds each unit's incoming weight vector, so the norm is taken over
        every kernel axis except the last (the units/filters axis)."""
        import keras

        constraint = keras.constraints.MaxNorm(self.max_norm, axis=max_norm_axis) if self.max_norm else None
        filled = self.filled(defaults)
        return {
            "kernel_initializer": filled["init"].keras(),
            "bias_initializer": (filled["bias_init"] or Init(name="zeros")).keras(),  # Keras wants one regardless
            "use_bias": self.bias,
            "kernel_constraint": constraint,
            "kernel_regularizer": keras.regularizers.L2(self.l2) if self.l2 else None,
        }


def _fitting(init: Init | None, axes: int, what: str) -> Init | None:
    reason = init.misfit(axes, what) if init is not None else None
    if reason:
        raise ValueError(reason)
    return init
