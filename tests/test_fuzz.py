"""Whatever the text, the checker answers with diagnostics: never an exception, never a position outside the file."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldnn_dsl.check.check import check_source
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, render_text
from ldnn_dsl.source.text import SourceFile, decode

PATH = "fuzz.ldnn"
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "examples"
DIAGNOSTICS_DIR = Path(__file__).resolve().parent / "diagnostics"
EXAMPLES = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.ldnn"))] or [
    p.read_text(encoding="utf-8") for p in sorted(DIAGNOSTICS_DIR.glob("warn_*.ldnn"))]
TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:x[0-9]+)+|[0-9.]+(?:e-?[0-9]+)?%?|#[^\n]*|\s+|.')
VOCABULARY = sorted({t for text in EXAMPLES for t in TOKEN.findall(text)} | {
    "{", "}", "(", ")", "[", "]", "=", ",", "\n", "-", "*", "/", "0", "-1", "1e400", "repeat", "residual",
    "parallel", "branch", "block", "use", "let", "model", "input", "int", ";", "'", "\t", "\x00", "é", "\r",
})
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_text(text: str) -> list[Diagnostic]:
    """Check `text` as a file would be checked; assert every finding points inside it and renders."""
    try:
        source = decode(PATH, text.encode("utf-8", "surrogatepass"))
    except DiagnosticError as exc:
        diags = exc.diagnostics
        source = SourceFile(PATH, exc.sources.get(PATH, text))
    else:
        result = check_source(source)
        diags = result.diagnostics
    line_count = len(source.text.split("\n"))
    for diag in diags:
        assert isinstance(diag, Diagnostic)
        assert diag.span is not None or diag.code == "E004", diag
        if diag.span is not None and diag.span.path == PATH:
            assert 1 <= diag.span.line <= line_count, diag
            assert diag.span.col >= 1, diag
        assert render_text(diag, {PATH: source.text})
    return diags


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_random_text(text: str) -> None:
    check_text(text)


@SETTINGS
@given(st.lists(st.sampled_from(VOCABULARY), max_size=80))
def test_random_token_soup(tokens: list[str]) -> None:
    check_text(" ".join(tokens))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    try:
        source = decode(PATH, data)
    except DiagnosticError as exc:
        assert all(d.code == "E002" for d in exc.diagnostics)
        return
    check_text(source.text)


@st.composite
def mutated_example(draw: st.DrawFn, unit: str) -> str:
    """A shared example with a few characters or tokens deleted, inserted or replaced."""
    text = draw(st.sampled_from(EXAMPLES))
    parts = list(text) if unit == "char" else TOKEN.findall(text)
    new = st.characters(codec="utf-8") if unit == "char" else st.sampled_from(VOCABULARY)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(parts) - 1, 0)))
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete" and parts:
            del parts[at]
        elif action == "insert":
            parts.insert(at, draw(new))
        elif parts:
            parts[at] = draw(new)
    return "".join(parts)


@SETTINGS
@given(mutated_example("char"))
def test_mutated_examples_by_character(text: str) -> None:
    check_text(text)


@SETTINGS
@given(mutated_example("token"))
def test_mutated_examples_by_token(text: str) -> None:
    check_text(text)


def test_examples_themselves_are_clean() -> None:
    for text in EXAMPLES:
        assert not [d for d in check_text(text) if d.severity == "error"]


def test_initializer_setting_given_as_options() -> None:
    diags = check_text("model m {\n  input [4]\n  dense 1\n}\ninit {\n  weights he_normal=zeros\n}\n")
    assert [d.code for d in diags] == ["E201"]
