"""The training stage: optimizer and schedule mapping, monitor, run folders, ensembles,
determinism, preprocessing inside the saved model, and the `compile`/`train` commands.

Every run is tiny (a few thousand samples, 1-3 epochs) so the file stays under two minutes."""

from __future__ import annotations

import csv
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import (
    CTRL_C_LOST_OR_MASKED,
    checked,
    handler_seen_in_a_worker_thread,
    ldnn_process,
    then,
    train_in_a_child,
    write,
)

from ldnn_dsl.check.check import check_source
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.fmt.printer import format_text
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import decode, read
from ldnn_dsl.train.feed import evaluation_batches, training_batches
from ldnn_dsl.train.monitor import Streaks, update_ratio, update_ratio_monitor
from ldnn_dsl.train.optimizers import make_optimizer, optimizer_options
from ldnn_dsl.train.resolved import resolved_text
from ldnn_dsl.train.schedules import cosine_lr, step_lr
from ldnn_dsl.train.steps import CHUNK_SECONDS, CPU_FLOPS, MOST_STEPS, auto_steps, choose_steps, step_flops
from ldnn_dsl.train.xla import auto_jit, choose_jit

keras = pytest.importorskip("keras")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT.parent / "shared" / "examples").glob("*.ldnn")) + sorted((ROOT / "specs").glob("*.ldnn"))

SORT_MODEL = """
model sorter {
  input [9]
  dense 32 relu
  dense 24
  reshape [3, 8]
  activation softmax
}
"""

SORT_DATA = """
data {
  source     sort(count=3, bits=3, samples=2000)
  validate   10%
  test       10%
  preprocess standardize
  seed       1
}
"""


def sort_spec(tmp_path: Path, train: str = "", *, data: str = SORT_DATA, model: str = SORT_MODEL,
              name: str = "tiny.ldnn") -> Path:
    """A tiny sort spec; `train` lines are added to (or override) the defaults below.

    `jit false` by default: compiling each XLA function takes seconds on a small CPU, far
    longer than these runs train; the determinism test covers the XLA path."""
    settings = {"loss": "sparse_categorical_crossentropy", "optimizer": "sgd(momentum=0.9)", "lr": "0.1",
                "batch": "64", "epochs": "2", "metrics": "[accuracy]", "seed": "1", "jit": "false"}
    for line in filter(None, (raw.strip() for raw in train.splitlines())):
        head, _, rest = line.partition(" ")
        settings[head] = rest.strip()
    body = "\n".join(f"  {k} {v}" for k, v in settings.items())
    path = tmp_path / name
    path.write_text(f"{model}\n{data}\ntrain {{\n{body}\n}}\n")
    return path


def train_section(**fields: object) -> TrainSection:
    return TrainSection.model_validate({"loss": "mse", **fields})


def run_train(spec: Path, out: Path, **options: object):
    from ldnn_dsl.train.run import train

    return train(spec, out=out, quiet=True, **options)


def history_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "history.csv").open() as f:
        return list(csv.DictReader(f))


# optimizer, schedules, monitor, xla, batch: no training -----------------------------------
def test_optimizer_maps_clip_norm_to_global_clipnorm() -> None:
    options = optimizer_options(train_section(optimizer={"name": "sgd", "momentum": 0.9, "nesterov": True},
                                              lr=0.05, clip_norm=5, weight_decay=5e-4))
    assert options == {"learning_rate": 0.05, "global_clipnorm": 5, "weight_decay": 5e-4, "momentum": 0.9,
                       "nesterov": True}
    from ldnn_dsl.train.optimizers import make_optimizer

    opt = make_optimizer(train_section(optimizer="adam", clip_norm=1.0))
    assert isinstance(opt, keras.optimizers.Adam)
    assert opt.global_clipnorm == 1.0 and opt.clipnorm is None


def test_weight_decay_is_decoupled_and_reaches_every_weight() -> None:
    """As the README says: each step shrinks every weight, a bias too, by lr x weight_decay, outside
    momentum: with no gradient at all, momentum 0.9 adds nothing to the shrinking."""
    from ldnn_dsl.train.optimizers import make_optimizer

    opt = make_optimizer(train_section(optimizer={"name": "sgd", "momentum": 0.9}, lr=0.1, weight_decay=0.01))
    kernel, bias = keras.Variable(np.array([1.0, 2.0], "float32")), keras.Variable(np.array([3.0], "float32"))
    for _ in range(2):
        opt.apply_gradients([(np.zeros(2, "float32"), kernel), (np.zeros(1, "float32"), bias)])
    np.testing.assert_allclose(kernel.numpy(), np.array([1.0, 2.0]) * 0.999**2, rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [3.0 * 0.999**2], rtol=1e-6)


def test_optimizer_choices_and_adamw_default_decay() -> None:
    assert "weight_decay" not in optimizer_options(train_section(optimizer="rmsprop"))
    assert optimizer_options(train_section(optimizer="adamw"))["weight_decay"] == 0.0
    assert optimizer_options(train_section(optimizer="adagrad")) == {"learning_rate": 0.1, "epsilon": 1e-7}


@pytest.mark.parametrize(("name", "cls"), [("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW"),
                                           ("rmsprop", "RMSprop"), ("adagrad", "Adagrad")])
def test_each_optimizer_is_keras_own_and_takes_a_step(name: str, cls: str) -> None:
    """Each optimizer the language names reaches Keras as its class, with the spec's lr, and
    moves a weight against its gradient."""
    optimizer = make_optimizer(train_section(optimizer=name, lr=0.01))
    assert type(optimizer) is getattr(keras.optimizers, cls)
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.01)
    weight = keras.Variable(np.array([1.0, -1.0], "float32"))
    optimizer.apply_gradients([(np.array([1.0, -1.0], "float32"), weight)])
    moved = keras.ops.convert_to_numpy(weight)
    assert moved[0] < 1.0 and moved[1] > -1.0


def test_step_and_cosine_lr_per_epoch() -> None:
    step = step_lr(0.1, every=2, factor=0.1)
    assert [step(e) for e in range(5)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])
    cosine = cosine_lr(1.0, warmup=2, epochs=6)
    assert [cosine(e) for e in range(6)] == pytest.approx([0.5, 1.0, 1.0, 0.5 * (1 + np.cos(np.pi / 4)), 0.5,
                                                            0.5 * (1 + np.cos(3 * np.pi / 4))])  # 0 as it ends
    assert cosine_lr(1.0, warmup=0, epochs=1)(0) == 1.0  # one epoch trains at lr, not at 0
    assert [cosine_lr(1.0, warmup=2, epochs=3)(e) for e in range(3)] == pytest.approx([0.5, 1.0, 1.0])
    assert min(cosine_lr(0.1, warmup=0, epochs=3)(e) for e in range(3)) == pytest.approx(0.025)  # no epoch at 0


def _tiny_fit(train: TrainSection, epochs: int, *, x_val=None, y_val=None, verbose: int = 0):
    """A 1-unit linear model on y = 2x fitted with the spec's schedule callbacks."""
    from ldnn_dsl.train.optimizers import make_optimizer
    from ldnn_dsl.train.schedules import lr_logger, schedule_callbacks

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=make_optimizer(train), loss="mse")
    x = np.linspace(-1, 1, 64, dtype="float32")[:, None]
    val = (x, 2 * x) if x_val is None else (x_val, y_val)
    weights: list[list[np.ndarray]] = []
    keep = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: weights.append(model.get_weights()))
    callbacks = [keep, *schedule_callbacks(train, epochs), lr_logger()]
    history = model.fit(x, 2 * x, batch_size=16, epochs=epochs, validation_data=val, callbacks=callbacks,
                        verbose=verbose)
    return model, history.history, weights


def test_step_and_cosine_schedules_set_the_lr_each_epoch() -> None:
    _, logs, _ = _tiny_fit(train_section(lr=0.1, epochs=4, schedule={"name": "step", "every": 1, "factor": 0.5}), 4)
    assert logs["lr"] == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    _, logs, _ = _tiny_fit(train_section(lr=0.1, epochs=3, schedule={"name": "cosine", "warmup": 1}), 3)
    assert logs["lr"] == pytest.approx([0.1, 0.1, 0.05], abs=1e-7)
    # one epoch left after warm-up: it trains at lr
    assert [cosine_lr(0.1, warmup=1, epochs=2)(e) for e in range(2)] == pytest.approx([0.1, 0.1])


def test_plateau_reduces_the_lr_and_stops_below_min_lr() -> None:
    # lr so small that nothing moves: the validation loss is flat from the first epoch
    train = train_section(lr=1e-9, schedule={"name": "plateau", "factor": 0.1, "patience": 0, "min_lr": 5e-12})
    _, logs, _ = _tiny_fit(train, 20)
    # epoch 1 sets the best loss; every later epoch fails to improve and divides the lr by 10
    assert logs["lr"] == pytest.approx([1e-9, 1e-9, 1e-10, 1e-11], rel=1e-4)
    assert len(logs["loss"]) == 4  # the fourth epoch cut the lr to 1e-12 < min_lr (5e-12): stopped there, not at 20


@pytest.mark.parametrize(("lr", "min_lr", "stops"), [(1e-4, 1e-4, False), (np.float32(0.1) ** 3, 1e-3, False),
                                                     (0.9e-3, 1e-3, True)])
def test_min_lr_is_judged_as_written_not_in_float32(lr: float, min_lr: float, stops: bool) -> None:
    """The optimizer keeps `lr 1e-4` as 9.9999997e-05, and 0.1 cut twice by 0.1 as 0.00099999993:
    at min_lr as written, neither is below it, and training goes on."""
    from ldnn_dsl.train.schedules import stop_below_min_lr

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=float(lr)), loss="mse")
    callback = stop_below_min_lr(min_lr)
    callback.set_model(model)
    callback.on_epoch_end(0)
    assert model.stop_training is stops and (callback.ending is not None) is stops


@pytest.mark.parametrize(("plateau", "patience", "lrs"), [(1, 1, [1e-3, 1e-3]), (0, 1, [1e-3, 1e-3]),
                                                          (1, 2, [1e-3, 1e-3, 1e-4])])
def test_early_stop_as_patient_as_the_plateau_never_uses_a_lowered_lr(plateau: int, patience: int,
                                                                       lrs: list[float]) -> None:
    """What W122 says: once the validation loss stops improving, the plateau lowers the lr after the
    second epoch, and an early stop as patient ends the run right there; one epoch more patient, the
    third epoch trains at the lowered lr. Keras acts on the first epoch without improvement at
    patience 0 as at 1. (The validation targets are -2x: the better the fit to 2x, the worse the
    validation loss.)"""
    result = checked(f"""
model m {{
  input [1]
  dense 1
}}
data {{
  source   parity(bits=1, samples=64)
  validate 25%
}}
train {{
  loss       mse
  lr         1e-3
  epochs     20
  schedule   plateau(factor=0.1, patience={plateau}, min_lr=1e-15)
  early_stop patience={patience}
}}
""")
    assert result.spec is not None and result.spec.train is not None
    x = np.linspace(-1, 1, 32, dtype="float32")[:, None]
    _, logs, _ = _tiny_fit(result.spec.train, 20, x_val=x, y_val=-2 * x)
    assert logs["lr"] == pytest.approx(lrs, rel=1e-4)
    assert [d.code for d in result.warnings] == (["W122"] if len(lrs) == 2 else [])


