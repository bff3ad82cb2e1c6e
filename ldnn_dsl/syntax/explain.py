"""A Lark error, worded for the spec's author: where, what was expected, and the likely fix."""

from __future__ import annotations

import re
import unicodedata

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.glued import glued_number, number_before
from ldnn_dsl.syntax.hints import (
    COMMENT_HELP,
    after_brace_hint,
    brace_hint,
    bracket_hint,
    foreign_hint,
    misplaced_close,
    top_level_hint,
    unclosed_scope_hint,
)
from ldnn_dsl.syntax.tokens import (
    KEYWORDS,
    SCOPES,
    STRUCTURE,
    closers_only,
    open_brackets,
    open_indices,
    point,
    statement_start,
    statement_text,
    tokens_before,
    unclosed_brace,
)

# How a terminal reads in "expected ..." (None: not worth listing).
TERMINALS: dict[str, str | None] = {
    "NAME": "a name", "CALLNAME": "a name", "NUMBER": "a number", "PERCENT": "a number", "WINDOW": "a window like 3x3",
    "STRING": 'a string like "data.npz"', "LSQB": "`[`", "RSQB": "`]`", "LPAR": "`(`", "RPAR": "`)`",
    "LBRACE": "`{`", "RBRACE": "`}`", "COMMA": "`,`", "EQUAL": "`=`", "_NL": "a new line",
    "$END": "the end of the file",
    "MINUS": None, "PLUS": None, "STAR": None, "SLASH": None,
}
VALUE_STARTS = {"NUMBER", "PERCENT", "WINDOW", "STRING", "LSQB", "LPAR", "MINUS", "CALLNAME"}
CHARACTER_HINTS = {
    "\\": "write the value on one line, or wrap it in ( )",
    ";": "statements end at a new line; there are no semicolons",
    "'": 'strings are written in double quotes: "data.npz"',
    "`": 'strings are written in double quotes: "data.npz"',
    '"': 'a string ends on its own line with a closing `"`',
    "\u201c": 'typographic quotes: write strings in plain double quotes, "data.npz"',
    "\u201d": 'typographic quotes: write strings in plain double quotes, "data.npz"',
    "\u2018": 'typographic quotes: write strings in plain double quotes, "data.npz"',
    "\u2019": 'typographic quotes: write strings in plain double quotes, "data.npz"',
    "\u2013": "a minus is written `-`",
    "\u2212": "a minus is written `-`",
    ":": "no colons: a setting or a layer is its name, then its values, e.g. `epochs 10`, `dense 64 relu`",
    ".": 'a path or other text is a string in double quotes: "data/train.npz"',
    "%": "a percentage is a plain number and `%`, written without exponent or arithmetic: `validate 10%`",
}


