"""Numbers misspelt around `_` (`1__0`, `1e_5`): lexed as a number and a name that could pass for a word."""

from __future__ import annotations

import re
from itertools import pairwise

from lark import Token, Tree

from ldnn_dsl.source.diagnostics import Diagnostic, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile

# How a name glued to a number starts: `_` (`1__0`, `64_relu`), `e_` (`1e_5`), or a letter (`64relu`,
# `42L`), but `x` or `X`, which `3X3` and `0x10` hold: their own messages say more.
GLUED_TO_NUMBER = re.compile(r"_|[eE]_|(?![xX])[A-Za-z]")
SUFFIXES = ("L", "l", "f", "F", "d", "D", "u", "U", "UL", "LL")  # C's and Java's type suffixes: `42L`, `0.5f`
NUMBER_AT_END = re.compile(r"(?<![A-Za-z0-9_.])([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)([eE][+-]?[0-9_]+)?$")
MISSPELT_DIGITS = re.compile(r"_[0-9_]*|[eE]_[0-9_]*")  # `__0` after `1`: the rest of a number, not a word


def glued_numbers(source: SourceFile, tree: Tree) -> list[Diagnostic]:
    """`1__0`, `1_000_`, `1._5`, `1e_5`: the lexer reads a number, then a name that starts where it
    ends (`__0`, `_`, `_5`, `e_5`), and the name would be taken for a word such as an activation."""
    tokens = sorted((c for sub in tree.iter_subtrees() for c in sub.children  # iterative: scan_values recurses
                     if isinstance(c, Token) and c.start_pos is not None), key=lambda t: t.start_pos)
    return [glued_number(source, number, name) for number, name in pairwise(tokens)
            if number.type == "NUMBER" and name.type == "NAME" and number.end_pos == name.start_pos
            and GLUED_TO_NUMBER.match(name)]


def glued_number(source: SourceFile, number: str, name: Token) -> Diagnostic:
    """A number misspelt around `_`, from its first digit to the end of the name glued to it."""
    line_start = source.text.rfind("\n", 0, name.start_pos) + 1
    col = name.start_pos - line_start + 1 - len(number)
    span = Span(path=source.path, line=name.line, col=col, end_line=name.end_line, end_col=name.end_column)
    if name in SUFFIXES:
        return error("E001", f"`{number}{name}` is not a number: numbers take no type suffix", span,
                     help=f"write `{number}`")
    if not MISSPELT_DIGITS.fullmatch(name):  # `64_relu`: a number and a word, run together
        return error("E001", f"`{number}{name}` runs a number and a name together", span,
                     help=f"put a space between them: `{number} {name.lstrip('_')}`")
    return error("E001", f"`{number}{name}` is not a number: `_` groups digits only between two digits", span,
                 help="write `500_000` or `500000`; `1e-5` or `1e5` for a power of ten")


def number_before(source: SourceFile, token: Token) -> str | None:
    """The number that `token`, a name such as `_`, is glued to, when a syntax error stops at it."""
    if token.type != "NAME" or not GLUED_TO_NUMBER.match(token) or token.start_pos is None:
        return None
    found = NUMBER_AT_END.search(source.text, 0, token.start_pos)
    return found.group() if found else None
