"""The surface AST: frozen Pydantic models, one per construct of the language.

Nothing here knows what a `dense` layer is; that is the layer table's business. These
nodes are what `ldnn fmt` prints and what the expansion stage reads.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ldnn_dsl.source.span import Span


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    span: Span


class Number(Node):
    node: Literal["number"] = "number"
    value: int | float
    text: str


class Percent(Node):
    """`10%`: the fraction 0.10."""

    node: Literal["percent"] = "percent"
    value: float
    text: str


class Name(Node):
    node: Literal["name"] = "name"
    name: str


class String(Node):
    node: Literal["string"] = "string"
    value: str
    text: str


class Window(Node):
    """`3x3`: a window size."""

    node: Literal["window"] = "window"
    dims: tuple[int | float, ...]  # a side too long for an int is a float (inf past its range), as a number's
    text: str


class ListValue(Node):
    node: Literal["list"] = "list"
    items: tuple[Value, ...]


class Call(Node):
    """`normal(0.02)`, `sort(count=10)`: a named constructor with arguments."""

    node: Literal["call"] = "call"
    name: str
    name_span: Span
    args: tuple[Arg, ...]


class BinOp(Node):
    node: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/"]
    left: Value
    right: Value


class Neg(Node):
    node: Literal["neg"] = "neg"
    operand: Value


Value = Annotated[
    Number | Percent | Name | String | Window | ListValue | Call | BinOp | Neg, Field(discriminator="node")
]


class Option(Node):
    """`key=value`."""

    node: Literal["option"] = "option"
    key: str
    key_span: Span
    value: Value


Arg = Annotated[
    Number | Percent | Name | String | Window | ListValue | Call | BinOp | Neg | Option, Field(discriminator="node")
]


class Statement(Node):
    """A layer, a block call or a setting: `dense 512 relu init=normal(0.02)`."""

    node: Literal["statement"] = "statement"
    head: str
    head_span: Span
    call_args: tuple[Arg, ...] | None = None
    items: tuple[Arg, ...] = ()


class Repeat(Node):
    node: Literal["repeat"] = "repeat"
    count: Value
    body: tuple[LayerStmt, ...]


class Residual(Node):
    node: Literal["residual"] = "residual"
    body: tuple[LayerStmt, ...]


class Branch(Node):
    node: Literal["branch"] = "branch"
    body: tuple[LayerStmt, ...]


class Parallel(Node):
    node: Literal["parallel"] = "parallel"
    mode: str
    mode_span: Span
    branches: tuple[Branch, ...]


LayerStmt = Annotated[Statement | Repeat | Residual | Parallel, Field(discriminator="node")]


class Let(Node):
    node: Literal["let"] = "let"
    name: str
    name_span: Span
    value: Value


class Use(Node):
    node: Literal["use"] = "use"
    path: String


class BlockDef(Node):
    node: Literal["block"] = "block"
    name: str
    name_span: Span
    params: tuple[str, ...]
    body: tuple[LayerStmt, ...]
    params_span: tuple[Span, ...] = ()  # where each parameter is declared (a position: its name ends in `_span`)


class ModelDef(Node):
    node: Literal["model"] = "model"
    name: str
    name_span: Span
    body: tuple[LayerStmt, ...]


class Section(Node):
    """`init { ... }`, `data { ... }`, `train { ... }`: settings, one per line."""

    node: Literal["section"] = "section"
    name: str
    name_span: Span
    settings: tuple[Statement, ...]


TopLevel = Annotated[Let | Use | BlockDef | ModelDef | Section, Field(discriminator="node")]


class SpecFile(BaseModel):
    """One parsed file, its top-level items in source order."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    items: tuple[TopLevel, ...]

