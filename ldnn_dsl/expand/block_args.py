"""A block call's arguments bound to its parameters, as Python binds a call's: positional ones
first, in order, then `key=value` ones, each once; a second call on the line is refused."""

from __future__ import annotations

from collections.abc import Mapping

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.expand.bind import block_after
from ldnn_dsl.expand.modules import Block
from ldnn_dsl.layers.values import Arg, CallValue, Word
from ldnn_dsl.source.diagnostics import DiagnosticError, did_you_mean, error


def no_call_after(stmt: n.Statement, after: tuple[Arg, ...], blocks: Mapping[str, Block]) -> None:
    """`unit(4) unit(5)`: a second call on the line would read as one more argument of the first."""
    what = f"`{stmt.head}(...)`" if stmt.call_args is not None else f"`{stmt.head}`"
    for arg in after:
        if isinstance(arg.value, Word | CallValue) and arg.value.name in blocks:
            raise DiagnosticError([block_after(arg, what, blocks[arg.value.name].definition.params)])


def bind_params(stmt: n.Statement, params: tuple[str, ...], args: tuple[Arg, ...]) -> dict[str, object]:
    """Each parameter's value, or E107 for the first argument that does not fit the signature."""
    _positional_first(stmt, params, args)
    positional = [a for a in args if a.key is None]
    named = [a for a in args if a.key is not None]  # a list: `b(x=3, x=4)` must not keep the last in silence
    signature = f"`{stmt.head}({', '.join(params)})`"
    if len(positional) > len(params):
        raise DiagnosticError([error("E107", f"{signature} takes {len(params)} argument(s), got {len(positional)}",
                                     positional[len(params)].span)])
    bound = {p: a.value for p, a in zip(params, positional, strict=False)}
    for arg in named:
        key = arg.key
        assert key is not None
        if key not in params:
            raise DiagnosticError([error("E107", f"{signature} has no parameter `{key}`", arg.key_span or arg.span,
                                         help=did_you_mean(key, params))])
        if key in bound:
            raise DiagnosticError([error("E107", f"parameter `{key}` of {signature} is given twice",
                                         arg.key_span or arg.span)])
        bound[key] = arg.value
    missing = [p for p in params if p not in bound]
    if missing:
        raise DiagnosticError([error("E107", f"{signature} is missing `{missing[0]}`", stmt.span)])
    return bound


def _positional_first(stmt: n.Statement, params: tuple[str, ...], args: tuple[Arg, ...]) -> None:
    """Positional arguments come before `key=value` ones, as in Python: in `b(m=2, 4)` the 4 would
    otherwise fill the first parameter, a surprise to whoever reads the call in order."""
    first = next((i for i, arg in enumerate(args) if arg.key is not None), len(args))
    late = next((arg for arg in args[first:] if arg.key is None), None)
    if late is not None:
        raise DiagnosticError([error("E107", f"a positional argument after `{args[first].key}=` in a call of "
                                     f"`{stmt.head}({', '.join(params)})`", late.span,
                                     help="give the positional arguments first, then the `key=value` ones")])
