"""Training one network of the run (an ensemble trains several), and putting them together.

The trained model is Input → Normalization (with `standardize`) → network, so the saved
model applies the training split's statistics itself and takes raw inputs at inference.
An ensemble's saved model averages its members' outputs (`keras.layers.Average`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ldnn_dsl.build.backend import seed_everything
from ldnn_dsl.check.spec import Spec, WrapperNames
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.data.dataset import Splits
from ldnn_dsl.train.augment import augment_layers, augmented_batches
from ldnn_dsl.train.clock import elapsed_logger
from ldnn_dsl.train.feed import evaluation_batches, training_batches, validation_data
from ldnn_dsl.train.monitor import update_ratio_monitor
from ldnn_dsl.train.optimizers import make_optimizer
from ldnn_dsl.train.progress import progress_bar, progress_style
from ldnn_dsl.train.schedules import lr_logger, restored_epoch, schedule_callbacks, schedule_ending
from ldnn_dsl.train.stopping import StopRequest

SPLIT_NAMES = {"training": "train", "validation": "validation", "test": "test"}


@dataclass(frozen=True)
class Plan:
    """Everything the members share: resolved settings and the data."""

    spec: Spec
    splits: Splits
    epochs: int
    batch: int
    seed: int
    jit: bool
    quiet: bool = False
    steps_per_execution: int = 1


@dataclass
class Member:
    model: Any
    seed: int
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    fit_seconds: float = 0.0
    samples: int = 0
    stopped: str = "epochs"  # why training ended: epochs, early_stop, min_lr, interrupted or max_time


WATCHED_LOSSES = {"loss": "training", "val_loss": "validation"}  # a history key -> its split


class NonFiniteLossError(Exception):
    """The training or validation loss became NaN or infinite; `epoch` counts from 1. Either
    way the saved model would predict NaN (or overflow) on such inputs."""

    def __init__(self, epoch: int, split: str = "training") -> None:
        super().__init__(f"the {split} loss became NaN or infinite in epoch {epoch}")
        self.epoch, self.split = epoch, split


def input_array(x: np.ndarray, dtype: str) -> np.ndarray:
    """Float inputs as float32 (what the model computes in); ids as int32."""
    return x.astype(dtype, copy=False)


def network_with_preprocessing(plan: Plan, name: str) -> Any:
    """Input → (Normalization) → the spec's network; a plain network when nothing wraps it."""
    import keras

    from ldnn_dsl.build.model import build_model

    network = build_model(plan.spec, xla=plan.jit)
    splits, graph = plan.splits, plan.spec.model
    if splits.norm_mean is None and name == graph.name:
        return network
    inputs = raw_input(plan, WrapperNames.INPUT)
    x = inputs
    if splits.norm_mean is not None:
        x = keras.layers.Normalization(axis=-1, mean=splits.norm_mean, variance=splits.norm_var,  # in float32:
                                       name=WrapperNames.STANDARDIZE, dtype="float32")(x)  # raw x may pass 65504
    return keras.Model(inputs, network(x), name=name)


def raw_input(plan: Plan, name: str) -> Any:
    """The spec's input as a Keras tensor, for the layers wrapped around the network."""
    return plan.spec.model.input.layer.tensor(name)  # type: ignore[union-attr]


def compile_options(train: TrainSection | None, jit: bool, steps_per_execution: int = 1) -> dict[str, Any]:
    """`model.compile` arguments: the optimizer, the loss by Keras name (a batch mean), metrics,
    XLA, and the steps run per call."""
    assert train is not None
    return {"optimizer": make_optimizer(train), "loss": train.loss, "metrics": list(train.metrics),
            "jit_compile": jit, "steps_per_execution": steps_per_execution}


def compile_model(model: Any, plan: Plan, trained: Any = None) -> None:
    """`trained`: the optimizer that trained the weights of a model this one wraps, whose state
    (step count, momenta) the model takes over, so that it goes on training where that one
    stopped. A copy, not the same optimizer: Keras saves an optimizer once, under the first
    model that holds it, and the wrapper's would reload empty."""
    model.compile(**compile_options(plan.spec.train, plan.jit, plan.steps_per_execution))
    if trained is not None and trained.built:
        model.optimizer.build(model.trainable_variables)
        for mine, theirs in zip(model.optimizer.variables, trained.variables, strict=True):
            mine.assign(theirs)


