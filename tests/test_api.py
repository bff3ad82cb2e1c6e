"""The Python API (`ldnn_dsl.load`, `ldnn_dsl.check`, `ldnn_dsl.compile`): what it takes as a path,
what as spec text, and what it refuses outright."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROOT, fresh_python, write

import ldnn_dsl
from ldnn_dsl import DiagnosticError

SPEC = "model m {\n  input [4]\n  dense 2 softmax\n}\n"


def _codes(exc: DiagnosticError) -> list[str]:
    return [d.code for d in exc.diagnostics]


def test_text_is_spec_text() -> None:
    assert ldnn_dsl.load(SPEC).model.name == "m"
    assert ldnn_dsl.load(SPEC).path == "<text>"


def test_a_path_object_is_always_a_path(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.txt", SPEC)
    assert ldnn_dsl.load(spec).path == str(spec)
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load(tmp_path / "missing")
    assert _codes(exc.value) == ["E005"]


def test_a_string_naming_an_existing_file_is_a_path_whatever_its_suffix(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.txt", SPEC)
    assert ldnn_dsl.load(str(spec)).model.name == "m"
    assert ldnn_dsl.check(str(spec)).path == str(spec)


def test_a_string_naming_a_folder_is_a_path(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load(str(tmp_path))
    assert _codes(exc.value) == ["E005"]
    assert "is a directory" in exc.value.diagnostics[0].message


def test_a_missing_ldnn_file_is_reported_missing(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load(str(tmp_path / "nowhere.ldnn"))
    assert _codes(exc.value) == ["E005"]
    assert exc.value.diagnostics[0].message == "no such file"


@pytest.mark.parametrize("name", ["sort.ldn", "specs/sortt.ldnn", "specs/sort"])
def test_a_string_that_reads_as_a_missing_path_names_the_near_file(tmp_path: Path, name: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped path is "no such file" with the file it was likely meant to be, not spec text
    that fails to parse at its `/` or `.`."""
    write(tmp_path / "specs" / "sort.ldnn", "model m {\n  input [4]\n  dense 2\n}\n")
    write(tmp_path / "sort.ldnn", "model m {\n  input [4]\n  dense 2\n}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load(name)
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.message, diag.path) == ("E005", "no such file", name)
    assert diag.help == f"did you mean `{name.rpartition('/')[0] + '/' if '/' in name else ''}sort.ldnn`?"


def test_train_refuses_spec_text_before_looking_for_a_file() -> None:
    with pytest.raises(ValueError, match="not a spec's text"):
        ldnn_dsl.train("model m {\n  input [4]\n  dense 2\n}\n")


@pytest.mark.parametrize("text", ["", "   ", "model m {", "x" * 5000])
def test_a_string_that_names_nothing_is_spec_text(text: str) -> None:
    """The empty string is not `.`; a line too long to be a file's name is not an OSError."""
    result = ldnn_dsl.check(text)
    assert result.path == "<text>"
    assert result.errors


def test_a_string_holding_nul_is_refused_as_text() -> None:
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load("a\x00b")
    assert _codes(exc.value) == ["E002"]
    assert exc.value.diagnostics[0].where == "<text>:1:2"


def test_check_returns_what_reading_finds_as_it_does_every_diagnostic(tmp_path: Path) -> None:
    """`check` reports; only `load` and `compile` raise. A missing file or bad bytes are results too."""
    for source, code, path in ((tmp_path / "nowhere.ldnn", "E005", str(tmp_path / "nowhere.ldnn")),
                               ("a\x00b", "E002", "<text>"), (b"\xff", "E002", "<text>"),
                               ("x\x00/y", "E002", "<text>"), ("a\x00.ldnn", "E005", "a\\0.ldnn")):
        result = ldnn_dsl.check(source)  # type: ignore[arg-type]
        assert ([d.code for d in result.errors], result.path, result.spec) == ([code], path, None)


def test_an_unknown_purpose_is_a_value_error_naming_the_purposes() -> None:
    for call in (ldnn_dsl.load, ldnn_dsl.check):
        with pytest.raises(ValueError, match="purpose must be one of 'check', 'compile', 'train'; got 'bogus'"):
            call(SPEC, "bogus")  # type: ignore[arg-type]


def test_bytes_are_utf8_spec_text() -> None:
    assert ldnn_dsl.load(SPEC.encode()).model.name == "m"
    assert ldnn_dsl.load(bytearray(SPEC.encode())).model.name == "m"


def test_bytes_that_are_not_utf8_get_the_file_readers_error() -> None:
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load(b"model m {\n  input [4]\xff\n}\n")
    assert _codes(exc.value) == ["E002"]
    assert (exc.value.diagnostics[0].span.line, exc.value.diagnostics[0].span.col) == (2, 12)


@pytest.mark.parametrize(("call", "name"), [(ldnn_dsl.load, "load"), (ldnn_dsl.check, "check"),
                                            (ldnn_dsl.compile, "compile"), (ldnn_dsl.train, "train")])
