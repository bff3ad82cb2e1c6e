"""The expanded model: a graph of concrete layers, each with its name and source span."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ldnn_dsl.layers.registry import AnyLayer
from ldnn_dsl.source.diagnostics import call_note, repetition_note
from ldnn_dsl.source.span import Span


class CallSite(BaseModel):
    """A block call that put a node into the model: the block and where it was called; or a
    later repetition of a `repeat` (its number and the count), whose layers' inputs differ
    from the first's (a window that fits the first repetition's input need not fit the third)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    block: str = ""
    span: Span
    repetition: tuple[int, int] | None = None  # (i, count) of `repeat count`, counted from 1

    @property
    def note(self) -> str:
        if self.repetition is None:
            return call_note(self.block, self.span)
        return repetition_note(*self.repetition, self.span)


class GraphNode(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    span: Span  # inside the block's definition for a node a block call made
    called_at: tuple[CallSite, ...] = ()  # innermost call first

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes for a finding at this node: the block calls that led to it."""
        return call_notes(self.called_at)


MAX_NOTES = 3  # a chain of 100 blocks needs its innermost calls, not 100 lines


def call_notes(called_at: tuple[CallSite, ...]) -> tuple[str, ...]:
    """One note per block call, innermost first, the outer ones beyond `MAX_NOTES` counted; a
    later repetition of a `repeat` among the calls shown has its note too. Only block calls are
    counted: the same finding in two repetitions must read the same once their notes are dropped."""
    notes: list[str] = []
    shown = hidden = 0
    for site in called_at:
        if shown == MAX_NOTES:
            hidden += site.repetition is None
            continue
        shown += site.repetition is None
        notes.append(site.note)
    if hidden:
        notes.append(f"... and {hidden} enclosing block call{'' if hidden == 1 else 's'}")
    return tuple(notes)


class LayerNode(GraphNode):
    """One layer; `spans` points each argument back at the text that set it."""

    node: Literal["layer"] = "layer"
    layer: AnyLayer
    spans: dict[str, Span] = Field(default_factory=dict)


class ResidualNode(GraphNode):
    """output = input + body(input)."""

    node: Literal["residual"] = "residual"
    body: tuple[Node, ...]


class ParallelNode(GraphNode):
    """Branches that see the same input, joined by concatenation (last axis) or a sum."""

    node: Literal["parallel"] = "parallel"
    mode: Literal["concat", "add"]
    branches: tuple[tuple[Node, ...], ...]


Node = Annotated[LayerNode | ResidualNode | ParallelNode, Field(discriminator="node")]


class ModelGraph(BaseModel):
    """`model NAME { input ...; layers }`, expanded."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    span: Span
    input: LayerNode
    body: tuple[Node, ...]

    @property
    def is_plain_stack(self) -> bool:
        return all(isinstance(node, LayerNode) for node in self.body)


@dataclass(frozen=True)
class Gaps:
    """Where statements failed to expand, their errors already reported. What flows past such a
    place is unknown, so checking a shape there would report the first error again, in other words.
    `before`: the nodes right after one in their stack; `after`: the stacks that end in one, by the
    name of what holds them (the model, a residual, a parallel)."""

    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()


def walk(nodes: Iterable[Node]) -> Iterator[Node]:
    """Every node, depth first, inside residual bodies and parallel branches too."""
    for node in nodes:
        yield node
        if isinstance(node, ResidualNode):
            yield from walk(node.body)
        elif isinstance(node, ParallelNode):
            for branch in node.branches:
                yield from walk(branch)


def range_setter(nodes: Sequence[Node]) -> int | None:
    """The index of the last node that sets the range of the values the stack ends with:
    reshapes, dropout and pooling after it keep that range (`keeps_range`). None where every
    node keeps it."""
    return next((i for i in reversed(range(len(nodes)))
                 if not (isinstance(nodes[i], LayerNode) and nodes[i].layer.keeps_range)), None)


def layer_nodes(nodes: Iterable[Node]) -> list[LayerNode]:
    """The layers among `nodes`, at any depth."""
    return [node for node in walk(nodes) if isinstance(node, LayerNode)]
