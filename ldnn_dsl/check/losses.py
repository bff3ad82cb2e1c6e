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


_CROSSENTROPIES = ("Keras names three crossentropies: `sparse_categorical_crossentropy` for class ids and "
                   "`categorical_crossentropy` for one-hot rows, after `softmax`; `binary_crossentropy` after "
                   "`sigmoid`")
# Other frameworks' names for Keras' losses (PyTorch's, Caffe's layer types, TensorFlow 1's),
# written without case, `_` or `-`: a name no edit distance leads to the Keras one.
FOREIGN_LOSSES = {
    **dict.fromkeys(("crossentropy", "ce", "xent", "logloss", "nll", "nllloss", "crossentropyloss",
                     "softmaxcrossentropy", "softmaxwithloss", "multinomiallogisticloss",
                     "softmaxcrossentropywithlogits", "sparsesoftmaxcrossentropywithlogits"), _CROSSENTROPIES),
    **dict.fromkeys(("bcewithlogits", "bcewithlogitsloss", "bceloss", "sigmoidcrossentropy",
                     "sigmoidcrossentropyloss", "sigmoidcrossentropywithlogits", "logistic", "logisticloss"),
                    "Keras calls it `binary_crossentropy` (or `bce`): end the model in `sigmoid`"),
    **dict.fromkeys(("l2", "l2loss", "mseloss", "euclidean", "euclideanloss", "squarederror", "meansquared"),
                    "Keras calls it `mean_squared_error` (or `mse`)"),
    **dict.fromkeys(("l1", "l1loss", "absoluteerror", "meanabsolute"),
                    "Keras calls it `mean_absolute_error` (or `mae`)"),
    **dict.fromkeys(("smoothl1", "smoothl1loss", "huberloss"), "Keras calls it `huber`"),
    **dict.fromkeys(("kl", "kldiv", "kldivloss", "kullbackleibler"), "Keras calls it `kl_divergence` (or `kld`)"),
    **dict.fromkeys(("hingeloss", "hingeembedding"), "Keras calls it `hinge`"),
    **dict.fromkeys(("poissonnll", "poissonnllloss"), "Keras calls it `poisson`"),
}


def foreign_loss_help(name: str) -> str | None:
    """The Keras loss that another framework's name (`CrossEntropyLoss`, `SoftmaxWithLoss`, `l2`) means."""
    return FOREIGN_LOSSES.get(re.sub(r"[_\-\s]", "", name).lower())
