"""Numerical gradient checking: the backend's analytic gradient against central differences.

The recipe's safeguard: before trusting a network's training curves, confirm that its
backward pass computes the derivative of its forward pass. The spec's network is built in
float64, fed a small deterministic batch, and for a random sample of each trainable
variable's entries the analytic derivative g is compared with

    n = (L(w + eps) - L(w - eps)) / 2 eps

by the relative error |g - n| / max(|g|, |n|, floor). The floor is the finite-difference
noise divided by the tolerance: a derivative too small to resolve relatively is held to
an absolute error of about that noise instead (so two exact zeros agree). An entry that
fails is retried with smaller steps, since a ReLU kink or a max-pooling switch inside the
step spoils the quotient but not a smaller one; with larger steps, since a deep net's loss
may round coarser than the floor allows for; and then one-sided, since at a kink right at w
the framework's gradient is one of the two slopes. A wrong gradient fails every estimate.

    model tiny { input [4]  dense 1 sigmoid }      # ldnn gradcheck tiny.ldnn
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ldnn_dsl.build.backend import seed_everything
from ldnn_dsl.check.losses import PROBABILITIES, keras_name, loss_kind, takes_logits
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.data.fit import TARGET_RANGES
from ldnn_dsl.expand.graph import LayerNode, ModelGraph, Node, ResidualNode, layer_nodes
from ldnn_dsl.layers.base import Shape
from ldnn_dsl.verify.backends import (
    Evaluator,
    GradcheckError,
    analytic_gradients,
    batch_loss,
    float64,
    loss_evaluator,
)
from ldnn_dsl.verify.differences import QUIETER, SMOOTHER, UNDEFINED, Judge, sample_indices
from ldnn_dsl.verify.options import GradcheckOptions

DEFAULT_LOSS = "mean_squared_error"
AWAY_FROM_ZERO = ("mape", "mean_absolute_percentage_error")  # they divide by |y|: the quotient needs it not tiny
KINKED = ("relu", "leaky_relu")


@dataclass(frozen=True)
class Entry:
    """One sampled parameter: where it is, both derivatives, their relative error, and the
    difference quotient that decided (`how`: central, forward or backward, `kink` within the
    slopes of a kink that several samples share, or `UNDEFINED` at a tie; its `step`)."""

    variable: str
    index: tuple[int, ...]
    analytic: float
    numerical: float
    error: float
    step: float
    how: str = "central"


@dataclass(frozen=True)
class LayerResult:
    """A layer with parameters: how many were sampled, the worst of them, pass or fail."""

    name: str
    kind: str
    sampled: int
    worst: Entry
    passed: bool
    kinks: int = 0  # entries that agreed only once a kink inside the step was shown
    undefined: int = 0  # entries at a kink that several samples share: no derivative to compare with

    @property
    def max_error(self) -> float:
        return self.worst.error


@dataclass(frozen=True)
class SkippedLayer:
    name: str
    kind: str
    reason: str


@dataclass
class GradcheckReport:
    """Everything `ldnn gradcheck` prints; `passed` decides the exit status."""

    model: str
    backend: str
    loss: str
    loss_value: float
    options: GradcheckOptions
    layers: list[LayerResult] = field(default_factory=list)
    skipped: list[SkippedLayer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(layer.passed for layer in self.layers)

    @property
    def max_error(self) -> float:
        return max((layer.max_error for layer in self.layers), default=0.0)

    @property
    def sampled(self) -> int:
        return sum(layer.sampled for layer in self.layers)


def gradcheck(spec: Spec, options: GradcheckOptions | None = None) -> GradcheckReport:
    """Build `spec` in float64 and compare analytic with numerical gradients, layer by layer."""
    import keras

    from ldnn_dsl.build.model import build_model

    options = options or GradcheckOptions()
    loss_name = spec.train.loss if spec.train is not None else DEFAULT_LOSS
    folded = folded_activation(spec, loss_name)
    spec = _float64_input(spec if folded is None else _without_output_activation(spec))
    with float64():
        seed_everything(options.seed)
        model = build_model(spec)
        rng = np.random.default_rng(options.seed)
        x = make_inputs(spec.model, options.batch, rng)
        y = make_targets(loss_name, tuple(model.outputs[0].shape[1:]), options.batch, rng)
        loss = batch_loss(keras_name(loss_name), from_logits=folded is not None)
        grads = analytic_gradients(model, x, y, loss)
        evaluate = loss_evaluator(model, x, y, loss)
        report = GradcheckReport(spec.model.name, keras.backend.backend(), loss_name,
                                 evaluate(None, None), options, notes=notes(spec, folded))
        if not math.isfinite(report.loss_value):  # every difference quotient would be NaN: no gradient to judge
            raise GradcheckError(
                f"the loss `{loss_name}` is {report.loss_value} at the starting weights on the check's random batch, "
                "so no gradient can be judged: the output is outside the loss's domain (e.g. `poisson` or `kld` "
                "of a negative output); give the output layer an activation that keeps it in range")
        probe = _Probe(grads, {id(v): i for i, v in enumerate(model.trainable_variables)}, evaluate,
                       report.loss_value, options, rng, ties=bool(max_pooled(layer_nodes(spec.model.body))))
        for name, kind, _ in graph_layers(spec.model):
            variables = _layer_variables(model, name)
            if variables:
                report.layers.append(probe.layer(name, kind, variables))
            else:
                report.skipped.append(SkippedLayer(name, kind, _skip_reason(kind)))
    return report


def folded_activation(spec: Spec, loss: str) -> str | None:
    """The output layer's `sigmoid` or `softmax`, where the check folds it into the crossentropy
    (`from_logits`), as Keras on TensorFlow does when it trains: computed from probabilities,
    as Keras on JAX does, a crossentropy magnifies their rounding near 0 and 1 by 1 / (1 - p),
    and a probability within a few ulps of 1 does not move over a difference quotient's step
    at all. The activation has no parameters, so every layer is still checked. None where the
    model does not end in the activation its loss takes, or where that activation is not applied
    last (a recurrent layer's is inside its cell: made linear, the recurrence itself would change)."""
    last = spec.model.body[-1] if spec.model.body else None
    if not (isinstance(last, LayerNode) and last.layer.activation_last and takes_logits(loss)):
        return None
    activation = getattr(last.layer, "activation", None)
    return activation if activation == PROBABILITIES[loss] else None


def _without_output_activation(spec: Spec) -> Spec:
    """`spec` with its output layer's activation linear: the scores that the loss takes as logits."""
    last = spec.model.body[-1]
    node = last.model_copy(update={"layer": last.layer.model_copy(update={"activation": "linear"})})  # type: ignore[union-attr]
    model = spec.model.model_copy(update={"body": (*spec.model.body[:-1], node)})
    return spec.model_copy(update={"model": model})


def _float64_input(spec: Spec) -> Spec:
    """`spec` with a float input declared float64. The float64 policy does not reach an input
    whose dtype is written out, and a layer computes in its input's dtype before it casts: a
    `layernorm` right after a float32 input normalized in float32, and its finite differences
    drowned in rounding."""
    node = spec.model.input
    if node.layer.dtype != "float32":  # type: ignore[union-attr]
        return spec
    layer = node.layer.model_copy(update={"dtype": "float64"})
    model = spec.model.model_copy(update={"input": node.model_copy(update={"layer": layer})})
    return spec.model_copy(update={"model": model})


def graph_layers(graph: ModelGraph) -> Iterator[tuple[str, str, LayerNode | None]]:
    """(name, kind, layer node or None) of every node after the input, in `ldnn check --summary` order."""
    def walk(nodes: Sequence[Node]) -> Iterator[tuple[str, str, LayerNode | None]]:
        for node in nodes:
            if isinstance(node, LayerNode):
                yield node.name, node.layer.kind, node
            elif isinstance(node, ResidualNode):
                yield from walk(node.body)
                yield node.name, "residual add", None
            else:
                for branch in node.branches:
                    yield from walk(branch)
                yield node.name, f"parallel {node.mode}", None
    return walk(graph.body)


def make_inputs(graph: ModelGraph, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Standard normal floats, or integer ids below the smallest embedding vocabulary."""
    layer = graph.input.layer
    shape = (batch, *layer.shape)  # type: ignore[union-attr]
    if layer.dtype == "int32":  # type: ignore[union-attr]
        vocab = min((n.layer.vocab for n in layer_nodes(graph.body) if n.layer.kind == "embedding"),  # type: ignore[union-attr]
                    default=2)
        return rng.integers(0, vocab, size=shape).astype("int32")
    return rng.standard_normal(shape).astype(layer.dtype)  # type: ignore[union-attr]


def make_targets(loss: str, output: Shape, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Random targets the loss accepts for an output of shape `output` (no batch axis)."""
    kind = loss_kind(loss)
    if kind == "sparse":
        return rng.integers(0, output[-1], size=(batch, *output[:-1])).astype("int32")
    if kind == "binary":
        return rng.integers(0, 2, size=(batch, *output)).astype("float64")
    if kind == "categorical":
        return np.eye(output[-1])[rng.integers(0, output[-1], size=(batch, *output[:-1]))]
    low, high = TARGET_RANGES.get(loss, (None, None))
    if low is not None and high is not None:  # inside, away from the ends, where Keras would clip
        return rng.uniform(low + 0.1 * (high - low), high - 0.1 * (high - low), size=(batch, *output))
    y = rng.standard_normal((batch, *output))
    return np.abs(y) + 0.1 if low is not None or loss in AWAY_FROM_ZERO else y


@dataclass(frozen=True)
class _Probe:
    """What checking any entry takes: the analytic gradients (by variable index), the loss at
    changed weights, the loss at the starting ones, and the random draw of entries."""

    grads: list[np.ndarray]
    owners: dict[int, int]  # id of a trainable variable -> its index in `grads`
    evaluate: Evaluator
    loss_value: float
    options: GradcheckOptions
    rng: np.random.Generator
    ties: bool  # the model max-pools: a kink that a batch shares may be a tie

    def layer(self, name: str, kind: str, variables: list[Any]) -> LayerResult:
        """The layer's sampled entries judged: the worst, and how many only a kink explained."""
        entries = [entry for variable in variables for entry in self.entries(variable)]
        worst = max(entries, key=lambda e: e.error)
        tolerance = self.options.tolerance
        kinks = sum((e.step < self.options.eps or e.how not in ("central", UNDEFINED))
                    and e.how not in (SMOOTHER, QUIETER) and e.error <= tolerance for e in entries)
        undefined = sum(e.how == UNDEFINED for e in entries)
        return LayerResult(name, kind, len(entries), worst, worst.error <= tolerance, kinks, undefined)

    def entries(self, variable: Any) -> Iterator[Entry]:
        index = self.owners[id(variable)]
        base = np.array(variable.numpy() if hasattr(variable, "numpy") else variable.value, dtype="float64")
        grad = self.grads[index]
        for flat in sample_indices(grad, self.options.samples, self.rng):
            where = np.unravel_index(flat, base.shape)

            def at(offset: float, where: tuple[Any, ...] = where) -> float:
                value = base.copy()
                value[where] = base[where] + offset
                return self.evaluate(index, value)

            judge = Judge(float(grad[where]), self.loss_value, self.options.tolerance, self.options.eps, self.ties)
            yield Entry(variable.path, tuple(int(i) for i in where), *judge.judge(at))


def max_pooled(layers: Sequence[LayerNode]) -> list[str]:
    """The layers that take a maximum, where equal values tie."""
    return [n.name for n in layers if n.layer.kind == "maxpool" or getattr(n.layer, "mode", None) == "max"]


def _layer_variables(model: Any, name: str) -> list[Any]:
    try:
        return list(model.get_layer(name).trainable_variables)
    except ValueError:
        return []


def _skip_reason(kind: str) -> str:
    reasons = {"dropout": "no parameters (off in inference mode)",
               "maxpool": "no parameters (ties make the gradient undefined; see the note)"}
    return reasons.get(kind, "no parameters")


def notes(spec: Spec, folded: str | None = None) -> list[str]:
    """What the reader should know about this check of this network."""
    layers = layer_nodes(spec.model.body)
    kinds = {n.layer.kind for n in layers}
    out = ["forward pass in inference mode (training=False): dropout is off, batchnorm uses its moving statistics"]
    if spec.train is None:
        out.append(f"no `train` section: the loss is {DEFAULT_LOSS}")
    elif spec.train.precision != "float32":
        out.append(f"the check runs in float64; `precision {spec.train.precision}` is for training")
    if folded is not None and spec.train is not None:
        out.append(f"the output's {folded} is folded into `{spec.train.loss}` (computed from the scores before it, "
                   "as Keras on TensorFlow trains): crossentropy of probabilities rounded near 0 and 1 is too coarse "
                   "for finite differences")
    if "batchnorm" in kinds:
        out.append("batchnorm is checked in inference mode: gamma and beta, with the moving mean and variance fixed")
    maxed = max_pooled(layers)
    if maxed:
        out.append(f"max-pooling ({', '.join(maxed)}): where a window's maximum is tied the gradient is "
                   "undefined; random float inputs make ties unlikely, but an init that makes units equal "
                   "(`zeros`, `constant`) ties them")
    kinked = [n.name for n in layers if getattr(n.layer, "activation", None) in KINKED]
    if kinked:
        out.append(f"ReLU kinks ({', '.join(kinked)}): the gradient is undefined at 0; an entry whose step "
                   "crosses a kink (here or downstream) is retried with steps eps/10 to eps/10,000, then one-sided")
    return out
