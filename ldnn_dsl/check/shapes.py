"""Static output shapes and parameter counts, by the same rules Keras builds with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ldnn_dsl.expand.graph import Gaps, LayerNode, ModelGraph, Node, ParallelNode, ResidualNode, layer_nodes
from ldnn_dsl.layers.base import Shape, ShapeError, fmt_shape
from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.diagnostics import Diagnostic, error


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


@dataclass(frozen=True)
class Flow:
    """What reaches a layer: the per-sample shape, and whether it still holds integer ids.
    Only an `embedding` reads ids; layers with `keeps_ids` and joins of ids to ids may move
    them on the way. Any other layer, or a sum, would compute on ids as on numbers: Keras runs
    some of them (`dense`) and fails in others at the first step (`activation sigmoid`, `conv`)."""

    shape: Shape
    ids: bool = False
    embedded_by: Node | None = None  # the embedding that turned the input's ids into vectors
    raw: Shape | None = None  # the model's input shape, while only layers that keep ids came after it
    last: LayerNode | None = None  # the layer that made it, when a layer did (not a join)


def infer(model: ModelGraph, gaps: Gaps | None = None) -> Inference:
    """Shapes and counts layer by layer; `gaps` are where the expander left out a failed statement."""
    result = Inference()
    gaps = gaps or Gaps()
    layer = model.input.layer
    result.rows.append(Row(model.input.name, "input", layer.shape, 0, 0, 0))  # type: ignore[union-attr]
    ids = layer.dtype == "int32"  # type: ignore[union-attr]
    out = _stack(model.name, model.body, Flow(layer.shape, ids, raw=layer.shape), 0, result, gaps)  # type: ignore[union-attr]
    result.output = out.shape if out is not None else None
    if out is not None and out.ids:  # moved, never read
        result.diagnostics.append(error("E308", "the input holds integer ids but no `embedding` turns them into "
                                        "vectors", model.input.span, help="add `embedding UNITS vocab=N` after it",
                                        notes=model.input.notes))
    return result


def _stack(holder: str, nodes: Sequence[Node], flow: Flow, depth: int, result: Inference,
           gaps: Gaps) -> Flow | None:
    """The flow out of `nodes`, or None where it is unknown: past an error, reported here or before."""
    for node in nodes:
        if node.name in gaps.before:
            return None
        if isinstance(node, LayerNode):
            out = _layer(node, flow, depth, result)
        elif isinstance(node, ResidualNode):
            out = _residual(node, flow, depth, result, gaps)
        else:
            out = _parallel(node, flow, depth, result, gaps)
        if out is None:
            return None
        flow = out
    return None if holder in gaps.after else flow


def _layer(node: LayerNode, flow: Flow, depth: int, result: Inference) -> Flow | None:
    layer, shape = node.layer, flow.shape
    if layer.kind == "embedding" and not flow.ids:
        result.diagnostics.append(_embedding_on_floats(node, flow))
        return None
    if flow.ids and layer.kind != "embedding" and not layer.keeps_ids:
        result.diagnostics.append(error("E308", f"`{layer.kind}` computes on integer ids, which only `embedding` "
                                        "reads", node.span, help=IDS_HELP, notes=node.notes))
        return None
    try:
        out = layer.output_shape(shape)
        params = layer.param_count(shape)
        macs = layer.macs(shape)
    except ShapeError as exc:
        span = node.spans.get(exc.field, node.span) if exc.field else node.span
        where = "" if fmt_shape(shape) in exc.message else f" (its input is {fmt_shape(shape)})"
        help = exc.help or _sequences_help(node, flow)
        result.diagnostics.append(error(exc.code, exc.message + where, span, help=help, notes=node.notes))
        return None
    result.rows.append(Row(node.name, layer.kind, out, params, macs, depth))
    if layer.kind == "embedding":
        return Flow(out, False, node, last=node)
    return Flow(out, flow.ids, flow.embedded_by, flow.raw if layer.keeps_ids else None, last=node)


def _sequences_help(node: LayerNode, flow: Flow) -> str | None:
    """`lstm 16` then `lstm 16`: the first passes on its last step only, the second needs them all."""
    before = flow.last
    if before is None or not hasattr(node.layer, "sequences") or getattr(before.layer, "sequences", True):
        return None
    return (f"add `sequences` to the `{before.layer.kind}` on {before.span.line_seen_from(node.span.path)}, "
            "so that it passes on every step, not only the last")


KEEP_IDS = " and ".join(sorted(kind for kind, cls in LAYER_KINDS.items() if cls.keeps_ids))
IDS_HELP = (f"put an `embedding` before it (only {KEEP_IDS} may come between); if the input holds numbers, "
            "not ids, drop `int` from `input`")


def _embedding_on_floats(node: LayerNode, flow: Flow) -> Diagnostic:
    """Float input, or ids that an earlier embedding already turned into vectors."""
    if flow.embedded_by is None:
        help = (f"declare the input as ids: `input {fmt_shape(flow.raw)} int`" if flow.raw is not None else
                "an embedding reads the ids of an `input [...] int` directly: put it first, or drop it")
        return error("E308", "`embedding` looks up integer ids; its input is float", node.span, help=help,
                     notes=node.notes)
    if flow.embedded_by.span == node.span:  # `repeat 2 { embedding ... }`: its second copy
        return error("E308", "`embedding` is repeated: its second copy would look up the first one's vectors",
                     node.span, help="take the embedding out of the `repeat` (or the block called more than once)",
                     notes=node.notes)
    where = flow.embedded_by.span.line_seen_from(node.span.path)
    return error("E308", f"`embedding` looks up integer ids, but the `embedding` on {where} already turned the ids "
                 "into vectors", node.span,
                 help="embed the ids once; for two id inputs, embed each in its own `parallel` branch",
                 notes=node.notes)


def _residual(node: ResidualNode, flow: Flow, depth: int, result: Inference, gaps: Gaps) -> Flow | None:
    body = _stack(node.name, node.body, flow, depth + 1, result, gaps)
    if body is None:
        return None
    shape, out = flow.shape, body.shape
    if out != shape:
        result.diagnostics.append(error(
            "E305", f"the residual body turns {fmt_shape(shape)} into {fmt_shape(out)}; output = input + body(input) "
            "needs the same shape", node.span, help=f"end the body with a layer of output {fmt_shape(shape)}",
            notes=node.notes))
        return None
    result.rows.append(Row(node.name, "residual add", out, 0, 0, depth))
    return _joined(out, flow, [flow, body], node, result, summed=True)  # input + body


def _parallel(node: ParallelNode, flow: Flow, depth: int, result: Inference, gaps: Gaps) -> Flow | None:
    outs = [_stack(node.name, branch, flow, depth + 1, result, gaps) for branch in node.branches]
    if any(o is None for o in outs):
        return None
    flows: list[Flow] = [o for o in outs if o is not None]
    shapes = [f.shape for f in flows]
    listed = ", ".join(fmt_shape(s) for s in shapes)
    if node.mode == "add":
        if len(set(shapes)) > 1:
            result.diagnostics.append(error("E306", f"`parallel add` sums its branches, but their shapes differ: "
                                            f"{listed}", node.span, notes=node.notes))
            return None
        out = shapes[0]
    else:
        if len({(len(s), s[:-1]) for s in shapes}) > 1:
            result.diagnostics.append(error("E306", "`parallel concat` joins on the last axis; the other axes must "
                                            f"match, but the branches give {listed}", node.span,
                                            help=_concat_help(node, shapes), notes=node.notes))
            return None
        out = (*shapes[0][:-1], sum(s[-1] for s in shapes))
    result.rows.append(Row(node.name, f"parallel {node.mode}", out, 0, 0, depth))
    return _joined(out, flow, flows, node, result, summed=node.mode == "add")


SPATIAL = ("conv", "conv1d", "maxpool", "avgpool")  # what changes a spatial size: padding and strides


def _concat_help(node: ParallelNode, shapes: list[Shape]) -> str | None:
    """What makes the branches meet: as many axes in each, or the same spatial size, which
    only convolutions and pooling change."""
    if len({len(s) for s in shapes}) > 1:
        return "end every branch with the same number of axes (a `flatten` or `reshape` where one has more)"
    if any(n.layer.kind in SPATIAL for branch in node.branches for n in layer_nodes(branch)):
        return "use padding=same (and stride 1) so every branch keeps the spatial size"
    return None


def _joined(out: Shape, before: Flow, parts: list[Flow], node: Node, result: Inference, *,
            summed: bool) -> Flow | None:
    """Ids survive a join only by concatenation with ids; a sum of ids, or ids concatenated
    with vectors, computes on the ids as on numbers (E308 at the join)."""
    if not before.ids:
        return Flow(out, False, before.embedded_by)
    holding = [f for f in parts if f.ids]
    if not holding:
        return Flow(out, False, parts[0].embedded_by)
    if summed or len(holding) < len(parts):
        what = f"`parallel {node.mode}`" if isinstance(node, ParallelNode) else "the residual sum"
        done = "adds integer ids" if summed else "joins integer ids to the vectors of an embedding"
        help = IDS_HELP if summed else "embed the ids in every branch before the join, or in none of them"
        result.diagnostics.append(error("E308", f"{what} {done}; only `embedding` reads ids", node.span,
                                        help=help, notes=node.notes))
        return None
    return Flow(out, True)
