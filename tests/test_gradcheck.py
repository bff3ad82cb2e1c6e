"""`ldnn gradcheck`: analytic gradients agree with central differences on every layer kind, a
wrong gradient is caught, and the command prints a table and exits 0 or 1, never a traceback.

Keras (and TensorFlow) load once for the module through the `gradcheck` fixture; the JAX
backend runs in a subprocess (the backend is chosen before Keras is imported)."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from helpers import checked, fresh_python

from ldnn_dsl.check.check import check_source
from ldnn_dsl.source.text import read

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"

DENSE_TANH = """
model parity_like {
  input [8]
  repeat 2 { dense 12 tanh init=scaled(2.0) }
  dense 1 sigmoid
}
train { loss binary_crossentropy }
"""

INCEPTION_LIKE = """
model cell {
  input [8, 8, 2]
  conv 4 3x3 relu padding=same
  parallel concat {
    branch { conv 4 1x1 relu }
    branch { conv 4 3x3 relu padding=same }
    branch {
      maxpool 3x3 stride=1 padding=same
      conv 4 1x1 relu
    }
  }
  batchnorm
  globalpool
  dense 3 softmax
}
train { loss categorical_crossentropy }
"""

CHAR_LSTM_LIKE = """
model lm {
  input [7] int
  embedding 5 vocab=11
  lstm 8 sequences forget_bias=2.0
  lstm 6 sequences
  dropout 0.2
  dense 11 softmax
}
train { loss sparse_categorical_crossentropy  clip_norm 5 }
"""

RESIDUAL = """
model res {
  input [6]
  dense 8 tanh
  residual { dense 8 tanh  dense 8 }
  layernorm
  dense 2
}
"""

RECURRENT_KINDS = """
model rnn {
  input [5, 3]
  gru 6 sequences
  simplernn 4
  dense 2
}
train { loss huber }
"""


@pytest.fixture(scope="module")
def gradcheck() -> ModuleType:
    """The module under test, with Keras loaded once (TensorFlow's import costs seconds)."""
    pytest.importorskip("keras")
    import ldnn_dsl.verify.gradcheck as module

    return module


def spec_of(text: str, path: str = "t.ldnn"):
    return checked(text, path, "compile").spec


def run_check(gradcheck: ModuleType, text: str, **options):
    return gradcheck.gradcheck(spec_of(text), gradcheck.GradcheckOptions(**options))


def write(tmp_path: Path, text: str, name: str = "spec.ldnn") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- every layer kind passes -----------------------------------------------------------------

@pytest.mark.parametrize("text, layers", [
    (DENSE_TANH, ["dense_1", "dense_2", "dense_3"]),
    (INCEPTION_LIKE, ["conv_1", "conv_2", "conv_3", "conv_4", "batchnorm_1", "dense_1"]),
    (CHAR_LSTM_LIKE, ["embedding_1", "lstm_1", "lstm_2", "dense_1"]),
    (RESIDUAL, ["dense_1", "dense_2", "dense_3", "layernorm_1", "dense_4"]),
    (RECURRENT_KINDS, ["gru_1", "simplernn_1", "dense_1"]),
    ("model m {\n  input [4, 5]\n  layernorm\n  dense 3\n}\n", ["layernorm_1", "dense_1"]),
], ids=["dense_tanh", "inception_like", "char_lstm_like", "residual", "gru_simplernn", "layernorm_on_the_input"])
def test_analytic_and_numerical_gradients_agree(gradcheck: ModuleType, text: str, layers: list[str]) -> None:
    report = run_check(gradcheck, text)
    assert [r.name for r in report.layers] == layers
    assert report.passed, [(r.name, r.worst) for r in report.layers if not r.passed]
    assert report.max_error <= 1e-5
    assert all(r.sampled > 0 for r in report.layers)


def test_layers_without_parameters_are_skipped_with_a_reason(gradcheck: ModuleType) -> None:
    report = run_check(gradcheck, INCEPTION_LIKE, samples=2)
    skipped = {s.name: (s.kind, s.reason) for s in report.skipped}
    assert skipped["maxpool_1"][0] == "maxpool"
    assert skipped["parallel_1"] == ("parallel concat", "no parameters")
    assert skipped["globalpool_1"] == ("globalpool", "no parameters")
    notes = "\n".join(report.notes)
    assert "inference mode (training=False)" in notes
    assert "max-pooling (maxpool_1)" in notes and "ties" in notes
    assert "batchnorm is checked in inference mode" in notes
    assert "ReLU kinks" in notes


def test_no_train_section_means_mean_squared_error(gradcheck: ModuleType) -> None:
    report = run_check(gradcheck, RESIDUAL, samples=2)
    assert report.loss == "mean_squared_error"
    assert any("no `train` section" in note for note in report.notes)
    assert {s.name for s in report.skipped} == {"residual_1"}


def test_floatx_and_dtype_policy_are_restored(gradcheck: ModuleType) -> None:
    import keras

    before = keras.config.floatx(), keras.config.dtype_policy().name
    run_check(gradcheck, DENSE_TANH, samples=1)
    assert (keras.config.floatx(), keras.config.dtype_policy().name) == before


def test_the_same_seed_gives_the_same_report(gradcheck: ModuleType) -> None:
    first, second = (run_check(gradcheck, DENSE_TANH, samples=3, seed=7) for _ in range(2))
    assert [r.worst for r in first.layers] == [r.worst for r in second.layers]
    assert first.loss_value == second.loss_value


# --- the shared examples ---------------------------------------------------------------------

@pytest.mark.parametrize("stem", ["parity", "inception_cell"])
def test_shared_example_passes(gradcheck: ModuleType, stem: str) -> None:
    path = EXAMPLES / f"{stem}.ldnn"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    result = check_source(read(path), "compile")
    assert result.spec is not None, result.errors
    report = gradcheck.gradcheck(result.spec, gradcheck.GradcheckOptions(samples=4))
    assert report.passed, [(r.name, r.worst) for r in report.layers if not r.passed]


# --- a wrong gradient is caught --------------------------------------------------------------

def scaled_gradient(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch, path_part: str, factor: float) -> None:
    """Make the analytic gradient of the variable whose path contains `path_part` `factor` times too big."""
    honest = gradcheck.analytic_gradients

    def wrong(model, x, y, loss):
        grads = honest(model, x, y, loss)
        return [g * factor if path_part in v.path else g for v, g in zip(model.trainable_variables, grads, strict=True)]

    monkeypatch.setattr(gradcheck, "analytic_gradients", wrong)


@pytest.mark.parametrize("text, variable, layer", [
    (DENSE_TANH, "dense_2/kernel", "dense_2"),
    (CHAR_LSTM_LIKE, "lstm_1/lstm_cell/recurrent_kernel", "lstm_1"),
    (INCEPTION_LIKE, "batchnorm_1/gamma", "batchnorm_1"),
], ids=["dense", "lstm", "batchnorm"])
def test_a_gradient_ten_percent_off_fails_its_layer_only(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                         text: str, variable: str, layer: str) -> None:
    scaled_gradient(gradcheck, monkeypatch, variable, 1.1)
    report = run_check(gradcheck, text)
    assert not report.passed
    failed = {r.name: r for r in report.layers if not r.passed}
    assert set(failed) == {layer}
    assert variable in failed[layer].worst.variable
    assert failed[layer].max_error > 100 * report.options.tolerance


ZERO_RELU = ("model m {\n  input [6]\n  dense 8 relu init=zeros\n  dense 3 softmax\n}\n"
             "train {\n  loss sparse_categorical_crossentropy\n}\n")
TIED_POOL = ("model m {\n  input [6, 6, 2]\n  conv 3 3x3 init=zeros bias_init=constant(0.5)\n  maxpool 2x2\n"
             "  flatten\n  dense 3 softmax\n}\ntrain {\n  loss sparse_categorical_crossentropy\n}\n")


def test_a_kink_the_whole_batch_shares_bounds_the_gradient(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All-zero weights hold every ReLU at 0 for every sample: a kernel entry's step turns the
    unit on for the samples on one side, and the framework's gradient takes a slope per sample,
    0 here. It was a FAIL of a correct gradient; it passes within what such picks can sum to,
    and a gradient off by 0.3 still fails."""
    from ldnn_dsl.cli import main

    spec = tmp_path / "zeros.ldnn"
    spec.write_text(ZERO_RELU)
    assert main(["gradcheck", str(spec)]) == 0
    assert re.search(r"dense_1 .* ok \(\d+ at or across a kink\)", capsys.readouterr().out)
    honest = gradcheck.analytic_gradients
    monkeypatch.setattr(gradcheck, "analytic_gradients", lambda *args: [
        g + 0.3 if "dense_1/kernel" in v.path else g
        for v, g in zip(args[0].trainable_variables, honest(*args), strict=True)])
    assert main(["gradcheck", str(spec)]) == 1
    assert "FAIL dense_1" in capsys.readouterr().out


def test_entries_on_a_max_pooling_tie_are_not_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Equal units tie in each window: a tie's slope lies anywhere between its two sides', which
    the one-sided quotients of the whole batch do not bound. Said so, not failed."""
    from ldnn_dsl.cli import main

    spec = tmp_path / "tied.ldnn"
    spec.write_text(TIED_POOL)
    assert main(["gradcheck", str(spec)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"conv_1 .* ok \(.*\d+ at a tie, not judged\)", out), out
    assert "sit on a max-pooling tie that several samples of the batch share" in out


def test_the_command_fails_on_a_wrong_gradient(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    scaled_gradient(gradcheck, monkeypatch, "dense_3/kernel", 1.1)
    assert main(["gradcheck", write(tmp_path, DENSE_TANH), "--samples", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAIL dense_3: parity_like/dense_3/kernel" in out or "FAIL dense_3: dense_3/kernel" in out
    assert out.rstrip().endswith("FAILED (1 layer)")


def test_the_tolerance_given_is_the_one_judged(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A gradient 0.1% off fails at the default 1e-5 and passes at `--tolerance 0.01`."""
    from ldnn_dsl.cli import main

    scaled_gradient(gradcheck, monkeypatch, "dense_3/kernel", 1.001)
    spec = write(tmp_path, DENSE_TANH)
    assert main(["gradcheck", spec]) == 1
    assert capsys.readouterr().out.rstrip().endswith("FAILED (1 layer)")
    assert main(["gradcheck", spec, "--tolerance", "0.01"]) == 0
    out = capsys.readouterr().out.rstrip()
    assert "(tolerance 0.01)" in out and out.endswith(": ok")


def test_a_loss_that_is_nan_at_the_start_is_said_so_not_judged(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`poisson` of a linear output takes the log of negative predictions: every difference
    quotient is NaN, which is no wrong gradient of the network's."""
    from ldnn_dsl.cli import main

    spec = "model m {\n  input [5]\n  dense 3\n}\ntrain { loss poisson }\n"
    assert main(["gradcheck", write(tmp_path, spec)]) == 1
    captured = capsys.readouterr()
    assert "ldnn gradcheck: error: the loss `poisson` is nan at the starting weights" in captured.err
    assert "FAIL" not in captured.out


# --- the command -----------------------------------------------------------------------------

def test_the_command_prints_the_table_and_exits_0(gradcheck: ModuleType, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    assert main(["gradcheck", write(tmp_path, INCEPTION_LIKE), "--batch", "3", "--samples", "4", "--seed", "2",
                 "--tolerance", "1e-5"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("gradcheck cell (") and "float64, batch 3, 4 samples per variable" in lines[0]
    header = next(line for line in lines if line.startswith("layer"))
    assert header.split() == ["layer", "kind", "sampled", "max", "rel.", "error", "status"]
    assert any(line.startswith("batchnorm_1") and line.split()[2] == "8" and " ok" in line for line in lines)
    assert "skipped:" in out and "maxpool_1" in out
    assert lines[-1].startswith("ldnn gradcheck: 6 layers, 47 parameters sampled, max relative error")
    assert lines[-1].endswith(": ok")


def test_the_command_on_a_shared_example(gradcheck: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    path = EXAMPLES / "parity.ldnn"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    assert main(["gradcheck", str(path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(": ok")


def test_spec_errors_are_diagnostics_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    bad = write(tmp_path, "model m {\n  input [4]\n  dense 3 rleu\n}\n", "bad.ldnn")
    assert main(["gradcheck", bad]) == 1
    err = capsys.readouterr().err
    assert "bad.ldnn:3:" in err and "error" in err and "Traceback" not in err
    assert main(["gradcheck", str(tmp_path / "missing.ldnn")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_the_command_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    for option, value in [("--samples", "0"), ("--tolerance", "-1"), ("--batch", "two"), ("--batch", "100000000")]:
        with pytest.raises(SystemExit) as exc:
            main(["gradcheck", "x.ldnn", option, value])
        assert exc.value.code == 2
        assert "expected a positive" in capsys.readouterr().err


def _gradcheck_raising(exc: BaseException, gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`ldnn gradcheck` on a clean spec whose gradients raise `exc`: its status and stderr."""
    from ldnn_dsl.cli import main

    def failing(*args, **kwargs):
        raise exc

    monkeypatch.setattr(gradcheck, "analytic_gradients", failing)
    status = main(["gradcheck", write(tmp_path, DENSE_TANH)])
    return status, capsys.readouterr().err


def test_an_internal_failure_is_a_bug_report(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A failure on a spec that checked clean is ldnn's bug, as in `compile`: status 70, with the
    traceback that locates it (it was one line, which said nothing of where)."""
    status, err = _gradcheck_raising(RuntimeError("no gradient today"), gradcheck, monkeypatch, tmp_path, capsys)
    assert status == 70
    assert "RuntimeError: no gradient today" in err and "Traceback" in err
    assert err.rstrip().endswith("please report it with the spec and the command")


def test_running_out_of_memory_is_said_so_not_reported_as_a_bug(gradcheck: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    status, err = _gradcheck_raising(MemoryError("Unable to allocate 12.0 GiB for an array"), gradcheck, monkeypatch,
                                     tmp_path, capsys)
    assert status == 1
    assert "ldnn gradcheck: error: out of memory (MemoryError)" in err and "lower --batch" in err
    assert "Traceback" not in err


# --- the pieces ------------------------------------------------------------------------------

def test_targets_fit_the_loss() -> None:
    from ldnn_dsl.verify.gradcheck import make_targets

    rng = np.random.default_rng(0)
    sparse = make_targets("sparse_categorical_crossentropy", (7, 11), 4, rng)
    assert sparse.shape == (4, 7) and sparse.dtype.kind == "i" and sparse.min() >= 0 and sparse.max() < 11
    onehot = make_targets("categorical_crossentropy", (3,), 4, rng)
    assert onehot.shape == (4, 3) and (onehot.sum(-1) == 1).all()
    binary = make_targets("binary_crossentropy", (1,), 50, rng)
    assert set(np.unique(binary)) == {0.0, 1.0}
    assert make_targets("mse", (10, 2), 4, rng).shape == (4, 10, 2)
    assert (make_targets("poisson", (5,), 4, rng) > 0).all()
    masks = make_targets("dice", (5,), 50, rng)
    assert ((masks > 0) & (masks < 1)).all()


@pytest.mark.parametrize("loss", ["bce", "kld", "dice", "tversky", "poisson", "mape"])
def test_every_keras_loss_name_checks_and_its_gradient_passes(gradcheck: ModuleType, loss: str) -> None:
    """Keras' shorter and newer loss names (LANGUAGE.md: "any Keras loss name"), with targets
    in the range each loss takes (dice's masks in [0, 1], poisson's counts above 0)."""
    text = f"model m {{\n  input [6]\n  dense 5 tanh\n  dense 3 sigmoid\n}}\ntrain {{\n  loss {loss}\n}}\n"
    report = run_check(gradcheck, text, samples=4)
    assert report.loss == loss and report.passed, report


def test_int_inputs_stay_below_the_vocabulary() -> None:
    from ldnn_dsl.verify.gradcheck import make_inputs

    x = make_inputs(spec_of(CHAR_LSTM_LIKE).model, 50, np.random.default_rng(0))
    assert x.dtype == np.int32 and x.shape == (50, 7) and x.min() >= 0 and x.max() < 11


def test_samples_favour_large_gradients_and_are_distinct() -> None:
    from ldnn_dsl.verify.differences import sample_indices

    grad = np.zeros((100, 100))
    grad[3, :10] = 1.0
    chosen = sample_indices(grad, 8, np.random.default_rng(0))
    assert len(chosen) == len(set(chosen)) == 8
    assert sum(grad.flat[i] != 0 for i in chosen) >= 4
    assert sample_indices(np.ones(5), 8, np.random.default_rng(0)) == [0, 1, 2, 3, 4]


def test_relative_error_floor() -> None:
    from ldnn_dsl.verify.differences import relative_error

    assert relative_error(0.0, 0.0, 1e-4) == 0.0
    assert relative_error(1.0, 1.1, 1e-4) == pytest.approx(0.1 / 1.1)
    assert relative_error(1e-9, 2e-9, 1e-4) == pytest.approx(1e-5)  # tiny: held to an absolute error


SATURATED = ("model sat {\n  input [16]\n  dense 32 tanh init=scaled(8.0)\n  dense 32 tanh init=scaled(8.0)\n"
             "  dense 1 sigmoid init=scaled(8.0)\n}\ntrain {\n  loss binary_crossentropy\n}\n")


@pytest.mark.parametrize(("output", "loss", "folded"), [
    ("dense 3 sigmoid", "binary_crossentropy", "sigmoid"), ("dense 3 sigmoid", "bce", "sigmoid"),
    ("dense 3 softmax", "sparse_categorical_crossentropy", "softmax"),
    ("activation softmax", "categorical_crossentropy", "softmax"),
    ("dense 3 softmax", "kld", None), ("dense 3 sigmoid", "mse", None),
    ("dense 3 sigmoid", "categorical_crossentropy", None), ("dense 3", "binary_crossentropy", None)])
def test_the_output_activation_is_folded_into_its_crossentropy(output: str, loss: str, folded: str | None) -> None:
    from ldnn_dsl.verify.gradcheck import folded_activation

    spec = spec_of(f"model m {{\n  input [6]\n  dense 3\n  {output}\n}}\ntrain {{\n  loss {loss}\n}}\n")
    assert folded_activation(spec, loss) == folded


@pytest.mark.parametrize("kind", ["lstm", "gru", "simplernn"])
def test_a_recurrent_output_keeps_its_activation_which_is_inside_its_cell(kind: str) -> None:
    from ldnn_dsl.verify.gradcheck import folded_activation

    spec = spec_of(f"model m {{\n  input [5, 3]\n  {kind} 1 sigmoid\n}}\ntrain {{\n  loss bce\n  clip_norm 1\n}}\n")
    assert folded_activation(spec, "bce") is None


def test_a_saturated_sigmoid_output_passes_with_its_activation_folded(gradcheck: ModuleType) -> None:
    report = run_check(gradcheck, SATURATED, seed=1)
    assert report.passed, [(r.name, r.worst) for r in report.layers]
    assert any("sigmoid is folded into `binary_crossentropy`" in note for note in report.notes)


# --- the JAX backend -------------------------------------------------------------------------

def test_gradcheck_on_jax() -> None:
    script = f"""
    import keras
    assert keras.backend.backend() == "jax"
    from ldnn_dsl.check.check import check_source
    from ldnn_dsl.source.text import decode
    from ldnn_dsl.verify.gradcheck import GradcheckOptions, gradcheck
    # SATURATED, seed 1: Keras on JAX computes the crossentropy from probabilities within 1e-7 of 1,
    # whose rounding failed the check until the sigmoid was folded into the loss
    for text, seed in (({DENSE_TANH!r}, 0), ({CHAR_LSTM_LIKE!r}, 0), ({SATURATED!r}, 1)):
        spec = check_source(decode("t.ldnn", text.encode()), "compile").spec
        report = gradcheck(spec, GradcheckOptions(samples=2 if seed == 0 else 8, seed=seed))
        assert report.backend == "jax"
        assert report.passed and report.max_error < 1e-5, [(r.name, r.worst) for r in report.layers]
    import jax
    assert not jax.config.jax_enable_x64 and keras.config.floatx() == "float32"
    print("jax ok")
    """
    done = fresh_python(script, KERAS_BACKEND="jax")
    assert "jax ok" in done.stdout


def test_a_smaller_step_rescues_an_entry_the_curvature_spoiled_but_never_a_wrong_one() -> None:
    """exp(3w) at 0 with a step whose central quotient is just past the tolerance from the curvature
    alone (1.5 eps^2 relative): the quotient at eps/10 agrees, but differs from the first by just
    under the tolerance, so the kink rule refused it, and a correct net failed at `--eps 1e-3`."""
    import math

    from ldnn_dsl.verify.differences import SMOOTHER, Judge

    def at(offset: float) -> float:
        return math.exp(3 * offset)

    eps = math.sqrt(1.0005e-5 / 1.5)
    *_, error, step, how = Judge(3.0, 1.0, 1e-5, eps).judge(at)
    assert error <= 1e-5 and step < eps and how == SMOOTHER
    assert Judge(3.0 * (1 + 3e-5), 1.0, 1e-5, eps).judge(at)[2] > 1e-5  # 3e-5 off: no step lets it pass
    assert Judge(3.0, 1.0, 1e-5, 0.1).judge(at)[2] <= 1e-5  # `--eps 0.1`: the retries go down to 1e-5
    # Over a step of 0.1 the curvature alone makes the one-sided quotients differ, which read as a
    # kink that let any gradient between them pass: half again too large, or zero.
    for wrong in (4.5, 0.0):
        assert Judge(wrong, 1.0, 1e-5, 0.1).judge(at)[2] > 1e-5


def test_larger_steps_rescue_an_entry_the_losss_rounding_spoiled_but_never_a_wrong_one() -> None:
    """A slope of 5e-5 in a loss of 1 that rounds by 2e-14 (20 times what the noise floor allows
    for, as a deep float64 net's layernorm, gelu and selu made): at eps 1e-6 the quotient is off
    by 2e-8, and smaller steps are worse. At 1e-5 and 1e-4 the distance from g falls tenfold each
    time, and the largest agrees; a gradient 0.1% off stays as far from every quotient, and fails."""
    import math

    from ldnn_dsl.verify.differences import QUIETER, Judge

    def at(offset: float) -> float:  # the rounding: +noise at +offset, -noise at -offset
        return 1 + 5e-5 * offset + 1e-3 * offset**3 + math.copysign(2e-14, offset)

    *_, error, step, how = Judge(5e-5, 1.0, 1e-5, 1e-6).judge(at)
    assert error <= 1e-5 and step == pytest.approx(1e-4) and how == QUIETER
    assert Judge(5e-5 * (1 + 1e-3), 1.0, 1e-5, 1e-6).judge(at)[2] > 1e-5


def test_a_deep_net_whose_loss_rounds_coarsely_passes(gradcheck: ModuleType) -> None:
    """Residual tanh blocks, gelu and selu branches summed, layernorm and dropout: the float64
    loss rounds ~16 times coarser than the noise floor allows for, and an output bias failed at
    the default eps with a correct gradient."""
    text = """
block c(w, n) {
  repeat n { residual { dense w tanh  dense w } }
}
model m {
  input [3]
  c(3, 2)
  parallel add {
    branch { dense 2 gelu }
    branch { dense 2 selu }
  }
  layernorm
  dropout 0.5
  dense 1
}
"""
    report = run_check(gradcheck, text)
    assert report.passed, [(r.name, r.worst) for r in report.layers if not r.passed]