def test_the_lr_shows_once_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    """Keras' plateau callback logs its own `learning_rate`, the lr after its cut; ldnn's `lr` is
    the one the epoch trained with, and the only one in the progress line and the history."""
    train = train_section(lr=1e-9, schedule={"name": "plateau", "factor": 0.1, "patience": 0, "min_lr": 5e-12})
    _, logs, _ = _tiny_fit(train, 2, verbose=2)
    printed = capsys.readouterr().out
    assert "learning_rate" not in logs and "learning_rate" not in printed
    assert printed.count(" - lr: ") == 2


def test_early_stopping_restores_the_best_weights() -> None:
    # validation targets are -2x: the better the fit to 2x, the worse the validation loss
    x = np.linspace(-1, 1, 32, dtype="float32")[:, None]
    train = train_section(lr=0.05, early_stop={"patience": 2, "restore_best": True})
    model, logs, weights = _tiny_fit(train, 30, x_val=x, y_val=-2 * x)
    assert len(logs["loss"]) < 30
    best = int(np.argmin(logs["val_loss"]))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights[best], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights[-1], strict=True))


def _epochs(dataset: Any, count: int) -> list[np.ndarray]:
    return [np.concatenate([x.numpy()[:, 0] for x, _ in dataset]) for _ in range(count)]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the bounded pipeline is TensorFlow's")
def test_training_batches_are_bounded_and_ordered_as_asked() -> None:
    """One worker thread, no autotuning (they competed with the step for 2 cores); every sample
    once per epoch; `once` keeps one seeded order, `epoch` draws a new one, `off` keeps the data's."""
    x = np.arange(50, dtype="float32")[:, None]
    y = np.arange(50, dtype="int32")
    fed = training_batches(x, y, 8, seed=3)
    assert fed["shuffle"] is False and set(fed) == {"x", "shuffle"}
    options = fed["x"].options()
    assert options.threading.private_threadpool_size == 1 and options.autotune.enabled is False
    first, second = _epochs(fed["x"], 2)
    assert sorted(first) == list(range(50)) and not np.array_equal(first, np.arange(50))
    assert np.array_equal(first, second)
    assert np.array_equal(_epochs(training_batches(x, y, 8, seed=3)["x"], 1)[0], first)
    assert not np.array_equal(_epochs(training_batches(x, y, 8, seed=4)["x"], 1)[0], first)
    each = _epochs(training_batches(x, y, 8, seed=3, shuffle="epoch")["x"], 2)
    assert all(sorted(e) == list(range(50)) for e in each) and not np.array_equal(*each)
    again = _epochs(training_batches(x, y, 8, seed=3, shuffle="epoch")["x"], 2)
    assert all(np.array_equal(a, b) for a, b in zip(again, each, strict=True))
    (kept,) = _epochs(training_batches(x, y, 8, seed=3, shuffle="off")["x"], 1)
    (ordered,) = _epochs(evaluation_batches(x, y, 8)["x"], 1)
    assert np.array_equal(kept, np.arange(50)) and np.array_equal(ordered, np.arange(50))
    assert next(iter(evaluation_batches(x, y, 8)["x"]))[0].shape == (8, 1)


@pytest.mark.parametrize(("shuffle", "same_order"), [("once", True), ("epoch", False)])
def test_fit_sees_the_order_the_shuffle_setting_asks_for(shuffle: str, same_order: bool) -> None:
    """Inside Keras' `fit`, not only when iterated by hand: Keras on TensorFlow once repeated
    its first order every epoch although asked to reshuffle (tensorflow/tensorflow#29558)."""
    seen: list[np.ndarray] = []

    class Record(keras.layers.Layer):
        def call(self, x: Any, training: bool | None = None) -> Any:
            if training:
                seen.append(keras.ops.convert_to_numpy(x)[:, 0].copy())
            return x

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), Record(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    x = np.arange(24, dtype="float32")[:, None]
    model.fit(**training_batches(x, x, 8, seed=5, shuffle=shuffle), epochs=2, verbose=0)
    first, second = np.concatenate(seen[:3]), np.concatenate(seen[3:])
    assert sorted(first) == sorted(second) == list(range(24)) and not np.array_equal(first, np.arange(24))
    assert np.array_equal(first, second) is same_order


def weights_now(model: Any, variable: Any) -> np.ndarray:
    """A variable's value in the middle of `fit`: Keras on JAX keeps the training state apart
    from the variables until an epoch ends, and must be asked to put it back first (a
    callback's `self.model` asks, as ldnn's monitor reads it; a lambda's closure does not)."""
    if keras.backend.backend() == "jax":
        model.jax_state_sync()
    return keras.ops.convert_to_numpy(variable)


def test_update_ratio_is_the_last_step_and_keeps_keras_async() -> None:
    """The monitor's ratio is ||ΔW|| / ||W|| of the epoch's last step, found without a batch-end
    hook (a batch-end hook would make Keras wait for every step)."""
    monitor = update_ratio_monitor()
    assert type(monitor).on_train_batch_end is keras.callbacks.Callback.on_train_batch_end
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, name="dense_1")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.linspace(-1, 1, 64, dtype="float32")[:, None]
    kernels: list[np.ndarray] = []
    kernel = model.get_layer("dense_1").kernel
    record = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda b, logs: kernels.append(weights_now(model, kernel)))
    logs = model.fit(x, 2 * x, batch_size=16, epochs=2, shuffle=False, callbacks=[record, monitor],
                     verbose=0).history
    final = keras.ops.convert_to_numpy(kernel)
    assert logs["update_ratio/dense_1"][-1] == pytest.approx(update_ratio(kernels[-1], final), rel=1e-6)
    assert logs["update_ratio/dense_1"][-1] > 0


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="a tf.data generator of unknown length")
@pytest.mark.filterwarnings("ignore:Your input ran out of data")  # Keras learns the length by running out
def test_update_ratio_says_when_it_cannot_find_the_last_step() -> None:
    import io

    import tensorflow as tf

    out = io.StringIO()
    x = np.linspace(-1, 1, 32, dtype="float32")[:, None]
    data = tf.data.Dataset.from_generator(lambda: iter([(x, 2 * x)]), output_signature=(
        tf.TensorSpec((None, 1), tf.float32), tf.TensorSpec((None, 1), tf.float32)))
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    monitor = update_ratio_monitor(lambda line: print(line, file=out))
    model.fit(data, epochs=1, shuffle=False, callbacks=[monitor], verbose=0)
    assert "`monitor update_ratio` is off for this run" in out.getvalue()


@pytest.mark.parametrize("quiet", [False, True])
def test_update_ratio_warnings_are_silent_with_quiet(tmp_path: Path, quiet: bool,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`--quiet` prints only the run folder or the errors: the ratios go to history.csv alone."""
    from ldnn_dsl.train.run import train

    spec = sort_spec(tmp_path, "monitor update_ratio\nlr 1e-7\nepochs 3")
    result = train(spec, out=tmp_path / "run", quiet=quiet)
    assert ("update ratio of" in capsys.readouterr().err) is not quiet
    assert "update_ratio/dense_1" in history_rows(result.folder)[-1]


def test_update_ratio_of_a_recurrent_layer_counts_its_recurrent_kernel() -> None:
    """W of an LSTM is its input kernel and its recurrent kernel, which one step moves together."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(3, name="lstm_1"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    cell = model.get_layer("lstm_1").cell
    snapshots: list[list[np.ndarray]] = []
    record = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: snapshots.append(
        [weights_now(model, cell.kernel), weights_now(model, cell.recurrent_kernel)]))
    x = np.random.default_rng(0).standard_normal((32, 5, 2)).astype("float32")
    logs = model.fit(x, x.sum(axis=(1, 2))[:, None], batch_size=16, epochs=1, shuffle=False,
                     callbacks=[record, update_ratio_monitor()], verbose=0).history
    (w, u), final = snapshots[-1], [cell.kernel.numpy(), cell.recurrent_kernel.numpy()]
    both = np.sqrt(np.sum((final[0] - w) ** 2) + np.sum((final[1] - u) ** 2)) / np.sqrt(np.sum(w**2) + np.sum(u**2))
    assert logs["update_ratio/lstm_1"][-1] == pytest.approx(both, rel=1e-5)
    assert both != pytest.approx(update_ratio(w, final[0]), rel=1e-3)  # not the input kernel's alone


def test_update_ratio_and_its_warning_after_three_epochs() -> None:
    assert update_ratio(np.ones(4), np.ones(4) * 1.001) == pytest.approx(1e-3)
    streaks = Streaks()
    assert [streaks.see({"dense_1": 1e-6}) for _ in range(2)] == [[], []]
    (line,) = streaks.see({"dense_1": 1e-6})
    assert "`dense_1`" in line and "raise the lr" in line
    assert streaks.see({"dense_1": 1e-6}) == []  # one line per streak
    assert [streaks.see({"dense_2": 0.5}) for _ in range(3)][-1][0].endswith("(3 epochs in a row)")
    assert "lower the lr" in Streaks(patience=1).see({"d": 0.5})[0]


def test_update_ratios_on_both_sides_get_one_line_that_does_not_blame_the_lr() -> None:
    """Raising the lr would help the slow layer and hurt the fast one: the advice is the init."""
    streaks = Streaks()
    epochs = [streaks.see({"dense_1": 9.7e-5, "dense_2": 1e-3, "dense_3": 0.19}) for _ in range(3)]
    assert epochs[:2] == [[], []]
    (line,) = epochs[2]
    assert line == ("ldnn: warning: update ratios disagree: `dense_1` at 9.7e-05 is below 0.0001 while `dense_3` "
                    "at 0.19 is above 0.01 (3 epochs in a row): no single lr suits both; the scale of each layer's "
                    "initial weights sets how far one step moves it, so check their init")
    assert streaks.see({"dense_1": 9.7e-5, "dense_2": 1e-3, "dense_3": 0.19}) == []
    later = Streaks()
    for _ in range(3):
        later.see({"dense_1": 1e-3, "dense_3": 0.19})
    assert later.see({"dense_1": 5e-5, "dense_3": 0.2}) == []
    assert later.see({"dense_1": 5e-5, "dense_3": 0.2}) == []
    (line,) = later.see({"dense_1": 5e-5, "dense_3": 0.2})  # the slow streak is due; the fast one still runs
    assert line.startswith("ldnn: warning: update ratios disagree: `dense_1` at 5e-05")


