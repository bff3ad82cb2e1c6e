"""The Keras builder: every spec builds to the model the checker predicted, layer by layer.

Keras (and TensorFlow) load once per module through the `keras` fixture; the checker's own
tests never pay for it. Subprocess tests cover what one process cannot: registration on a
fresh `import keras`, and the JAX backend (chosen before Keras is imported).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from helpers import checked, fresh_python

import ldnn_dsl
from ldnn_dsl.check.check import check_source
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import read

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"
SPECS = sorted(EXAMPLES.glob("*.ldnn")) + sorted((ROOT / "specs").glob("*.ldnn"))
EXPECTED_TOTALS = {"sort10x6": 1_768_064, "parity": 70_401, "char_lstm": 3_336_288, "convnet": 3_248_202,
                   "deep_residual": 1_387_786, "inception_cell": 13_034}

LSTM_SPEC = """
model lm {
  input [12] int
  embedding 8 vocab=20
  lstm 16 sequences forget_bias=2.0
  lstm 8
  dense 5 softmax
}
"""

RESIDUAL_SPEC = """
model res {
  input [6]
  dense 16 relu
  residual { dense 16 relu  dense 16 }
  parallel add {
    branch { dense 4 }
    branch { dense 4 tanh }
  }
  parallel concat {
    branch { dense 3 }
    branch { activation relu }
  }
  dense 2
}
"""


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    """Keras, loaded once for the module (TensorFlow's import costs seconds)."""
    import keras

    return keras


@pytest.fixture(scope="module")
def build(keras: ModuleType) -> ModuleType:
    import ldnn_dsl.build.model as build

    return build


def built(build: ModuleType, text: str, **options: Any) -> Any:
    return build.build_model(checked(text, purpose="compile").spec, **options)


# --- every spec: parameters and shapes agree with the checker -------------------------------

@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_built_model_matches_the_checker(build: ModuleType, path: Path) -> None:
    result = check_source(read(path), "compile")
    assert not result.errors, [d.message for d in result.errors]
    model = build.build_model(result.spec)
    assert model.count_params() == result.inference.total_params
    if path.parent == EXAMPLES:
        assert result.inference.total_params == EXPECTED_TOTALS[path.stem]
    rows = {row.name: row.shape for row in result.inference.rows}
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert {name: rows.get(name) for name in shapes} == shapes


def test_all_six_examples_are_present() -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(f"no shared examples at {EXAMPLES}")
    assert {p.stem for p in EXAMPLES.glob("*.ldnn")} >= set(EXPECTED_TOTALS)


def test_plain_stack_is_sequential_and_names_follow_the_graph(build: ModuleType, keras: ModuleType) -> None:
    model = built(build, "model m { input [4]  dense 3 relu  dropout 0.5  dense 1 }")
    assert isinstance(model, keras.Sequential) and model.name == "m"
    assert [layer.name for layer in model.layers] == ["dense_1", "dropout_1", "dense_2"]


def test_a_model_of_only_its_input_is_the_identity(build: ModuleType) -> None:
    model = built(build, "model m { input [4] }")
    x = np.arange(8, dtype="float32").reshape(2, 4)
    assert model.count_params() == 0 and (np.asarray(model(x)) == x).all()


def test_residual_and_parallel_build_functionally(build: ModuleType, keras: ModuleType) -> None:
    result = checked(RESIDUAL_SPEC, purpose="compile")
    model = build.build_model(result.spec)
    assert not isinstance(model, keras.Sequential)
    assert model.count_params() == result.inference.total_params
    kinds = {layer.name: type(layer).__name__ for layer in model.layers}
    assert (kinds["residual_1"], kinds["parallel_1"], kinds["parallel_2"]) == ("Add", "Add", "Concatenate")
    assert tuple(model(np.ones((2, 6), "float32")).shape) == (2, 2)


@pytest.mark.parametrize(("text", "in_float32"), [
    ("model m { input [6]  dense 8 relu  dense 4  reshape [2, 2]  activation softmax }", ["activation_1"]),
    ("model m { input [6]  dense 8 relu  dense 1 sigmoid }", ["dense_2"]),
    ("model m {\n input [6]\n dense 6 relu\n residual { dense 6 }\n}", ["dense_2", "residual_1"]),
    ("model m { input [6]  dense 8 relu  dense 4 softmax  dropout 0.1  reshape [2, 2] }",
     ["dense_2", "dropout_1", "reshape_1"]),
    ("model m {\n input [6]\n parallel concat { branch { dense 2 softmax }  branch { dense 3  flatten } }\n}",
     ["dense_1", "dense_2", "flatten_1", "parallel_1"]),
    ("model m {\n input [6]\n parallel add { branch { dense 2 sigmoid }  branch { dense 2 } }\n}",
     ["dense_1", "dense_2", "parallel_1"]),
    ("model m {\n input [6]\n dense 6\n residual { dense 6 relu  dropout 0.1 }\n}",
     ["dense_2", "dropout_1", "residual_1"])])
def test_mixed_precision_makes_the_output_values_in_float32(build: ModuleType, keras: ModuleType,
                                                             text: str, in_float32: list[str]) -> None:
    """Keras' mixed-precision guide: the output computes in float32, or a softmax or sigmoid in
    float16 rounds small probabilities to 0 before the loss takes their log. That is the last
    layer that sets the output's range, the reshapes and dropout after it, and within a join at
    the end each branch's end (a softmax per head)."""
    from ldnn_dsl.build.backend import precision_policy

    with precision_policy("mixed_float16"):
        model = built(build, text)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert sorted(layer.name for layer in layers if layer.dtype_policy.name == "float32") == in_float32
    assert all(layer.dtype_policy.name == "mixed_float16" for layer in layers if layer.name not in in_float32)
    assert model(np.ones((2, 6), "float32")).dtype == "float32"
    assert built(build, text).layers[-1].dtype_policy.name == "float32"  # and float32 stays float32


@pytest.mark.parametrize("kind", ["lstm", "gru", "simplernn"])
def test_mixed_precision_keeps_an_output_recurrent_cell_in_float32(build: ModuleType, keras: ModuleType,
                                                                    tmp_path: Path, kind: str) -> None:
    """A recurrent layer computes in its cell: a float32 wrapper around a float16 cell gave
    float16 outputs, and a saved model (whose cell is made from the wrapper's float32 policy)
    predicted otherwise than the model that had been trained."""
    from ldnn_dsl.build.backend import precision_policy

    x = np.random.default_rng(0).normal(size=(3, 4, 8)).astype("float32")
    with precision_policy("mixed_float16"):
        model = built(build, f"model m {{ input [4, 8]  dense 8 relu  {kind} 5 sequences=true }}")
        before = np.asarray(model(x))
        model.save(tmp_path / "m.keras")
        after = np.asarray(keras.saving.load_model(tmp_path / "m.keras")(x))
    assert model.layers[-1].cell.dtype_policy.name == "float32"
    np.testing.assert_array_equal(before, after)


# --- hand-written Keras twins -----------------------------------------------------------------

def sort10x6_twin(keras: ModuleType) -> Any:
    layers = keras.layers
    return keras.Sequential([keras.Input((60,)), layers.Dense(1024, "relu"), layers.Dense(1024, "relu"),
                             layers.Dense(640), layers.Reshape((10, 64)), layers.Softmax()])


def parity_twin(keras: ModuleType) -> Any:
    layers = keras.layers
    return keras.Sequential([keras.Input((16,)), layers.Dense(256, "tanh"), layers.Dense(256, "tanh"),
                             layers.Dense(1, "sigmoid")])


def inception_cell_twin(keras: ModuleType) -> Any:
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
    a = layers.Conv2D(32, 1, activation="relu")(x)
    b = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    c = layers.Conv2D(32, 1, activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
    x = layers.BatchNormalization()(layers.Concatenate()([a, b, c]))
    outputs = layers.Dense(10, "softmax")(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


def deep_residual_twin(keras: ModuleType) -> Any:
    layers = keras.layers
    inputs = keras.Input((784,))
    x = layers.Dense(256, "relu")(inputs)
    for _ in range(9):
        body = layers.Dense(256)(layers.Dense(256, "relu")(x))
        x = layers.Activation("relu")(layers.Add()([x, body]))
    return keras.Model(inputs, layers.Dense(10, "softmax")(x))


TWINS = {"sort10x6": sort10x6_twin, "parity": parity_twin, "inception_cell": inception_cell_twin,
         "deep_residual": deep_residual_twin}


@pytest.mark.parametrize("stem", sorted(TWINS))
def test_hand_written_keras_twin_has_the_same_weights(build: ModuleType, keras: ModuleType, stem: str) -> None:
    path = EXAMPLES / f"{stem}.ldnn"
    if not path.exists():
        pytest.skip(f"missing {path}")
    ours = build.build_model(check_source(read(path), "compile").spec)
    twin = TWINS[stem](keras)
    assert ours.count_params() == twin.count_params() == EXPECTED_TOTALS[stem]
    assert sorted(tuple(w.shape) for w in ours.weights) == sorted(tuple(w.shape) for w in twin.weights)


# --- weight options: max-norm and L2 ----------------------------------------------------------

@pytest.mark.parametrize(("text", "axes"), [
    ("model m { input [32]  dense 64 max_norm=3.0 }", (0,)),
    ("model m { input [8, 8, 4]  conv 16 3x3 max_norm=3.0 }", (0, 1, 2)),
])
def test_max_norm_bounds_each_units_incoming_weights(build: ModuleType, keras: ModuleType, text: str,
                                                     axes: tuple[int, ...]) -> None:
    layer = built(build, text).layers[0]
    shape = tuple(layer.kernel.shape)
    rng = np.random.default_rng(0)
    scales = rng.uniform(0.01, 2.0, size=shape[-1]).astype("float32")  # some units under the bound
    big = (rng.standard_normal(shape) * scales).astype("float32")
    before = np.sqrt((big ** 2).sum(axis=axes))
    after = keras.ops.convert_to_numpy(layer.kernel_constraint(keras.ops.convert_to_tensor(big)))
    norms = np.sqrt((after ** 2).sum(axis=axes))
    assert (norms <= 3.0 + 1e-5).all()
    assert np.isclose(norms, 3.0, atol=1e-5).any()
    small = before < 3.0
    assert small.any() and np.allclose(norms[small], before[small], rtol=1e-5)


def test_l2_adds_a_regularization_loss(build: ModuleType, keras: ModuleType) -> None:
    model = built(build, "model m { input [8]  dense 4 l2=1e-2  dense 2 }")
    assert len(model.losses) == 1
    kernel = keras.ops.convert_to_numpy(model.layers[0].kernel)
    np.testing.assert_allclose(float(model.losses[0]), 1e-2 * (kernel ** 2).sum(), rtol=1e-5)


# --- the build context ------------------------------------------------------------------------

def test_building_sets_and_restores_the_context() -> None:
    from ldnn_dsl.build.context import building, current

    assert current().xla is False
    with building(xla=True) as context:
        assert current() is context and context.xla
    assert current().xla is False


def test_xla_build_keeps_lstm_off_cudnn(build: ModuleType) -> None:
    assert built(build, LSTM_SPEC, xla=True).get_layer("lstm_1").use_cudnn is False
    assert built(build, LSTM_SPEC).get_layer("lstm_1").use_cudnn == "auto"


@pytest.mark.parametrize(("jit", "argument", "cudnn"), [("true", None, False), ("false", None, "auto"),
                                                        ("true", False, "auto"), ("false", True, False)])
def test_the_api_builds_for_xla_by_the_spec_unless_told(jit: str, argument: bool | None, cudnn: object) -> None:
    """`ldnn_dsl.compile` follows the spec's `jit`, as `ldnn compile` does; `xla=` overrides it."""
    text = LSTM_SPEC + f"train {{\n  loss sparse_categorical_crossentropy\n  jit {jit}\n}}\n"
    options = {} if argument is None else {"xla": argument}
    assert ldnn_dsl.compile(text, **options).get_layer("lstm_1").use_cudnn == cudnn


# --- errors -----------------------------------------------------------------------------------

def test_compile_raises_every_check_error(build: ModuleType) -> None:
    with pytest.raises(DiagnosticError) as caught:
        ldnn_dsl.compile("model m {\n  input [4]\n  dense 3 rleu\n  dense -1\n}\n")
    assert len(caught.value.diagnostics) >= 2
    assert all(d.severity == "error" for d in caught.value.diagnostics)


def test_compile_returns_a_model(build: ModuleType) -> None:
    model = ldnn_dsl.compile("model tiny { input [4]  dense 1 sigmoid }")
    assert model.count_params() == 5


def _refuse_at_call(self: Any, name: str, defaults: Any, shape: Any) -> Any:
    import keras

    return keras.layers.Conv2D(2, 3, name=name)  # a 2-D convolution cannot take [4]-shaped input


def _refuse_at_construction(self: Any, name: str, defaults: Any, shape: Any) -> Any:
    import keras

    return keras.layers.Dense(self.units, name=name, kernel_initializer="no_such_initializer")


@pytest.mark.parametrize("fake", [_refuse_at_call, _refuse_at_construction])
@pytest.mark.parametrize("text", ["model m {\n  input [4]\n  dense 4 relu\n}\n",
                                  "model m {\n  input [4]\n  residual {\n    dense 4 relu\n  }\n}\n"])
def test_keras_refusal_is_an_internal_error_at_the_node(build: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                         fake: Any, text: str) -> None:
    from ldnn_dsl.layers.core import Dense

    spec = checked(text, purpose="compile").spec
    monkeypatch.setattr(Dense, "keras_layer", fake)
    with pytest.raises(DiagnosticError) as caught:
        build.build_model(spec)
    (diag,) = caught.value.diagnostics
    assert diag.code == "E901" and "Keras refused `dense_1`" in diag.message
    assert diag.span is not None and diag.span.line == text.split("\n").index(
        next(line for line in text.split("\n") if "dense" in line)) + 1


class ResourceExhaustedError(Exception):
    """Named as TensorFlow names a failed allocation."""


def _fails_as_e407_at_dense_1(build: ModuleType, text: str) -> None:
    spec = checked(text, purpose="compile").spec
    with pytest.raises(DiagnosticError) as caught:
        build.build_model(spec)
    (diag,) = caught.value.diagnostics
    assert diag.code == "E407" and diag.message == "not enough memory for the weights of `dense_1`"
    assert diag.span is not None and diag.span.line == 3 and "--summary" in (diag.help or "")


@pytest.mark.parametrize("failure", [MemoryError(), ResourceExhaustedError("OOM when allocating tensor"),
                                     RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate"),
                                     RuntimeError("INTERNAL: Out of memory allocating 38400000000 bytes")])
def test_weights_that_do_not_fit_in_memory_are_e407_not_an_internal_error(
        build: ModuleType, monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    from ldnn_dsl.layers.core import Dense

    def _allocation_fails(self: Any, name: str, defaults: Any, shape: Any) -> Any:
        raise failure

    monkeypatch.setattr(Dense, "keras_layer", _allocation_fails)
    _fails_as_e407_at_dense_1(build, "model m {\n  input [4]\n  dense 4 relu\n}\n")


def test_weights_whose_allocation_fails_late_are_e407_at_their_layer(
        build: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """JAX allocates weights asynchronously: a layer too large for memory fails when its weights
    are first waited for (at a save, XLA aborted the process), with XLA on CPU's wording. The
    build waits for each layer's weights, so the failure is E407 at that layer's line."""
    import ldnn_dsl.build.model as built_module

    def _settled(values: Any) -> None:
        if any(tuple(v.shape) == (4, 16) for v in values):
            raise RuntimeError("INTERNAL: Error dispatching computation: Out of memory allocating 256 bytes")

    monkeypatch.setattr(built_module, "settled", _settled)
    _fails_as_e407_at_dense_1(build, "model m {\n  input [4]\n  dense 16 relu\n  dense 2\n}\n")


def test_keras_refusal_inside_a_block_names_the_call(build: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from ldnn_dsl.layers.core import Dense

    text = "block wide() {\n  dense 4 relu\n}\n\nmodel m {\n  input [4]\n  wide()\n}\n"
    spec = checked(text, purpose="compile").spec
    monkeypatch.setattr(Dense, "keras_layer", _refuse_at_construction)
    with pytest.raises(DiagnosticError) as caught:
        build.build_model(spec)
    (diag,) = caught.value.diagnostics
    assert diag.code == "E901" and diag.span is not None and diag.span.line == 2
    assert len(diag.notes) == 1 and "in block `wide`, called at" in diag.notes[0] and ":7:3" in diag.notes[0]

# --- saving, loading and registration ---------------------------------------------------------


LOAD_AND_PREDICT = """
import json
import numpy as np
{prelude}
cases = json.loads(open("{cases}").read())
for saved, x, expected in cases:
    model = keras.saving.load_model(saved)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(np.load(x))), np.load(expected))
print("ok", len(cases))
"""


@pytest.fixture(scope="module")
def saved_models(build: ModuleType, keras: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An LSTM with forget_bias and a residual net, saved with their inputs and predictions."""
    folder = tmp_path_factory.mktemp("saved")
    rng = np.random.default_rng(0)
    cases = []
    for stem, text, x in [("lm", LSTM_SPEC, rng.integers(0, 20, (3, 12)).astype("int32")),
                          ("res", RESIDUAL_SPEC, rng.standard_normal((3, 6)).astype("float32"))]:
        model = built(build, text)
        model.save(folder / f"{stem}.keras")
        np.save(folder / f"{stem}_x.npy", x)
        np.save(folder / f"{stem}_y.npy", keras.ops.convert_to_numpy(model(x)))
        cases.append([str(folder / f"{stem}.keras"), str(folder / f"{stem}_x.npy"), str(folder / f"{stem}_y.npy")])
    (folder / "cases.json").write_text(json.dumps(cases))
    return folder / "cases.json"


def test_forget_bias_survives_save_and_load_in_process(build: ModuleType, keras: ModuleType,
                                                       saved_models: Path) -> None:
    saved = json.loads(saved_models.read_text())[0][0]
    bias = keras.ops.convert_to_numpy(keras.saving.load_model(saved).get_layer("lstm_1").cell.bias)
    assert (bias[16:32] == 2.0).all() and (bias[:16] == 0).all()


def test_import_ldnn_then_keras_loads_saved_models(saved_models: Path) -> None:
    script = textwrap.dedent(LOAD_AND_PREDICT).format(prelude="import ldnn_dsl, keras", cases=saved_models)
    assert "ok 2" in fresh_python(script).stdout


def test_import_ldnn_then_tensorflow_loads_saved_models(saved_models: Path) -> None:
    """TensorFlow asks whether Keras can be found (`find_spec`) before it imports it: the
    question is not the import, and registration still waits for the import itself."""
    prelude = "import ldnn_dsl\nimport tensorflow\nimport keras"
    script = textwrap.dedent(LOAD_AND_PREDICT).format(prelude=prelude, cases=saved_models)
    assert "ok 2" in fresh_python(script).stdout


def test_registration_waits_for_keras_then_registers() -> None:
    """The checker stays light; the first `import keras` registers `ldnn>ForgetGateBias`."""
    fresh_python("""
    import sys
    import ldnn_dsl, ldnn_dsl.check.check
    from ldnn_dsl.build.registration import register_when_keras_loads
    register_when_keras_loads()
    register_when_keras_loads()
    assert not {"keras", "tensorflow", "jax", "ldnn_dsl.build.custom"} & set(sys.modules), sorted(sys.modules)
    import importlib.util
    assert importlib.util.find_spec("keras") is not None  # a question, not the import
    assert importlib.util.find_spec("keras") is not None
    import keras
    assert keras.saving.get_registered_object("ldnn>ForgetGateBias") is not None
    assert not any(type(f).__name__ == "_KerasWatcher" for f in sys.meta_path)
    """)


# --- the JAX backend --------------------------------------------------------------------------

def test_builds_and_runs_on_jax() -> None:
    done = fresh_python(f"""
    import numpy as np
    import keras
    assert keras.backend.backend() == "jax"
    from ldnn_dsl.build.model import build_model
    from ldnn_dsl.check.check import check_source
    from ldnn_dsl.source.text import decode
    for text, x, out in [({LSTM_SPEC!r}, np.ones((2, 12), "int32"), (2, 5)),
                         ({RESIDUAL_SPEC!r}, np.ones((2, 6), "float32"), (2, 2))]:
        result = check_source(decode("t.ldnn", text.encode()), "compile")
        model = build_model(result.spec, xla=True)
        assert model.count_params() == result.inference.total_params
        assert tuple(model(x).shape) == out
        if "lstm_1" in [layer.name for layer in model.layers]:
            bias = keras.ops.convert_to_numpy(model.get_layer("lstm_1").cell.bias)
            assert (bias[16:32] == 2.0).all() and (bias[:16] == 0).all()
    print("jax ok")
    """, KERAS_BACKEND="jax")
    assert "jax ok" in done.stdout
