"""The `data` section → train / validation / test arrays plus what inference must repeat.

```
data {
  source     sort(count=10, bits=6, samples=500000)
  validate   10%
  preprocess standardize
  seed       1
}
```"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ldnn_dsl.check.data_section import CsvSource, DataSection, log1p_columns, split_leaves_none, split_size
from ldnn_dsl.data.baseline import baseline
from ldnn_dsl.data.columns import in_training_order
from ldnn_dsl.data.csvfile import TrainingTarget
from ldnn_dsl.data.fit import fit_report
from ldnn_dsl.data.loaded import Loaded
from ldnn_dsl.data.preprocess import apply_log1p, feature_columns, standardize_stats, wants_standardize
from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.sources import AnySource, load_source
from ldnn_dsl.source.span import Span

__all__ = ["Splits", "baseline", "fit_report", "load_data"]

VALIDATION_SEED_OFFSET = 1
TEST_SEED_OFFSET = 2


@dataclass(frozen=True, eq=False)
class Splits:
    """The arrays to train on, and the preprocessing the saved model must reproduce.

    `norm_mean`/`norm_var` (float32, one per last-axis feature) are None without
    `standardize`; they are NOT applied to the arrays, the model's Normalization layer does it.
    `log1p_columns` IS already applied to every x here: None = unused, () = all columns."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    norm_mean: np.ndarray | None = None
    norm_var: np.ndarray | None = None
    log1p_columns: tuple[int, ...] | None = None

    def named(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, x, y) for each split that exists: training, validation, test."""
        pairs = [("training", self.x_train, self.y_train), ("validation", self.x_val, self.y_val),
                 ("test", self.x_test, self.y_test)]
        return [(name, x, y) for name, x, y in pairs if x is not None and y is not None]


Pair = tuple[np.ndarray, np.ndarray]
Features = tuple[str, ...] | None  # x's column names from a csv header; None: positions only
SPLIT_NAMES = {"validate": "validation", "test": "test"}
Setting = float | int | AnySource | None


def load_data(data: DataSection, spec_path: str | None, span: Span | None = None, *,
              spans: Mapping[str, Span] | None = None) -> Splits:
    """Load the source, shuffle once with the data seed, carve off test then validation,
    and preprocess. `span` points errors at the `source` setting; `spans` may give a span
    per setting name (`source`, `validate`, `test`) for sharper errors."""
    where = dict(spans or {})
    try:
        return _loaded(data, spec_path, span, where)
    except MemoryError as exc:  # NumPy says how much it could not allocate, and for what shape
        raise data_error(f"not enough memory for the data: {exc or 'an allocation failed'}",
                         where.get("source", span), help="use fewer samples, or a smaller file") from exc


def _loaded(data: DataSection, spec_path: str | None, span: Span | None, where: Mapping[str, Span]) -> Splits:
    source_span = where.get("source", span)
    train = load_source(data.source, spec_path, data.seed, source_span)
    x, y = _shuffled(train.x, train.y, data.seed)
    total = len(x)
    test, x, y = _carve(data.test, "test", (x, y), total, train, spec_path, data.seed + TEST_SEED_OFFSET,
                        where.get("test", span))
    val, x, y = _carve(data.validate_, "validate", (x, y), total, train, spec_path,
                       data.seed + VALIDATION_SEED_OFFSET, where.get("validate", span))
    splits = Splits(x, y, *_arrays(val), *_arrays(test))
    features = {"x_train": train.features, "x_val": _features(val), "x_test": _features(test)}
    return _preprocessed(splits, data, where, span, features)


def _arrays(split: Loaded | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    return (None, None) if split is None else (split.x, split.y)


def _features(split: Loaded | None) -> Features:
    return None if split is None else split.features


def _shuffled(x: np.ndarray, y: np.ndarray, seed: int) -> Pair:
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def _carve(setting: Setting, name: str, rest: Pair, total: int, train: Loaded, spec_path: str | None, seed: int,
           span: Span | None) -> tuple[Loaded | None, np.ndarray, np.ndarray]:
    """(the split with its features' names, what is left for training): a fraction or count
    of the *total* comes off the end; a source is loaded on its own (with its own seed), its
    columns matched to the training source's, and leaves the rest whole."""
    x, y = rest
    if setting is None:
        return None, x, y
    if not isinstance(setting, int | float):
        setting = _with_training_target(setting, train)
        split = in_training_order(train, load_source(setting, spec_path, seed, span), SPLIT_NAMES[name], span)
        return replace(split, y=_shaped_like(split.y, y)), x, y
    size, left = split_size(setting, total), len(x)
    if (problem := split_leaves_none(name, setting, left, total)) is not None:
        raise data_error(problem, span, help=f"make `{name}` smaller or give more samples")
    return replace(train, x=x[left - size:], y=y[left - size:]), x[:left - size], y[:left - size]


def _with_training_target(source: AnySource, train: Loaded) -> AnySource:
    """A second csv that names no `target` takes the training file's by name, as its other
    columns are matched by name: its last column need not be the target when its order differs."""
    if not isinstance(source, CsvSource) or not source.takes_training_target or train.target is None:
        return source
    return source.model_copy(update={"target": TrainingTarget(train.target)})


def _shaped_like(y_split: np.ndarray, y_train: np.ndarray) -> np.ndarray:
    """A second source's labels in the training labels' shape when only a unit axis differs
    ((n,) against (n, 1)): Keras' `fit` takes either, and so must every split here."""
    same_size = np.prod(y_split.shape[1:], dtype=np.int64) == np.prod(y_train.shape[1:], dtype=np.int64)
    if y_split.shape[1:] != y_train.shape[1:] and same_size:
        return y_split.reshape(len(y_split), *y_train.shape[1:])
    return y_split


def _preprocessed(splits: Splits, data: DataSection, where: Mapping[str, Span], span: Span | None,
                  features: Mapping[str, Features]) -> Splits:
    """log1p applied to every split; standardize measured on the training split only. Errors
    point at the step's own item (`preprocess.1`) where it is known, else at the setting, and
    name a column as the csv header does (`features`: the names of each split's x columns)."""
    columns = log1p_columns(data.preprocess)
    xs = {"x_train": splits.x_train, "x_val": splits.x_val, "x_test": splits.x_test}
    if columns is not None:
        names = {"x_train": "training", "x_val": "validation", "x_test": "test"}
        at = _step_span(data, "log1p", where, span)
        xs = {key: None if x is None else _log1p(x, columns, names[key], at, features[key]) for key, x in xs.items()}
    mean, var = (standardize_stats(xs["x_train"], _step_span(data, "standardize", where, span), features["x_train"])
                 if wants_standardize(data.preprocess) else (None, None))
    return Splits(xs["x_train"], splits.y_train, xs["x_val"], splits.y_val, xs["x_test"], splits.y_test,
                  norm_mean=mean, norm_var=var, log1p_columns=columns)


def _step_span(data: DataSection, name: str, where: Mapping[str, Span], span: Span | None) -> Span | None:
    index = next((i for i, step in enumerate(data.preprocess) if step.name == name), None)
    return where.get(f"preprocess.{index}") or where.get("preprocess", span)


def _log1p(x: np.ndarray, columns: tuple[int, ...], split: str, span: Span | None, features: Features) -> np.ndarray:
    return apply_log1p(x, feature_columns(columns, x.shape[-1], span), split, span, features)
