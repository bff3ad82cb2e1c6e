"""Values and statements as canonical text: one spelling for each AST node.

Numbers, percents and strings keep the author's spelling (`1e-4` stays `1e-4`): the text
is what the reader chose, and the value it parses to is unchanged. Parentheses appear
only where precedence needs them, so `(a + b) * c` and `a - (b - c)` keep theirs and
`(a * b) + c` loses its.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ldnn_dsl.ast import nodes as n

SUM, PRODUCT, UNARY, ATOM = 1, 2, 3, 4
BINARY_PRECEDENCE = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}


def value_text(value: Any, min_precedence: int = 0) -> str:
    """`value` as source, wrapped in parentheses when it binds looser than its context needs."""
    text, precedence = _TEXT[value.node](value)
    return f"({text})" if precedence < min_precedence else text


def _binop(node: n.BinOp) -> tuple[str, int]:
    """Left-associative: the right operand needs parentheses at equal precedence."""
    precedence = BINARY_PRECEDENCE[node.op]
    left = value_text(node.left, precedence)
    right = value_text(node.right, precedence + 1)
    return f"{left} {node.op} {right}", precedence


def _neg(node: n.Neg) -> tuple[str, int]:
    return f"-{value_text(node.operand, UNARY)}", UNARY


def _call(node: n.Call) -> tuple[str, int]:
    return f"{node.name}({args_text(node.args)})", ATOM


def _list(node: n.ListValue) -> tuple[str, int]:
    return f"[{args_text(node.items)}]", ATOM


def _option(node: n.Option) -> tuple[str, int]:
    return f"{node.key}={value_text(node.value)}", ATOM


_TEXT: dict[str, Callable[[Any], tuple[str, int]]] = {
    "number": lambda node: (node.text, ATOM),
    "percent": lambda node: (node.text, ATOM),
    "string": lambda node: (node.text, ATOM),
    "name": lambda node: (node.name, ATOM),
    "window": lambda node: (node.text, ATOM),
    "list": _list,
    "call": _call,
    "binop": _binop,
    "neg": _neg,
    "option": _option,
}


def args_text(args: Sequence[Any]) -> str:
    """Call arguments or list items: `count=10, bits=6`."""
    return ", ".join(value_text(a) for a in args)


def items_text(items: Sequence[Any]) -> str:
    """A statement's values and options, space-separated.

    `dense 3 (-1)` has two values; written `dense 3 -1` it would read as `3 - 1`, so a
    value that starts with a minus keeps parentheses unless it comes first.
    """
    out: list[str] = []
    for item in items:
        text = value_text(item)
        out.append(f"({text})" if out and text.startswith("-") else text)
    return " ".join(out)


def head_text(stmt: n.Statement) -> str:
    """`dense`, or `conv_pool(64)` for a statement written as a call."""
    if stmt.call_args is None:
        return stmt.head
    return f"{stmt.head}({args_text(stmt.call_args)})"


def statement_text(stmt: n.Statement) -> str:
    """`dense 512 relu init=normal(0.02)` on one line."""
    rest = items_text(stmt.items)
    return f"{head_text(stmt)} {rest}" if rest else head_text(stmt)
