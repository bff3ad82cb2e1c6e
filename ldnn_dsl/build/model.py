"""A checked spec to a Keras 3 model: `Sequential` for a plain stack, functional otherwise.

Every Keras layer is named after its graph node (`dense_1`, `residual_2`), the same names
`ldnn check --summary` prints, so the two can be compared row by row. The checker has
already proven every shape; if Keras still refuses a layer, the checker missed a case,
and the failure is reported at the node's span as internal error E901.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import keras

from ldnn_dsl.build.backend import out_of_memory, precision_policy, settled
from ldnn_dsl.build.context import building
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.expand.graph import LayerNode, ModelGraph, Node, ParallelNode, ResidualNode, range_setter, walk
from ldnn_dsl.layers.base import InitDefaults, Shape
from ldnn_dsl.source.diagnostics import DiagnosticError, error
from ldnn_dsl.source.span import Span


def build_in_precision(spec: Spec, *, xla: bool = False) -> keras.Model:
    """The model as `train` builds it, in the spec's `precision` (a mixed policy's layers keep it
    when saved), for `ldnn compile` and `ldnn_dsl.compile`; `build_model` leaves the policy to
    its caller (gradcheck builds in float64)."""
    with precision_policy(spec.train.precision if spec.train is not None else "float32"):
        return build_model(spec, xla=xla)


def build_model(spec: Spec, *, xla: bool = False) -> keras.Model:
    """The Keras model of a checked spec; `xla` picks kernels that XLA can compile."""
    with building(xla=xla):
        if spec.model.is_plain_stack and spec.model.body:  # an empty `Sequential` has no output
            model = _sequential(spec.model, spec.init_defaults)
        else:
            model = _functional(spec.model, spec.init_defaults)
    _settle(model, spec.model)
    return model


def _settle(model: keras.Model, graph: ModelGraph) -> None:
    """Each layer's weights made before the model is handed on: under JAX a layer too large for
    memory fails here, as E407 at its line, not at the first read (a save, where XLA aborts)."""
    layers = {layer.name: layer for layer in model.layers}
    for node in walk(graph.body):
        if isinstance(node, LayerNode):
            with _blaming(node.name, node.span, node.notes):
                settled(layers[node.name].weights)


def _sequential(graph: ModelGraph, defaults: InitDefaults) -> keras.Model:
    """A plain stack; Keras' `Sequential` is what a Keras user expects to get back."""
    inputs = _input(graph, defaults)
    layers = list(_stack_layers(graph.body, defaults, _input_shape(graph)))
    tail = _output_nodes(graph.body)
    for node, layer in zip(graph.body, layers, strict=True):
        if id(node) in tail:
            _in_float32(layer)
    try:
        model = keras.Sequential([inputs, *layers], name=graph.name)
    except Exception as exc:
        raise _refused(*_culprit(graph, defaults, exc)) from exc
    if not model.built:
        raise _refused(*_culprit(graph, defaults, RuntimeError("the stack could not be built")))
    return model


def _functional(graph: ModelGraph, defaults: InitDefaults) -> keras.Model:
    """Residual and parallel nodes need the functional API: an input tensor threaded through."""
    inputs = _input(graph, defaults)
    outputs, _ = _thread(graph.body, inputs, _input_shape(graph), defaults, _output_nodes(graph.body))
    with _blaming(graph.name, graph.span):
        return keras.Model(inputs, outputs, name=graph.name)


def _input(graph: ModelGraph, defaults: InitDefaults) -> Any:
    with _blaming(graph.input.name, graph.input.span):
        return graph.input.layer.keras_layer(graph.input.name, defaults, ())


def _input_shape(graph: ModelGraph) -> Shape:
    return tuple(graph.input.layer.shape)  # type: ignore[union-attr]


def _stack_layers(nodes: Sequence[Node], defaults: InitDefaults, shape: Shape) -> Iterator[Any]:
    """The Keras layers of a plain stack, each made knowing its static input shape."""
    for node in nodes:
        assert isinstance(node, LayerNode), "a plain stack holds layers only"
        yield _make(node, defaults, shape)
        shape = node.layer.output_shape(shape)


def _output_nodes(nodes: Sequence[Node]) -> set[int]:
    """The nodes (by id) that make the model's output values, which compute in float32 under
    mixed precision: the last that sets the output's range, the reshapes, dropout and pooling
    after it, and where that is a join, each branch's (or the residual body's) own such nodes:
    a softmax per head, concatenated."""
    out: set[int] = set()
    for node in nodes[range_setter(nodes) or 0:]:
        out.add(id(node))
        for branch in node.branches if isinstance(node, ParallelNode) else (
                (node.body,) if isinstance(node, ResidualNode) else ()):
            out |= _output_nodes(branch)
    return out


