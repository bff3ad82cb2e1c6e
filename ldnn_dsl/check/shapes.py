"""Static output shapes and parameter counts, by the same rules Keras builds with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ldnn_dsl.expand.graph import LayerNode, ModelGraph, Node, ParallelNode, ResidualNode, layer_nodes
from ldnn_dsl.layers.base import Shape, ShapeError, fmt_shape
from ldnn_dsl.source.diagnostics import Diagnostic, error

JOIN_LAYERS = {"concat": "concatenate", "add": "add"}


@dataclass(frozen=True)
class Row:
    """One line of `ldnn check --summary`."""

    name: str
    kind: str
    shape: Shape
    params: int
    macs: int
    depth: int


@dataclass
class Inference:
    rows: list[Row] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    output: Shape | None = None

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)



def infer(model: ModelGraph) -> Inference:
    result = Inference()
    shape = model.input.layer.shape  # type: ignore[union-attr]
    result.rows.append(Row(model.input.name, "input", shape, 0, 0, 0))
    is_int = model.input.layer.dtype == "int32"  # type: ignore[union-attr]
    result.output = _stack(model.body, shape, is_int, 0, result)
    if result.output is not None and is_int and not any(
            n.layer.kind == "embedding" for n in layer_nodes(model.body)):
        result.diagnostics.append(error("E308", "the input holds integer ids but no `embedding` turns them into "
                                        "vectors", model.input.span, help="add `embedding UNITS vocab=N` after it"))
    return result


def _stack(nodes: Sequence[Node], shape: Shape, is_int: bool, depth: int, result: Inference) -> Shape | None:
    for node in nodes:
        if isinstance(node, LayerNode):
            out = _layer(node, shape, is_int, depth, result)
            is_int = is_int and node.layer.kind != "embedding"
        elif isinstance(node, ResidualNode):
            out = _residual(node, shape, is_int, depth, result)
        else:
            out = _parallel(node, shape, is_int, depth, result)
        if out is None:
            return None
        shape = out
    return shape


def _layer(node: LayerNode, shape: Shape, is_int: bool, depth: int, result: Inference) -> Shape | None:
    layer = node.layer
    if layer.kind == "embedding" and not is_int:
        result.diagnostics.append(error("E308", "`embedding` looks up integer ids; its input is float",
                                        node.span, help="declare the input as ids: `input [100] int`"))
        return None
    try:
        out = layer.output_shape(shape)
        params = layer.param_count(shape)
        macs = layer.macs(shape)
    except ShapeError as exc:
        span = node.spans.get(exc.field, node.span) if exc.field else node.span
        where = "" if fmt_shape(shape) in exc.message else f" (its input is {fmt_shape(shape)})"
        result.diagnostics.append(error(exc.code, exc.message + where, span, help=exc.help))
        return None
    result.rows.append(Row(node.name, layer.kind, out, params, macs, depth))
    return out


def _residual(node: ResidualNode, shape: Shape, is_int: bool, depth: int, result: Inference) -> Shape | None:
    out = _stack(node.body, shape, is_int, depth + 1, result)
    if out is None:
        return None
    if out != shape:
        result.diagnostics.append(error(
            "E305", f"the residual body turns {fmt_shape(shape)} into {fmt_shape(out)}; output = input + body(input) "
            "needs the same shape", node.span, help=f"end the body with a layer of output {fmt_shape(shape)}"))
        return None
    result.rows.append(Row(node.name, "residual add", out, 0, 0, depth))
    return out


def _parallel(node: ParallelNode, shape: Shape, is_int: bool, depth: int, result: Inference) -> Shape | None:
    outs = [_stack(branch, shape, is_int, depth + 1, result) for branch in node.branches]
    if any(o is None for o in outs):
        return None
    shapes: list[Shape] = [o for o in outs if o is not None]
    listed = ", ".join(fmt_shape(s) for s in shapes)
    if node.mode == "add":
        if len(set(shapes)) > 1:
            result.diagnostics.append(error("E306", f"`parallel add` sums its branches, but their shapes differ: "
                                            f"{listed}", node.span))
            return None
        out = shapes[0]
    else:
        if len({(len(s), s[:-1]) for s in shapes}) > 1:
            result.diagnostics.append(error("E306", "`parallel concat` joins on the last axis; the other axes must "
                                            f"match, but the branches give {listed}", node.span,
                                            help="use padding=same so every branch keeps the spatial size"))
            return None
        out = (*shapes[0][:-1], sum(s[-1] for s in shapes))
    result.rows.append(Row(node.name, f"parallel {node.mode}", out, 0, 0, depth))
    return out
