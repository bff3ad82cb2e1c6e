"""After the first syntax error, the next ones: the author's other mistakes, not echoes of the first."""

from __future__ import annotations

import time

from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ldnn_dsl.source.diagnostics import Diagnostic, position
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.explain import acceptable, translate
from ldnn_dsl.syntax.glued import glued_numbers
from ldnn_dsl.syntax.grammar import parser
from ldnn_dsl.syntax.tokens import CHAR_BRACKETS, PAIRS, brackets, closers_only, next_token, still_open, tokens_before

MAX_ERRORS = 10  # syntax errors reported from one file; past that, the rest is likely one mistake's echo
RECOVERY_SECONDS = 1.0  # looking for further errors re-parses the file; a huge one gets its first error only


def syntax_errors(source: SourceFile, first: UnexpectedInput) -> list[Diagnostic]:
    """The first syntax error, then the next ones: the failing line is blanked out and the file
    parsed again, while blanking it cannot change the file's structure (the line closes every
    bracket it opens, in order, and no `(` or `[` from earlier lines is still open), so that
    each further error is the author's, not an echo of the first. A `{` put on the line after
    its header is moved up instead: one mistake, one error, and the rest of the file still read."""
    found = [translate(source, first)]
    text, exc = source.text, first
    started = time.perf_counter()
    while len(found) <= MAX_ERRORS and time.perf_counter() - started < RECOVERY_SECONDS:  # one past: are there more?
        line = getattr(exc, "line", None)
        at_end = isinstance(exc, UnexpectedEOF) or getattr(getattr(exc, "token", None), "type", None) == "$END"
        if at_end or not isinstance(line, int):
            break
        repaired = _move_brace_up(text, exc)
        if repaired is None and _skippable(text, line) and not _lacks_its_brace(exc):
            repaired = _blank_line(text, line)
        if repaired is None:
            break
        text = repaired
        try:
            recovered = parser().parse(text)
        except UnexpectedInput as later:
            exc = later
        else:
            found.extend(glued_numbers(SourceFile(source.path, text), recovered)[: MAX_ERRORS + 1 - len(found)])
            break
        diag = translate(SourceFile(source.path, text), exc)
        if diag.span is None or diag.span.line <= line or diag.code != "E001":
            break  # an end-of-file error or no progress: most likely the blanked line's echo
        found.append(diag)
    found.sort(key=position)  # glued numbers come last
    if len(found) <= MAX_ERRORS:
        return found
    last = found[MAX_ERRORS - 1]
    stopped = f"ldnn stops after {MAX_ERRORS} syntax errors, and there are more: fix these and check again"
    return [*found[: MAX_ERRORS - 1], last.model_copy(update={"notes": (*last.notes, stopped)})]


def _lacks_its_brace(exc: UnexpectedInput) -> bool:
    """`model m` with no `{` after it at all: blanking the line would leave its body at the top
    level, where every line is an echo of this one mistake."""
    token = getattr(exc, "token", None)
    return token is not None and token.type == "_NL" and "LBRACE" in acceptable(exc)


def _skippable(text: str, line: int) -> bool:
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return False
    before = brackets("\n".join(lines[: line - 1]))
    if before is None or still_open(before) & {"LPAR", "LSQB", "unbalanced"}:
        return False
    own = brackets(lines[line - 1])
    if own is None:  # the line holds a character no token starts with: take its brackets as written
        own = [CHAR_BRACKETS[c] for c in lines[line - 1] if c in CHAR_BRACKETS]
    alone = closers_only(lines[line - 1])  # a `}` mistyped, most likely
    return still_open(own if alone else _without_strays(own)) == set()


def _without_strays(kinds: list[str]) -> list[str]:
    """The brackets less a `)` or `]` that closes nothing (`dense 8 relu )`): none is open
    before the line, so blanking it cannot change what the rest of the file means. A stray
    `}` stays: it may close a scope the author meant to close (and so does a line of nothing
    but `)`, which may be that `}`, mistyped)."""
    out: list[str] = []
    opened: list[str] = []
    for kind in kinds:
        if kind in PAIRS:
            opened.append(kind)
        elif kind in ("RPAR", "RSQB") and not any(PAIRS[o] == kind for o in opened):
            continue
        elif opened and PAIRS[opened[-1]] == kind:
            opened.pop()
        out.append(kind)
    return out


def _blank_line(text: str, line: int) -> str:
    """`text` with line `line` turned into spaces: every other position stays where it was."""
    lines = text.split("\n")
    content = lines[line - 1].rstrip("\r")
    lines[line - 1] = " " * len(content) + lines[line - 1][len(content):]
    return "\n".join(lines)


def _move_brace_up(text: str, exc: UnexpectedInput) -> str | None:
    """`text` with a `{` that starts a line moved to the end of the header before it, when that
    was the error: the file then reads as meant, so the errors after it are still found. Every
    other token keeps its line and column (the `{` leaves a space; only the header line grows)."""
    token = getattr(exc, "token", None)
    if not isinstance(exc, UnexpectedToken) or token is None or token.type != "_NL":
        return None
    if "LBRACE" not in acceptable(exc):
        return None
    brace = next_token(text, token)
    before = tokens_before(text, token.start_pos or 0)
    if brace is None or brace.type != "LBRACE" or not before:
        return None
    at, header_end = brace.start_pos or 0, before[-1].end_pos or 0
    text = text[:at] + " " + text[at + 1:]
    return text[:header_end] + " {" + text[header_end:]
