"""How the arrays reach the model, one minibatch at a time, and in which order (`shuffle`).

On TensorFlow, Keras turns NumPy arrays into a tf.data pipeline whose prefetching is
autotuned and whose worker threads come from a pool as large as the machine. On a 2-core
machine those threads compete with the training step for the cores: a full `ldnn train`
of sort10x6 ran epochs of 52-56 s and 79-98 s in alternation. Feeding the same batches
through a pipeline with one private worker thread, a fixed prefetch of two batches and
autotuning off made every epoch as fast as the fast ones (12 ms per step, measured here).
Gathering whole minibatches by index, as Keras does, keeps the per-sample cost of tf.data
out of the epoch. The JAX and torch backends iterate NumPy in Python and are fed as is.

`predict` (the net scored against the linear baseline) is fed the same way; on TensorFlow,
Keras' own pipeline for it also logs a spurious kernel-attribute error.
Not fed this way: `augment` runs (a PyDataset of batches augmented in Python, one worker)
and the short timings of `batch auto`, which measure the compiled step on arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ldnn_dsl.check.data_section import Shuffle

PREFETCH = 2  # batches ready ahead of the step: enough to hide the gather, without a thread per core
WORKER_THREADS = 1


def training_batches(x: np.ndarray, y: np.ndarray, batch: int, seed: int,
                     shuffle: Shuffle = "once") -> dict[str, Any]:
    """`fit` arguments for the training split, in the order `shuffle` asks for, reproducibly
    from `seed`. `once` is what Keras on TensorFlow does with a seed set (its permutation op
    restarts with every epoch's iterator, so every epoch sees the first order); here it is
    done on purpose, the same on every backend."""
    if shuffle == "once":
        order = np.random.default_rng(seed).permutation(len(x))
        x, y = x[order], y[order]
    if not _tensorflow_backend():
        return {"x": x, "y": y, "batch_size": batch, "shuffle": shuffle == "epoch"}
    pipeline = _pipeline((x, y), batch, seed if shuffle == "epoch" else None)
    return {"x": pipeline, "shuffle": False}  # the order is settled above; Keras must not shuffle again


def evaluation_batches(x: np.ndarray, y: np.ndarray, batch: int) -> dict[str, Any]:
    """`evaluate` arguments for a split, in order."""
    if not _tensorflow_backend():
        return {"x": x, "y": y, "batch_size": batch}
    return {"x": _pipeline((x, y), batch, None)}


def prediction_batches(x: np.ndarray, batch: int) -> dict[str, Any]:
    """`predict` arguments for `x`, in order."""
    if not _tensorflow_backend():
        return {"x": x, "batch_size": batch}
    return {"x": _pipeline((x,), batch, None)}


def validation_data(x: np.ndarray | None, y: np.ndarray | None, batch: int) -> Any:
    """`fit`'s `validation_data`: the pipeline on TensorFlow, the arrays elsewhere, or None."""
    if x is None or y is None:
        return None
    fed = evaluation_batches(x, y, batch)
    return (x, y) if "y" in fed else fed["x"]


def _tensorflow_backend() -> bool:
    import keras

    return keras.backend.backend() == "tensorflow"


def _pipeline(arrays: tuple[np.ndarray, ...], batch: int, seed: int | None) -> Any:
    """Shuffled (when `seed` is given) index batches, gathered from the arrays held as tensors
    in host memory (the input pipeline runs on the CPU, whatever the model runs on)."""
    import tensorflow as tf

    with tf.device("/cpu:0"):
        tensors = tuple(tf.constant(a) for a in arrays)
    indices = tf.data.Dataset.range(len(arrays[0]))
    if seed is not None:
        indices = indices.shuffle(max(len(arrays[0]), 1), seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch).map(lambda i: tuple(tf.gather(t, i) for t in tensors))
    return batches.prefetch(PREFETCH).with_options(_options())


def _options() -> Any:
    import tensorflow as tf

    options = tf.data.Options()
    options.threading.private_threadpool_size = WORKER_THREADS
    options.autotune.enabled = False
    options.deterministic = True
    return options
