"""Initializers as built: the statistics of the drawn weights, not just the Keras class chosen.

A large kernel (two million draws) pins a standard deviation to well within 5%, and tells
an untruncated normal (the recipe's `scaled`) from Keras' truncated one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from ldnn_dsl.check.check import check_source
from ldnn_dsl.source.text import decode

BIG_DENSE = "model m {{ input [1000]  dense 2000 {options} }}\n{init}"


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    """Keras, loaded once for the module (TensorFlow's import costs seconds)."""
    import keras

    return keras


def built(keras: ModuleType, text: str) -> Any:
    from ldnn_dsl.build.model import build_model

    result = check_source(decode("t.ldnn", text.encode()), "compile")
    assert not result.errors, [d.message for d in result.errors]
    return build_model(result.spec)


def weights(keras: ModuleType, text: str, layer: str = "dense_1") -> tuple[np.ndarray, np.ndarray]:
    """The kernel and the bias of one layer of the built spec, as numpy arrays."""
    built_layer = built(keras, text).get_layer(layer)
    return keras.ops.convert_to_numpy(built_layer.kernel), keras.ops.convert_to_numpy(built_layer.bias)


def big_kernel(keras: ModuleType, options: str = "", init: str = "") -> np.ndarray:
    return weights(keras, BIG_DENSE.format(options=options, init=init))[0]


def assert_std(values: np.ndarray, expected: float) -> None:
    assert abs(values.mean()) < 0.05 * expected
    assert values.std() == pytest.approx(expected, rel=0.05)


def test_normal_has_its_fixed_std(keras: ModuleType) -> None:
    assert_std(big_kernel(keras, "init=normal(0.02)"), 0.02)


def test_scaled_is_an_untruncated_normal_over_sqrt_fan_in(keras: ModuleType) -> None:
    kernel = big_kernel(keras, init="init { weights scaled(1.0) }")
    std = 1 / np.sqrt(1000)
    assert_std(kernel, std)
    assert np.abs(kernel).max() > 2 * std  # a truncated normal stops at two standard deviations


def test_scaled_conv_counts_the_whole_window_in_fan_in(keras: ModuleType) -> None:
    kernel, _ = weights(keras, "model m { input [8, 8, 64]  conv 256 3x3 init=scaled(2.0) }", "conv_1")
    assert_std(kernel, 2.0 / np.sqrt(3 * 3 * 64))
    assert np.abs(kernel).max() > 2 * 2.0 / np.sqrt(3 * 3 * 64)


def test_uniform_stays_within_its_limit(keras: ModuleType) -> None:
    kernel = big_kernel(keras, "init=uniform(0.3)")
    assert np.abs(kernel).max() <= 0.3
    assert np.abs(kernel).max() > 0.299
    assert_std(kernel, 0.3 / np.sqrt(3))


@pytest.mark.parametrize(("init", "value"), [("constant(0.7)", 0.7), ("zeros", 0.0), ("ones", 1.0)])
def test_fixed_initializers_fill_every_entry(keras: ModuleType, init: str, value: float) -> None:
    kernel, _ = weights(keras, f"model m {{ input [5]  dense 3 init={init} }}")
    np.testing.assert_array_equal(kernel, np.full((5, 3), value, "float32"))


@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_square_kernel(keras: ModuleType, gain: float) -> None:
    kernel, _ = weights(keras, f"model m {{ input [128]  dense 128 init=orthogonal({gain}) }}")
    np.testing.assert_allclose(kernel.T @ kernel, gain ** 2 * np.eye(128), atol=1e-4)


def test_keras_names_are_accepted(keras: ModuleType) -> None:
    kernel = big_kernel(keras, init="init { weights he_normal }")
    assert_std(kernel, np.sqrt(2 / 1000))
    assert np.abs(kernel).max() <= 2 * np.sqrt(2 / 1000) / 0.87962566 + 1e-6  # Keras truncates he_normal


@pytest.mark.parametrize(("name", "std", "largest"), [
    ("random_normal", 0.05, None),
    ("truncated_normal", 0.05 * 0.87962566, 2 * 0.05),  # Keras cuts at 2 std of the normal it draws from
    ("random_uniform", 0.05 / np.sqrt(3), 0.05),
    ("variance_scaling", 1 / np.sqrt(1000), 2 / np.sqrt(1000) / 0.87962566),  # corrected for the cut
])
def test_keras_fixed_scale_names_keep_keras_defaults(keras: ModuleType, name: str, std: float,
                                                     largest: float | None) -> None:
    """LANGUAGE.md promises "the usual Keras names": these four were refused as unknown."""
    kernel = big_kernel(keras, init=f"init {{ weights {name} }}")
    assert_std(kernel, std)
    if largest is not None:
        assert np.abs(kernel).max() <= largest + 1e-6


def test_layer_init_overrides_the_init_section(keras: ModuleType) -> None:
    model = built(keras, "model m { input [4]  dense 3 init=ones  dense 2 }\ninit {\n  weights zeros\n  biases ones\n}")
    first, second = (keras.ops.convert_to_numpy(model.get_layer(n).kernel) for n in ("dense_1", "dense_2"))
    assert (first == 1).all() and (second == 0).all()
    assert (keras.ops.convert_to_numpy(model.get_layer("dense_2").bias) == 1).all()


def test_bias_init_overrides_the_default(keras: ModuleType) -> None:
    _, bias = weights(keras, "model m { input [4]  dense 3 bias_init=constant(0.5) }\ninit { biases zeros }")
    np.testing.assert_array_equal(bias, np.full(3, 0.5, "float32"))


def test_default_bias_is_zero(keras: ModuleType) -> None:
    _, bias = weights(keras, "model m { input [4]  dense 3 }")
    assert (bias == 0).all()


# --- LSTM forget-gate bias (Keras gate order: input, forget, cell, output) -------------------

def lstm_bias(keras: ModuleType, options: str, init: str = "") -> np.ndarray:
    model = built(keras, f"model m {{ input [5, 3]  lstm 6 {options} }}\n{init}")
    return keras.ops.convert_to_numpy(model.get_layer("lstm_1").cell.bias)


@pytest.mark.parametrize(("options", "init", "forget"), [
    ("forget_bias=2.0", "", 2.0),
    ("forget_bias=0.5", "", 0.5),
    ("", "init { forget_bias 3.0 }", 3.0),
    ("forget_bias=0.5", "init { forget_bias 3.0 }", 0.5),
    ("", "", 1.0),  # Keras' own unit_forget_bias
])
def test_forget_gate_slice_is_exactly_the_forget_bias(keras: ModuleType, options: str, init: str,
                                                      forget: float) -> None:
    bias = lstm_bias(keras, options, init)
    assert bias.shape == (24,)
    assert (bias[6:12] == np.float32(forget)).all()
    assert (np.concatenate([bias[:6], bias[12:]]) == 0).all()


def test_other_gates_keep_the_bias_initializer(keras: ModuleType) -> None:
    bias = lstm_bias(keras, "forget_bias=2.0 bias_init=constant(0.25)")
    assert (bias[6:12] == 2.0).all()
    assert (np.concatenate([bias[:6], bias[12:]]) == np.float32(0.25)).all()


def test_forget_gate_bias_over_a_random_base(keras: ModuleType) -> None:
    from ldnn_dsl.build.custom import ForgetGateBias

    bias = keras.ops.convert_to_numpy(ForgetGateBias(2.0, keras.initializers.RandomNormal(0.0, 1.0))((4000,)))
    assert (bias[1000:2000] == 2.0).all()
    assert np.concatenate([bias[:1000], bias[2000:]]).std() == pytest.approx(1.0, rel=0.1)


def test_forget_gate_bias_round_trips_its_config(keras: ModuleType) -> None:
    from ldnn_dsl.build.custom import ForgetGateBias

    original = ForgetGateBias(2.5, keras.initializers.Constant(0.1))
    again = keras.initializers.deserialize(keras.initializers.serialize(original))
    assert isinstance(again, ForgetGateBias) and again.get_config() == original.get_config()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again((8,))),
                                  np.array([0.1, 0.1, 2.5, 2.5, 0.1, 0.1, 0.1, 0.1], "float32"))


def test_forget_gate_bias_keeps_the_requested_dtype(keras: ModuleType) -> None:
    from ldnn_dsl.build.custom import ForgetGateBias

    bias = keras.ops.convert_to_numpy(ForgetGateBias(2.0)((8,), dtype="float64"))
    wide = keras.ops.convert_to_numpy(keras.ops.zeros((1,), dtype="float64")).dtype  # float32 on JAX without x64
    assert bias.dtype == wide and (bias[2:4] == 2.0).all()


def test_forget_gate_bias_rejects_a_non_lstm_shape(keras: ModuleType) -> None:
    from ldnn_dsl.build.custom import ForgetGateBias

    with pytest.raises(ValueError, match=r"expected a 1-D LSTM bias of size 4 \* units. Received: shape=\(6,\)"):
        ForgetGateBias(1.0)((6,))
