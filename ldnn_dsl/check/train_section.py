"""The `train` section: the loss, the optimizer and its schedule, stopping, and how the steps run."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ldnn_dsl.check.choices import Choice
from ldnn_dsl.check.losses import unspecified_crossentropy_help
from ldnn_dsl.check.section import Fraction, NonNegative, Section, Seed, choices, listed
from ldnn_dsl.layers.base import Flag, Float32, Positive, PositiveWhole, Whole
from ldnn_dsl.layers.refusals import refusal
from ldnn_dsl.layers.values import Several
from ldnn_dsl.source.diagnostics import did_you_mean


class OptimizerChoice(Choice):
    # Keras' and PyTorch's optimizers take the learning rate first: `sgd(0.01)` means it
    unnamed_first: ClassVar = "the learning rate is a setting of its own in `train`: `lr {}` on its own line"


class Sgd(OptimizerChoice):
    name: Literal["sgd"]
    momentum: Annotated[Float32, Field(ge=0, lt=1)] = 0.0
    nesterov: Flag = False


class Adam(OptimizerChoice):
    name: Literal["adam"]
    beta_1: Fraction = 0.9
    beta_2: Fraction = 0.999
    epsilon: Positive = 1e-7


class AdamW(OptimizerChoice):
    name: Literal["adamw"]
    beta_1: Fraction = 0.9
    beta_2: Fraction = 0.999
    epsilon: Positive = 1e-7


class RmsProp(OptimizerChoice):
    name: Literal["rmsprop"]
    rho: Fraction = 0.9
    momentum: Annotated[Float32, Field(ge=0, lt=1)] = 0.0
    epsilon: Positive = 1e-7


class Adagrad(OptimizerChoice):
    name: Literal["adagrad"]
    epsilon: Positive = 1e-7


Optimizer = choices(Sgd | Adam | AdamW | RmsProp | Adagrad)


class Plateau(Choice):
    """Divide the lr by 1/factor when validation loss stalls for `patience` epochs; stop below min_lr."""

    name: Literal["plateau"]
    factor: Fraction = 0.5
    patience: Annotated[Whole, Field(ge=0)] = 3
    min_lr: Positive = 1e-5


class Step(Choice):
    name: Literal["step"]
    every: PositiveWhole = 30
    factor: Fraction = 0.1


class Cosine(Choice):
    """Linear warm-up for `warmup` epochs, then cosine decay to 0 at the last epoch."""

    name: Literal["cosine"]
    warmup: Annotated[Whole, Field(ge=0)] = 0


class Constant(Choice):
    name: Literal["constant"]


Schedule = choices(Plateau | Step | Cosine | Constant)


class EarlyStop(BaseModel):
    """`early_stop patience=10 restore_best`: stop when validation loss stops improving."""

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    patience: Annotated[Whole, Field(ge=0)] = 10
    restore_best: Flag = False

    leading: ClassVar = "patience"  # `early_stop 5 restore_best=true`: the first value, unnamed

    @model_validator(mode="before")
    @classmethod
    def _word(cls, data: Any) -> Any:
        """`early_stop restore_best`, `early_stop 5` and the two together, `early_stop 5 restore_best`."""
        if data == "restore_best":
            return {"restore_best": True}
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"patience": data}
        if isinstance(data, Several) and len(data) == 2 and "restore_best" in data:
            number = data[1 - data.index("restore_best")]
            if isinstance(number, int | float) and not isinstance(number, bool):
                return {"patience": number, "restore_best": True}
        if isinstance(data, dict) and not {"name", "args"} <= data.keys():
            return data  # `early_stop patience=5 restore_best=true`: options, validated as fields
        if isinstance(data, Several) and list(data).count("restore_best") > 1:
            raise refusal("E207", "`restore_best` is given twice", "write it once")
        # `early_stop restor_best`, `early_stop 5 6`, `early_stop true`, `early_stop [5]`, `early_stop f(5)`
        words = [w for w in (data if isinstance(data, Several) else [data]) if isinstance(w, str)]
        word, hint = next(((w, h) for w in words if (h := _early_stop_hint(w))), (None, None))
        raise refusal("E201", "its options are `patience=N` and `restore_best`", hint or
                      "write `early_stop patience=10 restore_best`, or `early_stop 10`", got=True, at=word)


def _early_stop_hint(word: str) -> str | None:
    """The help for a word after `early_stop` that is not one of its forms."""
    if word == "patience":
        return "`patience` takes a number: `patience=10`"
    return None if word == "restore_best" else did_you_mean(word, ("restore_best", "patience"))


# Every loss `keras.losses.get` knows by name, but `ctc` and `circle`: their targets are label
# sequences with lengths, and labels for metric learning, not values to compare with each output.
LOSSES = ("mean_squared_error", "mse", "mean_absolute_error", "mae", "mean_absolute_percentage_error", "mape",
          "mean_squared_logarithmic_error", "msle", "binary_crossentropy", "bce", "categorical_crossentropy",
          "sparse_categorical_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy",
          "hinge", "squared_hinge", "categorical_hinge", "huber", "log_cosh", "kl_divergence", "kld", "poisson",
          "cosine_similarity", "dice", "tversky")
METRICS = ("accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error", "mse",
           "mean_absolute_error", "mae", "root_mean_squared_error", "auc", "precision", "recall",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")


def _keras_loss(name: Any) -> Any:
    """`loss crossentropy`: a name no single Keras loss answers (`l2` or `CrossEntropyLoss` has
    one, which `did_you_mean` gives)."""
    if isinstance(name, str) and name not in LOSSES and (help := unspecified_crossentropy_help(name)):
        raise refusal("E210", f"Keras has no loss `{name}`", help)
    return name


Loss = Annotated[Literal[LOSSES], BeforeValidator(_keras_loss)]  # type: ignore[valid-type]
Metric = Literal[METRICS]  # type: ignore[valid-type]


class TrainSection(Section):
    """`train { loss ... optimizer ... lr ... }`: the recipe."""

    loss: Loss
    optimizer: Optimizer = Sgd(name="sgd")
    lr: Positive = 0.1
    batch: PositiveWhole | Literal["auto"] = 128
    epochs: PositiveWhole = 10
    schedule: Schedule = Constant(name="constant")
    early_stop: EarlyStop | None = None
    clip_norm: Positive | None = None
    weight_decay: NonNegative = 0.0
    metrics: Annotated[tuple[Metric, ...], BeforeValidator(listed)] = ()
    ensemble: PositiveWhole = 1
    monitor: Annotated[tuple[Literal["update_ratio"], ...], BeforeValidator(listed)] = ()
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"] = "float32"
    seed: Seed | None = None
    jit: Literal["auto"] | Flag = "auto"
    steps_per_execution: PositiveWhole | Literal["auto"] = "auto"

    lists: ClassVar = ("metrics", "monitor")
    examples: ClassVar = {
        "loss": "loss sparse_categorical_crossentropy", "optimizer": "optimizer sgd(momentum=0.9)", "lr": "lr 0.1",
        "batch": "batch 128", "epochs": "epochs 10", "schedule": "schedule plateau(factor=0.5, patience=2)",
        "early_stop": "early_stop patience=10 restore_best", "clip_norm": "clip_norm 5",
        "weight_decay": "weight_decay 5e-4", "metrics": "metrics [accuracy]", "ensemble": "ensemble 5",
        "monitor": "monitor update_ratio", "precision": "precision mixed_bfloat16", "seed": "seed 1",
        "jit": "jit auto", "steps_per_execution": "steps_per_execution auto"}
