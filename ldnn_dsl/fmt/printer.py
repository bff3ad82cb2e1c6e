"""The layout walk: AST plus comments to canonical lines.

    >>> format_text("model m { input [4]  dense 2 softmax }")
    'model m {\\n  input [4]\\n  dense 2 softmax\\n}\\n'

Layout rules (the shared examples are already in this form):

* two spaces per level; one statement per line; bodies on their own lines, `{}` when
  empty; a `branch` holding a single plain statement stays on one line.
* top-level items in source order with one blank line between them, except that
  consecutive `let`s (or `use`s) stay together unless the author separated them.
* inside bodies, any run of blank lines between two statements or comments becomes one
  blank line; blank lines right after `{` or before `}` are dropped.
* full-line comments stay on their own line before what follows them, at its indentation.
  End-of-line comments stay on their line (aligned by `lines.render`). A comment inside a
  statement or header that spans lines (a wrapped list) moves onto its own line just
  before it, since the statement now fits on one line.

Comments are taken strictly in source order, so they are never lost or reordered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import split_statement, to_ast
from ldnn_dsl.check.recipe import SECTION_MODELS as SECTIONS
from ldnn_dsl.check.sections import setting_words
from ldnn_dsl.fmt.comments import Comment, CommentQueue, Pos, find_brace, scan_comments
from ldnn_dsl.fmt.lines import Line, render
from ldnn_dsl.fmt.values import head_text, items_text, statement_text, value_text
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import STDIN, SourceFile
from ldnn_dsl.syntax.parse import parse

END_OF_FILE: Pos = (sys.maxsize, 0)
GROUPED_KINDS = ("let", "use")


def format_text(text: str, path: str = STDIN) -> str:
    """`text` in the canonical layout; raises DiagnosticError when it does not parse.

    A leading byte-order mark is dropped, as `ldnn_dsl.source.text.decode` does for files.
    """
    text = text.removeprefix("\ufeff")
    spec = to_ast(path, parse(SourceFile(path, text)))
    printer = Printer(text)
    printer.spec(spec)
    return render(printer.lines)


def _start(span: Span) -> Pos:
    return (span.line, span.col)


def _end(span: Span) -> Pos:
    return (span.end_line, span.end_col)


def _close(span: Span) -> Pos:
    """Where the `}` that ends a braced construct's span stands."""
    return (span.end_line, span.end_col - 1)


