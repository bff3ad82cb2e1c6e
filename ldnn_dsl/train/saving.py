"""A finished run written out: the model as it will be used, the resolved spec, history, metrics and curves."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ldnn_dsl.check.check import CheckResult
from ldnn_dsl.check.spec import WrapperNames
from ldnn_dsl.data.baseline import beats_baseline, net_score
from ldnn_dsl.source.diagnostics import Diagnostic
from ldnn_dsl.train.feed import prediction_batches
from ldnn_dsl.train.folder import write_curves, write_history, write_metrics
from ldnn_dsl.train.members import Member, Plan, average, compile_model, evaluate, raw_input
from ldnn_dsl.train.resolved import resolved_text


@dataclass
class RunResult:
    """What a finished run left behind: its folder, the numbers in `metrics.json`, the history."""

    folder: Path
    metrics: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)  # the checker's, on the spec
    run_warnings: list[str] = field(default_factory=list)  # the run's own: update ratios, the linear baseline


def save_run(plan: Plan, members: list[Member], stopped: str, temp: Path, folder: Path, checked: CheckResult,
          started: float, base: tuple[str, float], say: Callable[[str], None]) -> RunResult:
    assert plan.spec.train is not None
    ensemble = plan.spec.train.ensemble > 1
    model = average(members, plan) if ensemble else members[0].model
    scores = evaluate(model, plan) if ensemble else members[0].metrics
    metric = _headline(plan)
    if ensemble:
        for i, m in enumerate(members, 1):
            say(f"member {i}: {_score_line(m.metrics, metric)}")
        say(f"ensemble of {len(members)}: {_score_line(scores, metric)}")
        model.optimizer.build(model.trainable_variables)  # saved with its slots, so it reloads without warnings
    with_raw_inputs(model, plan).save(temp / "model.keras")
    (temp / "spec.ldnn").write_text(resolved_text(plan.spec, batch=plan.batch, epochs=plan.epochs, seed=plan.seed,
                                                  jit=plan.jit, steps_per_execution=plan.steps_per_execution,
                                                  folder=folder))
    history = [row for m in members for row in m.history]
    write_history(temp / "history.csv", history)
    metrics = _metrics(plan, members, stopped, scores, checked, started,
                       _against_baseline(plan, model, base, output_classes(checked), say))
    write_metrics(temp / "metrics.json", metrics)
    write_curves(temp / "curves.png", history, metric)
    return RunResult(folder, metrics, history)


def output_classes(checked: CheckResult) -> int | None:
    """The model's class count for the baseline: its output's last axis."""
    output = checked.inference.output if checked.inference else None
    return output[-1] if output else None


def _against_baseline(plan: Plan, model: Any, base: tuple[str, float], classes: int | None,
                      say: Callable[[str], None]) -> dict[str, Any]:
    """The trained net scored the way the linear baseline was, on the same rows; a warning
    when it is no better: a run that ended at chance should not pass for a trained net."""
    assert plan.spec.train is not None
    metric, value = base
    net = net_score(plan.splits, plan.spec.train.loss,
                    lambda x: model.predict(**prediction_batches(x, plan.batch), verbose=0), classes)
    beaten = beats_baseline(plan.splits, metric, value, net)
    if not beaten:
        why = "no lower" if metric.endswith("mse") else "not higher by more than three standard errors on these rows"
        say(f"ldnn: warning: the trained net is not clearly better than the linear baseline ({metric} {net:.4g} "
            f"against {value:.4g}: {why}): it has not learned yet, or a linear model suffices for this task. Nets "
            "can sit at chance for many epochs on hard tasks (parity) before they learn, and early stopping or the "
            "lr schedule may end the run first: try another `seed`, or a longer `early_stop patience`")
    return {"metric": metric, "value": value, "net": net, "beaten": beaten}


def with_raw_inputs(model: Any, plan: Plan) -> Any:
    """The model to save: `log1p` is applied to the data before training, so the saved model
    applies it itself (a registered `Log1p` layer) and takes raw inputs at inference. It is
    compiled as the model it wraps, so it reloads ready to train on."""
    columns = plan.splits.log1p_columns
    if columns is None:
        return model
    import keras

    from ldnn_dsl.build.custom import Log1p

    inputs = raw_input(plan, WrapperNames.LOG1P_INPUT)
    logged = Log1p(columns, name=WrapperNames.LOG1P, dtype="float32")(inputs)  # as the data were for training
    wrapped = keras.Model(inputs, model(logged), name=model.name)
    compile_model(wrapped, plan, model.optimizer)
    return wrapped


def _headline(plan: Plan) -> str | None:
    assert plan.spec.train is not None
    return plan.spec.train.metrics[0] if plan.spec.train.metrics else None


def _score_line(scores: dict[str, dict[str, float]], metric: str | None) -> str:
    split = "validation" if "validation" in scores else "test" if "test" in scores else "train"
    key = metric if metric and metric in scores[split] else "loss"
    prefix = {"validation": "val_", "test": "test_", "train": ""}[split]
    return f"{prefix}{key} {scores[split][key]:.4g}"


def _metrics(plan: Plan, members: list[Member], stopped: str, scores: dict[str, dict[str, float]],
             checked: CheckResult, started: float, against_baseline: dict[str, Any]) -> dict[str, Any]:
    fit_seconds = sum(m.fit_seconds for m in members)
    assert plan.spec.train is not None
    return {
        "model": plan.spec.model.name,
        "spec": plan.spec.path,
        "train": scores.get("train"),
        "validation": scores.get("validation"),
        "test": scores.get("test"),
        "members": [{"seed": m.seed, "epochs": len(m.history), "stopped": m.stopped, **m.metrics} for m in members],
        "epochs": max(len(m.history) for m in members),
        "stopped": stopped,
        "batch": plan.batch,
        "seed": plan.seed,
        "wall_time_s": time.perf_counter() - started,
        "fit_time_s": fit_seconds,
        "samples_per_s": sum(m.samples for m in members) / fit_seconds if fit_seconds > 0 else None,
        "params": checked.inference.total_params if checked.inference else None,
        "saved_params": int(members[0].model.count_params()) * len(members),
        "xla": bool(getattr(members[0].model, "jit_compile", plan.jit)),
        "jit": plan.spec.train.jit,
        "steps_per_execution": plan.steps_per_execution,
        "precision": plan.spec.train.precision,
        "baseline": against_baseline,
    }
