"""Parse tree to surface AST. Structure only: no names are resolved, nothing is checked. The
one piece of vocabulary used is the layer kinds' names, which split a line holding several
layers (`dense 256 relu dense 256`) into one statement each."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Token, Transformer_NonRecursive, Tree, v_args

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.span import Span

MAX_DIGITS = 309  # a whole number with more digits is past every float; Python refuses to read 4,300 or more
ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def token_span(path: str, tok: Token) -> Span:
    return Span(path=path, line=tok.line or 1, col=tok.column or 1, end_line=tok.end_line or tok.line or 1,
                end_col=tok.end_column or (tok.column or 1) + len(tok))


def unquote(text: str) -> str:
    """A string literal's value: `\\"`, `\\\\`, `\\n` and `\\t` are escapes; any other backslash stays as
    written, so a Windows path such as "C:\\data\\x.npz" means what it says."""
    return ESCAPE.sub(lambda m: ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def split_on_layer_kinds(stmt: n.Statement) -> list[n.Statement]:
    """`dense 256 relu dense 256` on one line is two layers: a layer kind's name starts a new one.

    Layer kinds are never valid words of another layer, so the split is unambiguous.
    """
    return split_statement(stmt, lambda head, word, listed: word in LAYER_KINDS)


def split_statement(stmt: n.Statement, starts: Callable[[str, str, bool], bool]) -> list[n.Statement]:
    """`stmt` as the statements it holds: a bare word for which `starts(current head, word,
    listed)` is true begins the next one; `listed`: the current one has a bracketed list."""
    out: list[n.Statement] = []
    current = stmt
    items: list[Any] = []
    for item in stmt.items:
        listed = any(isinstance(i, n.ListValue) for i in items)
        if isinstance(item, n.Name) and starts(current.head, item.name, listed):
            out.append(_finish(current, items))
            current = n.Statement(span=item.span, head=item.name, head_span=item.span)
            items = []
        else:
            items.append(item)
    out.append(_finish(current, items))
    return out


def _finish(stmt: n.Statement, items: list[Any]) -> n.Statement:
    end = items[-1].span if items else (stmt.span if stmt.call_args is not None else stmt.head_span)
    return stmt.model_copy(update={"items": tuple(items), "span": stmt.head_span.to(end)})


class ToAst(Transformer_NonRecursive):
    """Methods are named after grammar rules; each returns an AST node."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def _span(self, meta: Any) -> Span:
        return Span(path=self.path, line=meta.line, col=meta.column, end_line=meta.end_line, end_col=meta.end_column)

    def _tok(self, tok: Token) -> Span:
        return token_span(self.path, tok)

    # values ------------------------------------------------------------------------------
    def number(self, children: list[Token]) -> n.Number:
        (tok,) = children
        text = str(tok)
        digits = text.replace("_", "")  # 500_000, grouped as in Python
        is_int = digits.isdigit() and len(digits) <= MAX_DIGITS  # longer: inf, refused when evaluated
        return n.Number(span=self._tok(tok), value=int(digits) if is_int else float(digits), text=text)

    def percent(self, children: list[Token]) -> n.Percent:
        (tok,) = children
        return n.Percent(span=self._tok(tok), value=float(tok[:-1].replace("_", "")) / 100, text=str(tok))

    def name(self, children: list[Token]) -> n.Name:
        (tok,) = children
        return n.Name(span=self._tok(tok), name=str(tok))

    def STRING(self, tok: Token) -> n.String:  # noqa: N802 - Lark terminal callback
        return n.String(span=self._tok(tok), value=unquote(str(tok)), text=str(tok))

    def WINDOW(self, tok: Token) -> n.Window:  # noqa: N802 - Lark terminal callback
        dims = tuple(int(d) if len(d) <= MAX_DIGITS else float(d) for d in tok.split("x"))  # longer: as NUMBER
        return n.Window(span=self._tok(tok), dims=dims, text=str(tok))

    @v_args(meta=True)
    def list(self, meta: Any, children: list[Any]) -> n.ListValue:
        return n.ListValue(span=self._span(meta), items=tuple(c for c in children if c is not None))

    @v_args(meta=True)
    def call(self, meta: Any, children: list[Any]) -> n.Call:
        name, *args = children
        return n.Call(span=self._span(meta), name=str(name), name_span=self._tok(name),
                      args=tuple(a for a in args if a is not None))

    def _binop(op: str) -> Callable[..., n.BinOp]:  # type: ignore[misc]  # noqa: N805
        @v_args(meta=True)
        def method(self: ToAst, meta: Any, children: list[Any]) -> n.BinOp:
            left, right = children
            return n.BinOp(span=self._span(meta), op=op, left=left, right=right)

        return method

    add, sub, mul, div = _binop("+"), _binop("-"), _binop("*"), _binop("/")

    @v_args(meta=True)
    def neg(self, meta: Any, children: list[Any]) -> n.Neg:
        return n.Neg(span=self._span(meta), operand=children[0])

    @v_args(meta=True)
    def option(self, meta: Any, children: list[Any]) -> n.Option:
        key, value = children
        return n.Option(span=self._span(meta), key=str(key), key_span=self._tok(key), value=value)

    # statements --------------------------------------------------------------------------
    @v_args(meta=True)
    def statement(self, meta: Any, children: list[Any]) -> n.Statement:
        head, *items = children
        if isinstance(head, n.Call):
            return n.Statement(span=self._span(meta), head=head.name, head_span=head.name_span,
                               call_args=head.args, items=tuple(items))
        return n.Statement(span=self._span(meta), head=str(head), head_span=self._tok(head), items=tuple(items))

    def body(self, children: list[Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for child in children:
            if isinstance(child, n.Statement):
                out.extend(split_on_layer_kinds(child))
            elif child is not None:
                out.append(child)
        return tuple(out)

    @v_args(meta=True)
    def repeat(self, meta: Any, children: list[Any]) -> n.Repeat:
        count, body = children
        return n.Repeat(span=self._span(meta), count=count, body=body)

    @v_args(meta=True)
    def residual(self, meta: Any, children: list[Any]) -> n.Residual:
        return n.Residual(span=self._span(meta), body=children[0])

    @v_args(meta=True)
    def branch(self, meta: Any, children: list[Any]) -> n.Branch:
        return n.Branch(span=self._span(meta), body=children[0])

    @v_args(meta=True)
    def parallel(self, meta: Any, children: list[Any]) -> n.Parallel:
        mode, *branches = children
        return n.Parallel(span=self._span(meta), mode=str(mode), mode_span=self._tok(mode),
                          branches=tuple(b for b in branches if b is not None))

    # top level ---------------------------------------------------------------------------
    @v_args(meta=True)
    def let_def(self, meta: Any, children: list[Any]) -> n.Let:
        name, value = children
        return n.Let(span=self._span(meta), name=str(name), name_span=self._tok(name), value=value)

    @v_args(meta=True)
    def use_def(self, meta: Any, children: list[Any]) -> n.Use:
        return n.Use(span=self._span(meta), path=children[0])

    def params(self, children: list[Token]) -> tuple[Token, ...]:
        return tuple(children)  # tokens still: the block keeps each parameter's span

    @v_args(meta=True)
    def block_def(self, meta: Any, children: list[Any]) -> n.BlockDef:
        name, *rest = children
        body = rest[-1]
        params: tuple[Token, ...] = rest[0] if len(rest) == 2 and rest[0] is not None else ()
        return n.BlockDef(span=self._span(meta), name=str(name), name_span=self._tok(name),
                          params=tuple(str(p) for p in params), params_span=tuple(self._tok(p) for p in params),
                          body=body)

    @v_args(meta=True)
    def model_def(self, meta: Any, children: list[Any]) -> n.ModelDef:
        name, body = children
        return n.ModelDef(span=self._span(meta), name=str(name), name_span=self._tok(name), body=body)

    @v_args(meta=True)
    def section(self, meta: Any, children: list[Any]) -> n.Section:
        name, *settings = children
        return n.Section(span=self._span(meta), name=str(name), name_span=self._tok(name),
                         settings=tuple(s for s in settings if s is not None))

    def start(self, children: list[Any]) -> list[Any]:
        return [c for c in children if c is not None]


def to_ast(path: str, tree: Tree) -> n.SpecFile:
    return n.SpecFile(path=path, items=tuple(ToAst(path).transform(tree)))