def test_jit_auto_rule() -> None:
    def graph(text: str):
        return check_source(decode("<t>", text.encode()), "compile").spec.model

    plain = graph("model m {\n  input [4]\n  dense 2\n}\n")
    dropped = graph("model m {\n  input [4]\n  residual {\n    dropout 0.5\n  }\n  dense 2\n}\n")
    assert auto_jit(gpu=True, dropout=True) and not auto_jit(gpu=False, dropout=True)
    assert auto_jit(gpu=False, dropout=False, macs=1_000_000) and not auto_jit(gpu=False, dropout=False, macs=70_000)
    assert auto_jit(gpu=False, dropout=True, backend="jax", macs=10)
    big = graph("model m {\n  input [512]\n  dense 512\n  dense 2\n}\n")
    jax = keras.backend.backend() == "jax"  # where XLA off runs op by op: `auto` always compiles
    assert choose_jit("auto", big, gpu=False) and choose_jit("auto", plain, gpu=False) == jax
    assert choose_jit("auto", dropped, gpu=False) == jax
    assert choose_jit("auto", dropped, gpu=True)
    assert choose_jit(True, dropped, gpu=False) and not choose_jit(False, plain, gpu=True)


def test_steps_per_execution_auto_rule() -> None:
    """As many steps per call as fit in a quarter second at a conservative rate, at most 32;
    one where a single step's update is monitored; an explicit number as written."""
    def graph(text: str):
        return check_source(decode("<t>", text.encode()), "compile").spec.model

    assert auto_steps(step_flops=1e6, gpu=False, monitors_updates=False) == MOST_STEPS
    assert auto_steps(step_flops=1e6, gpu=False, monitors_updates=True) == 1
    assert auto_steps(step_flops=1e6, gpu=True, monitors_updates=False, backend="torch") == 1  # Keras' limit
    assert auto_steps(step_flops=CPU_FLOPS * CHUNK_SECONDS / 10, gpu=False, monitors_updates=False) == 10
    assert auto_steps(step_flops=CPU_FLOPS, gpu=False, monitors_updates=False) == 1  # a one-second step
    assert auto_steps(step_flops=CPU_FLOPS, gpu=True, monitors_updates=False) == 25  # the same step on a GPU
    small, wide = graph("model m {\n  input [4]\n  dense 2\n}\n"), graph("model m {\n  input [4096]\n  dense 4096\n}\n")
    assert step_flops(wide, 128) == 4096 * 4096 * 6 * 128  # forward MACs x 2 x 3
    assert choose_steps(train_section(), small, 128, gpu=False) == MOST_STEPS
    assert choose_steps(train_section(), wide, 128, gpu=False) == 1
    assert choose_steps(train_section(), wide, 128, gpu=True) == MOST_STEPS
    assert choose_steps(train_section(), wide, 2048, gpu=True) == 12  # 206 GFLOP a step: ~21 ms
    assert choose_steps(train_section(monitor=["update_ratio"]), small, 128, gpu=True) == 1
    assert choose_steps(train_section(steps_per_execution=5), wide, 128, gpu=False) == 5
    assert choose_steps(train_section(), small, 128, samples=300, gpu=False) == 3  # no more than an epoch has
    assert choose_steps(train_section(steps_per_execution=5), small, 128, samples=300, gpu=False) == 5


@pytest.mark.slow
def test_several_steps_per_call_train_the_same_weights_and_count_every_step(tmp_path: Path) -> None:
    """Keras calls the batch hooks once per call of 4 steps; the last call of each 25-step
    epoch runs 1. Every step is counted, the choice is written out, and the weights are those
    of one step per call (the same steps in the same order)."""
    one = run_train(sort_spec(tmp_path, "steps_per_execution 1", name="one.ldnn"), tmp_path / "one")
    four = run_train(sort_spec(tmp_path, "steps_per_execution 4", name="four.ldnn"), tmp_path / "four")
    assert one.metrics["steps_per_execution"] == 1 and four.metrics["steps_per_execution"] == 4
    assert re.search(r"\n  steps_per_execution +4\n", (four.folder / "spec.ldnn").read_text())
    assert [r["steps"] for r in history_rows(four.folder)] == ["25", "25"]
    assert four.metrics["samples_per_s"] * four.metrics["fit_time_s"] == pytest.approx(2 * 1600)
    w1 = keras.saving.load_model(one.folder / "model.keras").get_weights()
    w4 = keras.saving.load_model(four.folder / "model.keras").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(w1, w4, strict=True))


def test_batch_auto_measures_and_writes_the_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.train.run import train

    spec = sort_spec(tmp_path, "batch auto\nepochs 1")
    result = train(spec, out=tmp_path / "run", quiet=False)
    chosen = json.loads((result.folder / "metrics.json").read_text())["batch"]
    assert chosen in (16, 32, 64, 128, 256, 512, 1024, 2048)
    assert re.search(rf"\n  batch +{chosen}\n", (result.folder / "spec.ldnn").read_text())
    assert f"batch auto: chose {chosen}" in capsys.readouterr().err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_resolved_spec_checks_clean_with_the_same_parameters(path: Path) -> None:
    original = check_source(read(path), "check")
    assert original.spec is not None
    text = resolved_text(original.spec, batch=32, epochs=3, seed=7, jit=True, steps_per_execution=1,
                         folder=path.parent)
    purpose = "train" if original.spec.train and original.spec.data else "check"
    resolved = check_source(decode("spec.ldnn", text.encode()), purpose)
    assert resolved.errors == []
    assert resolved.inference.total_params == original.inference.total_params
    assert "repeat" not in text and "block" not in text and "auto" not in text
    assert format_text(text, "spec.ldnn") == text  # `ldnn fmt --check` passes on a run folder


def test_resolved_spec_of_a_path_with_a_newline_is_still_one_comment() -> None:
    """The path ended the header comment early: the text no longer parsed, and, formatted at
    save time, a finished run was lost."""
    original = check_source(decode("odd\nname.ldnn", b"model m {\n  input [2]\n  dense 1\n}\n"), "check")
    assert original.spec is not None
    text = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1)
    assert text.startswith("# Resolved from 'odd\\nname.ldnn': ")
    assert not check_source(decode("spec.ldnn", text.encode()), "check").errors


def test_resolved_spec_gives_layers_without_a_bias_no_bias_options() -> None:
    """The `init` section's `biases` and `forget_bias` skip a layer with `bias=false`; written out
    as that layer's own options they would contradict its `bias=false` (E404)."""
    text = ("init {\n  biases constant(0.1)\n  forget_bias 2.0\n}\nmodel m {\n  input [5, 3]\n"
            "  lstm 4 sequences bias=false\n  lstm 4 sequences\n  lstm 4\n  dense 2 bias=false\n}\n")
    original = check_source(decode("s.ldnn", text.encode()), "check")
    assert original.errors == [] and original.spec is not None
    resolved_spec = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1,
                                  folder=None)
    layers = [line.strip() for line in resolved_spec.splitlines() if line.strip().startswith(("lstm", "dense"))]
    assert ["bias_init" in line for line in layers] == [False, True, True, False]
    assert ["forget_bias" in line for line in layers] == [False, True, True, False]
    resolved = check_source(decode("spec.ldnn", resolved_spec.encode()), "check")
    assert resolved.errors == []
    assert resolved.inference.total_params == original.inference.total_params


def test_resolved_spec_keeps_every_digit_of_inits_and_splits() -> None:
    """A run folder's spec.ldnn retrains the same model: `normal(0.0123456789)` is not rounded to
    `normal(0.0123457)`, nor a split of 0.10000049 to 10% (one sample fewer of 10,001)."""
    text = ("init {\n  weights uniform(0.0345678912)\n}\nmodel m {\n  input [4]\n"
            "  dense 3 init=normal(0.0123456789) bias_init=constant(1234567)\n  dense 2 softmax init=constant(1)\n}\n"
            "data {\n  source parity(bits=4, samples=2000)\n  validate 0.10000049\n  test 12.5%\n}\n"
            "train {\n  loss sparse_categorical_crossentropy\n}\n")
    original = check_source(decode("s.ldnn", text.encode()), "train")
    assert original.errors == [] and original.spec is not None
    resolved_spec = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1,
                                  folder=None)
    for written in ("init=normal(0.0123456789) bias_init=constant(1234567)", "init=constant(1) ",
                    "weights uniform(0.0345678912)", "validate 0.10000049\n", "test     12.5%\n"):
        assert written in resolved_spec, (written, resolved_spec)
    resolved = check_source(decode("spec.ldnn", resolved_spec.encode()), "train")
    assert resolved.errors == [] and resolved.spec is not None
    for section in (resolved.spec, original.spec):
        assert (section.data.validate_, section.data.test) == (0.10000049, 0.125)  # type: ignore[union-attr]
    from ldnn_dsl.check.data_section import written_split

    assert [written_split(f) for f in (0.1, 3e-7, 1e-12, 0.5, 0.10000049)] == [
        "10%", "3e-07", "1e-12", "50%", "0.10000049"]  # `3e-05%` would not parse
    first, second = ([node.layer for node in s.model.body] for s in (resolved.spec, original.spec))
    assert [layer.init for layer in first] == [layer.init for layer in second]  # type: ignore[union-attr]
    assert first[0].bias_init == second[0].bias_init  # type: ignore[union-attr]


@pytest.mark.parametrize(("path", "target"), [(r"a\\tb.csv", "price"), ("q.csv", r'sale \"price\"'),
                                              (r'a\"b\\c.csv', "true")])
def test_resolved_spec_writes_strings_back_as_they_were_meant(tmp_path: Path, path: str, target: str) -> None:
    """A backslash, a quote, and a column named like a word of the language survive the round trip:
    the resolved spec names the same file and column."""
    text = (f'model m {{\n  input [2]\n  dense 1\n}}\ndata {{\n  source csv("{path}", target="{target}")\n}}\n'
            "train {\n  loss mse\n}\n")
    original = check_source(decode(str(tmp_path / "s.ldnn"), text.encode()), "train")
    assert original.errors == [] and original.spec is not None
    resolved_spec = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1,
                                  folder=tmp_path)
    resolved = check_source(decode(str(tmp_path / "spec.ldnn"), resolved_spec.encode()), "train")
    assert resolved.errors == [] and resolved.spec is not None
    assert resolved.spec.data.source == original.spec.data.source


@pytest.mark.parametrize(("training", "second"), [("target=price", "target=price"), ("target=-1", ""), ("", ""),
                                                  ("target=-1 header=false", "target=-1")])
