"""Names a spec defines (`let`s, blocks, their parameters) and the words the language already gives a
meaning: what is refused, and that an error in a definition is reported once, not again at each use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.check.check import CheckResult, check_source
from ldnn_dsl.check.train_section import LOSSES, METRICS
from ldnn_dsl.expand.modules import language_words
from ldnn_dsl.layers.base import ACTIVATIONS
from ldnn_dsl.layers.initializers import INITIALIZERS
from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.text import decode, read
from ldnn_dsl.syntax.parse import parse
from tests.helpers import checked, write

MODEL = "model m {\n  input [4]\n  dense 2\n}\n"


def _check(text: str, path: str = "t.ldnn") -> CheckResult:
    return check_source(decode(path, text.encode()))


def _codes(result: CheckResult) -> list[str]:
    return [d.code for d in result.errors]


def test_language_words_come_from_the_tables() -> None:
    """A new layer kind, activation, initializer, loss or metric is reserved without a hand-kept list."""
    words = language_words()
    for table in (LAYER_KINDS, ACTIVATIONS, INITIALIZERS, LOSSES, METRICS):
        assert set(table) <= set(words)
    for word in ("true", "false", "same", "valid", "max", "sequences", "int", "sgd", "adam", "plateau", "cosine",
                 "standardize", "npz", "sort", "flip", "horizontal", "restore_best", "auto", "once", "float32",
                 "update_ratio"):
        assert word in words, word


@pytest.mark.parametrize("name", ["width", "depth", "units", "rate", "bits", "count", "x", "model", "repeat", "block"])
def test_ordinary_names_stay_free(name: str) -> None:
    """Names of options are no bare words of a value: `let units = 20` is fine."""
    assert name not in language_words()
    checked(f"let {name} = 3\nmodel m {{\n  input [{name}]\n  dense 2\n}}\n")


@pytest.mark.parametrize("name", ["epochs", "lr", "seed", "validate", "weights"])
def test_a_let_takes_no_setting_name(name: str) -> None:
    """A setting's name is no word of a value, but in a section it starts the next setting: the
    `let` is refused, at its name, and a use in the model adds nothing."""
    assert name not in language_words()
    result = _check(f"let {name} = 3\nmodel m {{\n  input [{name}]\n  dense 2\n}}\n")
    assert _codes(result) == ["E103"] and f"`{name}` is the name of a setting in `" in result.errors[0].message


@pytest.mark.parametrize(("definition", "use"), [
    ("let true = 0", "dense 2 bias=true"),
    ("let relu = 3", "dense 2 relu"),
    ("let valid = 4", "conv1d 2 1 padding=valid"),
    ("let he_normal = 2", "dense 2 init=he_normal"),
    ("let same = 1", "conv1d 2 1 same"),
])
def test_a_let_cannot_take_a_word_of_the_language(definition: str, use: str) -> None:
    """Refused once, at the name; the use adds no error of its own."""
    result = _check(f"{definition}\nmodel m {{\n  input [4, 1]\n  {use}\n}}\n")
    assert _codes(result) == ["E103"]
    assert result.errors[0].span is not None and (result.errors[0].span.line, result.errors[0].span.col) == (1, 5)
    assert "word of the language" in result.errors[0].message


def test_a_refused_let_is_a_failed_one() -> None:
    """Its uses add nothing: the author means a number by `sequences`, so reading it as the flag
    would only add a follow-on "given twice"."""
    result = _check("let sequences = 3\nmodel m {\n  input [4, 2]\n  lstm sequences sequences\n}\n")
    assert _codes(result) == ["E103"]


def test_an_earlier_let_may_use_the_word_a_refused_let_takes() -> None:
    """`let act = relu` above `let relu = 3`: `relu` is the activation, not a let used too early."""
    result = _check(f"let act = relu\nlet relu = 3\n{MODEL}")
    assert _codes(result) == ["E103"]
    assert result.errors[0].span is not None and result.errors[0].span.line == 2


def test_a_block_parameter_cannot_take_a_word_and_calls_add_nothing() -> None:
    result = _check("block b(n, relu) {\n  dense n relu\n}\nmodel m {\n  input [4]\n  b(2, 3)\n}\n")
    assert _codes(result) == ["E103"]
    assert "block parameter" in result.errors[0].message


def test_block_parameters_keep_their_spans() -> None:
    source = decode("t.ldnn", b"block pair(a, bb) {\n  dense a\n}\n")
    (block,) = to_ast("t.ldnn", parse(source)).items
    assert isinstance(block, n.BlockDef)
    assert block.params == ("a", "bb")
    assert [(s.line, s.col, s.end_col) for s in block.params_span] == [(1, 12, 13), (1, 15, 17)]


def test_a_block_named_like_a_layer_kind_is_refused() -> None:
    result = _check("block dense(n) {\n  flatten\n}\nmodel m {\n  input [4]\n  dense(3)\n}\n")
    assert _codes(result) == ["E103"]
    assert "shadow the layer kind `dense`" in result.errors[0].message


@pytest.mark.parametrize("name", ["relu", "same", "max", "sequences", "true", "he_normal", "mse"])
def test_a_block_cannot_take_a_word_of_the_language(name: str) -> None:
    """The set a `let` may not take: `block relu` beside `dense 8 relu` would silently be the activation.
    A call of the refused block adds nothing."""
    result = _check(f"block {name} {{\n  dense 4\n}}\nmodel m {{\n  input [4]\n  dense 8 relu\n  {name}\n}}\n")
    assert _codes(result) == ["E103"]
    assert result.errors[0].message.endswith("a `block` cannot redefine it")
    assert result.errors[0].help == f"choose another name, e.g. `{name}_block`"


@pytest.mark.parametrize("name", ["branch", "dense"])
def test_a_call_of_a_block_refused_for_its_name_adds_nothing(name: str) -> None:
    """No "unknown block" after "would shadow": the two would contradict each other."""
    result = _check(f"block {name}(n) {{\n  dense n\n}}\nmodel m {{\n  input [4]\n  {name}(3)\n}}\n")
    assert _codes(result) == ["E103"]
    assert "would shadow" in result.errors[0].message


def test_positional_after_keyword_in_a_block_call() -> None:
    result = _check("block b(n, m) {\n  dense n\n}\nmodel net {\n  input [4]\n  b(m=2, 4)\n}\n")
    assert _codes(result) == ["E107"]
    assert result.errors[0].span is not None and (result.errors[0].span.line, result.errors[0].span.col) == (6, 10)


def test_keyword_arguments_after_positional_ones_still_bind() -> None:
    result = checked("block b(n, m) {\n  dense n\n  dense m\n}\nmodel net {\n  input [4]\n  b(4, m=2)\n}\n")
    assert [node.layer.units for node in result.spec.model.body] == [4, 2]  # type: ignore[union-attr]


def test_a_let_of_a_failed_let_fails_quietly() -> None:
    result = _check(f"let a = 1 / 0\nlet b = a + 1\nlet c = [b]\n{MODEL}".replace("dense 2", "dense c"))
    assert _codes(result) == ["E209"]


def test_a_let_used_before_its_definition_says_where_it_is() -> None:
    result = _check(f"let a = b * 2\nlet b = 2\n{MODEL}")
    assert _codes(result) == ["E102"]
    assert result.errors[0].help == "`b` is defined on line 2, after this use; move it up"


def test_blocks_see_lets_defined_after_them() -> None:
    """A block's body is expanded at its calls, once every `let` of the file is known."""
    result = checked("block b {\n  dense w\n}\nlet w = 3\nmodel m {\n  input [4]\n  b\n}\n")
    assert result.spec.model.body[0].layer.units == 3  # type: ignore[union-attr]


