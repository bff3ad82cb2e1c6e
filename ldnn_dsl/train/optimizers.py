"""The `optimizer`, `lr`, `clip_norm` and `weight_decay` settings as one Keras optimizer.

```
train { optimizer sgd(momentum=0.9, nesterov=true)  lr 0.1  clip_norm 5  weight_decay 5e-4 }
```
`clip_norm` bounds the global norm of the whole gradient (Keras' `global_clipnorm`), the
recipe's hard constraint for recurrent nets; a per-variable `clipnorm` would change the
gradient's direction."""

from __future__ import annotations

from typing import Any

from ldnn_dsl.check.train_section import Adagrad, Adam, AdamW, RmsProp, Sgd, TrainSection


def optimizer_options(train: TrainSection) -> dict[str, Any]:
    """Keyword arguments for the Keras optimizer class (plain data, testable without Keras)."""
    opt = train.optimizer
    common: dict[str, Any] = {"learning_rate": train.lr}
    if train.clip_norm is not None:
        common["global_clipnorm"] = train.clip_norm
    if train.weight_decay > 0 or isinstance(opt, AdamW):  # AdamW's Keras default (0.004) would be a surprise
        common["weight_decay"] = train.weight_decay
    if isinstance(opt, Sgd):
        return {**common, "momentum": opt.momentum, "nesterov": opt.nesterov}
    if isinstance(opt, Adam | AdamW):
        return {**common, "beta_1": opt.beta_1, "beta_2": opt.beta_2, "epsilon": opt.epsilon}
    if isinstance(opt, RmsProp):
        return {**common, "rho": opt.rho, "momentum": opt.momentum, "epsilon": opt.epsilon}
    if isinstance(opt, Adagrad):
        return {**common, "epsilon": opt.epsilon}
    raise ValueError(f"Received an unknown optimizer, expected one of sgd, adam, adamw, rmsprop, adagrad. "
                     f"Received: optimizer={opt!r}")


KERAS_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def make_optimizer(train: TrainSection) -> Any:
    """A fresh Keras optimizer for one model (optimizers hold per-model state). Under float16,
    one that scales the loss, as Keras' `compile` would wrap it; wrapped here, the saved model's
    compile settings say so, and a reloaded model, whose own policy Keras does not save,
    scales its loss as training did and gets the optimizer's state back."""
    import keras

    cls = getattr(keras.optimizers, KERAS_NAMES[train.optimizer.name])
    optimizer = cls(**optimizer_options(train))
    if train.precision == "mixed_float16":
        from ldnn_dsl.build.custom import SparseAwareLossScaleOptimizer

        return SparseAwareLossScaleOptimizer(optimizer)
    return optimizer