def test_resolved_spec_leaves_a_second_csvs_target_to_the_training_files(tmp_path: Path, training: str,
                                                                          second: str) -> None:
    """A second csv without `target=` takes the training file's target by name: written out as
    that name where the training source gives it, else left out, so the rule applies again (an
    explicit `target=-1` would take the second file's last column, which it need not be)."""
    options = "".join(f", {option}" for option in training.split())
    text = (f'model m {{\n  input [2]\n  dense 1\n}}\ndata {{\n  source csv("h.csv"{options})\n'
            f'  validate csv("v.csv"{", header=false" if "header" in training else ""})\n}}\n'
            "train {\n  loss mse\n}\n")
    original = check_source(decode(str(tmp_path / "s.ldnn"), text.encode()), "train")
    assert original.errors == [] and original.spec is not None
    resolved_spec = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1,
                                  folder=tmp_path)
    source = next(line for line in resolved_spec.splitlines() if line.strip().startswith("source"))
    assert "target=" in source  # the training source's default is written out, as every default is
    validate = next(line for line in resolved_spec.splitlines() if line.strip().startswith("validate"))
    assert validate.strip().endswith(f'csv(path="v.csv"{", " + second if second else ""}'
                                     f'{", header=false" if "header" in training else ""})'), validate


def test_resolved_spec_writes_a_second_csvs_own_target_after_an_npz() -> None:
    """After a training source without column names, a second csv takes its own last column:
    a default like any other, written out."""
    text = ('model m {\n  input [2]\n  dense 1\n}\ndata {\n  source npz("d.npz")\n  validate csv("v.csv")\n}\n'
            "train {\n  loss mse\n}\n")
    original = check_source(decode("s.ldnn", text.encode()), "train")
    assert original.errors == [] and original.spec is not None
    resolved_spec = resolved_text(original.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1)
    assert 'validate csv(path="v.csv", target=-1)' in resolved_spec


def test_augmented_batches_are_seeded() -> None:
    from ldnn_dsl.check.data_section import DataSection
    from ldnn_dsl.train.augment import augment_layers, augmented_batches

    data = DataSection.model_validate({"source": "parity", "augment": ["flip", {"name": "translate", "args": [1]},
                                                                        {"name": "noise", "args": [0.1]}]})
    x = np.arange(10 * 4 * 4, dtype="float32").reshape(10, 4, 4, 1)
    y = np.arange(10)

    def first_epoch(seed: int):
        batches = augmented_batches(x, y, 4, augment_layers(data.augment, (4, 4, 1), seed), seed)
        return [batches[i] for i in range(len(batches))]

    a, b = first_epoch(3), first_epoch(3)
    assert len(a) == 3 and a[0][0].shape == (4, 4, 4, 1) and sorted(np.concatenate([yb for _, yb in a])) == list(y)
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0][0], x[a[0][1]])


def test_noise_takes_a_std_in_raw_pixel_units(tmp_path: Path) -> None:
    """`noise(8)` on 0..255 images: Keras' GaussianNoise refuses a std above 1, and the run failed at build."""
    from ldnn_dsl.train.augment import augment_layers, augmented_batches

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 256, (60, 6, 6, 1)).astype("float32"), y=rng.integers(0, 2, 60))
    spec = write(tmp_path / "noisy.ldnn", textwrap.dedent("""\
        model m {
          input [6, 6, 1]
          flatten
          dense 2 softmax
        }
        data {
          source   npz("d.npz")
          validate 10
          augment  noise(8) translate(6)
        }
        train {
          loss   sparse_categorical_crossentropy
          epochs 1
        }
        """))
    assert run_train(spec, tmp_path / "out").folder.exists()
    data = check_source(read(spec)).spec.data  # type: ignore[union-attr]
    zeros = np.zeros((400, 6, 6, 1), "float32")
    noisy = augmented_batches(zeros, np.zeros(400), 400, augment_layers(data.augment[:1], (6, 6, 1), 0), 0)[0][0]
    assert 7.6 < noisy.std() < 8.4


def _moved_pixel(step: dict[str, object] | str, size: int, at: tuple[int, int], draws: int = 64) -> np.ndarray:
    """Where the one lit pixel of a `size` x `size` image lands under the transform `step`, for
    `draws` random draws: the (row, column) of each result's brightest pixel."""
    from ldnn_dsl.check.data_section import DataSection
    from ldnn_dsl.train.augment import augment_layers

    data = DataSection.model_validate({"source": "parity", "augment": [step]})
    image = np.zeros((draws, size, size, 1), "float32")
    image[:, at[0], at[1], 0] = 1.0
    (layer,) = augment_layers(data.augment, (size, size, 1), seed=0)
    out = keras.ops.convert_to_numpy(layer(image, training=True))[..., 0]
    return np.array(np.unravel_index(out.reshape(draws, -1).argmax(axis=1), (size, size))).T


def test_flip_mirrors_along_its_own_axis_only() -> None:
    horizontal = {tuple(p) for p in _moved_pixel({"name": "flip", "args": ["horizontal"]}, 9, (2, 1))}
    vertical = {tuple(p) for p in _moved_pixel({"name": "flip", "args": ["vertical"]}, 9, (2, 1))}
    assert horizontal == {(2, 1), (2, 7)} and vertical == {(2, 1), (6, 1)}


def test_translate_shifts_by_at_most_its_pixels() -> None:
    """`translate(3)` is in pixels, on each axis (Keras takes a fraction of the side)."""
    shift = _moved_pixel({"name": "translate", "args": [3]}, 15, (7, 7)) - 7
    assert np.abs(shift).max() == 3 and (shift[:, 0] != 0).any() and (shift[:, 1] != 0).any()


def test_rotate_turns_by_at_most_its_degrees() -> None:
    """`rotate(10)` is in degrees (Keras takes a fraction of a full turn): a pixel 14 away from
    the center moves along its circle by up to 10 degrees, either way."""
    landed = _moved_pixel({"name": "rotate", "args": [10]}, 33, (2, 16), draws=200) - 16
    radius = np.hypot(*landed.T)
    turned = np.degrees(np.abs(np.arctan2(landed[:, 1], -landed[:, 0])))
    assert np.all(np.abs(radius - 14) <= 1) and 6 < turned.max() <= 10 + 4.1  # a pixel's width: ~4 degrees at 14


def test_augment_changes_the_training_batches_only(tmp_path: Path) -> None:
    """Validation and the final scores read the data as it is: the reported validation loss is
    the saved model's on the validation file, though training added noise 100 times the data's."""
    rng = np.random.default_rng(0)
    for name, n in (("d", 64), ("v", 32)):
        x = rng.standard_normal((n, 6, 6, 1)).astype("float32")
        np.savez(tmp_path / f"{name}.npz", x=x, y=x.mean(axis=(1, 2, 3)))
    spec = write(tmp_path / "augmented.ldnn", textwrap.dedent("""\
        model m {
          input [6, 6, 1]
          flatten
          dense 1
        }
        data {
          source   npz("d.npz")
          validate npz("v.npz")
          augment  noise(100) flip(horizontal)
        }
        train {
          loss   mse
          lr     0.001
          epochs 2
          seed   1
          jit    false
        }
        """))
    folder = run_train(spec, tmp_path / "out").folder
    reported = json.loads((folder / "metrics.json").read_text())["validation"]["loss"]
    model = keras.saving.load_model(folder / "model.keras")
    valid = np.load(tmp_path / "v.npz")
    assert model.evaluate(valid["x"], valid["y"], verbose=0) == pytest.approx(reported, rel=1e-5)
    assert float(history_rows(folder)[-1]["val_loss"]) == pytest.approx(reported, rel=1e-5)


@pytest.mark.parametrize(("shuffle", "kept", "in_order"), [("once", True, False), ("epoch", False, False),
                                                           ("off", True, True)])
def test_augmented_batches_follow_the_shuffle_setting(shuffle: str, kept: bool, in_order: bool) -> None:
    from ldnn_dsl.train.augment import augmented_batches

    x, y = np.zeros((40, 2, 2, 1), dtype="float32"), np.arange(40)
    batches = augmented_batches(x, y, 8, [], 3, shuffle)
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    batches.on_epoch_end()
    second = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert sorted(first) == list(range(40)) and np.array_equal(first, second) is kept
    assert np.array_equal(first, np.arange(40)) is in_order


# training runs ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    """One small run shared by the run-folder tests: standardize, update ratios, test split."""
    tmp = tmp_path_factory.mktemp("run")
    spec = sort_spec(tmp, "monitor update_ratio\nschedule plateau(factor=0.5, patience=1, min_lr=1e-4)")
    return spec, run_train(spec, tmp / "out")


