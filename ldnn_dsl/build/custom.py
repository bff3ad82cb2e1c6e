"""Keras objects of our own, registered so saved models load with `keras.saving.load_model`.

Importing this module imports Keras; `ldnn_dsl.build.registration` imports it for you the
moment Keras itself is imported, so `import ldnn_dsl` stays light."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="ldnn")
class ForgetGateBias(keras.initializers.Initializer):
    """An LSTM bias whose forget-gate slice starts at `value`, the rest drawn from `base`.

    Keras' `unit_forget_bias` can only set 1.0; the recipe asks for larger values (2.0 and
    up) for long-range dependencies. Keras orders an LSTM bias by gate: input, forget,
    cell, output, so the forget slice of a `4 * units` vector is `[units:2 * units]`.

    Spec form: `lstm 512 forget_bias=2.0`, or `init { forget_bias 2.0 }` for every LSTM."""

    def __init__(self, value: float, base: Any = "zeros") -> None:
        self.value = float(value)
        self.base = keras.initializers.get(base)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        units = _units(shape)
        dtype = dtype or keras.config.floatx()
        drawn = self.base(shape, dtype=dtype)
        forget = keras.ops.full((units,), self.value, dtype=dtype)
        return keras.ops.concatenate([drawn[:units], forget, drawn[2 * units:]], axis=0)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value, "base": keras.initializers.serialize(self.base)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ForgetGateBias:
        return cls(config["value"], keras.initializers.deserialize(config["base"]))


def _units(shape: Any) -> int:
    """The number of units of a 1-D LSTM bias; anything else is a misuse worth a clear error."""
    dims = tuple(shape)
    if len(dims) != 1 or dims[0] % 4:
        raise ValueError("Received an invalid shape for `ForgetGateBias`, expected a 1-D LSTM bias of size "
                         f"4 * units. Received: shape={dims}")
    return dims[0] // 4


@keras.saving.register_keras_serializable(package="ldnn")
class Log1p(keras.layers.Layer):
    """log(1 + x) on some feature columns (all when `columns` is empty): `preprocess log1p(...)`
    kept inside the saved model, so it takes the same raw inputs as the data files hold."""

    def __init__(self, columns: tuple[int, ...] | list[int] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = tuple(int(c) for c in columns)

    def call(self, x: Any) -> Any:
        if not self.columns:
            return keras.ops.log1p(x)
        width = x.shape[-1]
        mask = [False] * width
        for column in self.columns:
            mask[column % width] = True
        selected = keras.ops.convert_to_tensor(mask)
        safe = keras.ops.where(selected, x, 0.0)  # other columns may hold values <= -1
        return keras.ops.where(selected, keras.ops.log1p(safe), x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "columns": list(self.columns)}


@keras.saving.register_keras_serializable(package="ldnn")
class SparseAwareLossScaleOptimizer(keras.optimizers.LossScaleOptimizer):
    """Keras' loss scaling for `precision mixed_float16`, whose overflow check also sees an
    embedding's gradient. On TensorFlow that gradient is sparse (IndexedSlices: the rows that
    the batch looked up), and `ops.isfinite` of one can come out true over infinite rows: the
    step was applied, and an `embedding` followed by `layernorm` trained to NaN at the second
    step. The check reads the rows themselves (TensorFlow's class is named, not imported: the
    JAX backend has none); a dense gradient is checked as Keras does."""

    def check_finite(self, grads: list[Any]) -> Any:
        rows = [g.values if type(g).__name__ == "IndexedSlices" else g for g in grads if g is not None]
        return keras.ops.all(keras.ops.convert_to_tensor([keras.ops.all(keras.ops.isfinite(g)) for g in rows]))
