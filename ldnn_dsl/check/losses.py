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
