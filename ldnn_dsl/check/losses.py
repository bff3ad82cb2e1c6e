"""What a loss expects of y, in four families; the fit check and the baseline share it."""

from __future__ import annotations

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
