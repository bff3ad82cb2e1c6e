"""Which newlines can end a statement: the only context-sensitive part of the lexer."""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.lark import PostLex

OPENERS = {"LPAR", "LSQB"}
CLOSERS = {"RPAR", "RSQB"}


class StatementNewlines(PostLex):
    """Drops the newlines that cannot end a statement, without looking ahead.

    Dropped: newlines inside () and [] (long lists may wrap), right after `{`, at the
    start of the file, and repeats. Looking ahead is not an option: the contextual lexer
    lexes each token in the parser state reached by the tokens before it.
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        previous: str | None = None
        for token in stream:
            if token.type == "_NL":
                if depth > 0 or previous in (None, "LBRACE", "_NL"):
                    continue
            elif token.type in OPENERS:
                depth += 1
            elif token.type in CLOSERS:
                depth = max(depth - 1, 0)
            previous = token.type
            yield token