def _thread(nodes: Sequence[Node], x: Any, shape: Shape, defaults: InitDefaults,
            output: Collection[int] = ()) -> tuple[Any, Shape]:
    """Call each node on `x` in turn; returns the output tensor and its static shape. The nodes
    in `output` make the model's output values."""
    for node in nodes:
        last = id(node) in output
        if isinstance(node, LayerNode):
            layer = _make(node, defaults, shape)
            x, shape = _call(node, _in_float32(layer) if last else layer, x), node.layer.output_shape(shape)
        elif isinstance(node, ResidualNode):
            body, _ = _thread(node.body, x, shape, defaults, output)
            x = _call(node, _merge(keras.layers.Add, node.name, last), [x, body])
        else:
            x, shape = _parallel(node, x, shape, defaults, output)
    return x, shape


def _parallel(node: ParallelNode, x: Any, shape: Shape, defaults: InitDefaults,
              output: Collection[int]) -> tuple[Any, Shape]:
    """Branches see the same `x`; `concat` joins on the last axis, `add` sums."""
    outs = [_thread(branch, x, shape, defaults, output) for branch in node.branches]
    tensors, shapes = [t for t, _ in outs], [s for _, s in outs]
    last = id(node) in output
    if node.mode == "add":
        return _call(node, _merge(keras.layers.Add, node.name, last), tensors), shapes[0]
    joined = (*shapes[0][:-1], sum(s[-1] for s in shapes))
    return _call(node, _merge(keras.layers.Concatenate, node.name, last), tensors), joined


def _merge(kind: Any, name: str, output: bool) -> Any:
    layer = kind(name=name)
    return _in_float32(layer) if output else layer


def _in_float32(layer: Any) -> Any:
    """Under mixed precision the model's output layer computes in float32, as Keras' guide
    advises: a softmax or sigmoid in float16 rounds small probabilities to 0 (or 1) before the
    loss takes their log. Its weights are float32 already; only its arithmetic changes. A
    recurrent layer computes in its cell, which took the mixed policy when it was made; a saved
    model remakes the cell from the layer's float32 policy, so both must agree."""
    policy = keras.mixed_precision.global_policy()
    if policy.compute_dtype != policy.variable_dtype:
        for computing in (layer, getattr(layer, "cell", None)):
            if computing is not None:
                computing.dtype_policy = "float32"
    return layer


def _make(node: LayerNode, defaults: InitDefaults, shape: Shape) -> Any:
    with _blaming(node.name, node.span, node.notes):
        return node.layer.keras_layer(node.name, defaults, shape)


def _call(node: Node, layer: Any, x: Any) -> Any:
    with _blaming(node.name, node.span, node.notes):
        return layer(x)


def _culprit(graph: ModelGraph, defaults: InitDefaults,
             exc: Exception) -> tuple[str, Span, Exception, tuple[str, ...]]:
    """Which node made `Sequential` fail: replay the stack on fresh layers, one call at a time."""
    x, shape = _input(graph, defaults), _input_shape(graph)
    for node in graph.body:
        assert isinstance(node, LayerNode)
        try:
            x = _make(node, defaults, shape)(x)
        except Exception as found:
            return node.name, node.span, found, node.notes
        shape = node.layer.output_shape(shape)
    return graph.name, graph.span, exc, ()


@contextmanager
def _blaming(name: str, span: Span, notes: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn whatever Keras raises into E901 at the node that caused it, and the block calls
    that led there."""
    try:
        yield
    except DiagnosticError:
        raise
    except Exception as exc:
        raise _refused(name, span, exc, notes) from exc


def _refused(name: str, span: Span, exc: Exception, notes: tuple[str, ...] = ()) -> DiagnosticError:
    if out_of_memory(exc):  # no fault of the checker's: the machine has too little memory for the weights
        return DiagnosticError([error("E407", f"not enough memory for the weights of `{name}`", span, notes=notes,
                                      help="`ldnn check --summary` lists each layer's parameters (4 bytes each "
                                           "in float32); make the layer smaller")])
    return DiagnosticError([error("E901", f"internal error: Keras refused `{name}`: {exc}", span, notes=notes)])
