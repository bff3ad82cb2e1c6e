"""What the layer table needs to know about the build in progress, without being passed it.

Layer kinds build their Keras layer from a spec alone; a few choices (cuDNN kernels switch
XLA off) depend on how the model will run. A context variable carries that through
`build_model` to `keras_layer` without widening every signature, and stays correct
across threads and async tasks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class BuildContext:
    """How the model being built will run: `xla` when it will be JIT-compiled."""

    xla: bool = False


_OUTSIDE = BuildContext()
_CURRENT: ContextVar[BuildContext | None] = ContextVar("ldnn_build_context", default=None)


def current() -> BuildContext:
    """The settings of the build in progress (defaults outside any build)."""
    return _CURRENT.get() or _OUTSIDE


@contextmanager
def building(*, xla: bool = False) -> Iterator[BuildContext]:
    """Layers created inside see these settings through `current()`; restored on exit."""
    context = BuildContext(xla=xla)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
