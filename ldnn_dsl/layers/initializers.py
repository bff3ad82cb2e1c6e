"""The initializer table: names the spec may use, their arguments, and their Keras form.

`scaled(s)` is the recipe's s / sqrt(fan_in) * randn. Keras' `VarianceScaling` with
`distribution="normal"` is truncated, so it maps to `"untruncated_normal"` with scale s**2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

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
}

FIXED_STD = {"normal", "uniform", "constant"}


class Init(BaseModel):
    """An initializer as written: `normal(0.02)`, `zeros`, `he_normal`."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    args: tuple[float, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and "name" not in data:
            raise ValueError("expected an initializer such as `normal(0.02)` or `zeros`")
        if isinstance(data, dict) and not set(data) <= {"name", "args"}:
            table = INITIALIZERS.get(data["name"], ({}, ""))[0]
            named = [data[k] for k in table if k in data]
            unknown = set(data) - {"name", "args"} - set(table)
            if unknown:
                raise ValueError(f"`{data['name']}` has no argument `{sorted(unknown)[0]}`")
            return {"name": data["name"], "args": [*data.get("args", []), *named]}
        return data

    @model_validator(mode="after")
    def _known(self) -> Init:
        if self.name not in INITIALIZERS:
            raise ValueError(f"unknown initializer `{self.name}`")
        params = INITIALIZERS[self.name][0]
        if len(self.args) > len(params):
            raise ValueError(f"`{self.name}` takes {len(params)} argument(s), got {len(self.args)}")
        missing = [k for k, default in list(params.items())[len(self.args):] if default is None]
        if missing:
            raise ValueError(f"`{self.name}` needs its `{missing[0]}`, e.g. `{self.name}(0.02)`")
        if self.name in ("normal", "uniform", "scaled", "orthogonal") and self.args and self.args[0] <= 0:
            raise ValueError(f"`{self.name}` needs a positive argument, got {self.args[0]}")
        return self

    def value(self, index: int) -> float:
        params = list(INITIALIZERS[self.name][0].items())
        return self.args[index] if index < len(self.args) else float(params[index][1] or 0.0)

    def text(self) -> str:
        return self.name + (f"({', '.join(f'{a:g}' for a in self.args)})" if self.args else "")

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
           ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform")},
    }


_KERAS = _keras_factories()