def train_member(plan: Plan, index: int, say: Callable[[str], None], stop: StopRequest) -> Member:
    """Seed, build, compile and fit member `index` (0-based); evaluate it on every split.
    `stop` ends training early when it comes due (Ctrl-C, `--max-time`)."""
    train, dtype = plan.spec.train, _input_dtype(plan)
    assert train is not None
    seed = plan.seed + index
    seed_everything(seed)
    ensemble = train.ensemble > 1
    model = network_with_preprocessing(plan, f"member_{index + 1}" if ensemble else plan.spec.model.name)
    compile_model(model, plan)
    if ensemble:
        say(f"member {index + 1}/{train.ensemble} (seed {seed})")
    member = Member(model, seed)
    steps = StepCounter()
    callbacks = [*_callbacks(plan, say), steps, stop.callback(), progress_bar()]
    started = time.perf_counter()
    with stop.on_ctrl_c(model, say):
        history = model.fit(**_fit_inputs(plan, dtype, seed), epochs=plan.epochs, callbacks=callbacks,
                            verbose=0 if plan.quiet else progress_style())
    member.fit_seconds = time.perf_counter() - started
    member.history = _rows(history, index + 1 if ensemble else None)
    _check_finite(member.history)
    per_epoch = math.ceil(len(plan.splits.x_train) / plan.batch)
    _count_steps(member.history, steps.steps, per_epoch)
    member.samples = samples_seen(steps.steps, len(plan.splits.x_train), plan.batch)
    member.stopped = _say_ending(callbacks, stop, member.history, plan.epochs, per_epoch, say)
    member.metrics = evaluate(model, plan)
    return member


def StepCounter() -> Any:  # noqa: N802 - builds a Keras callback class lazily
    """Counts the training steps `fit` ran (an interrupted epoch is cut short). A batch-begin
    hook: Keras keeps dispatching batch-end hooks asynchronously only when none are defined.
    With `steps_per_execution` N, Keras calls it once per call of N steps (`steps_in_call`)."""
    import keras

    from ldnn_dsl.tune.throughput import steps_in_call

    class _Steps(keras.callbacks.Callback):
        steps = 0

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            self.steps += steps_in_call(self, batch)

    return _Steps()


def samples_seen(steps: int, samples: int, batch: int) -> int:
    """Training samples in `steps` steps of `batch` over epochs of `samples` (the last batch of
    each epoch is the remainder)."""
    per_epoch = math.ceil(samples / batch)
    epochs, rest = divmod(steps, per_epoch)
    return epochs * samples + min(rest * batch, samples)


def _count_steps(rows: list[dict[str, Any]], steps: int, per_epoch: int) -> None:
    """The `steps` column: every epoch but the last ran all `per_epoch` steps; the last ran the
    rest, fewer when a Ctrl-C or `--max-time` cut it short (its loss and metrics cover only those)."""
    for row in rows:
        row["steps"] = per_epoch
    if rows:
        rows[-1]["steps"] = steps - per_epoch * (len(rows) - 1)


def _say_ending(callbacks: list[Any], stop: StopRequest, rows: list[dict[str, Any]], epochs: int, per_epoch: int,
                say: Callable[[str], None]) -> str:
    """Why fit ended (a Member.stopped value), said in one line unless it ran every epoch;
    the line also says when the last epoch was cut short, and names the epoch whose weights
    `restore_best` put back."""
    scheduled = schedule_ending(callbacks)
    ran = len(rows)
    last = rows[-1]["steps"] if rows else per_epoch
    finished = ran == epochs and last == per_epoch  # a stop asked for in the very last step changed nothing
    reason, why = ((stop.reason, stop.describe()) if stop.reason is not None and not finished
                   else scheduled if scheduled is not None else ("epochs", ""))
    cut = f", after {last} of its {per_epoch} steps" if last < per_epoch else ""
    restored = restored_epoch(callbacks)
    kept = f"; kept the weights of epoch {restored}, the best val_loss" if restored not in (None, ran) else ""
    if why or kept:
        say(f"training ended in epoch {ran} of {epochs}{cut}" + (f": {why}" if why else "") + kept)
    return reason


