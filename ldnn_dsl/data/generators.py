"""The built-in tasks (`sort`, `parity`): deterministic in their seed, NumPy only, so a spec
trains on exactly the same data on every machine."""

from __future__ import annotations

import numpy as np


def sort_task(count: int, bits: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` random `bits`-bit numbers in; their sorted values out, one class per position.

    x is (samples, count*bits) float32 of 0/1, number-major with the most significant bit
    first; y is (samples, count) int32 in [0, 2**bits). That fits a model ending in
    `reshape [count, 2**bits]` + softmax trained with sparse_categorical_crossentropy.

    >>> x, y = sort_task(count=2, bits=3, samples=1, seed=0)
    >>> x.shape, y.shape
    ((1, 6), (1, 2))
    """
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**bits, size=(samples, count), dtype=np.uint16)
    return to_bits(values, bits), np.sort(values, axis=1).astype(np.int32)


def to_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """(n, count) unsigned ints → (n, count*bits) float32 0/1, most significant bit first."""
    shifts = np.arange(bits - 1, -1, -1, dtype=values.dtype)
    digits = (values[..., None] >> shifts) & 1
    return digits.reshape(values.shape[0], -1).astype(np.float32)


def parity_task(bits: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bits in, their parity out: x (samples, bits) float32 0/1, y (samples, 1) float32.

    The classic task a linear model cannot do better than chance on (see `baseline`)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(samples, bits), dtype=np.uint8)
    y = (x.sum(axis=1, dtype=np.int64) % 2).astype(np.float32)[:, None]
    return x.astype(np.float32), y
