"""Finding and loading the grammar, once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark

from ldnn_dsl.syntax.newlines import StatementNewlines

GRAMMAR_NAME = "ldnn.lark"


def grammar_path() -> Path:
    """The grammar inside the installed package, or at the repository root in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "grammar" / GRAMMAR_NAME, here.parent / "grammar" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"the ldnn grammar ({GRAMMAR_NAME}) is not installed next to {here}")


@cache
def parser() -> Lark:
    """The LALR parser; `cache=True` keeps warm loads at about a millisecond."""
    return Lark.open(
        str(grammar_path()),
        parser="lalr",
        lexer="contextual",
        postlex=StatementNewlines(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
