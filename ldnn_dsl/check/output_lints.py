"""Warnings where the model's output and its loss or metrics disagree: a crossentropy or a
probability metric over scores, a poisson loss over values that can be negative, a softmax
over one unit. Each runs without an error in Keras and trains or reports nothing useful."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ldnn_dsl.check.losses import PROBABILITIES
from ldnn_dsl.check.shapes import Row
from ldnn_dsl.check.spec import Spans, Spec, item_span
from ldnn_dsl.expand.graph import LayerNode, Node, ParallelNode, ResidualNode, layer_nodes, range_setter
from ldnn_dsl.source.diagnostics import Diagnostic, warning
from ldnn_dsl.source.span import Span

Inferred = Mapping[str, Row]  # layer name -> its output shape and parameters, as the checker inferred them


def softmax_over_one(spec: Spec, inferred: Inferred) -> Iterator[Diagnostic]:
    """Keras only warns at run time, by which point a whole run may have been spent on a constant.
    A gated layer's output is not the constant: lstm's o * softmax(c) is its output gate, o."""
    for node in layer_nodes(spec.model.body):
        row = inferred.get(node.name)
        if getattr(node.layer, "activation", None) == "softmax" and not node.layer.gated and row is not None \
                and row.shape[-1:] == (1,):
            yield warning("W111", "softmax over a last axis of size 1: the output is always 1, whatever the "
                          "input, so nothing before it can learn", node.spans.get("activation", node.span),
                          help="for one yes/no output use `sigmoid` (with binary_crossentropy); for N classes, "
                          "N units with softmax", notes=node.notes)


POSITIVE = ("relu", "sigmoid", "softmax", "softplus")  # activations whose outputs a poisson loss can take the log of


def crossentropy_on_scores(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Keras' crossentropies (and its KL divergence) take probabilities unless told `from_logits`;
    fed unbounded scores they clip and renormalize them, and training goes wrong without an error."""
    if spec.train is None or (want := PROBABILITIES.get(spec.train.loss)) is None:
        return
    last = _last_computing(spec)
    if last is None or (found := _unbounded_end(last)) is None:
        return
    ends, at = found
    yield warning("W112", f"`{spec.train.loss}` takes probabilities, but the model ends in {ends}: the loss would "
                  "read unbounded scores as probabilities", _output_span(at), help=f"end the model with `{want}`",
                  notes=(*at.notes, *_kept_after(spec)))


def poisson_on_negatives(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """The poisson loss takes the log of the predicted rate: an output that can go negative makes
    the loss NaN at the first such prediction, and training stops."""
    if spec.train is None or spec.train.loss != "poisson":
        return
    last = _last_computing(spec)
    if last is None or (found := _unbounded_end(last, POSITIVE)) is None:
        return
    ends, at = found
    yield warning("W115", f"`poisson` takes the log of a positive rate, but the model ends in {ends}, which can be "
                  "negative: the loss becomes NaN", _output_span(at), help="end the model with `softplus`",
                  notes=(*at.notes, *_kept_after(spec)))


THRESHOLDED = ("auc", "precision", "recall", "binary_accuracy", "binary_crossentropy")  # read P(class 1)


def probability_metrics_on_scores(spec: Spec, spans: Spans, inferred: Inferred) -> Iterator[Diagnostic]:
    """Keras' `auc`, `precision`, `recall`, `binary_accuracy` and `binary_crossentropy` read the
    output as the probability of class 1 (the first three and the accuracy cut it at 0.5), and
    `accuracy` over one output unit is Keras' binary accuracy: over scores that are no
    probabilities, as a regression's, they run and report numbers that mean nothing. A
    crossentropy loss on such scores is W112's, which says it for the metrics too."""
    if spec.train is None or spec.train.loss in PROBABILITIES:
        return
    rows = list(inferred.values())
    one_unit = bool(rows) and rows[-1].shape[-1:] == (1,)
    wrong = [(i, m) for i, m in enumerate(spec.train.metrics) if m in THRESHOLDED or (m == "accuracy" and one_unit)]
    last = _last_computing(spec)
    if not wrong or last is None or (found := _unbounded_end(last)) is None:
        return
    ends, _ = found
    for index, metric in wrong:
        read = "`accuracy` over one output unit is Keras' binary accuracy, which" if metric == "accuracy" else \
            f"`{metric}`"
        yield warning("W119", f"{read} reads the output as the probability of class 1, but the model ends in "
                      f"{ends}, which makes no probabilities: the numbers it reports mean nothing",
                      item_span(spans, "train", "metrics", index),
                      help="end a yes/no model with `sigmoid` (and `loss binary_crossentropy`); for a regression, "
                           "use `mae` or `root_mean_squared_error`")


def _last_computing(spec: Spec) -> Node | None:
    """The model's last node that sets its output's range (reshapes, dropout and pooling keep it)."""
    return _last_of(spec.model.body)


def _last_of(nodes: Sequence[Node]) -> Node | None:
    index = range_setter(nodes)
    return None if index is None else nodes[index]


def _kept_after(spec: Spec) -> tuple[str, ...]:
    """A note naming the layers after the model's last range-setting node (`_last_computing`),
    all of which keep its range, where there are any."""
    body = spec.model.body
    after = [f"`{n.layer.kind}`" for n in body[(range_setter(body) or 0) + 1:] if isinstance(n, LayerNode)]
    if not after:
        return ()
    kinds = after[0] if len(after) == 1 else f"{', '.join(after[:-1])} and {after[-1]}"
    return (f"{kinds} after it {'keeps' if len(after) == 1 else 'keep'} its range of values",)


def _output_span(last: Node) -> Span:
    return last.spans.get("activation", last.span) if isinstance(last, LayerNode) else last.span


RENORMALIZED = ("batchnorm", "layernorm")  # shift and scale whatever comes in: probabilities no longer


def _unbounded_end(last: Node, bounded: tuple[str, ...] = ("softmax", "sigmoid")) -> tuple[str, Node] | None:
    """How the model's last computing node makes scores rather than probabilities (values
    outside what `bounded` activations make), and the node to mark; None when it ends in one
    of those (or in something this rule cannot judge: a branch that passes its input on). A
    concatenation keeps its branches' ranges: it is judged by each branch's end."""
    if isinstance(last, ResidualNode):
        return f"the residual `{last.name}`, which adds its input to its body's output", last
    if isinstance(last, ParallelNode) and last.mode == "add":
        return f"the parallel `{last.name}`, which sums its branches", last
    if isinstance(last, ParallelNode):
        ends = (_unbounded_end(end, bounded) for end in map(_last_of, last.branches) if end is not None)
        if (branch := next(filter(None, ends), None)) is None:
            return None
        return f"the parallel `{last.name}`, one of whose branches ends in {branch[0]}", branch[1]
    if not isinstance(last, LayerNode):
        return None
    if last.layer.kind in RENORMALIZED:
        return f"`{last.layer.kind}`, which shifts and scales its input", last
    activation = getattr(last.layer, "activation", None)
    if activation is None or activation in bounded:
        return None
    return f"`{last.layer.kind}` with a {activation} output", last
