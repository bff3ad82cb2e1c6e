"""Text to parse tree: the one entry point, and the checks a tree needs before any later stage walks it."""

from __future__ import annotations

from lark import Tree
from lark.exceptions import UnexpectedInput

from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.glued import glued_numbers
from ldnn_dsl.syntax.grammar import parser
from ldnn_dsl.syntax.recovery import syntax_errors

MAX_NESTING = 50  # brackets inside brackets, as the author counts them
MAX_DEPTH = 200  # levels of the parse tree: each bracket adds one or two, each chained operator one
# The rules that open a bracket: `{` of a model, block, section, residual, parallel or branch; `[`; `f(`.
BRACKETED = frozenset({"body", "section", "parallel", "list", "call"})


def parse(source: SourceFile) -> Tree:
    """The parse tree of one file, or a DiagnosticError saying where and what was expected."""
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as exc:
        raise DiagnosticError(syntax_errors(source, exc)) from None
    _check_depth(source, tree)
    _check_glued_numbers(source, tree)
    return tree


def _check_glued_numbers(source: SourceFile, tree: Tree) -> None:
    diags = glued_numbers(source, tree)
    if diags:
        raise DiagnosticError(diags)


def _check_depth(source: SourceFile, tree: Tree) -> None:
    """Later stages recurse over the tree; refuse absurd nesting with a diagnostic, not a RecursionError.

    The author sees brackets, so the limit they read is counted in brackets (MAX_NESTING); the tree's
    own depth (MAX_DEPTH) is the backstop for what brackets do not show, a long chain of operators.
    The walk is top-down in source order, so the first construct past a limit is the one reported."""
    stack: list[tuple[Tree, int, int]] = [(tree, 0, 1)]
    while stack:
        node, brackets, depth = stack.pop()
        brackets += node.data in BRACKETED
        if brackets > MAX_NESTING:
            raise DiagnosticError([_too_deep(source, node, f"brackets nest more than {MAX_NESTING} levels deep "
                                             "here; flatten the spec (a `repeat` or a `block` says the same "
                                             "thing shorter)")])
        if depth > MAX_DEPTH:
            raise DiagnosticError([_too_deep(source, node, "this expression is too long: counting each operator "
                                             f"as a level, the spec nests more than {MAX_DEPTH} levels deep here; "
                                             "give its parts names with `let`")])
        stack.extend((child, brackets, depth + 1) for child in reversed(node.children) if isinstance(child, Tree))


def _too_deep(source: SourceFile, node: Tree, message: str) -> Diagnostic:
    meta = node.meta
    return error("E004", message, path=source.path, line=getattr(meta, "line", 1), col=getattr(meta, "column", 1))
