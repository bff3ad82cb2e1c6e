"""Warnings that teach the training recipe. Each has a code, a reason, and a fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ldnn_dsl.check.data_section import Rotate
from ldnn_dsl.check.output_lints import (
    Inferred,
    crossentropy_on_scores,
    poisson_on_negatives,
    probability_metrics_on_scores,
    softmax_over_one,
)
from ldnn_dsl.check.spec import Spans, Spec, item_span
from ldnn_dsl.check.train_section import Plateau, Sgd, Step
from ldnn_dsl.expand.graph import LayerNode, ParallelNode, ResidualNode, layer_nodes, walk
from ldnn_dsl.layers.initializers import FIXED_STD
from ldnn_dsl.layers.recurrent import Recurrent
from ldnn_dsl.source.diagnostics import Diagnostic, warning

DEEP = 8
HUGE = 1_000_000_000  # parameters: 4 GB of float32 weights, and about 3 times that again to train them


def layers(spec: Spec) -> list[LayerNode]:
    return layer_nodes(spec.model.body)


def deep_fixed_init(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Marked where most of the fixed inits are written: the layers' own `init=` (which `init {
    weights }` does not override), or the `init` section's default."""
    weighted = [n for n in layers(spec) if n.layer.has_weights and n.layer.kind != "embedding"]
    if len(weighted) < DEEP or any(isinstance(n, ResidualNode) for n in walk(spec.model.body)):
        return
    chosen = [(n, getattr(n.layer, "init", None)) for n in weighted]
    fixed = [(n, own) for n, own in chosen if (init := own or spec.init.weights) is not None
             and init.name in FIXED_STD]
    if len(fixed) * 2 < len(weighted):
        return
    message = (f"{len(weighted)} weight layers with a small fixed-std init and no residual path: the signal shrinks "
               "layer by layer and SGD may never get off the ground")
    owned = [(n, own) for n, own in fixed if own is not None]
    if len(owned) * 2 > len(fixed):  # most of them write it: changing the `init` default would not do
        first, own = owned[0]
        yield warning("W101", message, first.spans.get("init", first.span), notes=first.notes,
                      help=f"write `init=scaled(1.0)` (1/sqrt(fan_in) * randn) where the layers have "
                           f"`init={own.text()}`, or add `residual {{ ... }}` blocks")
        return
    written = spans.get(("init", "weights"))
    yield warning("W101", message, written or fixed[0][0].span, notes=() if written else fixed[0][0].notes,
                  help="use `weights scaled(1.0)` (1/sqrt(fan_in) * randn) or add `residual { ... }` blocks")