@pytest.mark.parametrize(("value", "kind"), [(None, "NoneType"), (3, "int"), (["spec.ldnn"], "list")])
def test_anything_else_is_a_clear_type_error(call, name: str, value: object, kind: str) -> None:
    with pytest.raises(TypeError) as exc:
        call(value)
    assert str(exc.value).startswith(f"ldnn_dsl.{name} takes ")
    assert str(exc.value).endswith(f"got {kind}")


def test_train_takes_a_path_not_text() -> None:
    with pytest.raises(TypeError, match=r"ldnn_dsl\.train takes a path"):
        ldnn_dsl.train(SPEC.encode())  # type: ignore[arg-type]


def test_the_docstrings_state_the_rule() -> None:
    for call in (ldnn_dsl.load, ldnn_dsl.check, ldnn_dsl.compile):
        assert "exists" in (call.__doc__ or ""), call.__name__


def test_ldnn_dsl_train_stays_the_function_once_the_training_package_is_imported() -> None:
    """Importing `ldnn_dsl.train.run` (as `ldnn_dsl.train(...)` does) must not rebind `ldnn_dsl.train`."""
    fresh_python("""
    import ldnn_dsl
    import ldnn_dsl.train.run
    assert callable(ldnn_dsl.train) and callable(ldnn_dsl.check), (ldnn_dsl.train, ldnn_dsl.check)
    """)


def test_a_string_that_utf8_cannot_encode_is_refused_as_text() -> None:
    """A lone surrogate (from `surrogateescape`d bytes) is bad text, not a UnicodeEncodeError."""
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load("model \udcff")
    assert _codes(exc.value) == ["E002"]


def test_a_missing_section_is_named_with_what_was_asked_for(tmp_path: Path) -> None:
    """E401 says what needs the section, whichever command or function asked (not always
    `ldnn compile`), and shows the section as it is written, NAME included."""
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.load("let width = 8\n")
    [diag] = exc.value.diagnostics
    assert (diag.code, diag.message) == ("E401", "the spec has no `model` section, and building the network needs one")
    assert diag.help == "add `model NAME { input [...] ... }`"
    spec = write(tmp_path / "no_data.ldnn", SPEC + "train {\n  loss mse\n}\n")
    with pytest.raises(DiagnosticError) as exc:
        ldnn_dsl.train(spec, out=tmp_path / "run")
    assert [(d.code, d.message, d.help) for d in exc.value.diagnostics] == [
        ("E401", "the spec has no `data` section, and training needs one", "add `data { source ... }`")]


@pytest.mark.parametrize(("options", "error", "words"), [
    ({"epochs": 0}, ValueError, "epochs must be from 1 to"),
    ({"epochs": -1}, ValueError, "epochs must be from 1 to"),
    ({"epochs": 1.5}, TypeError, "epochs must be a whole number (int), got float"),
    ({"seed": -1}, ValueError, "seed must be from 0 to 4,294,967,295, got -1"),
    ({"seed": 2**40}, ValueError, "seed must be from 0 to"),
    ({"max_time": 0}, ValueError, "max_time must be a positive, finite number of seconds"),
    ({"max_time": float("nan")}, ValueError, "max_time must be a positive, finite number of seconds"),
    ({"out": 5}, TypeError, "out must be a path"),
    ({"out": ""}, ValueError, "out must not be empty"),
])
def test_train_refuses_the_options_the_command_line_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            options: dict[str, object], error: type[Exception],
                                                            words: str) -> None:
    """`epochs=0` trained nothing and saved a resolved spec with `epochs 0`, which fails its own check."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=re.escape(words)):
        ldnn_dsl.train(str(ROOT / "specs" / "sort.ldnn"), quiet=True, **options)
    assert list(tmp_path.iterdir()) == []


def test_load_of_a_library_without_a_model_says_so() -> None:
    """A library of blocks checks clean, but `load` has no spec to give: an E104, not an empty error."""
    with pytest.raises(DiagnosticError) as caught:
        ldnn_dsl.load("let width = 8\n", purpose="check")
    (diag,) = caught.value.diagnostics
    assert diag.code == "E104" and "no `model { ... }`" in diag.message


def test_the_exception_message_says_what_to_do() -> None:
    """A traceback or a notebook shows str(exc): each error's line, with its help."""
    with pytest.raises(ldnn_dsl.DiagnosticError) as caught:
        ldnn_dsl.load("model m {\n  input [4]\n  dense 4 rleu\n}\n")
    assert str(caught.value) == ("<text>:3:11: error[E203]: unknown activation `rleu` for `dense`\n"
                                 "  = help: did you mean `relu`?")


def test_a_load_error_carries_the_text_to_show_it_with() -> None:
    """`render_text` quotes the line and puts the caret under the fault: the error holds the spec's text."""
    from ldnn_dsl.source.diagnostics import render_text

    text = "model bad {\n  input [8]\n  dense 16 rleu\n}\n"
    with pytest.raises(ldnn_dsl.DiagnosticError) as caught:
        ldnn_dsl.load(text)
    shown = render_text(caught.value.diagnostics[0], caught.value.sources)
    assert "3 |   dense 16 rleu" in shown and "^^^^" in shown
