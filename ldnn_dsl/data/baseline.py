"""A linear baseline on the same splits (NumPy only, closed-form ridge least squares), so a
trained net's score means something: parity stays at chance, a separable task near 1.0.

Classification is one-vs-rest least squares on one-hot targets, scored by accuracy (per
position for multi-position targets such as `sort`); regression is scored by MSE. Training
rows are subsampled so it stays well under a few seconds on 500,000-sample tasks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ldnn_dsl.check.losses import LossKind, loss_kind

if TYPE_CHECKING:
    from ldnn_dsl.data.dataset import Splits

MAX_FIT_ROWS = 20_000
MAX_EVAL_ROWS = 20_000
TARGET_BUDGET = 20_000_000  # rows × outputs held in the one-hot target matrix
GRAM_BUDGET = 40_000_000_000  # rows × features² spent forming XᵀX
RIDGE = 1e-3
FLOAT32_SAFE = 1e30  # |value| below which float32 sums over MAX_FIT_ROWS rows of standardized x stay finite


def baseline(splits: Splits, loss: str, classes: int | None = None) -> tuple[str, float]:
    """(metric name, value): `val_accuracy` / `val_mse` on the validation split, else `test_…`
    on the test split, else `train_…` on the training split itself. `classes` is the model's
    class count (its output's last axis); without a model, the labels give it."""
    kind = loss_kind(loss)
    prefix, _, y_eval = _evaluation_split(splits)
    classes = _classes(kind, splits.y_train, y_eval, classes)
    outputs = int(np.prod(splits.y_train.shape[1:])) * (classes if kind == "sparse" else 1)
    pick = _sample(len(splits.x_train), _fit_rows(outputs, int(np.prod(splits.x_train.shape[1:]))), seed=0)
    model = _Ridge.fit(splits.x_train[pick], _targets(kind, splits.y_train[pick], classes))
    metric = "mse" if kind == "regression" else "accuracy"
    return f"{prefix}_{metric}", net_score(splits, loss, model.predict, classes)


def net_score(splits: Splits, loss: str, predict: Callable[[np.ndarray], Any], classes: int | None = None) -> float:
    """Any predictor's score by the baseline's measure, on the same split and rows: the
    baseline's own, and the trained net's, so that the two numbers compare."""
    kind = loss_kind(loss)
    _, x_eval, y_eval = _evaluation_split(splits)
    pick = _sample(len(x_eval), MAX_EVAL_ROWS, seed=1)
    predicted = np.asarray(predict(x_eval[pick]), dtype=np.float64).reshape(len(pick), -1)
    return _score(kind, predicted, y_eval[pick], _classes(kind, splits.y_train, y_eval, classes))


def beats_baseline(splits: Splits, metric: str, base: float, net: float) -> bool:
    """Whether `net` is better than `base` by more than the sampling noise of the scored rows.

    An accuracy must exceed the baseline's by 3 standard errors (parity's 10,000 validation
    rows at chance: 0.015), so a net left at chance by an unlucky run is not taken to have
    learned; an MSE must only be lower."""
    if metric.endswith("mse"):
        return net < base
    rows = min(len(_evaluation_split(splits)[1]), MAX_EVAL_ROWS)
    return net > base + 3 * math.sqrt(base * (1 - base) / rows)


def _evaluation_split(splits: Splits) -> tuple[str, np.ndarray, np.ndarray]:
    if splits.x_val is not None and splits.y_val is not None:
        return "val", splits.x_val, splits.y_val
    if splits.x_test is not None and splits.y_test is not None:
        return "test", splits.x_test, splits.y_test
    return "train", splits.x_train, splits.y_train


def _classes(kind: LossKind, y_train: np.ndarray, y_eval: np.ndarray, model_classes: int | None) -> int:
    """Class count: the model's when known (the labels may not use every class), else from
    the ids for sparse targets; the last axis for one-hot ones."""
    if kind == "sparse":
        return model_classes or int(max(y_train.max(), y_eval.max())) + 1
    return y_train.shape[-1] if kind == "categorical" and y_train.ndim > 1 else 1


def _targets(kind: LossKind, y: np.ndarray, classes: int) -> np.ndarray:
    """What least squares fits: one-hot per position for sparse ids, y itself otherwise."""
    flat = y.reshape(len(y), -1)
    if kind != "sparse":
        return flat.astype(np.float32)
    ids = flat.astype(np.int64)
    onehot = np.zeros((len(y), ids.shape[1], classes), dtype=np.float32)
    np.put_along_axis(onehot, ids[..., None], 1.0, axis=-1)
    return onehot.reshape(len(y), -1)


def _fit_rows(outputs: int, features: int) -> int:
    """As many training rows as keep the target matrix and the solve cheap: rows × features²
    for XᵀX, or, with fewer rows than features (images), rows² × features for XXᵀ."""
    rows = min(MAX_FIT_ROWS, TARGET_BUDGET // max(outputs, 1))
    if rows * features**2 > GRAM_BUDGET:
        rows = min(rows, max(GRAM_BUDGET // features**2, math.isqrt(GRAM_BUDGET // features)))
    return max(200, rows)


def _sample(total: int, rows: int, seed: int) -> np.ndarray:
    if total <= rows:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=rows, replace=False))


class _Ridge:
    """Least squares on standardized, flattened x plus a bias column (XᵀX in float64 for a
    stable solve; the wide XᵀY in float32 where it cannot overflow, which halves the time on
    one-hot targets). With fewer rows than features it solves the same ridge problem through
    XXᵀ (w = Xᵀ(XXᵀ + λI)⁻¹Y): XᵀX of 64x64x3 images was 12,288² and took 35 s."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray) -> None:
        self.mean, self.scale, self.weights = mean, scale, weights

    @classmethod
    def fit(cls, x: np.ndarray, targets: np.ndarray) -> _Ridge:
        flat = x.reshape(len(x), -1).astype(np.float64)
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        scale = np.where(std > 1e-12, std, 1.0)
        design = _with_bias((flat - mean) / scale)
        rows, columns = design.shape
        if rows < columns:
            kernel = design @ design.T
            kernel += RIDGE * np.trace(kernel) / columns * np.eye(rows)  # the primal's λ: tr(XXᵀ) = tr(XᵀX)
            return cls(mean, scale, design.T @ np.linalg.solve(kernel, targets.astype(np.float64)))
        gram = design.T @ design
        gram += RIDGE * np.trace(gram) / columns * np.eye(columns)
        wide = _wide_dtype(targets)
        moment = (design.T.astype(wide) @ targets.astype(wide)).astype(np.float64)
        return cls(mean, scale, np.linalg.solve(gram, moment))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """In float64: the rows scored may lie far outside the training rows' scale, and a
        float32 prediction past 3.4e38 would warn of overflow and score inf."""
        flat = x.reshape(len(x), -1).astype(np.float64)
        return _with_bias((flat - self.mean) / self.scale) @ self.weights


def _wide_dtype(values: np.ndarray) -> type[np.floating[Any]]:
    """float32 for XᵀY (one-hot targets: twice as fast), float64 for targets so large that a
    sum of 20,000 float32 products could pass float32's range: y near 3e38 gave
    `RuntimeWarning: overflow encountered in matmul` and a `nan` baseline."""
    largest = max(float(values.max(initial=0.0)), -float(values.min(initial=0.0)))
    return np.float32 if largest < FLOAT32_SAFE else np.float64


def _with_bias(features: np.ndarray) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))])


def _score(kind: LossKind, predicted: np.ndarray, y: np.ndarray, classes: int) -> float:
    """Accuracy (mean over samples and positions) or mean squared error."""
    truth = y.reshape(len(y), -1).astype(np.float64)  # a float32 error of 1e20 squares to inf
    if kind == "regression":
        return float(np.mean((predicted - truth) ** 2))
    if kind == "binary":
        return float(np.mean((predicted > 0.5) == (truth > 0.5)))
    guess = predicted.reshape(len(y), -1, classes).argmax(axis=-1)
    labels = truth.astype(np.int64) if kind == "sparse" else truth.reshape(len(y), -1, classes).argmax(axis=-1)
    return float(np.mean(guess == labels))
