"""Expressions to values. Arithmetic is on numbers only; an unknown name is a `Word`."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.check.recipe import home_section
from ldnn_dsl.layers.values import Arg, CallValue, Percentage, WindowValue, Word
from ldnn_dsl.source.diagnostics import DiagnosticError, did_you_mean, error
from ldnn_dsl.source.span import Span


class Failed:
    """The value of a `let` whose definition has an error: its value failed, its name was refused
    (`let sequences = 3`), or its file did not parse. Its error is already reported, so a use of it
    ends the statement with no message of its own: `let a = 1 / 0` then `dense a` says "division by
    zero", not also "unknown activation `a`"."""

    def __repr__(self) -> str:
        return "FAILED"


FAILED = Failed()


class Env:
    """Names in scope: `let`s of this file and its uses, then block parameters."""

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self.values: dict[str, object] = dict(values or {})
        # While a file's `let`s are evaluated, in order: those further down (name -> line), so
        # that a use before its definition says so instead of reading the name as a bare word.
        self.later: dict[str, int] = {}
        self.defining: str | None = None  # the `let` being evaluated: `let c = c` is no bare word `c`

    def child(self, values: Mapping[str, object]) -> Env:
        return Env({**self.values, **values})

    def __contains__(self, name: str) -> bool:
        return name in self.values


def evaluate(value: n.Value | n.Option, env: Env) -> object:
    """The value of an expression; raises DiagnosticError at the offending part."""
    if isinstance(value, n.Percent):
        return Percentage(value.value)
    if isinstance(value, n.Number):
        return _finite(value.value, value.span, f"`{_abridged(value.text)}` is too large")
    if isinstance(value, n.String):
        return value.value
    if isinstance(value, n.Name):
        return _name(value, env)
    if isinstance(value, n.Window):
        return WindowValue(tuple(_finite(d, value.span, f"`{_abridged(value.text)}` is too large")  # type: ignore[misc]
                                 for d in value.dims))
    if isinstance(value, n.ListValue):
        return [evaluate(item, env) for item in value.items]
    if isinstance(value, n.Call):
        _no_let_for_a_name_in_a_file(value, env)
        args = _nothing_twice(value, tuple(evaluate_arg(a, env) for a in value.args))
        return CallValue(value.name, args, value.name_span)
    if isinstance(value, n.Neg):
        return -_number(value.operand, env)
    if isinstance(value, n.BinOp):
        return _binop(value, env)
    raise TypeError(f"not a value: {value!r}")  # pragma: no cover - the grammar makes no other nodes


def _nothing_twice(call: n.Call, args: tuple[Arg, ...]) -> tuple[Arg, ...]:
    """`plateau(factor=0.5, factor=0.2)`, `sgd(nesterov, nesterov=true)`: refused at the second
    key or flag, as a layer's option given twice is; the call's dict of options would otherwise
    keep the last one silently."""
    seen: set[str] = set()
    for arg in args:
        if arg.key is not None:
            name, span = arg.key, arg.key_span or arg.span
        elif isinstance(arg.value, Word) and arg.value.name not in ("true", "false"):  # a flag, not a `let`
            name, span = arg.value.name, arg.span
        else:
            continue
        if name in seen:
            raise DiagnosticError([error("E207", f"`{name}` of `{call.name}` is given twice", span)])
        seen.add(name)
    return args


def _name(node: n.Name, env: Env) -> object:
    """A `let` or parameter's value, else the bare word (`relu`, `same`, a column name)."""
    value = env.values.get(node.name, Word(node.name))
    if value is FAILED:
        raise DiagnosticError([])  # the definition's error says it all
    if isinstance(value, Word) and node.name == env.defining:
        raise DiagnosticError([error("E102", f"`{node.name}` is defined in terms of itself", node.span,
                                     help="a `let` can use only the names defined before it")])
    if isinstance(value, Word) and node.name in env.later:
        raise DiagnosticError([error("E102", f"`{node.name}` is used before its definition", node.span,
                                     help=f"`{node.name}` is defined on line {env.later[node.name]}, after this use; "
                                          "move it up")])
    return value


# Options whose bare word names something inside a data file: a csv column, an npz array.
NAMES_IN_FILES = {"csv": ("target",), "npz": ("x", "y")}