def test_a_failed_optional_setting_keeps_the_rest_of_its_section() -> None:
    """Only the line that used the failed `let` is left out: a typo beside it is still reported."""
    result = _check(f"let a = 1 / 0\n{MODEL}train {{\n  loss mse\n  lr a\n  optimzer sgd\n}}\n")
    assert _codes(result) == ["E209", "E106"]


@pytest.mark.parametrize(("lib", "body", "code"), [
    ("let a = 1 / 0\n", "dense a\n  dense 2", "E209"),  # a failed `let`
    # a file that does not parse: its `let`s and blocks are there, failed, not unknown
    ("let width = 32 +\n\nblock head(n) {\n  dense n\n}\n", "dense width\n  head(2)", "E001"),
], ids=["failed let", "file that does not parse"])
def test_an_error_in_a_used_file_is_reported_there_only(tmp_path: Path, lib: str, body: str, code: str) -> None:
    """Its error is the one error: the uses of its names add none in the using file."""
    write(tmp_path / "lib.ldnn", lib)
    spec = write(tmp_path / "spec.ldnn", f'use "lib.ldnn"\nmodel m {{\n  input [4]\n  {body}\n}}\n')
    result = check_source(read(str(spec)))
    assert _codes(result) == [code]
    assert result.errors[0].span is not None and result.errors[0].span.path.endswith("lib.ldnn")


def test_a_used_file_that_does_not_parse_still_passes_on_what_it_uses(tmp_path: Path) -> None:
    """`depth` from a file the broken one uses is a real value: the bad count it holds is caught."""
    write(tmp_path / "base.ldnn", "let depth = 0\n")
    write(tmp_path / "lib.ldnn", 'use "base.ldnn"\nuse "nowhere.ldnn" +\nlet width = (\n')
    spec = write(tmp_path / "spec.ldnn", 'use "lib.ldnn"\nmodel m {\n  input [4]\n  repeat depth { dense width }\n}\n')
    result = check_source(read(str(spec)))
    assert _codes(result)[-1] == "E202"
    assert all(d.span is not None and d.span.path.endswith("lib.ldnn") for d in result.errors[:-1])


def test_refused_names_of_a_used_file_fail_quietly_and_clash_with_nothing(tmp_path: Path) -> None:
    """Refused there, silent here; and a stand-in is no definition: `let branch` here is no second one."""
    write(tmp_path / "lib.ldnn", "let relu = 3\nblock branch(n) {\n  dense n\n}\n")
    spec = write(tmp_path / "spec.ldnn", 'use "lib.ldnn"\nlet branch = 2\nmodel m {\n  input [4]\n'
                                         "  dense relu\n  branch(2)\n  dense branch\n}\n")
    result = check_source(read(str(spec)))
    assert _codes(result) == ["E103", "E103"]
    assert all(d.span is not None and d.span.path.endswith("lib.ldnn") for d in result.errors)
