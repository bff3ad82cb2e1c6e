"""The table of layer kinds: the one list a new kind is added to."""

from __future__ import annotations

import re
from typing import Annotated, Union

from pydantic import Field

from ldnn_dsl.layers.base import ACTIVATIONS, LayerKind
from ldnn_dsl.layers.conv import AvgPool, Conv, Conv1D, GlobalPool, MaxPool
from ldnn_dsl.layers.core import ActivationLayer, Dense, Dropout, Flatten, InputLayer, Reshape
from ldnn_dsl.layers.norm import BatchNorm, LayerNorm
from ldnn_dsl.layers.recurrent import GRU, LSTM, Embedding, SimpleRNN
from ldnn_dsl.source.diagnostics import folded

KINDS: tuple[type[LayerKind], ...] = (
    InputLayer, Dense, Conv, Conv1D, MaxPool, AvgPool, GlobalPool, Flatten, Reshape, Dropout, BatchNorm,
    LayerNorm, ActivationLayer, Embedding, LSTM, GRU, SimpleRNN,
)

LAYER_KINDS: dict[str, type[LayerKind]] = {cls.model_fields["kind"].default: cls for cls in KINDS}

# Pydantic needs the kinds as a union to discriminate them by `kind`; made from KINDS, so that
# a kind listed there is also parsed and validated.
AnyLayer = Annotated[Union[KINDS], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007


def layer_help(head: str) -> str | None:
    """The help for a layer written as Keras or PyTorch names it (`Conv2D`, `BatchNorm2d`), or for
    an activation on a line of its own (`sigmoid`, `ReLU`), as Keras' Sequential reads it."""
    kind = kind_called(head)
    if kind is not None:
        shown = example(kind)
        if head.lower() == kind:
            return f"layer kinds are written in lower case: `{shown}`"
        said = f"ldnn writes this kind `{kind}`" if folded(head) == kind else f"ldnn calls this layer `{kind}`"
        return said + (f": `{shown}`" if shown != kind else "")
    activation = next((a for a in ACTIVATIONS if folded(a) == folded(head)), None)
    if activation is not None:
        return (f"an activation is a layer as `activation {activation}`, or a word after a layer's size: "
                f"`dense 10 {activation}`")
    return None


def kind_called(name: str) -> str | None:
    """The layer kind another framework calls `name`: `Conv2D`, `MaxPool2d`, `batch_normalization`,
    `LSTM` (letter case and underscores aside), for a did-you-mean no spelling distance finds."""
    wanted = folded(name)
    return next((kind for kind, cls in LAYER_KINDS.items()
                 if wanted == folded(kind) or wanted in map(folded, cls.elsewhere)), None)


def example(kind: str) -> str:
    """The line a kind's docstring opens with (`conv 64 3x3 relu stride=1 padding=same`), for a help."""
    found = re.search(r"`([^`]+)`", LAYER_KINDS[kind].__doc__ or "")
    return found.group(1) if found else kind