def _input_dtype(plan: Plan) -> str:
    return plan.spec.model.input.layer.dtype  # type: ignore[union-attr]


def _fit_inputs(plan: Plan, dtype: str, seed: int) -> dict[str, Any]:
    """`fit` arguments: the bounded pipeline of `feed` (arrays on JAX and torch), or a PyDataset
    of augmented batches; validation data when there is some."""
    splits, data = plan.splits, plan.spec.data
    assert data is not None
    x = input_array(splits.x_train, dtype)
    x_val = None if splits.x_val is None else input_array(splits.x_val, dtype)
    val = validation_data(x_val, splits.y_val, plan.batch)
    if not data.augment:
        return {**training_batches(x, splits.y_train, plan.batch, seed, data.shuffle), "validation_data": val}
    shape = tuple(plan.spec.model.input.layer.shape)  # type: ignore[union-attr]
    layers = augment_layers(data.augment, shape, seed)
    batches = augmented_batches(x, splits.y_train, plan.batch, layers, seed, data.shuffle)
    return {"x": batches, "validation_data": val}


def _callbacks(plan: Plan, say: Callable[[str], None]) -> list[Any]:
    train = plan.spec.train
    assert train is not None
    # the monitor first: it reads the weights the epoch's last step left, before any callback touches them
    out = [update_ratio_monitor(say)] if "update_ratio" in train.monitor else []
    out += [StopOnNonFiniteLoss(), *schedule_callbacks(train, plan.epochs, plan.splits.x_val is not None)]
    return [*out, lr_logger(), elapsed_logger()]  # after the schedule: the lr it set at the epoch's start


def StopOnNonFiniteLoss() -> Any:  # noqa: N802 - builds a Keras callback class lazily
    """Stop at the end of an epoch whose training or validation loss is NaN or infinite.

    Keras' `TerminateOnNaN` checks every batch, which makes Keras fetch the logs after each
    step and so turns off its asynchronous dispatch; a diverged run costs one epoch at most
    here, and the check below reports it."""
    import keras

    class _Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if _non_finite(logs or {}):
                self.model.stop_training = True

    return _Stop()


def _rows(history: Any, member: int | None) -> list[dict[str, Any]]:
    rows = []
    for i, epoch in enumerate(history.epoch):
        row: dict[str, Any] = {"member": member} if member is not None else {}
        row["epoch"] = epoch + 1
        row.update({k: float(v[i]) for k, v in history.history.items() if i < len(v)})
        rows.append(row)
    return rows


def _non_finite(logs: dict[str, Any]) -> str | None:
    """The split whose loss in `logs` is NaN or infinite, if one is."""
    return next((split for key, split in WATCHED_LOSSES.items() if not math.isfinite(float(logs.get(key, 0.0)))),
                None)


def _check_finite(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if (split := _non_finite(row)) is not None:
            raise NonFiniteLossError(row["epoch"], split)


def evaluate(model: Any, plan: Plan) -> dict[str, dict[str, float]]:
    """Loss and metrics of the final weights on each split that exists."""
    dtype = _input_dtype(plan)
    out = {}
    for name, x, y in plan.splits.named():
        scores = model.evaluate(**evaluation_batches(input_array(x, dtype), y, plan.batch), verbose=0,
                                return_dict=True)
        out[SPLIT_NAMES[name]] = {k: float(v) for k, v in scores.items()}
    return out


def average(members: list[Member], plan: Plan) -> Any:
    """One model whose output is the mean of the members' outputs."""
    import keras

    inputs = raw_input(plan, WrapperNames.INPUT)
    mean = keras.layers.Average(name=WrapperNames.ENSEMBLE_MEAN, dtype="float32")  # as the members' outputs
    outputs = mean([m.model(inputs) for m in members])
    model = keras.Model(inputs, outputs, name=plan.spec.model.name)
    compile_model(model, plan)
    return model
