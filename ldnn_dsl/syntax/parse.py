"""Text to parse tree; every Lark error becomes a diagnostic worded for the spec's author."""

from __future__ import annotations

import contextlib
import re
import time
import unicodedata
from itertools import pairwise

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, did_you_mean, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.grammar import parser

MAX_NESTING = 50  # brackets inside brackets, as the author counts them
MAX_DEPTH = 200  # levels of the parse tree: each bracket adds one or two, each chained operator one
# The rules that open a bracket: `{` of a model, block, section, residual, parallel or branch; `[`; `f(`.
BRACKETED = frozenset({"body", "section", "parallel", "list", "call"})
GLUED_TO_NUMBER = re.compile(r"_|[eE]_")  # how a name that cannot start a word follows a number
NUMBER_AT_END = re.compile(r"(?<![A-Za-z0-9_.])([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)([eE][+-]?[0-9_]+)?$")
MISSPELT_DIGITS = re.compile(r"_[0-9_]*|[eE]_[0-9_]*")  # `__0` after `1`: the rest of a number, not a word
MAX_ERRORS = 10  # syntax errors reported from one file; past that, the rest is likely one mistake's echo
RECOVERY_SECONDS = 1.0  # looking for further errors re-parses the file; a huge one gets its first error only
PAIRS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
BRACKET_NAMES = {*PAIRS, *PAIRS.values()}
CHAR_BRACKETS = {"(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE"}

# How a terminal reads in "expected ..." (None: not worth listing).
TERMINALS: dict[str, str | None] = {
    "NAME": "a name", "CALLNAME": "a name", "NUMBER": "a number", "PERCENT": "a number", "WINDOW": "a window like 3x3",
    "STRING": 'a string like "data.npz"', "LSQB": "`[`", "RSQB": "`]`", "LPAR": "`(`", "RPAR": "`)`",
    "LBRACE": "`{`", "RBRACE": "`}`", "COMMA": "`,`", "EQUAL": "`=`", "_NL": "a new line",
    "$END": "the end of the file",
    "MINUS": None, "PLUS": None, "STAR": None, "SLASH": None,
}
KEYWORDS = {"LET": "let", "USE": "use", "BLOCK": "block", "MODEL": "model", "REPEAT": "repeat",
            "RESIDUAL": "residual", "PARALLEL": "parallel", "BRANCH": "branch"}
STRUCTURE = ("model", "block", "let", "use", "repeat", "residual", "parallel", "branch")
SCOPES = ("residual", "parallel", "branch", "repeat")  # what opens a scope inside a model
VALUE_STARTS = {"NUMBER", "PERCENT", "WINDOW", "STRING", "LSQB", "LPAR", "MINUS", "CALLNAME"}
LAYER_STARTS = {"NAME", "CALLNAME", *KEYWORDS}  # tokens that can begin a line of their own
BOUNDARIES = {"_NL", "LBRACE", "RBRACE"}  # tokens a statement starts after
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
# Words other languages start a file's include with; ldnn's is `use`.
INCLUDES = ("import", "include", "from", "require")


def parse(source: SourceFile) -> Tree:
    """The parse tree of one file, or a DiagnosticError saying where and what was expected."""
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as exc:
        raise DiagnosticError(_syntax_errors(source, exc)) from None
    _check_depth(source, tree)
    _check_glued_numbers(source, tree)
    return tree


def _check_glued_numbers(source: SourceFile, tree: Tree) -> None:
    diags = _glued_numbers(source, tree)
    if diags:
        raise DiagnosticError(diags)


def _glued_numbers(source: SourceFile, tree: Tree) -> list[Diagnostic]:
    """`1__0`, `1_000_`, `1._5`, `1e_5`: the lexer reads a number, then a name that starts where it
    ends (`__0`, `_`, `_5`, `e_5`), and the name would be taken for a word such as an activation."""
    tokens = sorted((c for sub in tree.iter_subtrees() for c in sub.children  # iterative: scan_values recurses
                     if isinstance(c, Token) and c.start_pos is not None), key=lambda t: t.start_pos)
    return [_glued_number(source, number, name) for number, name in pairwise(tokens)
            if number.type == "NUMBER" and name.type == "NAME" and number.end_pos == name.start_pos
            and GLUED_TO_NUMBER.match(name)]


