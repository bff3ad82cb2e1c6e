"""Does the data fit the model? Checked before training, so a shape or label mistake is a
one-line E405 message instead of a Keras traceback ten minutes into a run."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ldnn_dsl.check.losses import loss_kind
from ldnn_dsl.data.values import FLOAT32_MAX, FLOAT32_RANGE

if TYPE_CHECKING:
    from ldnn_dsl.data.dataset import Splits

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class Vocab:
    """The ids an integer input may hold: below the smallest `vocab` of the embeddings that read it.
    Out of range, TensorFlow fails mid-step on CPU, and XLA and JAX clamp the id without a word."""

    size: int
    embedding: str  # where that embedding is, for the message: "`embedding` on line 3"


def fit_report(splits: Splits, input_shape: Shape, input_dtype: str, output_shape: Shape, loss: str,
               vocab: Vocab | None = None) -> list[str]:
    """Human messages, one per mismatch (empty when the data fit); the caller makes each an
    E405 diagnostic. Shapes are per sample (no batch axis); None in a shape matches anything."""
    return [message for _, message in split_problems(splits, input_shape, input_dtype, output_shape, loss, vocab)]


def split_problems(splits: Splits, input_shape: Shape, input_dtype: str, output_shape: Shape, loss: str,
                   vocab: Vocab | None = None) -> list[tuple[str, str]]:
    """`fit_report`'s messages, each with its split's name (training, validation, test), so that
    a split read from a second source is reported at the line that names it."""
    problems: list[tuple[str, str]] = []
    for name, x, y in splits.named():
        problems += [(name, p) for p in x_problems(name, x, tuple(input_shape), input_dtype, vocab)]
        problems += [(name, p) for p in y_problems(name, y, tuple(output_shape), loss)]
    return problems


def show(shape: Shape) -> str:
    """A shape as the spec writes it: `[10, 64]`."""
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def same_shape(actual: Shape, expected: Shape) -> bool:
    return len(actual) == len(expected) and all(e is None or a == e for a, e in zip(actual, expected, strict=True))


def with_output_axis(splits: Splits, output_shape: Shape, loss: str) -> Splits:
    """`splits` with a y of one value per sample, shape (n,), given the output's axis of one
    unit, (n, 1), where the loss compares y with the output value by value (every loss but a
    sparse one, whose y is class ids). Keras' losses expand such a y themselves, but its
    metrics do not: `metrics [binary_crossentropy]` failed at the first step."""
    if loss_kind(loss) == "sparse" or tuple(output_shape) != (1,):
        return splits
    lifted = {f"y_{name}": y[:, None] for name, y in (("train", splits.y_train), ("val", splits.y_val),
                                                     ("test", splits.y_test)) if y is not None and y.ndim == 1}
    return replace(splits, **lifted) if lifted else splits


def same_or_squeezed(actual: Shape, expected: Shape) -> bool:
    """Equal shapes, or a scalar target against a single output unit (y of shape (n,) vs [1])."""
    return same_shape(actual, expected) or (actual, expected) in (((), (1,)), ((1,), ()))


def x_problems(name: str, x: np.ndarray, input_shape: Shape, input_dtype: str, vocab: Vocab | None = None
               ) -> list[str]:
    """x's per-sample shape matches the input; ids in the vocabulary for an integer input; finite floats."""
    if not same_shape(x.shape[1:], input_shape):
        return [f"the {name} x has per-sample shape {show(x.shape[1:])} but the model's input is "
                f"{show(input_shape)}{_reshaped(x.shape[1:], input_shape)}"]
    if input_dtype.startswith(("int", "uint")):
        problems = _id_problems(f"the {name} x", x, f"the model's input is {input_dtype} (ids)")
        if not problems and vocab is not None and x.size and x.max() >= vocab.size:
            problems.append(f"the {name} x holds id {int(x.max())}, but the {vocab.embedding} has "
                            f"vocab={vocab.size} (ids 0..{vocab.size - 1}); raise it to {int(x.max()) + 1} or more")
        return problems
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        return [f"the {name} x holds NaN or infinite values"]
    return []


def _reshaped(actual: Shape, expected: Shape) -> str:
    """How the data fit when they hold the right values in another layout: a channel axis of 1
    that grayscale images lack, or images stored flat."""
    if None in expected:
        return ""
    if (*actual, 1) == tuple(expected):
        return f"; the input has a channel axis the data lack: save x as `x[..., None]` (shape {show(expected)})"
    if actual and expected and math.prod(actual) == math.prod(expected):  # type: ignore[arg-type]
        return (f"; both hold {math.prod(actual)} values per sample: save x as `x.reshape(len(x), "  # type: ignore
                f"{', '.join(map(str, expected))})`, or read it with `input {show(actual)}` and a `reshape "
                f"{show(expected)}` layer")
    return ""


