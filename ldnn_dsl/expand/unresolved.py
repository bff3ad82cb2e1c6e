"""The words a file cannot resolve because one of its `use`s failed.

A `use` that cannot be read (or closes a cycle) takes every name of the file it names with it:
`dense width` then reads `width` as an unknown activation, `lr rate` as a word where a number
goes. Those errors follow from the one at the `use`, so the checker drops each diagnostic that
points at such a word. It cannot tell a misspelt word from one the lost file defines, so it shows
neither: once the `use` is fixed, a misspelling is reported as usual."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.expand.modules import STRUCTURE
from ldnn_dsl.layers.registry import LAYER_KINDS, layer_help
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error, position
from ldnn_dsl.source.span import Span


def unresolved(spec: n.SpecFile, known: set[str], blocks: set[str]) -> list[Span]:
    """Where `spec` writes a name nothing defines (`known`: the language's words and every name
    in scope) or starts a statement with a word that is no layer kind or block."""
    out = [name.span for name in _names(spec, frozenset()) if name.name not in known]
    heads = {*LAYER_KINDS, *STRUCTURE, *blocks}
    return out + [stmt.head_span for stmt in _layer_statements(spec.items) if stmt.head not in heads]


def uncalled_block(block: n.BlockDef, known: set[str], blocks: set[str]) -> list[Diagnostic]:
    """The words of a block that no model calls which nothing could define: its body is
    expanded only when called, and a typo in it (`dens`, `filter` for the parameter `filters`)
    would wait there until a call finds it, even under `--strict`."""
    note = (f"in block `{block.name}`, which nothing here calls: its body is checked for names only, "
            "and fully once a model calls it",)
    names = [*block.params, *known]
    out = [error("E102", f"unknown name `{name.name}`", name.span, notes=note,
                 help=did_you_mean(name.name, names, prefixes=False) or "define it first: `let NAME = VALUE`")
           for name in _names(block, frozenset()) if name.name not in known]
    heads = [*LAYER_KINDS, *blocks]
    out += [error("E101", f"unknown layer kind or block `{stmt.head}`", stmt.head_span, notes=note,
                  help=layer_help(stmt.head) or did_you_mean(stmt.head, heads)
                  or f"layer kinds are {', '.join(LAYER_KINDS)}")
            for stmt in _layer_statements(block.body) if stmt.head not in {*heads, *STRUCTURE}]
    return sorted(out, key=position)


def follows_from(diagnostic: Diagnostic, spans: list[Span]) -> bool:
    """Whether the diagnostic points at one of the unresolved words (or at a part that holds one)."""
    at = diagnostic.span
    return at is not None and any(at.contains(span) for span in spans)


def _names(node: object, params: frozenset[str]) -> Iterator[n.Name]:
    """Every `Name` in the tree, but a block's own parameters inside its body."""
    if isinstance(node, n.Name):
        if node.name not in params:
            yield node
        return
    if isinstance(node, n.Option) and node.key == "name" and isinstance(node.value, n.Name):
        return  # `name=head`: a layer's name, a word of the author's own
    if isinstance(node, n.BlockDef):
        params = params | set(node.params)
    if isinstance(node, BaseModel):
        for field in type(node).model_fields:
            yield from _names(getattr(node, field), params)
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _names(item, params)


def _layer_statements(items: tuple[object, ...]) -> Iterator[n.Statement]:
    """The statements of model and block bodies (a section's settings are no layers)."""
    for item in items:
        if isinstance(item, n.Statement):
            yield item
        elif isinstance(item, n.Parallel):
            for branch in item.branches:
                yield from _layer_statements(branch.body)
        elif isinstance(item, n.ModelDef | n.BlockDef | n.Repeat | n.Residual):
            yield from _layer_statements(item.body)
