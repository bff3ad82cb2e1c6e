"""What a loss expects of y, in four families; the fit check and the baseline share it."""

from __future__ import annotations

import re
from typing import Literal

LossKind = Literal["sparse", "binary", "categorical", "regression"]

_KINDS: dict[str, LossKind] = {
    "sparse_categorical_crossentropy": "sparse",
    "binary_crossentropy": "binary",
    "bce": "binary",
    "binary_focal_crossentropy": "binary",
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "categorical_hinge": "categorical",
}


def loss_kind(loss: str) -> LossKind:
    """sparse: integer class ids; binary: y in [0, 1]; categorical: one-hot rows;
    regression (every other loss): real targets shaped like the output."""
    return _KINDS.get(loss, "regression")


# The losses that read the output as probabilities, and the activation that makes them.
PROBABILITIES = {
    **dict.fromkeys(("sparse_categorical_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
                     "kl_divergence", "kld"), "softmax"),
    **dict.fromkeys(("binary_crossentropy", "bce", "binary_focal_crossentropy"), "sigmoid")}


def takes_logits(loss: str) -> bool:
    """Whether Keras can compute `loss` from the scores before its activation (`from_logits`):
    the crossentropies can, the KL divergence cannot."""
    return loss in PROBABILITIES and "crossentropy" in keras_name(loss)


def keras_name(loss: str) -> str:
    return {"bce": "binary_crossentropy", "kld": "kl_divergence"}.get(loss, loss)


# "Crossentropy" by a name that does not say which of Keras' three (written without case, `_`
# or `-`); other frameworks' names that do say are `KNOWN_AS`'s, which `did_you_mean` answers.
UNSPECIFIED_CROSSENTROPIES = ("crossentropy", "ce", "xent", "logloss", "softmaxcrossentropy")


def unspecified_crossentropy_help(name: str) -> str | None:
    """Which of Keras' crossentropies a name such as `crossentropy` or `cross-entropy` may mean."""
    if re.sub(r"[_\-\s]", "", name).lower() not in UNSPECIFIED_CROSSENTROPIES:
        return None
    return ("Keras names three crossentropies: `sparse_categorical_crossentropy` for class ids and "
            "`categorical_crossentropy` for one-hot rows, after `softmax`; `binary_crossentropy` after `sigmoid`")
