"""The process-wide state a run sets and restores: Keras' session, TensorFlow's op determinism, its
logging, the global random generators."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ldnn_dsl.check.spec import Spec
from ldnn_dsl.train.xla import choose_jit


def fresh_session() -> None:
    """Keras' own state cleared, but the caller's precision policy, which clearing resets too:
    a run restores the policy it found, and it must find the caller's."""
    import keras

    policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)


@contextmanager
def kept_random_state() -> Iterator[None]:
    """A run seeds Python's and NumPy's global generators (Keras' `set_random_seed` does, for a
    repeatable run); the caller's draws go on afterwards as if no run had come between, so a
    random search over runs does not draw the same values after each one."""
    import random

    import numpy as np

    python, numpy = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)


class _Retracing(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextmanager
def no_retracing_warnings() -> Iterator[None]:
    """TensorFlow warns when its compiled functions are traced again and again: each ensemble
    member, and each evaluation of a new model, has its own by design. The warning asks to
    restructure code the author of a spec does not have; it only alarms, even with --quiet."""
    logger, quiet = logging.getLogger("tensorflow"), _Retracing()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


@contextmanager
def op_determinism(spec: Spec) -> Iterator[None]:
    """TensorFlow's deterministic kernels without XLA; with XLA, XLA's own kernels; the
    process-wide switch is restored on exit, so a caller's later models are unaffected.

    Keras silently turns `jit_compile` off whenever TF op determinism is enabled (not every
    XLA op has a deterministic mode on GPUs), so it is enabled only for runs without XLA.
    XLA's CPU kernels are deterministic already: a seeded XLA run on a CPU repeats bit for
    bit (tests/test_train.py checks both paths)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        yield
        return
    from tensorflow.python.framework import config  # the switch's only off: no public API turns it off

    assert spec.train is not None
    before = config.is_op_determinism_enabled()
    jit = choose_jit(spec.train.jit, spec.model)
    (config.disable_op_determinism if jit else config.enable_op_determinism)()
    try:
        yield
    finally:
        (config.enable_op_determinism if before else config.disable_op_determinism)()