def _id_problems(what: str, values: np.ndarray, why: str) -> list[str]:
    """Whole, non-negative numbers: class ids and token ids alike."""
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        return [f"{what} holds NaN or infinite values, but {why}"]
    if values.dtype.kind == "f" and not np.array_equal(values, np.floor(values)):
        sample = values[values != np.floor(values)].flat[0]
        return [f"{what} holds non-whole values such as {float(sample):g}, but {why}"]
    if values.size and values.min() < 0:
        return [f"{what} holds negative values (down to {float(values.min()):g}), but {why}"]
    return []


def y_problems(name: str, y: np.ndarray, output_shape: Shape, loss: str, *, counted: bool = True) -> list[str]:
    """Dispatch on what the loss expects of y. `counted`: whether to say how many values fall
    outside a loss's range; not for the checker's two extreme targets of a generator, which
    stand for targets it has not made."""
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        return [f"the {name} y holds NaN or infinite values"]
    what = f"the {name} y"
    if loss_kind(loss) == "regression":
        return _regression(what, y, output_shape, loss, counted=counted)
    checks = {"sparse": _sparse, "binary": _binary, "categorical": _categorical}
    return checks[loss_kind(loss)](what, y, output_shape, loss)


def _sparse(what: str, y: np.ndarray, output_shape: Shape, loss: str) -> list[str]:
    """One class id per output position; the ids must index the last (class) axis."""
    if not output_shape:
        return [f"{loss} needs an output with a class axis, but the model's output is {show(output_shape)}"]
    positions, classes = output_shape[:-1], output_shape[-1]
    if not (same_shape(y.shape[1:], positions) or same_shape(y.shape[1:], (*positions, 1))):
        needs = f"{show(positions)} (one class id per position)" if positions else "one class id per sample"
        return [f"{what} has per-sample shape {show(y.shape[1:])} but {loss} with output {show(output_shape)} "
                f"needs {needs}{_one_hot_hint(y, output_shape) or _positions_hint(y, output_shape)}"]
    problems = _id_problems(what, y, f"{loss} needs integer class ids")
    if not problems and classes is not None and y.size and y.max() >= classes:
        counted = "1 class (id 0)" if classes == 1 else f"{classes} classes (ids 0..{classes - 1})"
        problems.append(f"{what} holds class id {int(y.max())} but the output has only {counted}")
    return problems


def _one_hot_hint(y: np.ndarray, output_shape: Shape) -> str:
    """One-hot rows shaped like the output are the commonest cause of a sparse loss's shape
    mismatch (the reverse of `_categorical`'s hint): say which loss takes them as they are."""
    if not same_shape(y.shape[1:], output_shape) or not _rows_sum_to_one(y):
        return ""
    return "; its rows look one-hot, so use `loss categorical_crossentropy`, or class ids as y (`y.argmax(axis=-1)`)"


def _positions_hint(y: np.ndarray, output_shape: Shape) -> str:
    """Several class ids per sample (`sort`'s one per sorted position) against a flat output
    whose units divide among them: the model is missing its `reshape` to one distribution per
    position (softmax over all the units would make one distribution in all)."""
    positions = y.shape[1:]
    if len(output_shape) != 1 or output_shape[0] is None or not positions or y.dtype.kind == "f":
        return ""
    count = math.prod(positions)
    if count < 2 or output_shape[0] % count:
        return ""
    classes = output_shape[0] // count
    shape = show((*positions, classes))
    return (f"; for one of {classes} classes at each of its {count} positions, end the model with a linear layer of "
            f"{output_shape[0]} units, then `reshape {shape}` and `activation softmax`")


def _rows_sum_to_one(y: np.ndarray) -> bool:
    """One-hot (or probability) rows on the last axis: values in [0, 1] that sum to 1."""
    return bool(y.size and y.min() >= 0 and y.max() <= 1 and np.allclose(y.sum(axis=-1), 1, atol=1e-3))


