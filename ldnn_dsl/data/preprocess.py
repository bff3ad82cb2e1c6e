"""`preprocess` steps. log1p is applied to the arrays here (and recorded, so inference
applies it too); standardize only measures the training split, because the model carries
the transform itself as a `keras.layers.Normalization(mean=..., variance=...)`.

Order is fixed whatever the listing order: log1p first, then standardize, so the
statistics describe what the network actually sees."""

from __future__ import annotations

import numpy as np

from ldnn_dsl.check.data_section import Standardize, log1p_column_outside
from ldnn_dsl.data.columns import feature_label, features_counted
from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.values import FLOAT32_MAX, FLOAT32_RANGE
from ldnn_dsl.source.span import Span


def wants_standardize(steps: tuple[object, ...]) -> bool:
    return any(isinstance(step, Standardize) for step in steps)


def feature_columns(columns: tuple[int, ...], features: int, span: Span | None) -> list[int]:
    """`columns` as non-negative indices on the last (feature) axis; () means all of them."""
    if not columns:
        return list(range(features))
    if (problem := log1p_column_outside(columns, features, "x")) is not None:
        raise data_error(problem, span, help="columns count from 0 on x's last axis")
    return list(dict.fromkeys(c % features for c in columns))  # steps that share a column take its log once


def apply_log1p(x: np.ndarray, columns: list[int], split: str, span: Span | None,
                features: tuple[str, ...] | None = None) -> np.ndarray:
    """log(1 + x) on the chosen last-axis columns of a copy of x (float32). `features` names
    x's columns where a csv header does: the author counts a file's columns with the target
    among them, so `column 1` alone points at the wrong one."""
    out = x.astype(np.float32, copy=True)
    picked = out[..., columns]
    if picked.size and picked.min() <= -1:
        column = columns[int(np.argmin(picked.reshape(-1, len(columns)).min(axis=0)))]
        raise data_error(f"log1p needs values above -1, but {split} column {column}{feature_label(features, column)} "
                         f"holds {float(picked.min()):g}",
                         span, help=f"choose the columns with `log1p(columns=[...])`{features_counted(features)}")
    out[..., columns] = np.log1p(picked)
    return out


def standardize_stats(x_train: np.ndarray, span: Span | None = None,
                      features: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (last axis) mean and variance of the training split, like
    `keras.layers.Normalization(axis=-1).adapt`. A constant feature (every training value the
    same) gets variance 1, so an unseen value in validation cannot be divided by ~0; any other
    keeps its variance however small its scale (wavelengths in metres), which the layer divides
    by with Keras' own floor."""
    axes = tuple(range(max(x_train.ndim - 1, 1)))
    mean = x_train.mean(axis=axes, dtype=np.float64)
    var = x_train.var(axis=axes, dtype=np.float64)
    constant = x_train.max(axis=axes) == x_train.min(axis=axes)
    var = np.where(constant | (var == 0), 1.0, var)
    _check_variance(var, span, features)
    return mean.astype(np.float32), var.astype(np.float32)


def _check_variance(var: np.ndarray, span: Span | None, features: tuple[str, ...] | None) -> None:
    """Values of 1e20 fit float32 but their variance does not: the Normalization layer would
    hold inf (cast with a RuntimeWarning) and turn the column into zeros. The column is named
    as `apply_log1p` names it."""
    too_big = np.flatnonzero(var > FLOAT32_MAX)
    if too_big.size:
        column = int(too_big[0])
        raise data_error(f"standardize cannot scale column {column}{feature_label(features, column)}: its variance "
                         f"({float(var[column]):.3g}) is past {FLOAT32_RANGE}", span, help="scale the column down "
                         "in the file (divide it by a constant), or take `log1p` of it first")
