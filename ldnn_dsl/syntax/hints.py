"""Likely fixes for a syntax error, read from the tokens before it: habits from other languages, misplaced braces."""

from __future__ import annotations

from lark import Token

from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.tokens import (
    KEYWORDS,
    SCOPES,
    SECTIONS,
    code,
    indent,
    next_token,
    open_indices,
    statement_start,
    statement_text,
    tokens_before,
)

LAYER_STARTS = {"NAME", "CALLNAME", *KEYWORDS}  # tokens that can begin a line of their own
SHAPED = tuple(kind for kind, cls in LAYER_KINDS.items() if cls.positional[:1] == ("shape",))  # input, reshape
COMMENT_HELP = "comments start with `#` and run to the end of the line"
# Words other languages start a file's include with; ldnn's is `use`.
INCLUDES = ("import", "include", "from", "require")


def foreign_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """What Python, Keras, C or YAML habits put where ldnn has its own form: commas between a
    layer's values, a tuple for a shape, `//` comments, `parallel {` without its join, a bare path."""
    before = tokens_before(source.text, token.start_pos or 0)
    last = before[-1] if before else None
    open_now = [before[i] for i in open_indices(before)]
    if _decimal_comma(source.text, token, last):  # `lr 0,001`, not `input 28,28,1` or `conv 32 3,3`
        return f"the decimal point is `.`: `{last}.{_digits_after(source.text, token.end_pos or 0)}`"
    if token.type == "COMMA" and "COMMA" not in expected:
        if open_now and open_now[-1].type == "LPAR":  # `input (8, 8, 1)`, `strides=(2, 2)`
            return "a shape is a list in square brackets, `[8, 8, 1]`; a window or stride is written `3x3` or `2`"
        if not open_now or open_now[-1].type == "LBRACE":  # `conv 8, 3x3, relu`
            words = source.line(token.line or 1).split("#")[0].replace(",", " ").split()
            shaped = len(words) > 3 or (len(words) == 3 and words[0] in SHAPED)  # `reshape 4,4`, `input 28,28,1`
            if shaped and all(v.isdigit() for v in words[1:]):
                return f"a shape is a list in square brackets: `{words[0]} [{', '.join(words[1:])}]`"
            return f"a layer's or setting's values are separated by spaces, not commas: `{' '.join(words)}`"
    if token.type == "SLASH" and source.text[(token.end_pos or 0):][:1] in ("/", "*"):
        return COMMENT_HELP
    if last is not None and last.type == "PARALLEL" and token.type == "LBRACE":
        return "say how the branches join: `parallel concat {` or `parallel add {`"
    if last is not None and last.type == "USE" and token.type != "STRING":
        return 'the file to use is a string in double quotes: `use "lib/blocks.ldnn"`'
    return None


def _decimal_comma(text: str, token: Token, last: Token | None) -> bool:
    """`0,001`: a comma between a 0 glued before it and digits after, and no further comma; a
    comma after another number is more likely a list's (`input 28,28,1`) or a window's (`3,3`)."""
    if token.type != "COMMA" or last is None or last.type != "NUMBER" or last.end_pos != token.start_pos:
        return False
    digits = _digits_after(text, token.end_pos or 0)
    return str(last) == "0" and bool(digits) and text[(token.end_pos or 0) + len(digits):][:1] != ","


def _digits_after(text: str, at: int) -> str:
    end = at
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[at:end]


def brace_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`model m` with its `{` on the next line: a statement ends at the end of its line, so the
    header is left without a body. The `{` belongs at the end of the header's line."""
    if token.type != "_NL" or "LBRACE" not in expected:
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    header = statement_text(source.text, before, len(before))
    following = next_token(source.text, token)
    if following is not None and following.type == "LBRACE":
        return f"put `{{` on the same line as `{header}`" if header else "put `{` at the end of this line"
    if expected == {"LBRACE"}:
        return f"open the body of `{header}` with `{{` at the end of this line" if header else None
    return None