def translate(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    """One Lark error as E001 (E003 at the end of the file), with the likeliest fix as help."""
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(source, exc)
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        token = getattr(exc, "token", None)
        expected = acceptable(exc)
        if token is None or token.type == "$END":
            return _unexpected_end(source, expected)
        number = number_before(source, token)
        if number:
            return glued_number(source, number, token)
        return _unexpected_token(source, token, expected)
    where = point(source, getattr(exc, "line", 1), getattr(exc, "column", 1), 1)
    return error("E001", str(exc).splitlines()[0], where)


def acceptable(exc: UnexpectedInput) -> set[str]:
    """What the parser would have taken instead. Lark's own `expected` is the LALR state's
    merged look-ahead: a `}` closing a `residual` lists `branch`, valid only in a `parallel`.
    Feeding each candidate to a copy of the stopped parser keeps only what really fits here."""
    expected = set(getattr(exc, "expected", set()) or set())
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is None:
        return expected
    try:
        accepted = set(interactive.accepts())
    except Exception:  # a sharper list is a nicety: Lark's own is still a fair answer
        return expected
    return accepted or expected


def _unexpected_character(source: SourceFile, exc: UnexpectedCharacters) -> Diagnostic:
    char = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else ""
    span = point(source, exc.line, exc.column, 1)
    hint = (_quoted_word_hint(source.text, exc.pos_in_stream) or CHARACTER_HINTS.get(char) or _lookalike_hint(char)
            or _invisible_hint(char))
    line_before = source.text[source.text.rfind("\n", 0, exc.pos_in_stream) + 1:exc.pos_in_stream]
    if char == "%" and re.search(r"[0-9.][ \t]+$", line_before):  # `10 %`
        hint = "`%` goes directly after its number, with no space: `validate 10%`"
    elif char == "%" and not line_before.strip():  # MATLAB's and LaTeX's comment
        hint = "a comment starts with `#`"
    elif char == "%" and re.search(r"[A-Za-z_]$", line_before):  # `init=xx%`: no number to make a percentage
        hint = "a percentage is a number and `%`, such as `validate 10%`; only the data's splits take one"
    return error("E001", f"unexpected character {_describe_character(char)}", span, help=hint)


SINGLE_QUOTES = {"'": "'", "`": "`", "\u2018": "\u2019"}


def _quoted_word_hint(text: str, at: int) -> str | None:
    """`loss 'mse'`, `validate '10%'`: Python's quotes around what ldnn writes bare. Double
    quotes would only bring the next error (a word written as a string): say to drop them."""
    close = SINGLE_QUOTES.get(text[at:at + 1])
    end = text.find(close, at + 1) if close else -1
    inner = text[at + 1:end] if end > at else ""
    before = text[:at].rstrip()
    if before.endswith(("npz(", "csv(", "use")):  # a path, even one that looks like a word: in double quotes
        return None
    if "\n" in inner or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?%?", inner):
        return None
    if before.endswith("target=") and not inner[:1].isalpha():  # a column named `2024`: bare, it is an index
        return f'a column named `{inner}` is written in double quotes: `target="{inner}"`'
    return f"write `{inner}` without quotes: words and numbers are bare; only paths and other text are strings"


def _describe_character(char: str) -> str:
    """A character as the author can find it: itself when visible, and its code point when it
    is not ASCII, since a no-break space or a zero-width space between backticks shows nothing."""
    if not char or (char.isascii() and char.isprintable()):
        return f"`{char}`"
    name = unicodedata.name(char, "").lower()
    code = f"U+{ord(char):04X}"
    if not char.isprintable():
        return f"{code} ({name})" if name else code
    return f"`{char}` ({code}, {name})" if name else f"`{char}` ({code})"


# Cyrillic and Greek letters drawn like Latin ones: a word pasted from a document, or typed on
# another keyboard layout, fails on a letter that looks right.
LOOKALIKES = {**dict(zip("аеорсхуіјѕԁһԛԝАВЕКМНОРСТХ", "aeopcxyijsdhqwABEKMHOPCTX", strict=True)),
              **dict(zip("οαικνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "oaikvptuxABEZHIKMNOPTYX", strict=True))}


def _lookalike_hint(char: str) -> str | None:
    latin = LOOKALIKES.get(char)
    if latin is None:
        return None
    script = unicodedata.name(char, "").split(" ")[0].capitalize()
    return f"this `{char}` is {script}, drawn like the Latin `{latin}`: retype it as `{latin}`"


def _invisible_hint(char: str) -> str | None:
    """How to get rid of a character the author cannot see (often pasted from a web page or a document)."""
    if not char or char.isprintable():
        return None
    if unicodedata.category(char) == "Zs":
        return "retype the spaces on this line"
    return "delete the invisible character here, or retype the line"


def _double_slash_help(source: SourceFile, token: Token) -> str:
    """`let half = w // 2`, `lr 1 // 2`: a number or a parenthesis after `//` is Python's floor
    division more likely than a C comment, which starts with words (`dense 10 // out`)."""
    if not re.match(r"[ \t]*[0-9.(]", source.text[token.end_pos or 0:]):
        return COMMENT_HELP
    line, first = source.line(token.line or 1), (token.column or 2) - 2  # the first `/`, from 0
    fixed = (line[:first] + line[first + 1:]).strip().replace("\t", " ")
    return (f"`/` divides, and there is no floor division: `{fixed}`; where a "
            "whole number goes, the quotient must come out whole (comments start with `#`)")


def _unexpected_token(source: SourceFile, token: Token, expected: set[str]) -> Diagnostic:
    if token.type == "SLASH" and (token.start_pos or 0) > 0 and source.text[(token.start_pos or 0) - 1] == "/":
        # `dense 10 // out`: the first `/` read as a division, so the error came at the second
        return error("E001", "unexpected `//`", point(source, token.line or 1, (token.column or 2) - 1, 2),
                     help=_double_slash_help(source, token))
    width = 1 if token.type == "_NL" else max(len(token), 1)  # a run of blank lines is one token
    span = point(source, token.line or 1, token.column or 1, width)
    shown = "end of line" if token.type == "_NL" else f"`{token}`"
    keywords = sorted(KEYWORDS[t] for t in expected if t in KEYWORDS)
    hint = None
    if token.type in ("NAME", "CALLNAME") and keywords and "NAME" not in expected:
        hint = did_you_mean(str(token), keywords)
    misspelt = _misspelt_keyword(source, token)
    if hint is None and misspelt is not None:
        return misspelt
    if (inline := _scope_after_a_statement(source, token) or _branch_outside_parallel(source, token)) is not None:
        return inline
    if token.type == "EQUAL" and "LBRACE" not in expected:
        hint = _equal_hint(source.line(token.line or 1)[: (token.column or 1) - 1].split())
    if hint is None and (token.type == "RBRACE" or expected & {"RSQB", "RPAR"}):
        hint = bracket_hint(open_brackets(source, token), token)
    if hint is None and token.type in ("RPAR", "RSQB") and "RBRACE" in expected \
            and closers_only(source.line(token.line or 1)):  # `)` alone where a scope may close
        hint = "a block, model or section closes with `}`"
    if token.type == "_NL" and expected & VALUE_STARTS:
        return error("E001", f"the line ends too early{_expected(expected)}", span)
    hint = hint or foreign_hint(source, token, expected)
    hint = hint or brace_hint(source, token, expected) or unclosed_scope_hint(source, token, expected)
    hint = hint or after_brace_hint(source, token, expected) or top_level_hint(source, token, expected)
    return error("E001", f"unexpected {shown}{_expected(expected)}", span, help=hint)


def _equal_hint(before: list[str]) -> str:
    """Why an `=` is out of place, from the words before it on its line."""
    if before and before[0] == "let":
        return "a `let` names its value: `let width = 64`"
    if len(before) == 1 and before[0].isidentifier():  # `lr = 0.1`: the head of a layer or setting
        return f"values follow `{before[0]}` without `=`: `{before[0]} VALUE`; `key=value` is for options after them"
    return "options are written `key=value` after the layer kind, e.g. `dense 10 init=zeros`"


def _unexpected_end(source: SourceFile, expected: set[str]) -> Diagnostic:
    opener = unclosed_brace(source)
    lines = source.lines
    last = len(lines)
    while last > 1 and not lines[last - 1].strip():
        last -= 1
    col = len(lines[last - 1]) + 1 if lines else 1
    span = point(source, last, col, 1)
    if opener is not None:
        return error("E003", f"the file ends inside the `{{` opened at line {opener.line}, column {opener.column}",
                     span, help=misplaced_close(source, tokens_before(source.text, len(source.text)))
                     or "add the missing `}`")
    return error("E003", f"the file ends in the middle of a statement{_expected(expected)}", span)


def _branch_outside_parallel(source: SourceFile, token: Token) -> Diagnostic | None:
    """`branch {` in a model but not in a `parallel`: the parse fails only at its `{`."""
    if token.type != "LBRACE":
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    start = statement_start(before, len(before))
    if start != len(before) - 1 or str(before[start]) != "branch":
        return None
    if any(statement_text(source.text, before, i).startswith("parallel") for i in open_indices(before)):
        return None  # inside a `parallel`: a `branch` before it lacks its `}`, which the hints say
    head = before[start]
    return error("E001", "`branch` outside a `parallel`", point(source, head.line or 1, head.column or 1, len(head)),
                 help="a `branch { }` goes inside `parallel concat { }` or `parallel add { }`")


def _scope_after_a_statement(source: SourceFile, token: Token) -> Diagnostic | None:
    """`dense 4  repeat 2 {`: a scope's keyword after a statement on its line reads as one more
    word of that statement, so the parse fails only at the `{`; the keyword is what is misplaced."""
    if token.type != "LBRACE":
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    start = statement_start(before, len(before))
    words = [t for t in before[start + 1:] if str(t) in SCOPES and t.line == token.line]  # lexed as a keyword
    if not words:
        return None
    word = words[0]
    return error("E001", f"`{word}` starts a statement of its own, but follows `{before[start]}` on this line",
                 point(source, word.line or 1, word.column or 1, len(word)), help=f"start `{word}` on a new line")


def _misspelt_keyword(source: SourceFile, token: Token) -> Diagnostic | None:
    """`modle m {` or `repat 3 {`: the line's first word is a keyword with a typo."""
    line = source.line(token.line or 1)
    words = line.split()
    head = words[0] if words else ""
    if not head.isidentifier() or head in STRUCTURE or (token.column or 0) <= line.index(head) + 1:
        return None
    close = did_you_mean(head, STRUCTURE)
    if close is None:
        return None
    col = line.index(head) + 1
    return error("E001", f"unknown keyword `{head}`", point(source, token.line or 1, col, len(head)), help=close)


def _expected(expected: set[str] | frozenset[str] | None) -> str:
    if not expected:
        return ""
    words: list[str] = []
    if expected & VALUE_STARTS:
        words.append("a value")
    for name in sorted(expected, key=lambda name: (name == "$END", name)):  # the end of the file last
        if name in VALUE_STARTS:
            continue
        word = f"`{KEYWORDS[name]}`" if name in KEYWORDS else TERMINALS.get(name, f"`{name}`")
        if word and word not in words:
            words.append(word)
    if not words:
        return ""
    if len(words) > 6:
        words = [*words[:5], "..."]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"; expected {listed}"
