"""The resolved spec: the run's spec with every default written out, as valid .ldnn text.

A run folder's `spec.ldnn` says exactly what was trained: blocks and `repeat`s expanded,
every layer with all its arguments (initializers resolved from `init`), every setting of
`init`, `data` and `train`, `batch auto` replaced by the batch used. It checks clean and
builds a model with the same parameter count as the original:

```
model sorter {
  input [60] dtype=float32
  dense 1024 activation=relu init=scaled(1) bias_init=zeros bias=true
  ...
}
```"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ldnn_dsl.check.choices import Choice, ldnn_literal
from ldnn_dsl.check.data_section import CsvSource, DataSection, NpzSource, written_split
from ldnn_dsl.check.recipe import InitSection
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.expand.graph import LayerNode, Node, ParallelNode, ResidualNode
from ldnn_dsl.fmt.printer import format_text
from ldnn_dsl.layers.base import WINDOW_FIELDS, InitDefaults, LayerKind
from ldnn_dsl.layers.initializers import Init
from ldnn_dsl.source.text import resolve

INDENT = "  "


def resolved_text(spec: Spec, *, batch: int, epochs: int, seed: int, jit: bool, steps_per_execution: int,
                  folder: str | Path | None = None) -> str:
    """The whole resolved spec, as `ldnn fmt` lays it out (`fmt --check` passes on a run folder).
    `folder` is where the text will live: data paths are rewritten relative to it so the saved
    spec still finds its files."""
    shown = spec.path if spec.path.isprintable() else repr(spec.path)  # a newline would end the comment
    parts = [f"# Resolved from {shown}: every default written out.",
             "\n".join(model_lines(spec)),
             "\n".join(section_lines("init", init_settings(spec.init)))]
    if spec.data is not None:
        parts.append("\n".join(section_lines("data", data_settings(spec.data, spec.path, folder))))
    if spec.train is not None:
        parts.append("\n".join(section_lines("train", train_settings(
            spec.train, batch=batch, epochs=epochs, seed=seed, jit=jit, steps_per_execution=steps_per_execution))))
    return format_text("\n\n".join(parts) + "\n", "spec.ldnn")  # in `ldnn fmt`'s layout, as written by hand


# model -----------------------------------------------------------------------------------
def model_lines(spec: Spec) -> list[str]:
    defaults = spec.init_defaults
    lines = [f"model {spec.model.name} {{", INDENT + layer_text(spec.model.input.layer, defaults)]
    lines += list(_nodes(spec.model.body, defaults, 1))
    return [*lines, "}"]


def _nodes(nodes: tuple[Node, ...], defaults: InitDefaults, depth: int) -> Iterator[str]:
    pad = INDENT * depth
    for node in nodes:
        if isinstance(node, LayerNode):
            yield pad + layer_text(node.layer, defaults)
        elif isinstance(node, ResidualNode):
            yield pad + "residual {"
            yield from _nodes(node.body, defaults, depth + 1)
            yield pad + "}"
        elif isinstance(node, ParallelNode):
            yield pad + f"parallel {node.mode} {{"
            for branch in node.branches:
                yield pad + INDENT + "branch {"
                yield from _nodes(branch, defaults, depth + 2)
                yield pad + INDENT + "}"
            yield pad + "}"


def layer_text(layer: LayerKind, defaults: InitDefaults) -> str:
    """`dense 512 activation=relu init=scaled(1) bias_init=zeros bias=true`: positional
    values first, then every other argument as an option (None means 'not set')."""
    values = resolved_arguments(layer, defaults)
    kind = values.pop("kind")
    head = [value_text(k, values.pop(k)) for k in type(layer).positional if values.get(k) is not None]
    first = sorted(values, key=lambda k: k not in ("activation", "sequences"))  # the words a reader expects first
    options = [f"{k}={value_text(k, values[k])}" for k in first if values[k] is not None]
    return " ".join([kind, *head, *options])


def resolved_arguments(layer: LayerKind, defaults: InitDefaults) -> dict[str, Any]:
    """The layer's fields with the `init` section's defaults (and Keras' own) filled in."""
    values = {k: getattr(layer, k) for k in type(layer).model_fields}
    if layer.name is None:
        values.pop("name")
    return {**values, **layer.filled(defaults)}


def value_text(field: str, value: Any) -> str:
    """One argument as source: windows `3x3`, shapes `[10, 64]`, initializers `normal(0.02)`."""
    if isinstance(value, Init):
        return value.text()
    if isinstance(value, Choice):
        return value.text()
    if field in WINDOW_FIELDS and isinstance(value, tuple):
        return "x".join(map(str, value))
    return ldnn_literal(value)


# sections --------------------------------------------------------------------------------
def section_lines(name: str, settings: list[tuple[str, str]]) -> list[str]:
    """The section's lines; `format_text` aligns the values, as `ldnn fmt` does."""
    if not settings:
        return [f"{name} {{", f"{INDENT}# no defaults: every layer above names its initializers", "}"]
    return [f"{name} {{", *(f"{INDENT}{k} {v}" for k, v in settings), "}"]


def init_settings(init: InitSection) -> list[tuple[str, str]]:
    out = [("weights", init.weights.text()) if init.weights else None,
           ("biases", init.biases.text()) if init.biases else None,
           ("forget_bias", repr(init.forget_bias)) if init.forget_bias is not None else None]
    return [s for s in out if s is not None]


def data_settings(data: DataSection, spec_path: str, folder: str | Path | None) -> list[tuple[str, str]]:
    out = [("source", _source(data.source, spec_path, folder))]
    for key, split in (("validate", data.validate_), ("test", data.test)):
        if split is not None:
            out.append((key, _source(split, spec_path, folder, data.source) if isinstance(split, Choice)
                        else written_split(split)))
    out += [("preprocess", p.text()) for p in data.preprocess]
    if data.augment:
        out.append(("augment", " ".join(a.text() for a in data.augment)))
    out.append(("seed", str(data.seed)))
    out.append(("shuffle", data.shuffle))
    return out


def _source(source: Choice, spec_path: str, folder: str | Path | None, training: Choice | None = None) -> str:
    """A file source with its path made relative to the resolved spec's folder. A second csv
    that names no target takes a headed training csv's by name: written out where the training
    source names it, else left for the reader to take again (the name is in the file); after
    any other training source it takes its own last column, written out as every default is."""
    if isinstance(source, NpzSource | CsvSource) and folder is not None:
        target = resolve(spec_path, source.path).resolve()
        source = source.model_copy(update={"path": os.path.relpath(target, Path(folder).resolve())})
    if not isinstance(training, CsvSource) or training.header is False or not isinstance(source, CsvSource) \
            or not source.takes_training_target:
        return source.text()
    if isinstance(training.target, str):
        return source.model_copy(update={"target": training.target}).text()
    return source.text(omit=("target",))


def train_settings(train: TrainSection, *, batch: int, epochs: int, seed: int, jit: bool,
                   steps_per_execution: int) -> list[tuple[str, str]]:
    out = [("loss", train.loss), ("optimizer", train.optimizer.text()), ("lr", repr(train.lr)),
           ("batch", str(batch)), ("epochs", str(epochs)), ("schedule", train.schedule.text())]
    if train.early_stop is not None:
        stop = train.early_stop
        out.append(("early_stop", f"patience={stop.patience} restore_best={ldnn_literal(stop.restore_best)}"))
    if train.clip_norm is not None:
        out.append(("clip_norm", repr(train.clip_norm)))
    out += [("weight_decay", repr(train.weight_decay)),
            ("metrics", ldnn_literal(list(train.metrics))),
            ("ensemble", str(train.ensemble)),
            ("monitor", ldnn_literal(list(train.monitor))),
            ("precision", train.precision),
            ("seed", str(seed)),
            ("jit", ldnn_literal(jit)),
            ("steps_per_execution", str(steps_per_execution))]
    return out