def _glued_number(source: SourceFile, number: str, name: Token) -> Diagnostic:
    """A number misspelt around `_`, from its first digit to the end of the name glued to it."""
    line_start = source.text.rfind("\n", 0, name.start_pos) + 1
    col = name.start_pos - line_start + 1 - len(number)
    span = Span(path=source.path, line=name.line, col=col, end_line=name.end_line, end_col=name.end_column)
    if not MISSPELT_DIGITS.fullmatch(name):  # `64_relu`: a number and a word, run together
        return error("E001", f"`{number}{name}` runs a number and a name together", span,
                     help=f"put a space between them: `{number} {name.lstrip('_')}`")
    return error("E001", f"`{number}{name}` is not a number: `_` groups digits only between two digits", span,
                 help="write `500_000` or `500000`; `1e-5` or `1e5` for a power of ten")


def _number_before(source: SourceFile, token: Token) -> str | None:
    """The number that `token`, a name such as `_`, is glued to, when a syntax error stops at it."""
    if token.type != "NAME" or not GLUED_TO_NUMBER.match(token) or token.start_pos is None:
        return None
    found = NUMBER_AT_END.search(source.text, 0, token.start_pos)
    return found.group() if found else None


def _syntax_errors(source: SourceFile, first: UnexpectedInput) -> list[Diagnostic]:
    """The first syntax error, then the next ones: the failing line is blanked out and the file
    parsed again, while blanking it cannot change the file's structure (the line closes every
    bracket it opens, in order, and no `(` or `[` from earlier lines is still open), so that
    each further error is the author's, not an echo of the first. A `{` put on the line after
    its header is moved up instead: one mistake, one error, and the rest of the file still read."""
    found = [translate(source, first)]
    text, exc = source.text, first
    started = time.perf_counter()
    while len(found) < MAX_ERRORS and time.perf_counter() - started < RECOVERY_SECONDS:
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
            found.extend(_glued_numbers(SourceFile(source.path, text), recovered)[: MAX_ERRORS - len(found)])
            break
        diag = translate(SourceFile(source.path, text), exc)
        if diag.span is None or diag.span.line <= line or diag.code != "E001":
            break  # an end-of-file error or no progress: most likely the blanked line's echo
        found.append(diag)
    return found


def _lacks_its_brace(exc: UnexpectedInput) -> bool:
    """`model m` with no `{` after it at all: blanking the line would leave its body at the top
    level, where every line is an echo of this one mistake."""
    token = getattr(exc, "token", None)
    return token is not None and token.type == "_NL" and "LBRACE" in _acceptable(exc)


def _skippable(text: str, line: int) -> bool:
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return False
    before = _brackets("\n".join(lines[: line - 1]))
    if before is None or _still_open(before) & {"LPAR", "LSQB", "unbalanced"}:
        return False
    own = _brackets(lines[line - 1])
    if own is None:  # the line holds a character no token starts with: take its brackets as written
        own = [CHAR_BRACKETS[c] for c in lines[line - 1] if c in CHAR_BRACKETS]
    alone = _closers_only(lines[line - 1])  # a `}` mistyped, most likely
    return _still_open(own if alone else _without_strays(own)) == set()


def _closers_only(line: str) -> bool:
    """Whether `line` holds nothing but `)`, `]` and blanks."""
    return not line.strip(" \t\r)]")


def _without_strays(brackets: list[str]) -> list[str]:
    """The brackets less a `)` or `]` that closes nothing (`dense 8 relu )`): none is open
    before the line, so blanking it cannot change what the rest of the file means. A stray
    `}` stays: it may close a scope the author meant to close (and so does a line of nothing
    but `)`, which may be that `}`, mistyped)."""
    out: list[str] = []
    opened: list[str] = []
    for kind in brackets:
        if kind in PAIRS:
            opened.append(kind)
        elif kind in ("RPAR", "RSQB") and not any(PAIRS[o] == kind for o in opened):
            continue
        elif opened and PAIRS[opened[-1]] == kind:
            opened.pop()
        out.append(kind)
    return out


