"""The lexer's view of a spec's text: its brackets, statements and words, for saying where a parse went wrong."""

from __future__ import annotations

import contextlib

from lark import Token
from lark.exceptions import UnexpectedInput

from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.grammar import parser

PAIRS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
BRACKET_NAMES = {*PAIRS, *PAIRS.values()}
CHAR_BRACKETS = {"(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE"}
BOUNDARIES = {"_NL", "LBRACE", "RBRACE"}  # tokens a statement starts after
KEYWORDS = {"LET": "let", "USE": "use", "BLOCK": "block", "MODEL": "model", "REPEAT": "repeat",
            "RESIDUAL": "residual", "PARALLEL": "parallel", "BRANCH": "branch"}
STRUCTURE = ("model", "block", "let", "use", "repeat", "residual", "parallel", "branch")
SCOPES = ("residual", "parallel", "branch", "repeat")  # what opens a scope inside a model
# The sections' names, for a hint about a section misplaced; the grammar knows none, and the
# checker's table (check/recipe.py SECTION_MODELS) is a later stage: a test keeps the two alike.
SECTIONS = ("init", "data", "train")


def brackets(text: str) -> list[str] | None:
    """The bracket tokens of `text` in order, outside strings and comments (None: it does not lex)."""
    try:
        return [token.type for token in parser().lex(text) if token.type in BRACKET_NAMES]
    except UnexpectedInput:
        return None


def still_open(kinds: list[str]) -> set[str]:
    """The kinds of bracket left open; {"unbalanced"} when a closer does not match (a line
    like `} modle x {` closes a scope and opens another: not neutral, though its counts are)."""
    stack: list[str] = []
    for kind in kinds:
        if kind in PAIRS:
            stack.append(kind)
        elif stack and PAIRS[stack[-1]] == kind:
            stack.pop()
        else:
            return {"unbalanced"}
    return set(stack)


def closers_only(line: str) -> bool:
    """Whether `line` holds nothing but `)`, `]` and blanks."""
    return not line.strip(" \t\r)]")


def tokens_before(text: str, end: int) -> list[Token]:
    """The tokens of `text[:end]` as the parser sees them (newlines that cannot end a statement
    dropped), as far as it lexes: a diagnostic about what precedes an error needs no more."""
    found: list[Token] = []
    with contextlib.suppress(UnexpectedInput):
        for tok in parser().lex(text[:end]):
            found.append(tok)
    return found


def next_token(text: str, token: Token) -> Token | None:
    """The first token after `token` that is not a newline (blank and comment lines skipped)."""
    end = token.end_pos or 0
    try:
        for tok in parser().lex(text):
            if (tok.start_pos or 0) >= end and tok.type != "_NL":
                return tok
    except UnexpectedInput:
        return None
    return None


def open_indices(tokens: list[Token]) -> list[int]:
    """The positions in `tokens` of the brackets still open after them, innermost last."""
    stack: list[int] = []
    closers = {"RBRACE": "LBRACE", "RSQB": "LSQB", "RPAR": "LPAR"}
    for i, tok in enumerate(tokens):
        if tok.type in closers.values():
            stack.append(i)
        elif tok.type in closers and stack and tokens[stack[-1]].type == closers[tok.type]:
            stack.pop()
    return stack


def open_brackets(source: SourceFile, token: Token) -> list[Token]:
    """The `{`, `[` and `(` still open where `token` starts, innermost last."""
    before = tokens_before(source.text, token.start_pos or 0)
    return [before[i] for i in open_indices(before)]


def unclosed_brace(source: SourceFile) -> Token | None:
    """The innermost `{` still open at the end of the file, if any."""
    stack: list[Token] = []
    try:
        for tok in parser().lex(source.text):
            if tok.type == "LBRACE":
                stack.append(tok)
            elif tok.type == "RBRACE" and stack:
                stack.pop()
    except UnexpectedInput:
        return None
    return stack[-1] if stack else None


def statement_start(tokens: list[Token], index: int) -> int:
    """Where the statement holding `tokens[index - 1]` starts: just after a newline or a brace."""
    start = index
    while start > 0 and tokens[start - 1].type not in BOUNDARIES:
        start -= 1
    return start


def statement_text(text: str, tokens: list[Token], index: int) -> str:
    """The statement before `tokens[index]` as written (`model m`, `block f(x)`), spaces squeezed;
    '' when nothing precedes it on its statement."""
    start = statement_start(tokens, index)
    if start >= index:
        return ""
    return " ".join(text[tokens[start].start_pos or 0: tokens[index - 1].end_pos or 0].split())


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def code(line: str) -> str:
    """A line without its comment and outer spaces ('' for a blank or comment-only line)."""
    return line.split("#", 1)[0].strip()


def point(source: SourceFile, line: int, col: int, width: int) -> Span:
    return Span(path=source.path, line=line, col=col, end_line=line, end_col=col + width)