def _no_let_for_a_name_in_a_file(call: n.Call, env: Env) -> None:
    """`csv("f.csv", target=label)` beside `let label = 3` read column 3 in silence, and trained
    on the wrong target: where a word may name a column, a `let` of that name is an ambiguity."""
    for arg in call.args:
        if (isinstance(arg, n.Option) and arg.key in NAMES_IN_FILES.get(call.name, ())
                and isinstance(arg.value, n.Name) and arg.value.name in env.values):
            word = arg.value.name
            raise DiagnosticError([error(
                "E103", f"`{word}` is a `let`, and `{arg.key}=` of `{call.name}` may also name "
                f"{'a column' if call.name == 'csv' else 'an array'} of the file: which is meant is unclear",
                arg.value.span, help=f"quote the name, `{arg.key}=\"{word}\"`, or write the value itself")])


def evaluate_arg(arg: n.Arg, env: Env) -> Arg:
    node = arg.value if isinstance(arg, n.Option) else arg
    listed = node.items if isinstance(node, n.ListValue) else ()
    items, quoted = tuple(item.span for item in listed), tuple(isinstance(item, n.String) for item in listed)
    if isinstance(arg, n.Option):
        return Arg(evaluate(arg.value, env), arg.value.span, arg.key, arg.key_span, items, _product(arg.value),
                   isinstance(arg.value, n.String), quoted)
    return Arg(evaluate(arg, env), arg.span, item_spans=items, product=_product(arg), quoted=isinstance(arg, n.String),
               quoted_items=quoted)


def _product(node: n.Value) -> tuple[int, ...] | None:
    """The whole numbers of a product written out (`3*3`, `3*3*3`), which a window may have meant
    as `3x3`; None for anything else (a single number, a name, another operator)."""
    factors: list[int] = []
    while isinstance(node, n.BinOp) and node.op == "*":
        if not _whole_number(node.right):
            return None
        factors.insert(0, node.right.value)  # type: ignore[union-attr]
        node = node.left
    if not factors or not _whole_number(node):
        return None
    return (node.value, *factors)  # type: ignore[union-attr]


def _whole_number(node: n.Value) -> bool:
    return isinstance(node, n.Number) and isinstance(node.value, int)


def _number(value: n.Value, env: Env, minuend: bool = False) -> int | float:
    result = evaluate(value, env)
    if isinstance(result, bool) or not isinstance(result, int | float):
        if isinstance(result, Word):
            hint = did_you_mean(result.name, env.values) or (_setting_hint(result.name) if minuend else None)
            raise DiagnosticError([error("E102", f"unknown name `{result.name}` in an expression", value.span,
                                         help=hint or "define it first: `let NAME = VALUE`")])
        raise DiagnosticError([error("E209", "arithmetic needs numbers", value.span)])
    return result


def _setting_hint(name: str) -> str | None:
    """`loss bce seed -1`: a setting after another on one line, whose `-` reads as a subtraction
    (`bce seed - 1`): the unknown name is the setting, left of the `-`."""
    if not home_section(name):
        return None
    return (f"`{name}` is a setting: give it a line of its own (after another setting on the same line, "
            f"`{name} -1` reads as a subtraction)")


def _binop(node: n.BinOp, env: Env) -> int | float:
    """The result; a percentage still when a percentage goes in (`20% * 2` is 40%, and `800% * 1`
    no count of 8), but for the ratio of two (`50% / 10%` is 5)."""
    left, right = _number(node.left, env, minuend=node.op == "-"), _number(node.right, env)
    result = _finite(_arithmetic(node, left, right), node.span, "the result is too large")
    percentages = isinstance(left, Percentage) + isinstance(right, Percentage)
    return Percentage(result) if percentages and not (percentages == 2 and node.op == "/") else result


def _arithmetic(node: n.BinOp, left: int | float, right: int | float) -> int | float:
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        raise DiagnosticError([error("E209", "division by zero", node.right.span)])
    if isinstance(left, int) and isinstance(right, int) and left % right == 0:
        return left // right
    return left / right


def _finite(value: int | float, span: Span, what: str) -> int | float:
    """`value`, if a float can hold it. Whole numbers have no bound in Python: `let b = a * a`
    repeated would grow without end, and print, compare or convert to float only to fail."""
    if (isinstance(value, float) and math.isfinite(value)) or (
            isinstance(value, int) and abs(value) <= sys.float_info.max):
        return value
    raise DiagnosticError([error("E209", f"{what}: numbers in a spec stay within ±{sys.float_info.max:.4g}", span)])


def _abridged(text: str) -> str:
    """A number as written, shortened when it runs to hundreds of digits."""
    return text if len(text) <= 20 else f"{text[:8]}...{text[-4:]} ({len(text)} characters)"