def _binary(what: str, y: np.ndarray, output_shape: Shape, loss: str) -> list[str]:
    if not same_or_squeezed(y.shape[1:], output_shape):
        return [f"{what} has per-sample shape {show(y.shape[1:])} but the model's output is {show(output_shape)}"]
    if y.size and (y.min() < 0 or y.max() > 1):
        return [f"{loss} needs y in [0, 1], but {what} ranges over [{float(y.min()):g}, {float(y.max()):g}]"]
    return []


def _categorical(what: str, y: np.ndarray, output_shape: Shape, loss: str) -> list[str]:
    if not same_shape(y.shape[1:], output_shape):
        hint = ("; it looks like class ids, so use sparse_categorical_crossentropy or one-hot y"
                if y.shape[1:] in ((), (1,)) else "")
        return [f"{what} has per-sample shape {show(y.shape[1:])} but {loss} needs one-hot rows shaped like "
                f"the output {show(output_shape)}{hint}"]
    if y.size and not _rows_sum_to_one(y):
        return [f"{loss} needs one-hot (or probability) rows in y, but rows of {what} do not sum to 1 "
                "with values in [0, 1]"]
    return []


def _regression(what: str, y: np.ndarray, output_shape: Shape, loss: str, *, counted: bool) -> list[str]:
    if not same_or_squeezed(y.shape[1:], output_shape):
        return [f"{what} has per-sample shape {show(y.shape[1:])} but {loss} compares it with the model's output "
                f"{show(output_shape)}"]
    return _outside_range(what, y, loss, counted=counted) or _squares_overflow(what, y, loss)


# Targets a loss takes only within a range: poisson's loss falls without bound on a negative
# target (training ends in NaN, blamed on `lr`); Keras clips msle's to ≥ 0 and kl_divergence's
# to [0, 1] in silence, so the net learns other targets than the file's; dice and tversky
# compare masks, whose overlap means nothing outside [0, 1]. (mape divides by |y|, so its
# negative targets are fine.) verify/gradcheck draws its targets within these ranges too.
TARGET_RANGES: dict[str, tuple[float, float | None]] = {
    "poisson": (0, None),
    "msle": (0, None),
    "mean_squared_logarithmic_error": (0, None),
    "kl_divergence": (0, 1),
    "kld": (0, 1),
    "dice": (0, 1),
    "tversky": (0, 1),
}


def _outside_range(what: str, y: np.ndarray, loss: str, *, counted: bool) -> list[str]:
    """A target outside the loss's range, the farthest one, and (where `counted`) how many there are."""
    if loss not in TARGET_RANGES or not y.size:
        return []
    low, high = TARGET_RANGES[loss]
    needs = f"targets ≥ {low:g}" if high is None else f"targets in [{low:g}, {high:g}]"
    if y.min() < low:
        worst, outside = float(y.min()), (lambda v: v < low)
    elif high is not None and y.max() > high:
        worst, outside = float(y.max()), (lambda v: v > high)
    else:
        return []
    found = f"`{loss}` needs {needs}, but {what} holds {worst:g}"
    if not counted:
        return [found]
    count, side = _count(y, outside), f"below {low:g}" if worst < low else f"above {high:g}"
    return [f"{found} ({count} of {y.size} values {'is' if count == 1 else 'are'} {side})"]


COUNTED_AT_ONCE = 1 << 22


def _count(y: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> int:
    """How many values of `y` pass `test`, a bounded slice at a time: the checker passes a
    generator's extreme targets as a broadcast view, which may stand for more values than fit
    in memory (`sort(count=2**31 - 1)`), and `y.flat[a:b]` copies only its slice."""
    return sum(int(np.count_nonzero(test(y.flat[i:i + COUNTED_AT_ONCE]))) for i in range(0, y.size, COUNTED_AT_ONCE))


SQUARED_ERRORS = ("mean_squared_error", "mse")
SQUARE_LIMIT = FLOAT32_MAX**0.5  # 1.8e19: an error this size squares to inf


def _squares_overflow(what: str, y: np.ndarray, loss: str) -> list[str]:
    """Targets fit float32, but their squared error would not: the loss is inf from the first
    step, and training fails with a NaN loss blamed on `lr`."""
    if loss not in SQUARED_ERRORS or not y.size:
        return []
    largest = max(abs(float(y.min())), abs(float(y.max())))  # no |y| copy: `y` may be a broadcast view
    if largest < SQUARE_LIMIT:
        return []
    return [f"{what} holds {largest:g}, but `{loss}` squares errors that size past {FLOAT32_RANGE}; "
            f"scale y down (divide it by a constant) so its values stay below {SQUARE_LIMIT:.2g}"]
