"""Loading Keras for the commands that need it (without TensorFlow's start-up chatter), and
what its backends do differently: how each reports a failed allocation, and when JAX's
asynchronous work is done."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any


def import_keras_quietly() -> None:
    """Import Keras (and probe devices) with file descriptor 2 pointed at /dev/null.

    TensorFlow's C++ start-up lines (the oneDNN notice, CUDA probing on a machine without
    a GPU) are written by absl before any log level applies, so `TF_CPP_MIN_LOG_LEVEL`
    does not hide them. Python exceptions are unaffected: they are raised after the
    descriptor is restored."""
    if "keras" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")


def seed_everything(seed: int) -> None:
    """Keras' `set_random_seed`, which imports TensorFlow where it is installed, whatever the
    backend: under JAX that import is its first, and its start-up lines are hidden here too."""
    import keras

    if "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced():
        keras.utils.set_random_seed(seed)


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def precision_policy(policy: str) -> Iterator[None]:
    """Models built inside use `policy` (`float32`, `mixed_bfloat16`, ...); the global policy is restored after."""
    import keras

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is an allocation that failed, as each backend reports one: NumPy's
    MemoryError, TensorFlow's ResourceExhaustedError ("OOM when allocating"), XLA's
    RESOURCE_EXHAUSTED under JAX."""
    text = str(exc).lower()  # XLA on CPU: "INTERNAL: ... Out of memory allocating 38400000000 bytes"
    return (isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
            or any(sign in text for sign in ("out of memory", "oom when allocating", "resource_exhausted")))


def settled(values: Iterable[Any]) -> None:
    """Wait until `values` (variables, tensors) are computed. JAX allocates and computes them
    asynchronously: an allocation that failed surfaces at the first read, and where that read
    is a save, XLA aborts the process. Waiting here raises it as an exception (TensorFlow has
    raised already)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        jax.block_until_ready([getattr(v, "value", v) for v in values])
