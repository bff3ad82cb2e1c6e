"""The table of layer kinds: the one place a new kind is added."""

from __future__ import annotations

from typing import Annotated

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

AnyLayer = Annotated[
    InputLayer | Dense | Conv | Conv1D | MaxPool | AvgPool | GlobalPool | Flatten | Reshape | Dropout | BatchNorm
    | LayerNorm | ActivationLayer | Embedding | LSTM | GRU | SimpleRNN,
    Field(discriminator="kind"),
]
