"""The backend-specific half of gradient checking: float64 everywhere, the analytic
gradient (TensorFlow's GradientTape, or jax.grad over `stateless_call`) and a compiled
forward pass for the finite differences."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np


class GradcheckError(Exception):
    """The check could not run (an unsupported backend, a loss that is NaN before any step); not a
    failed comparison."""


@contextmanager
def float64() -> Iterator[None]:
    """floatx and the dtype policy at float64, and on JAX its x64 switch; all restored on exit."""
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        with _jax_x64() if keras.backend.backend() == "jax" else nullcontext():
            yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


@contextmanager
def _jax_x64() -> Iterator[None]:
    """JAX computes in float32 unless x64 is on, and Keras' type promotion (`result_type`, which
    `ops.mean` and the losses use) demotes float64 to float32 off TensorFlow, to match JAX's
    default; both are lifted for the check, through Keras' private promotion table."""
    import jax
    from keras.src.backend.common import dtypes

    table = getattr(dtypes, "BIT64_TO_BIT32_DTYPE", {})
    x64, demoted = bool(jax.config.jax_enable_x64), table.get("float64")
    jax.config.update("jax_enable_x64", True)
    table["float64"] = "float64"
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", x64)
        if demoted is None:
            table.pop("float64", None)
        else:
            table["float64"] = demoted


def batch_loss(name: str, *, from_logits: bool = False) -> Callable[[Any, Any], Any]:
    """The Keras loss `name`, reduced to the mean over the batch (and any other axes);
    `from_logits`: computed from the scores before the output's activation."""
    import keras

    per_sample = keras.losses.get(name)
    if from_logits:
        return lambda y, pred: keras.ops.mean(per_sample(y, pred, from_logits=True))
    return lambda y, pred: keras.ops.mean(per_sample(y, pred))


def analytic_gradients(model: Any, x: np.ndarray, y: np.ndarray, loss: Callable[[Any, Any], Any]) -> list[np.ndarray]:
    """d loss / d w for every trainable variable (in `model.trainable_variables` order), inference mode."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=False))
        grads = tape.gradient(value, model.trainable_variables)
        return [np.zeros(v.shape) if g is None else np.asarray(tf.convert_to_tensor(g))
                for v, g in zip(model.trainable_variables, grads, strict=True)]
    if backend == "jax":
        import jax

        fixed = [v.value for v in model.non_trainable_variables]

        def of(trainable: list[Any]) -> Any:
            return loss(y, model.stateless_call(trainable, fixed, x, training=False)[0])

        return [np.asarray(g) for g in jax.grad(of)([v.value for v in model.trainable_variables])]
    raise GradcheckError(f"the {backend} backend is not supported; set KERAS_BACKEND to tensorflow or jax")


Evaluator = Callable[[int | None, np.ndarray | None], float]


def loss_evaluator(model: Any, x: np.ndarray, y: np.ndarray, loss: Callable[[Any, Any], Any]) -> Evaluator:
    """A compiled forward pass: the loss with trainable variable `index` replaced by `value`."""
    import keras

    variables = model.trainable_variables
    if keras.backend.backend() == "jax":
        import jax

        fixed = [v.value for v in model.non_trainable_variables]
        base = [v.value for v in variables]
        forward = jax.jit(lambda trainable: loss(y, model.stateless_call(trainable, fixed, x, training=False)[0]))

        def jax_at(index: int | None, value: np.ndarray | None) -> float:
            values = list(base)
            if index is not None:
                values[index] = value
            return float(forward(values))
        return jax_at
    import tensorflow as tf

    compiled = tf.function(lambda: loss(y, model(x, training=False)))

    def tf_at(index: int | None, value: np.ndarray | None) -> float:
        if index is None:
            return float(compiled())
        original = variables[index].numpy()
        variables[index].assign(value)
        try:
            return float(compiled())
        finally:
            variables[index].assign(original)
    return tf_at