def unclosed_scope_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`train {` where a `{` is unexpected: the scope before it most likely lacks its `}`, so
    `train` was read as a line inside it. Said of a line that starts what opens a scope: a
    top-level section, `model`, `block`, or, inside a model, `residual`, `parallel`, `branch` or
    `repeat` no deeper than an open scope's first line (`dense 4 {` is some other mistake).
    The scopes not closed are those whose first line is indented at least as deep."""
    if token.type != "LBRACE" or "LBRACE" in expected:
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    opened = open_indices(before)
    if not opened or before[opened[-1]].type != "LBRACE" or before[opened[-1]].line == token.line:
        return None
    start = statement_start(before, len(before))
    if start >= len(before) or before[start].line != token.line:
        return None
    head = before[start]
    braces = [i for i in opened if before[i].type == "LBRACE"]
    inside = head.column - 1 > indent(source.lines[before[braces[-1]].line - 1])  # as the author indents it
    definition = str(head) in ("model", "block") or (str(head) in SECTIONS and start == len(before) - 1)
    if inside and definition and not misplaced_close(source, before):
        return _top_level_only(source.text, before, braces, head)
    if head.column != 1 and str(head) not in ("model", "block"):
        if str(head) not in SCOPES:
            return None
        lines = source.lines
        braces = [i for i in braces if indent(lines[before[i].line - 1]) >= head.column - 1]
        if not braces:
            return None
    if misplaced := misplaced_close(source, before):
        return misplaced
    scopes = [f"`{statement_text(source.text, before, i) or '{'}`" for i in braces]
    where = f"`{head}`" if head.column == 1 else f"line {head.line}, `{head}`"
    if len(braces) == 1:
        brace = before[braces[0]]
        return (f"the `{{` of {scopes[0]} at line {brace.line}, column {brace.column} is not closed: "
                f"add `}}` before {where}")
    listed = [f"of {scope} (line {before[i].line}, column {before[i].column})"
              for scope, i in zip(scopes, braces, strict=True)]
    return (f"the `{{` {', '.join(listed[:-1])} and {listed[-1]} are not closed: "
            f"add {len(braces)} `}}` before {where}")


def _top_level_only(text: str, tokens: list[Token], braces: list[int], head: Token) -> str:
    """`block b(n) {` or `train {` indented inside a model: meant there, where it cannot be."""
    scope = statement_text(text, tokens, braces[-1]) or "{"
    outer = statement_text(text, tokens, braces[0]) or "{"
    if str(head) == "block":
        return f"a `block` is defined at the top level of the file, not inside `{scope}`: move it above `{outer}`"
    if str(head) == "model":
        return f"a `model` is not written inside `{scope}`: a file holds one model, at its top level"
    return (f"`{head} {{` opens a section, which goes at the top level of the file, not inside `{scope}`: "
            f"move it after the closing `}}` of `{outer}`")


def misplaced_close(source: SourceFile, tokens: list[Token]) -> str | None:
    """Which `{` likely lacks its `}`, by indentation: a `}` that lines up with an outer scope's
    first line closed an inner block instead (`residual {` whose `}` was forgotten, so the
    model's `}` ends the residual), and the inner block's body most likely ends before the
    first line after it indented no deeper than its own first line. Only a `}` that lines up
    exactly with the enclosing scope's first line is taken for that scope's; None when every `}`
    lines up with its `{`'s line, or the file's indentation says nothing."""
    lines = source.lines
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.type == "LBRACE":
            stack.append(i)
        elif tok.type == "RBRACE" and stack:
            at = stack.pop()
            opener = tokens[at]
            own, closing = indent(lines[opener.line - 1]), indent(lines[tok.line - 1])
            starts_line = lines[tok.line - 1].strip().startswith("}")
            if tok.line == opener.line or not starts_line or closing >= own or not stack or \
                    closing != indent(lines[tokens[stack[-1]].line - 1]):
                continue
            body_end = next((n for n in range(opener.line + 1, tok.line)
                             if code(lines[n - 1]) and indent(lines[n - 1]) <= own), None)
            if body_end is None:
                continue
            scope = statement_text(source.text, tokens, at) or "{"
            outer = statement_text(source.text, tokens, stack[-1]) or "{"
            return (f"the `{{` of `{scope}` at line {opener.line}, column {opener.column} is not closed: the `}}` "
                    f"at line {tok.line} lines up with `{outer}`, so it closed `{scope}` instead; add `}}` before "
                    f"line {body_end}, `{code(lines[body_end - 1])}`")
    return None


def after_brace_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`residual { dense 16 } dense 4`: a `}` ends its line (outside a `parallel`, where
    `branch` may follow), so what comes after it on the line belongs on the next one."""
    if token.type not in LAYER_STARTS or "_NL" not in expected or "BRANCH" in expected:
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    if not before or before[-1].type != "RBRACE" or before[-1].line != token.line:
        return None
    return f"start `{token}` on a new line"


def top_level_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """A line at the top level that reads as a section without its `{`: a layer or a setting
    outside its scope (`dense 3`, `lr 0.1`), or a block whose parameters are spaced off its
    name (`block b (a) {`)."""
    if "LBRACE" not in expected:
        return None
    before = tokens_before(source.text, token.start_pos or 0)
    if open_indices(before):
        return None
    head = [str(t) for t in before[statement_start(before, len(before)):]]
    if head[:1] == ["block"] and len(head) == 2 and token.type == "LPAR":
        return f"write the parameters right after the name, without a space: `block {head[1]}(...)`"
    if len(head) == 1 and head[0] in INCLUDES:  # `import "lib.ldnn"`
        path = str(token) if token.type == "STRING" else '"lib.ldnn"'
        return f"a file is included with `use`: `use {path}`"
    if len(head) == 1 and before[-1].type == "NAME" and token.type != "_NL":
        return (f"at the top level `{head[0]}` would open a section: a layer goes inside `model NAME {{ }}`, "
                "a setting inside its section, such as `train { }`")
    return None


def bracket_hint(open_before: list[Token], token: Token) -> str | None:
    if token.type == "RBRACE" and not any(t.type == "LBRACE" for t in open_before):
        return "no `{` is open here; remove this `}`"
    inner = open_before[-1] if open_before else None
    if inner is not None and inner.type != "LBRACE" and inner.line != token.line:
        return f"close the `{inner}` opened at line {inner.line}, column {inner.column}"
    return None
