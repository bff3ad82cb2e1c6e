"""The expanded model: a graph of concrete layers, each with its name and source span."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ldnn_dsl.layers.registry import AnyLayer
from ldnn_dsl.source.span import Span


class GraphNode(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    span: Span


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


def walk(nodes: Iterable[Node]) -> Iterator[Node]:
    """Every node, depth first, inside residual bodies and parallel branches too."""
    for node in nodes:
        yield node
        if isinstance(node, ResidualNode):
            yield from walk(node.body)
        elif isinstance(node, ParallelNode):
            for branch in node.branches:
                yield from walk(branch)


def layer_nodes(nodes: Iterable[Node]) -> list[LayerNode]:
    """The layers among `nodes`, at any depth."""
    return [node for node in walk(nodes) if isinstance(node, LayerNode)]