def test_run_folder_holds_every_file(run) -> None:
    spec, result = run
    folder = result.folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["model.keras", "spec.ldnn", "history.csv", "metrics.json", "curves.png"])
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir())
    metrics = json.loads((folder / "metrics.json").read_text())
    for key in ("train", "validation", "test", "wall_time_s", "samples_per_s", "params", "xla", "baseline",
                "batch", "seed", "epochs"):
        assert key in metrics, key
    assert metrics["params"] == check_source(read(spec), "train").inference.total_params
    assert set(metrics["validation"]) == {"loss", "accuracy"} and metrics["baseline"]["metric"] == "val_accuracy"
    assert (folder / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_the_trained_net_is_scored_against_the_baseline(run) -> None:
    """The net's score by the baseline's measure is the validation accuracy Keras reports."""
    metrics = json.loads((run[1].folder / "metrics.json").read_text())
    against = metrics["baseline"]
    assert against["net"] == pytest.approx(metrics["validation"]["accuracy"], abs=1e-6)
    assert against["beaten"] == (against["net"] > against["value"] + 3 * (against["value"] * (1 - against["value"])
                                                                       / 200) ** 0.5)


def test_a_net_left_at_chance_is_told_it_learned_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Through ldnn's own pipeline, scoring the net adds no TensorFlow log noise to the run's output."""
    from ldnn_dsl.train.run import train

    spec = write(tmp_path / "stuck.ldnn", """model stuck {
  input [8]
  dense 16 tanh
  dense 1 sigmoid
}
data {
  source   parity(bits=8, samples=2000)
  validate 50%
}
train {
  loss      binary_crossentropy
  optimizer sgd
  lr        1e-6
  batch     64
  epochs    1
  metrics   [binary_accuracy]
  seed      1
  jit       false
}
""")
    result = train(spec, out=tmp_path / "out")
    err = capfd.readouterr().err
    assert result.metrics["baseline"]["beaten"] is False and "NodeDef" not in err
    assert ("ldnn: warning: the trained net is not clearly better than the linear baseline (val_accuracy "
            f"{result.metrics['baseline']['net']:.4g} against {result.metrics['baseline']['value']:.4g}: not higher by "
            "more than three standard errors on these rows)") in err
    assert "try another `seed`" in err


def test_resolved_spec_in_the_run_folder_checks_clean(run) -> None:
    spec, result = run
    resolved = check_source(read(result.folder / "spec.ldnn"), "train")
    assert resolved.errors == []
    assert resolved.inference.total_params == check_source(read(spec), "train").inference.total_params
    assert resolved.spec.train.batch == 64 and resolved.spec.train.seed == 1


def test_history_has_lr_time_and_update_ratios(run) -> None:
    _, result = run
    rows = history_rows(result.folder)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time_s", "update_ratio/dense_1",
            "update_ratio/dense_2"} <= set(rows[0])
    assert all(0 < float(r["update_ratio/dense_1"]) < 1 for r in rows)
    assert float(rows[0]["lr"]) == pytest.approx(0.1)
    times = [float(r["time_s"]) for r in rows]
    assert 0 < times[0] < times[1] <= result.metrics["fit_time_s"]
    assert [r["steps"] for r in rows] == ["25", "25"]  # 1600 training samples in batches of 64: all ran


def test_saved_model_standardizes_raw_inputs(run) -> None:
    import ldnn_dsl  # noqa: F401 - registers ldnn's Keras objects for loading
    from ldnn_dsl.data.dataset import load_data

    spec, result = run
    checked = check_source(read(spec), "train").spec
    splits = load_data(checked.data, str(spec))
    model = keras.saving.load_model(result.folder / "model.keras")
    x = splits.x_val[:50].astype("float32")
    network = model.get_layer("sorter")
    by_hand = network.predict((x - splits.norm_mean) / np.sqrt(splits.norm_var), verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), by_hand, rtol=1e-5, atol=1e-6)
    assert any(isinstance(layer, keras.layers.Normalization) for layer in model.layers)


def test_refuses_a_non_empty_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    with pytest.raises(DiagnosticError) as caught:
        run_train(sort_spec(tmp_path), out)
    assert [d.code for d in caught.value.diagnostics] == ["E005"]  # a folder that cannot be written, as in compile
    assert "not empty" in caught.value.diagnostics[0].message
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("jit", ["true", "false"])
def test_same_spec_and_seed_give_identical_weights(tmp_path: Path, jit: str) -> None:
    spec = sort_spec(tmp_path, f"jit {jit}\nepochs 2")  # two epochs: the reshuffle between them is seeded too
    a, b = run_train(spec, tmp_path / "a"), run_train(spec, tmp_path / "b")
    assert a.metrics["xla"] is (jit == "true")
    wa = keras.saving.load_model(a.folder / "model.keras").get_weights()
    wb = keras.saving.load_model(b.folder / "model.keras").get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float32", "mixed_float16"])
def test_ensemble_saves_one_model_averaging_its_members(tmp_path: Path, precision: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Under mixed precision too, the mean is taken in float32, as the members' outputs are. The
    run's own scores are the averaged model's; each member's are reported beside them."""
    from ldnn_dsl.data import load_data
    from ldnn_dsl.train.run import train

    spec = sort_spec(tmp_path, f"ensemble 2\nepochs 1\nprecision {precision}")
    result = train(spec, out=tmp_path / "out")
    said = capsys.readouterr().err
    assert [m["seed"] for m in result.metrics["members"]] == [1, 2]
    for i, member in enumerate(result.metrics["members"], 1):
        assert f"member {i}: val_accuracy {member['validation']['accuracy']:.4g}" in said
    assert f"ensemble of 2: val_accuracy {result.metrics['validation']['accuracy']:.4g}" in said
    splits = load_data(check_source(read(spec)).spec.data, str(spec))  # type: ignore[union-attr]
    saved = keras.saving.load_model(result.folder / "model.keras")
    scores = saved.evaluate(splits.x_val, splits.y_val, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(result.metrics["validation"]["accuracy"], abs=1e-6)
    assert all("validation" in m for m in result.metrics["members"])
    model = keras.saving.load_model(result.folder / "model.keras")
    x = np.random.default_rng(0).integers(0, 2, (20, 9)).astype("float32")
    members = [model.get_layer(f"member_{i}").predict(x, verbose=0) for i in (1, 2)]
    assert not np.allclose(members[0], members[1])
    mean = model.predict(x, verbose=0)
    assert mean.dtype == members[0].dtype == np.float32
    np.testing.assert_allclose(mean, (members[0] + members[1]) / 2, rtol=1e-5, atol=1e-7)
    assert {r["member"] for r in history_rows(result.folder)} == {"1", "2"}


def test_data_that_do_not_fit_are_e405(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((40, 5), "float32"), y=np.zeros((40, 3), "int64"))
    data = 'data {\n  source npz("d.npz", x=x, y=y)\n  validate 10%\n}\n'
    with pytest.raises(DiagnosticError) as caught:
        run_train(sort_spec(tmp_path, data=data), tmp_path / "out")
    codes = {d.code for d in caught.value.diagnostics}
    assert codes == {"E405"}
    first = caught.value.diagnostics[0]
    source_line = read(first.span.path).line(first.span.line)
    assert source_line.strip().startswith("source npz(")
    # said once for the splits cut from one source, not once per split
    assert first.message == "the x of the training and validation splits has per-sample shape [5] but the model's " \
        "input is [9]"
    assert not (tmp_path / "out").exists()


def test_a_split_from_its_own_source_is_reported_at_its_own_line(tmp_path: Path) -> None:
    """A validation or test file that does not fit is named where the spec names it, not at `source`."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((40, 9), "float32"), y=rng.integers(0, 8, (40, 3)))
    np.savez(tmp_path / "v.npz", x=rng.random((10, 9), "float32"), y=rng.integers(0, 8, (10, 4)))
    np.savez(tmp_path / "t.npz", x=rng.random((10, 7), "float32"), y=rng.integers(0, 8, (10, 3)))
    data = 'data {\n  source   npz("d.npz")\n  validate npz("v.npz")\n  test     npz("t.npz")\n}\n'
    with pytest.raises(DiagnosticError) as caught:
        run_train(sort_spec(tmp_path, data=data), tmp_path / "out")
    seen = {d.message.split(" has ")[0]: read(d.span.path).line(d.span.line).split()[0]
            for d in caught.value.diagnostics}
    assert seen == {"the validation y": "validate", "the test x": "test"}
    assert not (tmp_path / "out").exists()


REGRESSION = "model line {\n  input [9]\n  dense 1\n}\n"


def test_nan_loss_is_e406_and_leaves_no_folder(tmp_path: Path) -> None:
    """A regression, whose loss nothing clips: lr 1e12 takes it past float32 in the first epoch
    on every backend (Keras on JAX clips a crossentropy's probabilities, so a diverged
    classifier's loss can stay finite there)."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((64, 9), "float32"), y=rng.random(64, "float32"))
    data = 'data {\n  source   npz("d.npz")\n  validate 25%\n}\n'
    spec = sort_spec(tmp_path, "loss mse\nlr 1e12\nepochs 3\nmetrics []", data=data, model=REGRESSION)
    with pytest.raises(DiagnosticError) as caught:
        run_train(spec, tmp_path / "out")
    assert [d.code for d in caught.value.diagnostics] == ["E406"]
    assert "NaN" in caught.value.diagnostics[0].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", spec.name]


def test_a_nan_validation_loss_is_e406_though_the_training_loss_stays_finite(tmp_path: Path) -> None:
    """Validation inputs that overflow the net make its outputs infinite: the saved model would
    predict them, so the run has diverged as surely as one whose training loss is NaN."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((64, 9), "float32"), y=rng.random(64, "float32"))
    np.savez(tmp_path / "v.npz", x=np.full((8, 9), 3e38, "float32"), y=rng.random(8, "float32"))
    data = 'data {\n  source   npz("d.npz")\n  validate npz("v.npz")\n}\n'
    spec = sort_spec(tmp_path, "loss mse\nepochs 2\nmetrics []", data=data, model=REGRESSION)
    with pytest.raises(DiagnosticError) as caught:
        run_train(spec, tmp_path / "out")
    assert [d.code for d in caught.value.diagnostics] == ["E406"]
    assert "validation loss became NaN or infinite in epoch 1" in caught.value.diagnostics[0].message
    assert not (tmp_path / "out").exists()


def test_a_bug_in_ldnn_while_training_is_an_internal_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure raised by ldnn's own code is E901, a bug to report, not E406 'training failed',
    which reads as Keras refusing the spec or the data. Keras' own failures stay E406."""
    from ldnn_dsl.cli import main
    from ldnn_dsl.data.fit import show

    run_module = importlib.import_module("ldnn_dsl.train.run")  # `ldnn_dsl.train` is also the API function
    monkeypatch.setattr(run_module, "baseline", show)  # called with too many arguments: a bug in run.py
    spec = sort_spec(tmp_path)
    assert main(["train", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error[E901]: internal error in ldnn: TypeError: " in err and "(raised at ldnn_dsl/train/run.py:" in err
    assert "this is a bug in ldnn" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [spec]


# the commands -----------------------------------------------------------------------------
@pytest.mark.slow
def test_quiet_means_no_tensorflow_retracing_warnings(tmp_path: Path) -> None:
    """Each ensemble member traces its own functions: TensorFlow's warning about it asks for
    code changes the spec's author cannot make, and --quiet printed it."""
    spec = sort_spec(tmp_path, "ensemble 3\nepochs 1")
    run = ldnn_process("train", str(spec), "--out", str(tmp_path / "out"), "--quiet", timeout=120)
    assert run.returncode == 0 and run.stdout.decode() == f"{tmp_path / 'out'}\n" and run.stderr == b"", run.stderr


def test_train_and_compile_read_a_spec_from_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`-` is standard input for `train` and `compile` as for `check`; its data paths are the
    current folder's, and an error in it still shows the line it points at."""
    import io

    from ldnn_dsl.cli import main

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((64, 4), "float32"), y=rng.integers(0, 2, 64))
    text = sort_spec(tmp_path, "loss binary_crossentropy\nmetrics [binary_accuracy]\nepochs 1",
                     model="model m {\n  input [4]\n  dense 1 sigmoid\n}",
                     data='data {\n  source   npz("d.npz")\n  validate 25%\n}').read_text()
    monkeypatch.chdir(tmp_path)

    def stdin(spec: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(spec.encode())))

    stdin(text)
    assert main(["train", "-", "--out", "run", "--quiet"]) == 0
    saved = (tmp_path / "run" / "spec.ldnn").read_text()
    assert saved.startswith("# Resolved from <stdin>") and 'npz(path="../d.npz"' in saved
    stdin(text)
    assert main(["compile", "-", "-o", "m.keras"]) == 0 and (tmp_path / "m.keras").is_file()
    capsys.readouterr()
    stdin(text.replace("d.npz", "gone.npz"))
    assert main(["train", "-", "--out", "run2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("<stdin>:6:3: error[E405]: data file `gone.npz` does not exist") and \
        '6 |   source   npz("gone.npz")' in err and "the current folder for a spec read from standard input" in err
    assert not (tmp_path / "run2").exists()


def test_compile_command_writes_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ldnn_dsl  # noqa: F401
    from ldnn_dsl.cli import main

    target = tmp_path / "m.keras"
    assert main(["compile", str(sort_spec(tmp_path)), "-o", str(target), "--jit", "false"]) == 0
    model = keras.saving.load_model(target)
    assert model.count_params() == 1112 and model.output_shape == (None, 3, 8)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_compile_builds_in_the_specs_precision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ldnn compile` and `ldnn_dsl.compile` build what `train` would: mixed layers, a float32 output."""
    import ldnn_dsl
    from ldnn_dsl.cli import main

    spec = sort_spec(tmp_path, "precision mixed_bfloat16")
    target = tmp_path / "m.keras"
    assert main(["compile", str(spec), "-o", str(target), "--jit", "false"]) == 0
    assert "parameters, mixed_bfloat16)" in capsys.readouterr().err
    for model in (keras.saving.load_model(target), ldnn_dsl.compile(spec)):
        policies = [layer.dtype_policy.name for layer in model.layers]
        assert policies[0] == "mixed_bfloat16" and policies[-1] == "float32", policies
    assert keras.mixed_precision.global_policy().name == "float32"


def test_compile_command_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    bad = tmp_path / "bad.ldnn"
    bad.write_text("model m {\n  input [4]\n  dense 2 rleu\n}\n")
    assert main(["compile", str(bad), "-o", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert "error[E203]" in err and "Traceback" not in err and not (tmp_path / "m.keras").exists()


def test_train_command_reports_e405_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    np.savez(tmp_path / "d.npz", x=np.zeros((40, 5), "float32"), y=np.zeros((40, 3), "int64"))
    spec = sort_spec(tmp_path, data='data {\n  source npz("d.npz")\n  validate 10%\n}\n')
    assert main(["train", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error[E405]" in err and "Traceback" not in err and "^" in err


def test_ids_beyond_the_embeddings_vocab_are_e405(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """TensorFlow would fail mid-step on CPU, and XLA or JAX would clamp the id in silence."""
    from ldnn_dsl.cli import main

    x = np.random.default_rng(0).integers(0, 20, (40, 6))
    x[:, 2] = 25
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(40))
    spec = write(tmp_path / "ids.ldnn", textwrap.dedent("""\
        model m {
          input [6] int
          parallel concat {
            branch { embedding 4 vocab=30 }
            branch { embedding 4 vocab=20 }
          }
          flatten
          dense 1 sigmoid
        }
        data {
          source   npz("d.npz", x=x, y=y)
          validate 10%
        }
        train {
          loss      binary_crossentropy
          optimizer adam
          lr        0.01
          epochs    1
        }
        """))
    assert main(["train", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error[E405]: the x of the training and validation splits holds id 25, but the `embedding` on line 5 " \
        "has vocab=20 (ids 0..19); raise it to 26 or more" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_train_without_out_writes_under_runs_and_scores_the_baseline_first(tmp_path: Path) -> None:
    """`ldnn train SPEC` writes runs/<model>-<time>/ in the current folder, and the linear
    baseline's line comes before the first epoch's (one stream, in the order written)."""
    spec = sort_spec(tmp_path, "epochs 1")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-m", "ldnn_dsl", "train", spec.name], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"sorter-\d{8}-\d{6}(-\d+)?", folder.name), folder.name
    assert (folder / "model.keras").is_file() and f"saved {Path('runs') / folder.name}" in run.stdout
    first_epoch = re.search(r"^\d+/\d+ ", run.stdout, re.MULTILINE)  # its progress line: `29/29 - 1s - ...`
    assert first_epoch is not None and run.stdout.index("linear baseline: val_accuracy") < first_epoch.start()


@pytest.mark.slow
def test_train_command_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.cli import main

    spec = sort_spec(tmp_path, "epochs 5")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "2"]) == 0
    err = capsys.readouterr().err
    assert "linear baseline: val_accuracy" in err and f"saved {out}" in err
    assert len(history_rows(out)) == 2
    assert re.search(r"\n  epochs +2\n", (out / "spec.ldnn").read_text())


@pytest.mark.slow
def test_train_on_jax_shows_no_tensorflow_start_up_lines(tmp_path: Path) -> None:
    """Keras' `set_random_seed` imports TensorFlow where it is installed, whatever the backend:
    under JAX that is its first import, and absl's start-up lines (oneDNN, CUDA) are hidden too."""
    pytest.importorskip("jax")
    spec = sort_spec(tmp_path, "epochs 1")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "jax"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-m", "ldnn_dsl", "train", str(spec), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr, done.stderr[:2000]
    assert f"saved {tmp_path / 'run'}" in done.stderr


def test_train_command_seed_overrides_the_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--seed N` reruns a spec from another seed without editing it; the run folder records N."""
    from ldnn_dsl.cli import main

    spec = sort_spec(tmp_path)  # `seed 1` in the spec
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "1", "--seed", "0", "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text())["seed"] == 0
    assert check_source(read(out / "spec.ldnn"), "train").spec.train.seed == 0
    for bad in ("-1", "two", str(2**32)):
        with pytest.raises(SystemExit) as exc:
            main(["train", str(spec), "--seed", bad])
        assert exc.value.code == 2
        assert "expected a seed, a whole number from 0 to 4294967295" in capsys.readouterr().err
    ensemble = sort_spec(tmp_path, "ensemble 2", name="ensemble.ldnn")
    assert main(["train", str(ensemble), "--out", str(tmp_path / "e"), "--seed", "4294967295"]) == 1
    assert "error[E404]: an ensemble of 2 trains with seeds 4294967295 to 4294967296" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_quiet_prints_the_run_folder_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      recwarn: pytest.WarningsRecorder) -> None:
    """A library's Python warning (Keras has several) is a message too: not shown (pytest records
    what would be shown)."""
    import warnings

    from ldnn_dsl.cli import main
    from ldnn_dsl.train import run

    fitting = run._train_members

    def warned(*args: object) -> object:
        warnings.warn("a library's remark", UserWarning, stacklevel=1)
        return fitting(*args)

    monkeypatch.setattr(run, "_train_members", warned)
    out = tmp_path / "run"
    capsys.readouterr()
    assert main(["train", str(sort_spec(tmp_path, "epochs 1")), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr() == (f"{out}\n", "")
    assert [str(w.message) for w in recwarn if "remark" in str(w.message)] == []


def test_epochs_from_the_command_line_are_checked_like_written_ones(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`--epochs 5` under `cosine(warmup=5)` would warm up for the whole run and never decay."""
    from ldnn_dsl.cli import main

    spec = sort_spec(tmp_path, "epochs 10\nschedule cosine(warmup=5)")
    assert main(["train", str(spec), "--out", str(tmp_path / "run"), "--epochs", "5"]) == 1
    err = capsys.readouterr().err
    assert "error[E404]: cosine warm-up of 5 epochs is not shorter than the 5 epochs of training" in err
    assert "= note: `--epochs 5` replaced the spec's setting" in err and not (tmp_path / "run").exists()


def test_the_command_line_settings_are_checked_and_linted_in_place_of_the_spec_s(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--epochs` and `--seed` replace the spec's settings before the checks across sections and
    the lints: `--epochs 3` makes a warm-up of 2 epochs valid, `--seed` answers W110, and a lint
    the replacement brings says so."""
    from ldnn_dsl.check.check import check_source
    from ldnn_dsl.source.text import read_spec

    spec = sort_spec(tmp_path, "epochs 2\nschedule cosine(warmup=2)\nensemble 2")
    spec.write_text(spec.read_text().replace("  seed 1\n  jit", "  jit"))  # the train section's seed only
    as_written = check_source(read_spec(str(spec)), "train")
    assert [d.code for d in as_written.errors] == ["E404"] and "W110" in [d.code for d in as_written.warnings]
    replaced = check_source(read_spec(str(spec)), "train", replaced={"epochs": 3, "seed": 4})
    assert replaced.errors == [] and "W110" not in [d.code for d in replaced.warnings]
    assert replaced.spec is not None and replaced.spec.train is not None
    assert (replaced.spec.train.epochs, replaced.spec.train.seed) == (3, 4)
    dropout = tmp_path / "dropout.ldnn"
    dropout.write_text(spec.read_text().replace("dense 32 relu", "dense 32 relu\n  dropout 0.5", 1))
    (w105,) = [d for d in check_source(read_spec(str(dropout)), "train", replaced={"epochs": 3}).warnings
               if d.code == "W105"]
    assert "with only 3 epochs" in w105.message and w105.notes[-1] == "`--epochs 3` replaced the spec's setting"


def test_a_drawn_seed_is_said_so_the_run_can_be_repeated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldnn_dsl.train.run import train

    spec = sort_spec(tmp_path)
    spec.write_text(spec.read_text().replace("  seed 1\n", ""))
    result = train(spec, out=tmp_path / "out", epochs=1)
    seed = result.metrics["seed"]
    assert f"seed {seed}, drawn: the spec sets none (`--seed {seed}` repeats this run)" in capsys.readouterr().err
    assert check_source(read(result.folder / "spec.ldnn"), "train").spec.train.seed == seed


def test_a_run_leaves_the_callers_random_draws_and_returns_its_own_warnings(tmp_path: Path) -> None:
    """A random search over runs draws on after each run as if none had come between (the run
    seeds the global generators for itself); the run's own warnings come back even when quiet."""
    import random

    from ldnn_dsl.train.run import train

    np.random.seed(3)
    random.seed(3)
    expected = (np.random.random(), random.random())
    np.random.seed(3)
    random.seed(3)
    spec = sort_spec(tmp_path, "lr 1e-6\nepochs 1")  # a net left at chance: not better than the linear baseline
    result = train(spec, out=tmp_path / "out", quiet=True)
    assert (np.random.random(), random.random()) == expected
    assert any(w.startswith("the trained net is not clearly better than the linear baseline") for w in
               result.run_warnings), result.run_warnings


@pytest.mark.parametrize("precision", ["float32", "mixed_float16"])
def test_saved_model_applies_log1p_to_raw_inputs(tmp_path: Path, precision: str) -> None:
    """log1p, applied to the data in float32 for training, is applied in float32 by the saved
    model too, whatever the net's precision."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1000, size=(200, 3)).round(3)
    x[:5, 0] = [-0.9, -0.75, -0.5, 0.0, 3.0]  # log1p near -1 must match training exactly
    y = np.log1p(x[:, 0]) + x[:, 1] / 1000
    with (tmp_path / "houses.csv").open("w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["area", "age", "rooms", "price"])
        rows.writerows([[*row, target] for row, target in zip(x, y, strict=True)])
    spec = tmp_path / "houses.ldnn"
    spec.write_text("model m {\n  input [3]\n  dense 8 relu\n  dense 1\n}\n"
                    'data {\n  source csv("houses.csv", target=price)\n  validate 10%\n'
                    "  preprocess log1p(columns=[0, 2])\n  preprocess standardize\n}\n"
                    "train {\n  loss mse\n  lr 0.01\n  epochs 1\n  batch 32\n  seed 3\n  jit false\n"
                    f"  precision {precision}\n}}\n")
    result = run_train(spec, tmp_path / "run")
    saved = keras.saving.load_model(result.folder / "model.keras")
    raw = x[:5].astype("float32")
    logged = raw.copy()
    logged[:, [0, 2]] = np.log1p(logged[:, [0, 2]])
    inner = saved.get_layer(index=-1)  # the trained network (with its Normalization), fed log1p'd inputs
    np.testing.assert_allclose(saved.predict(raw, verbose=0), inner.predict(logged, verbose=0), rtol=1e-5)
    assert saved.get_layer("log1p").columns == (0, 2)
    # it reloads compiled, as an unwrapped run's model does, with the trained optimizer's state
    assert saved.compiled and saved.loss == "mse" and int(saved.optimizer.iterations) > 0
    saved.fit(raw, y[:5], epochs=1, verbose=0)


def test_precision_setting_reaches_the_trained_layers(tmp_path: Path) -> None:
    result = run_train(sort_spec(tmp_path, "precision mixed_bfloat16\nepochs 1"), tmp_path / "run")
    saved = keras.saving.load_model(result.folder / "model.keras")

    def layers(model):
        for layer in model.layers:
            yield layer
            yield from layers(layer) if hasattr(layer, "layers") else ()

    dense = [layer for layer in layers(saved) if isinstance(layer, keras.layers.Dense)]
    assert dense and all(layer.dtype_policy.name == "mixed_bfloat16" for layer in dense)
    output = [layer for layer in layers(saved) if layer.name == "activation_1"]  # the net's last layer
    assert [layer.dtype_policy.name for layer in output] == ["float32"]
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the run


def test_a_run_leaves_the_callers_precision_policy_as_it_found_it(tmp_path: Path) -> None:
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        run_train(sort_spec(tmp_path, "epochs 1"), tmp_path / "run")
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_mixed_float16_standardizes_raw_inputs_past_float16s_range(tmp_path: Path) -> None:
    """Raw inputs of 1e5 are inf in float16: the standardizing layer computes in float32, and
    the net sees values near 0 (it trained to NaN, blamed on `lr`)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(1e5, 2e5, size=(128, 3)).astype("float32")
    np.savez(tmp_path / "big.npz", x=x, y=(x[:, :1] - 1.5e5) / 5e4)
    spec = write(tmp_path / "big.ldnn", "model m {\n  input [3]\n  dense 8 relu\n  dense 1\n}\n"
                 'data {\n  source npz("big.npz")\n  validate 25%\n  preprocess standardize\n}\n'
                 "train {\n  loss mse\n  lr 0.01\n  epochs 1\n  batch 32\n  seed 1\n  jit false\n"
                 "  precision mixed_float16\n}\n")
    result = run_train(spec, tmp_path / "run")
    assert np.isfinite(result.metrics["train"]["loss"]), result.metrics
    saved = keras.saving.load_model(result.folder / "model.keras")
    assert np.isfinite(saved.predict(x[:4], verbose=0)).all()


def test_mixed_float16_reloads_with_its_loss_scaling_and_optimizer_state(tmp_path: Path) -> None:
    """Keras wraps the optimizer of a float16 model in a `LossScaleOptimizer` at compile time,
    but only where the model's own policy says float16, which a reloaded model's does not: the
    run's optimizer is wrapped in the spec's name, so a reload scales its loss as training did,
    and keeps the optimizer's state (Keras warned that it skipped it)."""
    import warnings

    result = run_train(sort_spec(tmp_path, "precision mixed_float16\nepochs 1"), tmp_path / "run")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saved = keras.saving.load_model(result.folder / "model.keras")
    assert isinstance(saved.optimizer, keras.optimizers.LossScaleOptimizer)
    assert int(saved.optimizer.iterations) > 0


@pytest.mark.parametrize("seed", [2, 3])
def test_mixed_float16_skips_a_step_whose_embedding_gradient_overflows(tmp_path: Path, seed: int) -> None:
    """An embedding's gradient is sparse on TensorFlow, and Keras' loss scaling took its infinite
    rows for finite: the step was applied, and this net trained to NaN at its second step (E406).
    Now the step is skipped and the loss scale lowered, as for a dense gradient."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 5, (24, 3, 2)), y=rng.normal(size=(24, 1)).astype("float32"))
    spec = write(tmp_path / "s.ldnn", "model m {\n  input [3, 2] int\n  embedding 2 vocab=5\n  layernorm\n"
                 "  flatten\n  dense 1\n}\n"
                 'data {\n  source npz("d.npz")\n  validate 25%\n  seed 1\n}\n'
                 f"train {{\n  loss mse\n  lr 0.01\n  batch 4\n  epochs 1\n  seed {seed}\n"
                 "  precision mixed_float16\n}\n")
    result = run_train(spec, tmp_path / "run")
    assert np.isfinite(result.metrics["train"]["loss"]), result.metrics
    saved = keras.saving.load_model(result.folder / "model.keras")
    assert type(saved.optimizer).__name__ == "SparseAwareLossScaleOptimizer"
    assert float(saved.optimizer.dynamic_scale) < 2.0 ** 15  # lowered from Keras' initial scale: a step was skipped


# stopping early: --max-time and Ctrl-C -----------------------------------------------------
def test_durations_for_max_time() -> None:
    from ldnn_dsl.train.stopping import parse_duration

    assert [parse_duration(t) for t in ("90", "90s", "20m", "1.5h", "1e3")] == [90, 90, 1200, 5400, 1000]
    for bad in ("", "m", "0s", "-5m", "inf", "nan", "20 min", "2d"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_ctrl_c_once_asks_to_stop_twice_aborts_and_python_gets_it_back() -> None:
    import signal
    from types import SimpleNamespace

    from ldnn_dsl.train.stopping import INTERRUPTED, StopRequest

    before, said = signal.getsignal(signal.SIGINT), []
    model, stop = SimpleNamespace(stop_training=False), StopRequest()
    with pytest.raises(RuntimeError), stop.on_ctrl_c(model, said.append):
        signal.raise_signal(signal.SIGINT)
        assert model.stop_training and stop.reason == INTERRUPTED and stop.due()
        assert said == ["ldnn: stopping after this step; the run will be validated and saved "
                        "(Ctrl-C again to abort without saving)"]
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        raise RuntimeError("fit failed")  # Keras calls no callback then; the handler is restored all the same
    assert signal.getsignal(signal.SIGINT) is before
    said.clear()
    with stop.on_ctrl_c(SimpleNamespace(stop_training=False, steps_per_execution=8), said.append):
        signal.raise_signal(signal.SIGINT)
    assert said == ["ldnn: stopping after the steps under way (at most 8); the run will be validated and saved "
                    "(Ctrl-C again to abort without saving)"]


def test_training_in_a_worker_thread_leaves_ctrl_c_alone() -> None:
    """Only the main thread may install signal handlers; a run in another thread trains on."""
    import signal
    from types import SimpleNamespace

    from ldnn_dsl.train.stopping import StopRequest

    before, seen = handler_seen_in_a_worker_thread(
        lambda: StopRequest().on_ctrl_c(SimpleNamespace(stop_training=False), print), signal.SIGINT)
    assert seen == before


def test_a_stop_in_the_last_step_of_the_last_epoch_stops_nothing(tmp_path: Path) -> None:
    """One epoch of one step: the budget is spent before that step, which still runs, and then
    every epoch has run; the run ended by its epochs, not by the budget."""
    spec = sort_spec(tmp_path, "epochs 1\nbatch 2048")
    result = run_train(spec, tmp_path / "out", max_time=1e-3)
    assert result.metrics["stopped"] == "epochs" and result.metrics["members"][0]["stopped"] == "epochs"
    assert [r["steps"] for r in history_rows(result.folder)] == ["1"]


def test_max_time_stops_training_and_still_saves_the_run(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A spent time budget ends training after the call in progress (here 4 steps); the run is
    validated, scored and saved like one that ran all its epochs, and says why it ended."""
    from ldnn_dsl.cli import main

    spec = sort_spec(tmp_path, "epochs 50\nsteps_per_execution 4")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--max-time", "0.001s"]) == 0
    out_text, err = capsys.readouterr()
    assert "training ended in epoch 1 of 50, after 4 of its 25 steps: its time budget (--max-time 0.001s) was spent" \
        in err  # 1600 training samples in batches of 64
    assert "4/4 - " in out_text and "25/25" not in out_text  # the progress line counts the steps that ran
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stopped"] == "max_time" and metrics["epochs"] == 1
    assert metrics["members"][0]["stopped"] == "max_time"
    assert metrics["samples_per_s"] * metrics["fit_time_s"] == pytest.approx(4 * 64)  # 4 steps of batch 64
    assert [r["steps"] for r in history_rows(out)] == ["4"] and "accuracy" in metrics["validation"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["model.keras", "spec.ldnn", "history.csv", "metrics.json", "curves.png"])
    for bad in ("soon", "0", "-1m"):
        with pytest.raises(SystemExit) as exc:
            main(["train", str(spec), f"--max-time={bad}"])
        assert exc.value.code == 2
        assert "expected a time such as 90s, 20m or 1.5h" in capsys.readouterr().err
    for bad in ("0", "1.5", "2147483648"):  # the last: past a spec's `epochs`, so the resolved spec would not check
        with pytest.raises(SystemExit) as exc:
            main(["train", str(spec), f"--epochs={bad}"])
        assert exc.value.code == 2
        assert "expected a positive int up to 2,147,483,647" in capsys.readouterr().err


def test_members_skipped_by_the_budget_make_it_why_the_run_ended(tmp_path: Path) -> None:
    """The first member runs its one step and all its epochs; the budget, spent by then, skips
    the other two: the run ended by the budget, though its one member ended by its epochs."""
    spec = sort_spec(tmp_path, "ensemble 3\nepochs 1\nbatch 2048")
    result = run_train(spec, tmp_path / "out", max_time=1e-3)
    assert [(m["seed"], m["stopped"]) for m in result.metrics["members"]] == [(1, "epochs")]
    assert result.metrics["stopped"] == "max_time"


def test_the_time_budget_counts_from_the_command_not_from_the_end_of_keras_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--max-time` is the time since the command started: loading Keras (here made to take
    a second) is part of it, so a half-second budget is spent before the first step."""
    from ldnn_dsl.cli import main
    from ldnn_dsl.commands import train_cmd

    load_keras = train_cmd.load_keras
    monkeypatch.setattr(train_cmd, "load_keras", lambda: (time.sleep(1.0), load_keras()))
    spec, out = sort_spec(tmp_path, "epochs 50\nsteps_per_execution 1"), tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--max-time", "0.5s", "--quiet"]) == 0
    assert [r["steps"] for r in history_rows(out)] == ["1"]


def test_a_spent_time_budget_skips_the_ensembles_later_members(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import ldnn_dsl  # noqa: F401 - registers ldnn's Keras objects for loading
    from ldnn_dsl.train.run import train

    result = train(sort_spec(tmp_path, "ensemble 3\nepochs 20"), out=tmp_path / "out", max_time=1e-3)
    assert [(m["seed"], m["stopped"]) for m in result.metrics["members"]] == [(1, "max_time")]
    assert ("ensemble: 1 of 3 members trained; its time budget (--max-time 0.001s) was spent, so the saved model "
            "averages those") in capsys.readouterr().err
    model = keras.saving.load_model(result.folder / "model.keras")
    x = np.random.default_rng(0).integers(0, 2, (20, 9)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), model.get_layer("member_1").predict(x, verbose=0),
                               rtol=1e-6)


def test_schedules_say_why_they_ended_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plateau's min_lr and early stopping each name themselves; restore_best names the epoch it kept."""
    from ldnn_dsl.train.run import train

    plateau = train(sort_spec(tmp_path, "epochs 9\nschedule plateau(factor=0.01, patience=0, min_lr=1e-7)\nlr 1e-6",
                              name="plateau.ldnn"), out=tmp_path / "p")
    assert plateau.metrics["stopped"] == "min_lr"
    assert "the plateau schedule took the lr below min_lr 1e-07" in capsys.readouterr().err
    early = train(sort_spec(tmp_path, "epochs 9\nlr 1e-9\nearly_stop patience=1 restore_best", name="early.ldnn"),
                  out=tmp_path / "e")
    err = capsys.readouterr().err
    assert early.metrics["stopped"] == "early_stop" and early.metrics["epochs"] < 9
    assert "val_loss has not improved for 1 epoch (`early_stop`)" in err


def test_a_plateau_without_a_validation_set_watches_the_training_loss(tmp_path: Path) -> None:
    """LANGUAGE.md makes this a warning (W114), so it must train: the plateau watches `loss`.
    With lr 1e-6 the training loss stays flat, the lr is divided, and min_lr ends the run;
    watching the missing val_loss, Keras would warn each epoch and never lower the lr."""
    data = SORT_DATA.replace("  validate   10%\n", "").replace("  test       10%\n", "")
    path = sort_spec(tmp_path, "epochs 9\nschedule plateau(factor=0.01, patience=0, min_lr=1e-9)\nlr 1e-6",
                     data=data)
    result = run_train(path, tmp_path / "run")
    assert "W114" in [w.code for w in result.warnings]  # with W104 for the tiny lr
    assert result.metrics["stopped"] == "min_lr" and result.metrics["epochs"] < 9
    lrs = [float(row["lr"]) for row in history_rows(result.folder)]
    assert lrs[0] == pytest.approx(1e-6, rel=1e-6) and min(lrs) == pytest.approx(1e-8, rel=1e-6)


def test_a_preprocess_step_that_fails_is_marked_on_its_own_line(tmp_path: Path) -> None:
    """`preprocess` set over two lines: log1p's error was marked at the later `standardize` line."""
    x = np.random.default_rng(0).random((200, 3)).astype("float32")
    x[:, 2] -= 5
    np.savez(tmp_path / "p.npz", x=x, y=x.sum(axis=1))
    path = write(tmp_path / "l.ldnn", "model m {\n  input [3]\n  dense 1\n}\n"
                 "data {\n  source npz(\"p.npz\", x=x, y=y)\n  preprocess log1p(columns=[2])\n  validate 10%\n"
                 "  preprocess standardize\n}\ntrain {\n  loss mse\n  epochs 1\n}\n")
    with pytest.raises(DiagnosticError) as caught:
        run_train(path, tmp_path / "run")
    [diag] = caught.value.diagnostics
    assert "log1p needs values above -1" in diag.message and diag.span is not None and diag.span.line == 7


def _train_in_a_child(tmp_path: Path, samples: int) -> tuple[Any, Path, Path]:
    """`ldnn train` of a sort spec with `samples` samples in a child, past its first epoch."""
    data = SORT_DATA.replace("samples=2000", f"samples={samples}").replace("test       10%\n", "")
    spec = sort_spec(tmp_path, "epochs 1000", data=data)
    out, err = tmp_path / "run", tmp_path / "stderr.txt"
    return train_in_a_child(spec, out, err), out, err


@pytest.mark.slow
def test_ctrl_c_stops_training_and_saves_the_run(tmp_path: Path) -> None:
    """Caffe's default: the first Ctrl-C ends training after the current step (here the current
    call: `steps_per_execution auto` runs 32 steps of this tiny net per call); the run is saved whole."""
    import signal

    child, out, err = _train_in_a_child(tmp_path, samples=4000)
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=120)
    text = err.read_text()
    assert child.returncode == 0, text[-2000:]
    assert "stopping after the steps under way (at most 32); the run will be validated and saved" in text
    assert "training ended in epoch" in text and ": interrupted (Ctrl-C)" in text and "Traceback" not in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stopped"] == "interrupted" and 1 <= metrics["epochs"] < 1000
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["model.keras", "spec.ldnn", "history.csv", "metrics.json", "curves.png"])


@pytest.mark.slow
def test_a_second_ctrl_c_aborts_and_saves_nothing(tmp_path: Path) -> None:
    """The second Ctrl-C lands while the stopped run is still validating and scoring (a large
    validation split keeps it busy for seconds): E406, and no folder, partial or whole."""
    import signal
    import time

    child, out, err = _train_in_a_child(tmp_path, samples=300000)
    child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60
    while "ldnn: stopping after" not in err.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=120)
    text = err.read_text()
    assert child.returncode == 1, text[-2000:]
    assert "error[E406]: training interrupted; nothing was saved" in text and "Traceback" not in text
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]


def _masked(signal_error: BaseException) -> None:
    """What TF's device scope does when a signal lands inside it: its exit raises its own error,
    with the signal's exception only as that error's context."""
    try:
        raise signal_error
    finally:
        raise RuntimeError("Exiting device scope without proper scope nesting")


def test_a_ctrl_c_masked_by_a_library_error_still_reads_as_interrupted() -> None:
    """Seen in CI: the second Ctrl-C landed inside TF's device scope, whose exit raised a
    RuntimeError; the run then said "training failed: RuntimeError" instead of "interrupted"."""
    from ldnn_dsl.train.failures import failures_as_diagnostics

    with pytest.raises(DiagnosticError) as info, failures_as_diagnostics({}):
        _masked(KeyboardInterrupt())
    assert [d.message for d in info.value.diagnostics] == ["training interrupted; nothing was saved"]


def test_a_sigterm_masked_by_a_library_error_still_terminates() -> None:
    from ldnn_dsl.train.failures import failures_as_diagnostics
    from ldnn_dsl.train.stopping import Terminated

    with pytest.raises(Terminated), failures_as_diagnostics({}):
        _masked(Terminated())


def test_a_swallowed_second_ctrl_c_or_sigterm_is_raised_again_before_saving() -> None:
    """Seen in CI: TensorFlow swallowed the exception a signal handler raised inside a tf.data
    read, `fit` ended as if the data ran out, and the run was saved. The run asks again before saving."""
    import contextlib
    import signal

    from ldnn_dsl.train.stopping import (
        StopRequest,
        Terminated,
        forget_signals,
        raise_swallowed_signal,
        sigterm_raises,
    )

    class Model:
        stop_training = False

    forget_signals()
    raise_swallowed_signal()  # nothing pending: no exception
    with StopRequest().on_ctrl_c(Model(), lambda line: None):
        signal.raise_signal(signal.SIGINT)  # the first press asks to stop
        with contextlib.suppress(KeyboardInterrupt):  # the second aborts: its exception is swallowed here
            signal.raise_signal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        raise_swallowed_signal()
    forget_signals()
    with sigterm_raises(), contextlib.suppress(Terminated):  # swallowed, as TensorFlow did
        signal.raise_signal(signal.SIGTERM)
    with pytest.raises(Terminated):
        raise_swallowed_signal()
    forget_signals()


def test_a_swallowed_ctrl_c_after_fit_is_raised_again_before_saving() -> None:
    """Once `fit` is over (the final evaluation, the baseline, saving), Ctrl-C aborts at once, and is
    remembered as the second press during `fit` is: TensorFlow may swallow it in an evaluation too."""
    import contextlib
    import signal

    from ldnn_dsl.train.stopping import StopRequest, ctrl_c_aborts, forget_signals, raise_swallowed_signal

    class Model:
        stop_training = False

    forget_signals()
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_aborts():
        with StopRequest().on_ctrl_c(Model(), lambda line: None):
            pass  # fit, uninterrupted
        with contextlib.suppress(KeyboardInterrupt):  # swallowed, as in an evaluation
            signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            raise_swallowed_signal()
    assert signal.getsignal(signal.SIGINT) is before
    forget_signals()


@pytest.mark.parametrize("ctrl_c", CTRL_C_LOST_OR_MASKED)
def test_a_ctrl_c_before_training_aborts_the_command_even_when_lost_or_masked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        ctrl_c: Callable[[], None]) -> None:
    """Seen by hand: one pressed in the first seconds was lost (the whole run trained and was saved), or
    ended in a traceback. Now it aborts before any training, with E406 and no traceback."""
    from ldnn_dsl.cli import main
    from ldnn_dsl.train import run

    def no_training(*args: object) -> object:
        raise AssertionError("trained after the Ctrl-C")

    monkeypatch.setattr(run, "check_spec", then(run.check_spec, ctrl_c))
    monkeypatch.setattr(run, "_train_members", no_training)
    out = tmp_path / "run"
    capsys.readouterr()
    assert main(["train", str(sort_spec(tmp_path)), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error[E406]: training interrupted; nothing was saved" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["tiny.ldnn"]


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_metrics_that_compare_values_take_a_target_of_one_value_per_sample(tmp_path: Path, loss: str) -> None:
    """y of shape (n,) against one output unit: Keras' losses expand it, but its metrics did not,
    and `metrics [binary_crossentropy]` failed at the first step (E406 with Keras' rank error)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] + x[:, 1] > 0).astype("int64"))
    spec = write(tmp_path / "s.ldnn", "model m {\n  input [4]\n  dense 1 sigmoid\n}\n"
                 'data {\n  source npz("d.npz")\n  validate 25%\n}\n'
                 f"train {{\n  loss {loss}\n  epochs 1\n  batch 16\n  seed 1\n"
                 "  metrics [binary_crossentropy, mse, binary_accuracy]\n}\n")
    result = run_train(spec, tmp_path / "run")
    scores = result.metrics["validation"]
    assert {"binary_crossentropy", "mse", "binary_accuracy"} <= scores.keys()
    assert 0 <= scores["mse"] <= 1 and 0 <= scores["binary_accuracy"] <= 1