def _brackets(text: str) -> list[str] | None:
    """The bracket tokens of `text` in order, outside strings and comments (None: it does not lex)."""
    try:
        return [token.type for token in parser().lex(text) if token.type in BRACKET_NAMES]
    except UnexpectedInput:
        return None


def _still_open(brackets: list[str]) -> set[str]:
    """The kinds of bracket left open; {"unbalanced"} when a closer does not match (a line
    like `} modle x {` closes a scope and opens another: not neutral, though its counts are)."""
    stack: list[str] = []
    for kind in brackets:
        if kind in PAIRS:
            stack.append(kind)
        elif stack and PAIRS[stack[-1]] == kind:
            stack.pop()
        else:
            return {"unbalanced"}
    return set(stack)


def _blank_line(text: str, line: int) -> str:
    """`text` with line `line` turned into spaces: every other position stays where it was."""
    lines = text.split("\n")
    content = lines[line - 1].rstrip("\r")
    lines[line - 1] = " " * len(content) + lines[line - 1][len(content):]
    return "\n".join(lines)


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


def translate(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(source, exc)
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        token = getattr(exc, "token", None)
        expected = _acceptable(exc)
        if token is None or token.type == "$END":
            return _unexpected_end(source, expected)
        number = _number_before(source, token)
        if number:
            return _glued_number(source, number, token)
        return _unexpected_token(source, token, expected)
    where = _point(source, getattr(exc, "line", 1), getattr(exc, "column", 1), 1)
    return error("E001", str(exc).splitlines()[0], where)


def _acceptable(exc: UnexpectedInput) -> set[str]:
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
    span = _point(source, exc.line, exc.column, 1)
    hint = CHARACTER_HINTS.get(char) or _invisible_hint(char)
    line_before = source.text[source.text.rfind("\n", 0, exc.pos_in_stream) + 1:exc.pos_in_stream]
    if char == "%" and re.search(r"[0-9.][ \t]+$", line_before):  # `10 %`
        hint = "`%` goes directly after its number, with no space: `validate 10%`"
    elif char == "%" and not line_before.strip():  # MATLAB's and LaTeX's comment
        hint = "a comment starts with `#`"
    return error("E001", f"unexpected character {_describe_character(char)}", span, help=hint)


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


def _invisible_hint(char: str) -> str | None:
    """How to get rid of a character the author cannot see (often pasted from a web page or a document)."""
    if not char or char.isprintable():
        return None
    if unicodedata.category(char) == "Zs":
        return "retype the spaces on this line"
    return "delete the invisible character here, or retype the line"


def _unexpected_token(source: SourceFile, token: Token, expected: set[str]) -> Diagnostic:
    width = 1 if token.type == "_NL" else max(len(token), 1)  # a run of blank lines is one token
    span = _point(source, token.line or 1, token.column or 1, width)
    shown = "end of line" if token.type == "_NL" else f"`{token}`"
    keywords = sorted(KEYWORDS[t] for t in expected if t in KEYWORDS)
    hint = None
    if token.type in ("NAME", "CALLNAME") and keywords and "NAME" not in expected:
        hint = did_you_mean(str(token), keywords)
    misspelt = _misspelt_keyword(source, token)
    if hint is None and misspelt is not None:
        return misspelt
    if (inline := _scope_after_a_statement(source, token)) is not None:
        return inline
    if token.type == "EQUAL" and "LBRACE" not in expected:
        hint = _equal_hint(source.line(token.line or 1)[: (token.column or 1) - 1].split())
    if hint is None and (token.type == "RBRACE" or expected & {"RSQB", "RPAR"}):
        hint = _bracket_hint(_open_brackets(source, token), token)
    if hint is None and token.type in ("RPAR", "RSQB") and "RBRACE" in expected \
            and _closers_only(source.line(token.line or 1)):  # `)` alone where a scope may close
        hint = "a block, model or section closes with `}`"
    if token.type == "_NL" and expected & VALUE_STARTS:
        return error("E001", f"the line ends too early{_expected(expected)}", span)
    hint = hint or _foreign_hint(source, token, expected)
    hint = hint or _brace_hint(source, token, expected) or _unclosed_scope_hint(source, token, expected)
    hint = hint or _after_brace_hint(source, token, expected) or _top_level_hint(source, token, expected)
    return error("E001", f"unexpected {shown}{_expected(expected)}", span, help=hint)


def _foreign_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """What Python, Keras, C or YAML habits put where ldnn has its own form: commas between a
    layer's values, a tuple for a shape, `//` comments, `parallel {` without its join, a bare path."""
    before = _tokens_before(source.text, token.start_pos or 0)
    last = before[-1] if before else None
    open_now = [before[i] for i in _open_indices(before)]
    if token.type == "COMMA" and "COMMA" not in expected:
        if open_now and open_now[-1].type == "LPAR":  # `input (8, 8, 1)`, `strides=(2, 2)`
            return "a shape is a list in square brackets, `[8, 8, 1]`; a window or stride is written `3x3` or `2`"
        if not open_now or open_now[-1].type == "LBRACE":  # `conv 8, 3x3, relu`
            spaced = " ".join(source.line(token.line or 1).split("#")[0].replace(",", " ").split())
            return f"a layer's or setting's values are separated by spaces, not commas: `{spaced}`"
    if token.type == "SLASH" and source.text[(token.end_pos or 0):][:1] in ("/", "*"):
        return "comments start with `#` and run to the end of the line"
    if last is not None and last.type == "PARALLEL" and token.type == "LBRACE":
        return "say how the branches join: `parallel concat {` or `parallel add {`"
    if last is not None and last.type == "USE" and token.type != "STRING":
        return 'the file to use is a string in double quotes: `use "lib/blocks.ldnn"`'
    return None


def _brace_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`model m` with its `{` on the next line: a statement ends at the end of its line, so the
    header is left without a body. The `{` belongs at the end of the header's line."""
    if token.type != "_NL" or "LBRACE" not in expected:
        return None
    before = _tokens_before(source.text, token.start_pos or 0)
    header = _statement_text(source.text, before, len(before))
    following = _next_token(source.text, token)
    if following is not None and following.type == "LBRACE":
        return f"put `{{` on the same line as `{header}`" if header else "put `{` at the end of this line"
    if expected == {"LBRACE"}:
        return f"open the body of `{header}` with `{{` at the end of this line" if header else None
    return None


def _unclosed_scope_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`train {` where a `{` is unexpected: the scope before it most likely lacks its `}`, so
    `train` was read as a line inside it. Said of a line that starts what opens a scope: a
    top-level section, `model`, `block`, or, inside a model, `residual`, `parallel`, `branch` or
    `repeat` no deeper than an open scope's first line (`dense 4 {` is some other mistake).
    The scopes not closed are those whose first line is indented at least as deep."""
    if token.type != "LBRACE" or "LBRACE" in expected:
        return None
    before = _tokens_before(source.text, token.start_pos or 0)
    opened = _open_indices(before)
    if not opened or before[opened[-1]].type != "LBRACE" or before[opened[-1]].line == token.line:
        return None
    start = _statement_start(before, len(before))
    if start >= len(before) or before[start].line != token.line:
        return None
    head = before[start]
    braces = [i for i in opened if before[i].type == "LBRACE"]
    if head.column != 1 and str(head) not in ("model", "block"):
        if str(head) not in SCOPES:
            return None
        lines = source.lines
        braces = [i for i in braces if _indent(lines[before[i].line - 1]) >= head.column - 1]
        if not braces:
            return None
    if misplaced := _misplaced_close(source, before):
        return misplaced
    scopes = [f"`{_statement_text(source.text, before, i) or '{'}`" for i in braces]
    where = f"`{head}`" if head.column == 1 else f"line {head.line}, `{head}`"
    if len(braces) == 1:
        brace = before[braces[0]]
        return (f"the `{{` of {scopes[0]} at line {brace.line}, column {brace.column} is not closed: "
                f"add `}}` before {where}")
    listed = [f"of {scope} (line {before[i].line}, column {before[i].column})"
              for scope, i in zip(scopes, braces, strict=True)]
    return (f"the `{{` {', '.join(listed[:-1])} and {listed[-1]} are not closed: "
            f"add {len(braces)} `}}` before {where}")


def _misplaced_close(source: SourceFile, tokens: list[Token]) -> str | None:
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
            own, closing = _indent(lines[opener.line - 1]), _indent(lines[tok.line - 1])
            starts_line = lines[tok.line - 1].strip().startswith("}")
            if tok.line == opener.line or not starts_line or closing >= own or not stack or \
                    closing != _indent(lines[tokens[stack[-1]].line - 1]):
                continue
            body_end = next((n for n in range(opener.line + 1, tok.line)
                             if _code(lines[n - 1]) and _indent(lines[n - 1]) <= own), None)
            if body_end is None:
                continue
            scope = _statement_text(source.text, tokens, at) or "{"
            outer = _statement_text(source.text, tokens, stack[-1]) or "{"
            return (f"the `{{` of `{scope}` at line {opener.line}, column {opener.column} is not closed: the `}}` "
                    f"at line {tok.line} lines up with `{outer}`, so it closed `{scope}` instead; add `}}` before "
                    f"line {body_end}, `{_code(lines[body_end - 1])}`")
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _code(line: str) -> str:
    """A line without its comment and outer spaces ('' for a blank or comment-only line)."""
    return line.split("#", 1)[0].strip()


def _after_brace_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """`residual { dense 16 } dense 4`: a `}` ends its line (outside a `parallel`, where
    `branch` may follow), so what comes after it on the line belongs on the next one."""
    if token.type not in LAYER_STARTS or "_NL" not in expected or "BRANCH" in expected:
        return None
    before = _tokens_before(source.text, token.start_pos or 0)
    if not before or before[-1].type != "RBRACE" or before[-1].line != token.line:
        return None
    return f"start `{token}` on a new line"


def _top_level_hint(source: SourceFile, token: Token, expected: set[str]) -> str | None:
    """A line at the top level that reads as a section without its `{`: a layer or a setting
    outside its scope (`dense 3`, `lr 0.1`), or a block whose parameters are spaced off its
    name (`block b (a) {`)."""
    if "LBRACE" not in expected:
        return None
    before = _tokens_before(source.text, token.start_pos or 0)
    if _open_indices(before):
        return None
    head = [str(t) for t in before[_statement_start(before, len(before)):]]
    if head[:1] == ["block"] and len(head) == 2 and token.type == "LPAR":
        return f"write the parameters right after the name, without a space: `block {head[1]}(...)`"
    if len(head) == 1 and head[0] in INCLUDES:  # `import "lib.ldnn"`
        path = str(token) if token.type == "STRING" else '"lib.ldnn"'
        return f"a file is included with `use`: `use {path}`"
    if len(head) == 1 and before[-1].type == "NAME" and token.type != "_NL":
        return (f"at the top level `{head[0]}` would open a section: a layer goes inside `model NAME {{ }}`, "
                "a setting inside its section, such as `train { }`")
    return None


def _equal_hint(before: list[str]) -> str:
    """Why an `=` is out of place, from the words before it on its line."""
    if before and before[0] == "let":
        return "a `let` names its value: `let width = 64`"
    if len(before) == 1 and before[0].isidentifier():  # `lr = 0.1`: the head of a layer or setting
        return f"values follow `{before[0]}` without `=`: `{before[0]} VALUE`; `key=value` is for options after them"
    return "options are written `key=value` after the layer kind, e.g. `dense 10 init=zeros`"


def _unexpected_end(source: SourceFile, expected: set[str]) -> Diagnostic:
    opener = _unclosed_brace(source)
    lines = source.lines
    last = len(lines)
    while last > 1 and not lines[last - 1].strip():
        last -= 1
    col = len(lines[last - 1]) + 1 if lines else 1
    span = _point(source, last, col, 1)
    if opener is not None:
        return error("E003", f"the file ends inside the `{{` opened at line {opener.line}, column {opener.column}",
                     span, help=_misplaced_close(source, _tokens_before(source.text, len(source.text)))
                     or "add the missing `}`")
    return error("E003", f"the file ends in the middle of a statement{_expected(expected)}", span)


def _bracket_hint(open_before: list[Token], token: Token) -> str | None:
    if token.type == "RBRACE" and not any(t.type == "LBRACE" for t in open_before):
        return "no `{` is open here; remove this `}`"
    inner = open_before[-1] if open_before else None
    if inner is not None and inner.type != "LBRACE" and inner.line != token.line:
        return f"close the `{inner}` opened at line {inner.line}, column {inner.column}"
    return None


def _open_brackets(source: SourceFile, token: Token) -> list[Token]:
    """The `{`, `[` and `(` still open where `token` starts, innermost last."""
    before = _tokens_before(source.text, token.start_pos or 0)
    return [before[i] for i in _open_indices(before)]


def _open_indices(tokens: list[Token]) -> list[int]:
    """The positions in `tokens` of the brackets still open after them, innermost last."""
    stack: list[int] = []
    closers = {"RBRACE": "LBRACE", "RSQB": "LSQB", "RPAR": "LPAR"}
    for i, tok in enumerate(tokens):
        if tok.type in closers.values():
            stack.append(i)
        elif tok.type in closers and stack and tokens[stack[-1]].type == closers[tok.type]:
            stack.pop()
    return stack


def _tokens_before(text: str, end: int) -> list[Token]:
    """The tokens of `text[:end]` as the parser sees them (newlines that cannot end a statement
    dropped), as far as it lexes: a diagnostic about what precedes an error needs no more."""
    found: list[Token] = []
    with contextlib.suppress(UnexpectedInput):
        for tok in parser().lex(text[:end]):
            found.append(tok)
    return found


def _next_token(text: str, token: Token) -> Token | None:
    """The first token after `token` that is not a newline (blank and comment lines skipped)."""
    end = token.end_pos or 0
    try:
        for tok in parser().lex(text):
            if (tok.start_pos or 0) >= end and tok.type != "_NL":
                return tok
    except UnexpectedInput:
        return None
    return None


def _statement_start(tokens: list[Token], index: int) -> int:
    """Where the statement holding `tokens[index - 1]` starts: just after a newline or a brace."""
    start = index
    while start > 0 and tokens[start - 1].type not in BOUNDARIES:
        start -= 1
    return start


def _statement_text(text: str, tokens: list[Token], index: int) -> str:
    """The statement before `tokens[index]` as written (`model m`, `block f(x)`), spaces squeezed;
    '' when nothing precedes it on its statement."""
    start = _statement_start(tokens, index)
    if start >= index:
        return ""
    return " ".join(text[tokens[start].start_pos or 0: tokens[index - 1].end_pos or 0].split())


def _move_brace_up(text: str, exc: UnexpectedInput) -> str | None:
    """`text` with a `{` that starts a line moved to the end of the header before it, when that
    was the error: the file then reads as meant, so the errors after it are still found. Every
    other token keeps its line and column (the `{` leaves a space; only the header line grows)."""
    token = getattr(exc, "token", None)
    if not isinstance(exc, UnexpectedToken) or token is None or token.type != "_NL":
        return None
    if "LBRACE" not in _acceptable(exc):
        return None
    brace = _next_token(text, token)
    before = _tokens_before(text, token.start_pos or 0)
    if brace is None or brace.type != "LBRACE" or not before:
        return None
    at, header_end = brace.start_pos or 0, before[-1].end_pos or 0
    text = text[:at] + " " + text[at + 1:]
    return text[:header_end] + " {" + text[header_end:]


def _unclosed_brace(source: SourceFile) -> Token | None:
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


def _scope_after_a_statement(source: SourceFile, token: Token) -> Diagnostic | None:
    """`dense 4  repeat 2 {`: a scope's keyword after a statement on its line reads as one more
    word of that statement, so the parse fails only at the `{`; the keyword is what is misplaced."""
    if token.type != "LBRACE":
        return None
    before = _tokens_before(source.text, token.start_pos or 0)
    start = _statement_start(before, len(before))
    words = [t for t in before[start + 1:] if str(t) in SCOPES and t.line == token.line]  # lexed as a keyword
    if not words:
        return None
    word = words[0]
    return error("E001", f"`{word}` starts a statement of its own, but follows `{before[start]}` on this line",
                 _point(source, word.line or 1, word.column or 1, len(word)), help=f"start `{word}` on a new line")


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
    return error("E001", f"unknown keyword `{head}`", _point(source, token.line or 1, col, len(head)), help=close)


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


def _point(source: SourceFile, line: int, col: int, width: int) -> Span:
    return Span(path=source.path, line=line, col=col, end_line=line, end_col=col + width)