class Printer:
    """Walks one file's AST in source order, emitting lines and the comments between them."""

    def __init__(self, text: str) -> None:
        self.source_lines = text.split("\n")
        self.blank_before = _blank_counts(self.source_lines)
        self.queue = CommentQueue(scan_comments(text))
        self.lines: list[Line] = []
        self.last_line = 0  # source line where the last emitted element ended
        self.at_open = True  # nothing emitted yet in the current body (or file)
        self.force_blank = False  # a blank line is due before the next element
        self.lets: set[str] = set()  # names the file's `let`s define

    # comments and blank lines ----------------------------------------------------------
    def _begin(self, line: int) -> None:
        """Before an element: a blank line if the author left one or a top-level item changed."""
        if self.lines and not self.at_open and (self.force_blank or self._author_blank(line)):
            self.lines.append(Line("blank"))
        self.force_blank = False
        self.at_open = False

    def _author_blank(self, line: int) -> bool:
        """Whether the source has a blank line between the last element and `line`."""
        return line > self.last_line and self.blank_before[line - 1] > self.blank_before[self.last_line]

    def _own_line(self, comment: Comment, indent: int) -> None:
        self._begin(comment.line)
        self.lines.append(Line("comment", indent, comment.text))
        self.last_line = comment.line

    def flush(self, upto: Pos, indent: int) -> None:
        """Print the comments before `upto`: end-of-line ones stay on the last code line."""
        for comment in self.queue.take_before(upto):
            last = self.lines[-1] if self.lines else None
            if not comment.own_line and last is not None and last.kind == "code" and last.comment is None:
                last.comment = comment.text
            else:
                self._own_line(comment, indent)

    def hoist(self, upto: Pos, indent: int) -> None:
        """Comments inside a construct that now prints on one line go on lines before it."""
        for comment in self.queue.take_before(upto):
            self._own_line(comment, indent)

    def _code(self, indent: int, span: Span, left: str, right: str = "", align: str | None = None) -> None:
        """One single-line element: comments before it, then its line."""
        self.flush(_start(span), indent)
        self.hoist(_end(span), indent)
        self._begin(span.line)
        self.lines.append(Line("code", indent, left, right, align))
        self.last_line = span.end_line

    # braced constructs -----------------------------------------------------------------
    def braced(self, indent: int, span: Span, head: str, header_end: Pos, body: Callable[[int], None],
               inline: str | None) -> None:
        """`head { ... }`; `inline` is the one-line form (`""` for `{}`) when the body allows one.

        `header_end` is where the header's last token ends: the `{` is the next one.
        """
        self.flush(_start(span), indent)
        brace = find_brace(self.source_lines, header_end)
        self.hoist(brace, indent)
        self._begin(span.line)
        close = _close(span)
        if inline is not None and not self.queue.any_before(close):
            self.lines.append(Line("code", indent, f"{head} {{ {inline} }}" if inline else f"{head} {{}}"))
            self.last_line = span.end_line
            return
        self.lines.append(Line("code", indent, f"{head} {{"))
        self.last_line = brace[0]
        self.at_open = True
        body(indent + 1)
        self.flush(close, indent + 1)
        self.at_open = False
        self.lines.append(Line("code", indent, "}"))
        self.last_line = span.end_line

    def layers(self, body: Sequence[Any]) -> Callable[[int], None]:
        def emit(indent: int) -> None:
            for layer in body:
                self.layer(layer, indent)

        return emit

    def layer(self, node: Any, indent: int) -> None:
        if isinstance(node, n.Statement):
            self._code(indent, node.span, statement_text(node))
        elif isinstance(node, n.Repeat):
            self.braced(indent, node.span, f"repeat {value_text(node.count)}", _end(node.count.span),
                        self.layers(node.body), _empty(node.body))
        elif isinstance(node, n.Residual):
            self.braced(indent, node.span, "residual", _start(node.span),
                        self.layers(node.body), _empty(node.body))
        elif isinstance(node, n.Parallel):
            self.braced(indent, node.span, f"parallel {node.mode}", _end(node.mode_span),
                        self.branches(node.branches), _empty(node.branches))
        else:
            raise TypeError(f"not a layer node: {type(node).__name__}")

    def branches(self, branches: Sequence[n.Branch]) -> Callable[[int], None]:
        def emit(indent: int) -> None:
            for branch in branches:
                body = branch.body
                single = statement_text(body[0]) if len(body) == 1 and isinstance(body[0], n.Statement) else None
                self.braced(indent, branch.span, "branch", _start(branch.span),
                            self.layers(body), single if body else "")

        return emit

    # top level ---------------------------------------------------------------------------
    def spec(self, spec: n.SpecFile) -> None:
        self.lets = {item.name for item in spec.items if isinstance(item, n.Let)}
        previous: str | None = None
        for item in spec.items:
            if previous is not None and not (item.node == previous and item.node in GROUPED_KINDS):
                self.force_blank = True
            self.top(item)
            previous = item.node
        self.flush(END_OF_FILE, 0)

    def top(self, item: Any) -> None:
        if isinstance(item, n.Let):
            self._code(0, item.span, f"let {item.name}", f"= {value_text(item.value)}", align="let")
        elif isinstance(item, n.Use):
            self._code(0, item.span, f"use {item.path.text}")
        elif isinstance(item, n.BlockDef):
            params = f"({', '.join(item.params)})" if item.params else ""
            self.braced(0, item.span, f"block {item.name}{params}", _end(item.name_span), self.layers(item.body),
                        _empty(item.body))
        elif isinstance(item, n.ModelDef):
            self.braced(0, item.span, f"model {item.name}", _end(item.name_span), self.layers(item.body),
                        _empty(item.body))
        elif isinstance(item, n.Section):
            settings = self.split(item)
            self.braced(0, item.span, item.name, _end(item.name_span), self.settings(settings), _empty(settings))
        else:
            raise TypeError(f"not a top-level node: {type(item).__name__}")

    def split(self, section: n.Section) -> list[n.Statement]:
        """The section's settings, `loss mse  lr 0.1` on one line as the two the checker reads in
        it: a setting's name starts the next one unless the current setting takes it as a word.
        No `let` may take a setting's name (E103), here or in a file this one `use`s; a file that
        defines one anyway keeps the line as written, as the checker reads it, with the `let`'s value."""
        if section.name not in SECTIONS:
            return list(section.settings)
        words = setting_words(section.name)

        def starts(head: str, word: str, listed: bool) -> bool:
            return word in words and (listed or word not in words.get(head, set())) and word not in self.lets

        return [part for stmt in section.settings for part in split_statement(stmt, starts)]

    def settings(self, settings: Sequence[n.Statement]) -> Callable[[int], None]:
        def emit(indent: int) -> None:
            for stmt in settings:
                self._code(indent, stmt.span, head_text(stmt), items_text(stmt.items), align="setting")

        return emit


def _empty(body: Sequence[Any]) -> str | None:
    """The inline form of a body: `""` (print `{}`) when empty, else None (multi-line)."""
    return "" if not body else None


def _blank_counts(lines: list[str]) -> list[int]:
    """`counts[k]`: how many of the first k source lines are blank, to find gaps in O(1)."""
    counts = [0]
    for line in lines:
        counts.append(counts[-1] + (not line.strip()))
    return counts
