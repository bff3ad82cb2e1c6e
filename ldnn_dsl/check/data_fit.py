"""What `data` settles before any sample is read: the shape a built-in generator makes, how
many samples the splits leave to train on, and whether the `log1p` columns exist. Loading
checks the same again on the arrays (a file's are known only then); for what the spec alone
decides, `ldnn check` says it first, at the setting."""

from __future__ import annotations

from typing import Any

from ldnn_dsl.check.data_section import (
    DataSection,
    Generator,
    Log1p,
    Split,
    log1p_column_outside,
    log1p_column_twice,
    split_leaves_none,
    split_size,
    written_split,
)
from ldnn_dsl.check.spec import Spans, Spec, item_span
from ldnn_dsl.layers.base import Shape, fmt_shape
from ldnn_dsl.source.diagnostics import Diagnostic, error

SPLITS = {"source": "training", "validate": "validation", "test": "test"}  # setting -> the split it makes


def data_misfits(spec: Spec, spans: Spans, output: Shape | None = None) -> list[Diagnostic]:
    """`output`: the model's output shape, where the checker could infer it."""
    data, layer = spec.data, spec.model.input.layer
    if data is None:
        return []
    shape: Shape = layer.shape  # type: ignore[union-attr]
    targets = _generator_targets(data, spec.train.loss, output, spans) if spec.train and output else []
    return [*_generator_shapes(data, shape, spans), *targets, *_splits_leave_some(data, spans),
            *_log1p_columns_exist(data, shape, spans)]


def _generator_targets(data: DataSection, loss: str, output: Shape, spans: Spans) -> list[Diagnostic]:
    """A built-in generator's targets that the loss cannot compare with the model's output. The
    rule is loading's own (`data/fit.py`), run on the two extreme targets the generator makes:
    their shape and range are all it looks at, and so the message is the one training would give.
    Each is one value broadcast over the target's shape, which takes no memory however long."""
    sources = [(setting, source) for setting, source in (("source", data.source), ("validate", data.validate_),
                                                        ("test", data.test)) if isinstance(source, Generator)]
    if not sources:
        return []
    from ldnn_dsl.data.fit import y_problems  # only here: the rest of the checker runs without NumPy

    return [error("E405", problem, spans.get(("data", setting)),
                  help="the model's output must fit the targets the source makes under the loss")
            for setting, source in sources
            for problem in y_problems(SPLITS[setting], _extremes(source), output, loss, counted=False)]


def _extremes(source: Generator) -> Any:
    """(2, *target_shape): every value of the first the smallest target, of the second the largest."""
    import numpy as np

    ends = np.array(source.target_range, source.target_dtype).reshape(2, *(1,) * len(source.target_shape))
    return np.broadcast_to(ends, (2, *source.target_shape))


def _generator_shapes(data: DataSection, shape: Shape, spans: Spans) -> list[Diagnostic]:
    """A built-in generator whose samples are not the shape of the model's input."""
    out = []
    training_fits = not isinstance(data.source, Generator) or data.source.sample_shape == shape
    for setting, source in (("source", data.source), ("validate", data.validate_), ("test", data.test)):
        if isinstance(source, Generator) and source.sample_shape != shape:
            made = fmt_shape(source.sample_shape)
            help = (f"make this source's samples match the training source's and the input's, {fmt_shape(shape)}"
                    if setting != "source" and training_fits else f"make the model's input `input {made}`")
            out.append(error("E405", f"the `{source.name}` source makes samples of shape {made}, but the model's "
                             f"input is {fmt_shape(shape)}", spans.get(("data", setting)), help=help))
    return out


def _splits_leave_some(data: DataSection, spans: Spans) -> list[Diagnostic]:
    """`validate` and `test` taking every sample: counted when a generator says how many there
    are, and for fractions alone when together they come to 100% or more."""
    splits = (("test", data.test), ("validate", data.validate_))  # test comes off first, as loading does
    carved: list[tuple[str, float | int]] = [(name, s) for name, s in splits if _is_size(s)]  # type: ignore[misc]
    if not isinstance(data.source, Generator):
        fractions = [s for _, s in carved if isinstance(s, float)]
        if len(fractions) < 2 or sum(fractions) < 1:
            return []
        return [error("E404", f"`validate {written_split(data.validate_)}` and `test {written_split(data.test)}` "  # type: ignore[arg-type]
                      "take every sample between them, leaving none to train on", spans.get(("data", "validate")),
                      help="make them smaller: e.g. `validate 10%` and `test 10%`")]
    total = left = data.source.samples
    for name, setting in carved:
        if (problem := split_leaves_none(name, setting, left, total)) is not None:
            return [error("E404", problem, spans.get(("data", name)),
                          help=f"make `{name}` smaller, or raise `samples` of `{data.source.name}`")]
        left -= split_size(setting, total)
    return []


def _is_size(split: Split | None) -> bool:
    return isinstance(split, int | float) and not isinstance(split, bool)


def _log1p_columns_exist(data: DataSection, shape: Shape, spans: Spans) -> list[Diagnostic]:
    for i, step in enumerate(data.preprocess):  # marked at the step that names the column
        if not isinstance(step, Log1p):
            continue
        columns, features = step.columns or (), shape[-1]
        if (outside := log1p_column_outside(columns, features, "the input")) is not None:
            return [error("E404", outside, item_span(spans, "data", "preprocess", i),
                          help="columns count from 0 on the input's last axis")]
        if (twice := log1p_column_twice(columns, features, "the input")) is not None:
            return [error("E404", twice, item_span(spans, "data", "preprocess", i), help="list each column once")]
    return []
