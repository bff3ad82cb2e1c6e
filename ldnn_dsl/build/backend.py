"""Loading Keras for the commands that need it, without TensorFlow's start-up chatter."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def import_keras_quietly() -> None:
    """Import Keras (and probe devices) with file descriptor 2 pointed at /dev/null.

    TensorFlow's C++ start-up lines (the oneDNN notice, CUDA probing on a machine without
    a GPU) are written by absl before any log level applies, so `TF_CPP_MIN_LOG_LEVEL`
    does not hide them. Python exceptions are unaffected: they are raised after the
    descriptor is restored."""
    if "keras" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices("GPU")
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
    text = str(exc)
    return (isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
            or any(sign in text for sign in ("out of memory", "OOM when allocating", "RESOURCE_EXHAUSTED")))