def recurrent_without_clipping(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    if spec.train is None or spec.train.clip_norm is not None:
        return
    for node in layers(spec):
        if isinstance(node.layer, Recurrent):
            yield warning("W102", f"`{node.layer.kind}` without gradient clipping: recurrent nets have rare, huge "
                          "gradients that wreck training", node.span, help="add `clip_norm 5` to `train`",
                          notes=node.notes)
            return


LARGEST_BATCH = 1024  # past ~1,000 a bigger batch buys little speed and generalizes worse (`batch auto` stops here)


def huge_batch(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    if spec.train and isinstance(spec.train.batch, int) and spec.train.batch > LARGEST_BATCH:
        yield warning("W103", f"minibatch of {spec.train.batch}: past ~1,000 a bigger batch buys little speed and "
                      "usually generalizes worse", spans.get(("train", "batch")),
                      help="use the smallest batch that runs efficiently (`batch auto` measures it)")


def sgd_lr_range(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    train = spec.train
    if train and train.optimizer.name == "sgd" and not 1e-4 <= train.lr <= 1:
        side = "above 1 diverges" if train.lr > 1 else "below 1e-4 barely moves the weights"
        yield warning("W104", f"SGD learning rate {train.lr:g}: {side}", spans.get(("train", "lr")),
                      help="start near 0.1 and let a plateau schedule divide it by 2 or 5")


def dropout_few_epochs(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    if spec.train is None or spec.train.epochs >= 10:
        return
    for node in layers(spec):
        if node.layer.kind == "dropout" and node.layer.rate >= 0.2:  # type: ignore[union-attr]
            yield warning("W105", f"dropout {node.layer.rate:g} with only {spec.train.epochs} epochs: dropout slows "  # type: ignore[union-attr]
                          "learning and pays off only over long training", node.span,
                          help="train longer, or drop the dropout for short runs", notes=node.notes)
            return


def normal_far_from_lazy(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    scaled = "use scaled(1.0) = 1/sqrt(fan_in) * randn"
    chosen = [(spec.init.weights, spans.get(("init", "weights")), (), scaled)]
    chosen += [(n.layer.init, n.spans.get("init", n.span), n.notes, scaled)  # type: ignore[union-attr]
               for n in layers(spec) if getattr(n.layer, "init", None)]
    chosen += [(n.layer.recurrent_init, n.spans.get("recurrent_init", n.span), n.notes,  # type: ignore[union-attr]
                "use orthogonal (the default for recurrent kernels), or scaled(1.0)")
               for n in layers(spec) if getattr(n.layer, "recurrent_init", None)]
    for init, span, notes, advice in chosen:
        if init is not None and init.name == "normal" and not 0.002 <= init.value(0) <= 0.1:
            yield warning("W106", f"normal({init.value(0):g}) is far from the recipe's 0.02 and does not adapt to "
                          "the layer's width", span, help=advice, notes=notes)


def weak_forget_bias(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    for node in layers(spec):
        if node.layer.kind == "lstm" and node.layer.bias:  # type: ignore[union-attr]
            value = node.layer.forget_bias if node.layer.forget_bias is not None else spec.init.forget_bias  # type: ignore[union-attr]
            if value is not None and value < 1:
                yield warning("W107", f"LSTM forget-gate bias {value:g}: the cell forgets from the first step; "
                              "large biases (1 to 5) let gradients reach long-range dependencies",
                              node.spans.get("forget_bias", node.span), help="use forget_bias=2.0",
                              notes=node.notes)


def joins_nothing(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """`residual { }` adds its input to itself; a `parallel` of one branch joins nothing to it."""
    for node in walk(spec.model.body):
        if isinstance(node, ResidualNode) and not node.body:
            yield warning("W118", "this `residual` has an empty body, so it adds its input to itself: the output "
                          "is twice the input", node.span, help="put the layers of the residual path inside it, or "
                          "drop it", notes=node.notes)
        elif isinstance(node, ParallelNode) and len(node.branches) == 1:
            yield warning("W118", f"this `parallel {node.mode}` has one branch, so it joins nothing to it", node.span,
                          help="add the other branches, or write the branch's layers without `parallel`",
                          notes=node.notes)


def forget_bias_without_lstm(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """`init { forget_bias 2.0 }` is for LSTMs (with a bias); a model with none takes nothing from it."""
    if spec.init is None or spec.init.forget_bias is None:
        return
    if not any(node.layer.kind == "lstm" and node.layer.bias for node in layers(spec)):  # type: ignore[union-attr]
        yield warning("W116", "`forget_bias` sets the forget-gate bias of each LSTM, but the model has no LSTM with "
                      "a bias: it sets nothing", spans.get(("init", "forget_bias")),
                      help="drop `forget_bias` from `init`")


def early_stop_past_the_end(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Early stopping waits `patience` epochs without improvement; a run no longer than that ends
    first, and without `restore_best` (which Keras applies however the run ends) it does nothing."""
    train = spec.train
    stop = train.early_stop if train is not None else None
    if train is None or stop is None or stop.patience < train.epochs or stop.restore_best:
        return
    yield warning("W117", f"`early_stop` waits {stop.patience} epochs without improvement, but training runs "
                  f"{train.epochs}: it can never stop the run, so it does nothing", spans.get(("train", "early_stop")),
                  help=f"a patience well below the epochs, such as `early_stop patience={max(1, train.epochs // 5)}`; "
                  "add `restore_best` to keep the best epoch's weights")


def early_stop_before_plateau(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Both watch the validation loss. Once it stops improving, the plateau lowers the lr after
    `patience` epochs, and an early stop no more patient ends the run at that same epoch's end
    (or before it): the lowered lr never trains. (The plateau's min_delta of 1e-4 only makes it
    act sooner than early stopping, which takes any improvement.) W117's early stop never acts
    at all: that warning says enough."""
    train = spec.train
    stop = train.early_stop if train is not None else None
    if train is None or stop is None or not isinstance(train.schedule, Plateau):
        return
    waits, patience = max(1, train.schedule.patience), max(1, stop.patience)  # Keras acts at 0 as at 1
    if patience > waits or train.epochs <= waits + 1 or (stop.patience >= train.epochs and not stop.restore_best):
        return  # early stopping outwaits the plateau, or no epoch is left to train at a lowered lr
    than = "as long as" if patience == waits else "less than"
    longer = f"early_stop patience={2 * waits + 1}{' restore_best' if stop.restore_best else ''}"
    yield warning("W122", f"`early_stop` ends the run after {patience} epoch{'s' * (patience != 1)} without "
                  f"improvement, {than} the plateau schedule waits to lower the lr ({waits}): once the validation "
                  "loss stops improving, the run ends by the epoch the plateau lowers the lr, so the lowered lr "
                  "never trains", spans.get(("train", "early_stop")),
                  help=f"let early stopping outwait a few plateaus, such as `{longer}`; "
                  "the plateau's `min_lr` also ends the run once the lr is tiny",
                  notes=("Keras acts at patience 0 as at 1: on the first epoch without improvement",)
                  if 0 in (stop.patience, train.schedule.patience) else ())


def no_validation(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """W114 rather than W108 for a plateau schedule: the one warning says both what is missing
    and what the schedule does without it. Neither beside `early_stop`'s E403, with the same fix."""
    if spec.train is None or spec.data is None or spec.data.validate_ is not None:
        return
    if spec.train.early_stop is not None:  # E403 says it: early stopping needs the validation set
        return
    if isinstance(spec.train.schedule, Plateau):
        yield warning("W114", "a plateau schedule without a validation set watches the training loss: it lowers "
                      "the lr only once the net stops fitting the training data, long after it may have started "
                      "to overfit", spans.get(("train", "schedule")), help="add `validate 10%` to `data`")
        return
    yield warning("W108", "no validation set: nothing shows when the net starts to overfit",
                  spans.get(("data", "")), help="add `validate 10%` to `data`")


def step_never_steps(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """`schedule step` keeps its Keras-like default of every 30 epochs, which a short run never reaches."""
    train = spec.train
    if train is None or not isinstance(train.schedule, Step) or train.schedule.every < train.epochs:
        return
    every, epochs = train.schedule.every, train.epochs
    stepped = (f"`schedule step(every={max(1, epochs // 3)}, factor={train.schedule.factor:g})` lowers it during the "
               "run; " if epochs > 1 else "")  # one epoch: no step can come before the run ends
    yield warning("W109", f"`step` lowers the lr every {every} epoch{'s' * (every != 1)}, but training runs "
                  f"{epochs}: the lr stays {train.lr:g} throughout", spans.get(("train", "schedule")),
                  help=f"{stepped}`schedule constant` says the lr does not change")


def ensemble_without_seed(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    if spec.train and spec.train.ensemble > 1 and spec.train.seed is None:
        yield warning("W110", f"an ensemble of {spec.train.ensemble} without a `seed`: each run draws its own, so "
                      "the spec alone does not repeat its members", spans.get(("train", "ensemble")),
                      help="add `seed 1` to `train` (a run without one prints the seed it drew, which `--seed` "
                      "repeats)")


def huge_model(spec: Spec, inferred: Inferred) -> Iterator[Diagnostic]:
    """A size off by a few zeros passes every other check, then fails to allocate at compile time,
    after a long wait, or swaps the machine to a halt."""
    total = sum(row.params for row in inferred.values())
    if total < HUGE:
        return
    nodes = layers(spec)
    largest = max(nodes, key=lambda node: inferred[node.name].params if node.name in inferred else 0)
    yield warning("W113", f"{total:,} parameters: {_bytes(4 * total)} of float32 weights, and training holds "
                  "about 3 times that again (gradients, optimizer state)", largest.span,
                  help=f"`{largest.name}` alone has {inferred[largest.name].params:,}; is a size off by a few zeros?",
                  notes=largest.notes)


def _bytes(count: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count / 2**20:,.1f} MiB"


def rotation_as_a_fraction(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Keras' `RandomRotation(0.2)` turns by up to 0.2 of a full turn (72 degrees); ldnn's
    `rotate` takes degrees, so a value below 1 is most likely Keras' fraction, a turn too
    small to change a pixel."""
    augment = spec.data.augment if spec.data is not None else ()
    for index, step in enumerate(augment):
        if isinstance(step, Rotate) and step.degrees < 1:
            yield warning("W120", f"`rotate({step.degrees:g})` turns images by at most {step.degrees:g} degrees, "
                          "which barely moves a pixel: `rotate` takes degrees, where Keras' `RandomRotation` takes a "
                          "fraction of a full turn", item_span(spans, "data", "augment", index),
                          help=_rotation_help(step.degrees))


def _rotation_help(fraction: float) -> str:
    """Keras' fraction in degrees, where `rotate` takes it (at most 180, at least 1)."""
    degrees = fraction * 360
    if 1 <= degrees <= 180:
        return f"for Keras' `RandomRotation({fraction:g})`, write `rotate({degrees:g})`"
    return "write the largest angle in degrees, from 1 to 180: `rotate(10)` turns by up to 10 degrees either way"


def nesterov_without_momentum(spec: Spec, spans: Spans) -> Iterator[Diagnostic]:
    """Nesterov's method looks ahead along the momentum: with none, it is plain SGD."""
    optimizer = spec.train.optimizer if spec.train is not None else None
    if isinstance(optimizer, Sgd) and optimizer.nesterov and optimizer.momentum == 0:
        yield warning("W121", "`nesterov=true` without momentum does nothing: Nesterov's method looks ahead along "
                      "the momentum, and SGD's default momentum is 0", spans.get(("train", "optimizer")),
                      help="add the momentum: `optimizer sgd(momentum=0.9, nesterov=true)`")


LINTS: tuple[Callable[[Spec, Spans], Iterator[Diagnostic]], ...] = (
    deep_fixed_init, recurrent_without_clipping, huge_batch, sgd_lr_range, dropout_few_epochs,
    normal_far_from_lazy, weak_forget_bias, no_validation, step_never_steps, ensemble_without_seed,
    crossentropy_on_scores, poisson_on_negatives, forget_bias_without_lstm, early_stop_past_the_end, joins_nothing,
    rotation_as_a_fraction, nesterov_without_momentum, early_stop_before_plateau,
)
SHAPE_LINTS: tuple[Callable[[Spec, Inferred], Iterator[Diagnostic]], ...] = (softmax_over_one, huge_model)
SPAN_AND_SHAPE_LINTS: tuple[Callable[[Spec, Spans, Inferred], Iterator[Diagnostic]], ...] = (
    probability_metrics_on_scores,
)


def lint(spec: Spec, spans: Spans, inferred: Inferred) -> list[Diagnostic]:
    """Every lint's findings; the tables differ only in what their rules read: the spec and its
    spans, the shapes, or both."""
    return [*(d for rule in LINTS for d in rule(spec, spans)),
            *(d for rule in SHAPE_LINTS for d in rule(spec, inferred)),
            *(d for rule in SPAN_AND_SHAPE_LINTS for d in rule(spec, spans, inferred))]
