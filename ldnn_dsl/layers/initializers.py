"""The initializer table: names the spec may use, their arguments, and their Keras form.

`scaled(s)` is the recipe's s / sqrt(fan_in) * randn. Keras' `VarianceScaling` with
`distribution="normal"` is truncated, so it maps to `"untruncated_normal"` with scale s**2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Strict, model_validator

from ldnn_dsl.layers.refusals import (
    ArgumentRangeError,
    UnknownArgumentError,
    UnknownInitializerError,
    WrongKindError,
    refusal,
)
from ldnn_dsl.layers.values import number_text

# name -> (argument names with defaults, a one-line description)
INITIALIZERS: dict[str, tuple[dict[str, float | None], str]] = {
    "normal": ({"std": None}, "std * randn (0.02 is the recipe's 'lazy' choice)"),
    "scaled": ({"scale": 1.0}, "scale / sqrt(fan_in) * randn"),
    "uniform": ({"limit": None}, "uniform in [-limit, limit]"),
    "zeros": ({}, "all zeros"),
    "ones": ({}, "all ones"),
    "constant": ({"value": None}, "every entry equal to value"),
    "orthogonal": ({"gain": 1.0}, "a random orthogonal matrix times gain"),
    "glorot_uniform": ({}, "Keras' default"),
    "glorot_normal": ({}, "Glorot, truncated normal"),
    "he_normal": ({}, "He, truncated normal"),
    "he_uniform": ({}, "He, uniform"),
    "lecun_normal": ({}, "LeCun, truncated normal"),
    "lecun_uniform": ({}, "LeCun, uniform"),
    "identity": ({"gain": 1.0}, "the identity matrix times gain (square kernels)"),
    # Keras' own names for the fixed-scale ones, with Keras' defaults
    "random_normal": ({}, "0.05 * randn, as Keras' RandomNormal"),
    "truncated_normal": ({}, "0.05 * randn cut at 2 std, as Keras' TruncatedNormal"),
    "random_uniform": ({}, "uniform in [-0.05, 0.05], as Keras' RandomUniform"),
    "variance_scaling": ({}, "1 / sqrt(fan_in) * randn cut at 2 std, as Keras' VarianceScaling"),
}

FIXED_STD = {"normal", "uniform", "constant", "random_normal", "truncated_normal", "random_uniform"}

FLOAT32_MAX = 3.4028234663852886e38  # weights are float32: anything larger is inf
# The largest argument whose weights all stay finite in float32. A constant's, an identity's and an
# orthogonal matrix's entries are at most the argument; `uniform` computes limit - (-limit); a normal
# draw stays within 8 std (the chance of one beyond is about 1e-15 per weight), for `scaled` too.
LARGEST_ARGUMENT = {"uniform": FLOAT32_MAX / 2, "normal": FLOAT32_MAX / 8, "scaled": FLOAT32_MAX / 8}


class Init(BaseModel):
    """An initializer as written: `normal(0.02)`, `zeros`, `he_normal`."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    args: tuple[Annotated[float, Strict()], ...] = ()  # not the text `"0.02"`, nor `inf`

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and "name" not in data:
            raise WrongKindError("expected an initializer such as `normal(0.02)` or `zeros`")
        if isinstance(data, dict) and not set(data) <= {"name", "args"}:
            if data["name"] not in INITIALIZERS:  # `nromal(std=0.02)`: the name is what is wrong
                raise UnknownInitializerError(str(data["name"]))
            table = INITIALIZERS[data["name"]][0]
            named = [data[k] for k in table if k in data]
            unknown = set(data) - {"name", "args"} - set(table)
            if unknown:
                raise UnknownArgumentError(data["name"], sorted(unknown)[0])
            return {"name": data["name"], "args": [*data.get("args", []), *named]}
        return data

    @model_validator(mode="after")
    def _known(self) -> Init:
        if self.name not in INITIALIZERS:
            raise UnknownInitializerError(self.name)
        params = INITIALIZERS[self.name][0]
        if len(self.args) > len(params):
            takes = f"{len(params)} argument{'s' if len(params) > 1 else ''}" if params else "no arguments"
            raise refusal("E205", f"`{self.name}` takes {takes}, got {len(self.args)}")
        missing = [k for k, default in list(params.items())[len(self.args):] if default is None]
        if missing:
            raise refusal("E206", f"`{self.name}` needs its `{missing[0]}`",
                          help=f"write it in the call, such as `{self.name}(0.02)`")
        for index, (param, value) in enumerate(zip(params, self.args, strict=False)):
            self._fits_float32(index, param, value)
        if self.name in ("normal", "uniform", "scaled", "orthogonal") and self.args and self.args[0] <= 0:
            raise ArgumentRangeError(f"`{self.name}` needs a positive argument, got {number_text(self.args[0])}",
                                     self.name, 0)
        return self

    def _fits_float32(self, index: int, param: str, value: float) -> None:
        """Keras draws the weights in float32: an argument of inf or nan, or one large enough
        that some weight passes float32's range, gives a model with infinite weights (or none:
        Keras refuses a constant it cannot convert)."""
        largest = LARGEST_ARGUMENT.get(self.name, FLOAT32_MAX)
        if not math.isfinite(value):
            raise ArgumentRangeError(f"`{self.name}` needs a finite {param}, got {value}", self.name, index)
        if abs(value) <= largest:
            return
        if largest == FLOAT32_MAX:
            raise ArgumentRangeError(f"`{self.name}`'s {param} must fit a float32 weight (at most {largest:.3g} in "
                                     f"size), got {value:g}", self.name, index)
        raise ArgumentRangeError(f"`{self.name}`'s {param} must be at most {largest:.3g}, or some weights pass "
                                 f"float32's largest value, {FLOAT32_MAX:.3g}; got {value:g}", self.name, index)

    def misfit(self, axes: int, what: str) -> str | None:
        """Why this initializer cannot fill a weight of `axes` axes (`what` names it), or None.

        Keras' `Identity` makes matrices only and `Orthogonal` needs two axes or more; both
        fail only when the layer is built, so the checker asks here (no Keras import)."""
        if self.name == "identity" and axes != 2:
            hint = "; `orthogonal` fills kernels of any rank" if axes > 2 else ""
            return f"`identity` needs a 2-D weight, got {what}{hint}"
        if self.name == "orthogonal" and axes < 2:
            return f"`orthogonal` needs a weight of 2 or more axes, got {what}"
        return None

    def value(self, index: int) -> float:
        params = list(INITIALIZERS[self.name][0].items())
        return self.args[index] if index < len(self.args) else float(params[index][1] or 0.0)

    def text(self) -> str:
        """As a spec writes it, every digit kept: a run folder's spec.ldnn trains the same weights."""
        return self.name + (f"({', '.join(map(number_text, self.args))})" if self.args else "")

    def keras(self) -> Any:
        """The Keras initializer; imported late so the checker never loads Keras."""
        return _KERAS[self.name](self)


def _keras_factories() -> dict[str, Callable[[Init], Any]]:
    def k() -> Any:
        import keras

        return keras.initializers

    return {
        "normal": lambda i: k().RandomNormal(0.0, i.value(0)),
        "scaled": lambda i: k().VarianceScaling(i.value(0) ** 2, "fan_in", "untruncated_normal"),
        "uniform": lambda i: k().RandomUniform(-i.value(0), i.value(0)),
        "zeros": lambda i: k().Zeros(),
        "ones": lambda i: k().Ones(),
        "constant": lambda i: k().Constant(i.value(0)),
        "orthogonal": lambda i: k().Orthogonal(i.value(0)),
        "identity": lambda i: k().Identity(i.value(0)),
        **{name: (lambda i: k().get(i.name)) for name in
           ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
            "random_normal", "truncated_normal", "random_uniform", "variance_scaling")},
    }


_KERAS = _keras_factories()
