"""The table of layer kinds: the one list a new kind is added to."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from ldnn_dsl.layers.base import LayerKind
from ldnn_dsl.layers.conv import AvgPool, Conv, Conv1D, GlobalPool, MaxPool
from ldnn_dsl.layers.core import ActivationLayer, Dense, Dropout, Flatten, InputLayer, Reshape
from ldnn_dsl.layers.norm import BatchNorm, LayerNorm
from ldnn_dsl.layers.recurrent import GRU, LSTM, Embedding, SimpleRNN

KINDS: tuple[type[LayerKind], ...] = (
    InputLayer, Dense, Conv, Conv1D, MaxPool, AvgPool, GlobalPool, Flatten, Reshape, Dropout, BatchNorm,
    LayerNorm, ActivationLayer, Embedding, LSTM, GRU, SimpleRNN,
)

LAYER_KINDS: dict[str, type[LayerKind]] = {cls.model_fields["kind"].default: cls for cls in KINDS}

# Pydantic needs the kinds as a union to discriminate them by `kind`; made from KINDS, so that
# a kind listed there is also parsed and validated.
AnyLayer = Annotated[Union[KINDS], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
