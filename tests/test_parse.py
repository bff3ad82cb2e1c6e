"""The parser accepts every form of LANGUAGE.md, and the values reach the expanded graph as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import checked, write

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.check.check import CheckResult, check_source
from ldnn_dsl.expand.graph import LayerNode, ParallelNode, ResidualNode
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import SourceFile, decode, read
from ldnn_dsl.syntax.parse import parse

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "shared" / "examples").glob("*.ldnn"))


def ast_of(text: str) -> n.SpecFile:
    return to_ast("t.ldnn", parse(SourceFile("t.ldnn", text)))


def model(body: str, head: str = "") -> str:
    return f"{head}\nmodel m {{\n  input [16]\n{body}\n}}\n"


def layers(result: CheckResult) -> list[LayerNode]:
    assert result.spec is not None
    return [result.spec.model.input, *(x for x in result.spec.model.body if isinstance(x, LayerNode))]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_shared_examples_parse_and_check(path: Path) -> None:
    result = check_source(read(path))
    assert not result.errors
    assert result.spec is not None and result.inference is not None


# lexical -------------------------------------------------------------------------------------
def test_comments_everywhere() -> None:
    text = "# head\nlet a = 4  # trailing\nmodel m {  # after a brace\n  # own line\n  input [a]  # x\n}\n# tail"
    result = checked(text)
    assert layers(result)[0].layer.shape == (4,)


@pytest.mark.parametrize(("written", "value"), [
    ("128", 128), ("0.1", 0.1), ("1e-4", 1e-4), ("2.5E+2", 250.0), (".5", 0.5), ("10%", 0.10), ("2.5%", 0.025),
    ("500_000", 500_000), ("1_000.000_5", 1000.0005), ("1e1_0", 1e10), ("1_0%", 0.10), ("1.", 1.0),
])
def test_numbers(written: str, value: float) -> None:
    (let,) = ast_of(f"let x = {written}\n").items
    assert isinstance(let, n.Let) and isinstance(let.value, n.Number | n.Percent)
    assert let.value.value == pytest.approx(value)
    assert isinstance(let.value.value, int) == isinstance(value, int)


def test_grouped_digits_keep_their_spelling_in_fmt_and_take_single_underscores() -> None:
    from ldnn_dsl.fmt import format_text

    text = "let n = 500_000\n"
    assert format_text(text) == text
    with pytest.raises(DiagnosticError):
        ast_of("let n = 1__000\n")


def test_percent_is_a_fraction_in_data() -> None:
    result = checked(model("  dense 1 sigmoid") + "data {\n  source parity(bits=16, samples=100)\n  validate 10%\n}\n")
    assert result.spec is not None and result.spec.data is not None
    assert result.spec.data.validate_ == pytest.approx(0.1)


def test_strings_and_booleans() -> None:
    text = model("  dense 1 sigmoid bias=false") + (
        'data {\n  source npz("data/a b.npz", x=x, y=y)\n  validate 5%\n}\n'
        "train {\n  loss binary_crossentropy\n  optimizer sgd(momentum=0.9, nesterov=true)\n}\n")
    result = checked(text)
    assert result.spec is not None and result.spec.data is not None and result.spec.train is not None
    assert result.spec.data.source.path == "data/a b.npz"  # type: ignore[union-attr]
    assert result.spec.train.optimizer.nesterov is True  # type: ignore[union-attr]
    assert layers(result)[1].layer.bias is False  # type: ignore[union-attr]


def test_string_escapes() -> None:
    (use,) = ast_of('use "dir\\\\a \\"b\\".ldnn"\n').items
    assert isinstance(use, n.Use) and use.path.value == 'dir\\a "b".ldnn'
    (use,) = ast_of('use "C:\\data\\x.ldnn"\n').items  # an unknown escape is kept as written
    assert isinstance(use, n.Use) and use.path.value == "C:\\data\\x.ldnn"


def test_shapes_and_windows() -> None:
    text = ("model m {\n  input [32, 32, 3]\n  conv 8 3x3 relu padding=same\n  maxpool 2x2\n"
            "  conv 8 5 stride=1x1\n  reshape [12, 12, 8]\n}\n")
    result = checked(text)
    conv, pool, conv5 = (x.layer for x in layers(result)[1:4])
    assert conv.window == (3, 3) and pool.window == (2, 2) and conv5.window == (5,)  # type: ignore[union-attr]
    assert layers(result)[0].layer.shape == (32, 32, 3)  # type: ignore[union-attr]
    assert result.inference is not None and result.inference.output == (12, 12, 8)


def test_one_dimensional_window() -> None:
    result = checked("model m {\n  input [100, 8]\n  conv1d 16 5 relu\n  maxpool 2\n}\n")
    assert result.inference is not None and result.inference.output == (48, 16)


def test_crlf_tabs_and_bom() -> None:
    text = "\ufeffmodel m {\r\n\tinput [16]\r\n\tdense 4 relu\r\n}\r\n"
    result = check_source(decode("t.ldnn", text.encode("utf-8")))
    assert not result.errors


# let arithmetic ------------------------------------------------------------------------------
@pytest.mark.parametrize(("expr", "units"), [
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("20 - 4 - 3", 13), ("64 / 4 / 2", 8), ("-2 * -3", 6),
    ("2 * (3 + (4 - 1))", 12), ("base * 2", 16), ("base / 2 + 1", 5), ("-(-base)", 8), ("7 / 2 * 2", 7),
])
def test_let_arithmetic_with_precedence(expr: str, units: int) -> None:
    result = checked(model("  dense x", head=f"let base = 8\nlet x = {expr}"))
    assert layers(result)[1].layer.units == units  # type: ignore[union-attr]


def test_arithmetic_in_layer_arguments_and_lets_of_lets() -> None:
    result = checked(model("  dense width * 2 + 1\n  dropout rate / 2", head="let width = 64\nlet rate = 0.5"))
    dense, dropout = (x.layer for x in layers(result)[1:])
    assert dense.units == 129 and dropout.rate == 0.25  # type: ignore[union-attr]


def test_division_gives_a_float_unless_exact() -> None:
    result = checked(model("  dropout a\n  dense b", head="let a = 1 / 4\nlet b = 12 / 4"))
    dropout, dense = (x.layer for x in layers(result)[1:])
    assert dropout.rate == 0.25 and dense.units == 3  # type: ignore[union-attr]


# blocks, use, structure ----------------------------------------------------------------------
def test_blocks_with_arguments() -> None:
    head = ("let width = 32\nblock pair(units, act) {\n  dense units act\n  dense units act\n}\n"
            "block plain {\n  dense 4\n}")
    result = checked(model("  pair(width, relu)\n  pair(units=width * 2, act=tanh)\n  plain", head=head))
    got = [(x.layer.units, x.layer.activation) for x in layers(result)[1:]]  # type: ignore[union-attr]
    assert got == [(32, "relu"), (32, "relu"), (64, "tanh"), (64, "tanh"), (4, "linear")]


def test_block_sees_the_lets_of_its_file_and_its_own_parameters_first() -> None:
    head = "let units = 5\nblock b(units) {\n  dense units\n}\nblock c {\n  dense units\n}"
    result = checked(model("  b(7)\n  c", head=head))
    assert [x.layer.units for x in layers(result)[1:]] == [7, 5]  # type: ignore[union-attr]


def test_use_is_relative_to_the_using_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "sizes.ldnn").write_text("let width = 48\n")
    (tmp_path / "lib" / "blocks.ldnn").write_text('use "sizes.ldnn"\nblock wide(n) {\n  dense width * n relu\n}\n')
    spec = tmp_path / "spec.ldnn"
    spec.write_text('use "lib/blocks.ldnn"\n' + model("  wide(2)\n  dense width"))
    monkeypatch.chdir(tmp_path / "lib")  # the working directory does not matter
    result = check_source(read(spec))
    assert not result.errors
    assert [x.layer.units for x in layers(result)[1:]] == [96, 48]  # type: ignore[union-attr]


def test_a_file_of_definitions_alone_is_a_library(tmp_path: Path) -> None:
    result = check_source(SourceFile("lib.ldnn", "let width = 4\nblock b {\n  dense width\n}\n"))
    assert result.diagnostics == []


def test_repeat_unrolls() -> None:
    body = "  repeat 3 {\n    dense 8 relu\n    dropout 0.1\n  }\n  repeat n { dense 2 }"
    result = checked(model(body, head="let n = 2"))
    kinds = [x.layer.kind for x in layers(result)[1:]]
    assert kinds == ["dense", "dropout"] * 3 + ["dense"] * 2
    assert len({x.name for x in layers(result)}) == len(kinds) + 1


def test_residual() -> None:
    result = checked("model m {\n  input [256]\n  residual {\n    dense 256 relu\n    dense 256\n  }\n}\n")
    assert result.spec is not None
    (res,) = result.spec.model.body
    assert isinstance(res, ResidualNode) and [x.layer.units for x in res.body] == [256, 256]  # type: ignore[union-attr]


def test_two_layers_on_one_line_split_at_a_layer_kind() -> None:
    text = "model m {\n  input [256]\n  residual { dense 256 relu  dense 256 }\n  dense 10 relu dropout 0.5\n}\n"
    result = checked(text)
    assert result.spec is not None
    res, dense, dropout = result.spec.model.body
    assert isinstance(res, ResidualNode)
    assert [(x.layer.units, x.layer.activation) for x in res.body] == [(256, "relu"), (256, "linear")]  # type: ignore[union-attr]
    assert dense.layer.units == 10 and dropout.layer.rate == 0.5  # type: ignore[union-attr]
    assert res.body[1].span.line == 3 and res.body[1].span.col == 30


@pytest.mark.parametrize(("mode", "output"), [("concat", (28, 28, 24)), ("add", (28, 28, 8))])
def test_parallel(mode: str, output: tuple[int, ...]) -> None:
    text = (f"model m {{\n  input [28, 28, 1]\n  parallel {mode} {{\n    branch {{ conv 8 1x1 relu }}\n"
            "    branch { conv 8 3x3 relu padding=same }\n    branch {\n      maxpool 3x3 stride=1 padding=same\n"
            "      conv 8 1x1\n    }\n  }\n}\n")
    result = checked(text)
    assert result.spec is not None and result.inference is not None
    (par,) = result.spec.model.body
    assert isinstance(par, ParallelNode) and par.mode == mode and len(par.branches) == 3
    assert result.inference.output == output


def test_parallel_branches_on_one_line() -> None:
    result = checked(model("  parallel add { branch { dense 4 } branch { dense 4 relu } }"))
    assert result.inference is not None and result.inference.output == (4,)


def test_calls_without_parentheses() -> None:
    text = model("  dense 1 sigmoid init=he_normal bias_init=zeros") + (
        "init {\n  weights scaled\n  biases  zeros\n}\n"
        "data {\n  source parity(bits=16, samples=100)\n  validate 10%\n  preprocess standardize\n}\n"
        "train {\n  loss binary_crossentropy\n  optimizer sgd\n  schedule constant\n}\n")
    result = checked(text)
    spec = result.spec
    assert spec is not None and spec.train is not None
    assert spec.train.optimizer.name == "sgd" and spec.train.schedule.name == "constant"
    assert spec.init.weights is not None and spec.init.weights.name == "scaled" and spec.init.weights.value(0) == 1.0
    assert spec.init.biases is not None and spec.init.biases.name == "zeros"


def test_several_settings_on_one_line() -> None:
    result = checked(model("  dense 1 sigmoid") + "init { weights scaled(1.0)  biases zeros }\n")
    assert result.spec is not None and result.spec.init.biases is not None
    assert result.spec.init.biases.name == "zeros"


def test_lists_over_several_lines() -> None:
    text = ("model m {\n  input [\n    4,\n    4,\n    1,\n  ]\n  flatten\n  dense 1 sigmoid\n}\n"
            "data {\n  source npz(\n    \"d.npz\",\n    x=x,\n    y=y\n  )\n  validate 10%\n}\n"
            "train {\n  loss binary_crossentropy\n  metrics [\n    binary_accuracy,\n    auc\n  ]\n}\n")
    result = checked(text)
    assert result.spec is not None and result.spec.train is not None and result.spec.data is not None
    assert layers(result)[0].layer.shape == (4, 4, 1)  # type: ignore[union-attr]
    assert result.spec.train.metrics == ("binary_accuracy", "auc")
    assert (result.spec.data.source.path, result.spec.data.source.y) == ("d.npz", "y")  # type: ignore[union-attr]


def test_sections_in_any_order_and_blank_lines() -> None:
    text = ("\n\ntrain {\n\n  loss mse\n\n}\n\n\ninit {\n}\n\nmodel m {\n\n  input [4]\n\n  dense 1\n\n}\n\n"
            "data {\n  source parity(bits=4, samples=10)\n  validate 2\n}\n")
    result = checked(text)
    assert result.spec is not None and result.spec.data is not None and result.spec.data.validate_ == 2


def test_options_in_any_order_after_positionals() -> None:
    result = checked(model("  dense 10 l2=1e-4 relu max_norm=3.0 init=normal(0.02) name=out"))
    (dense,) = layers(result)[1:]
    assert dense.name == "out"
    assert (dense.layer.activation, dense.layer.l2, dense.layer.max_norm) == ("relu", 1e-4, 3.0)  # type: ignore[union-attr]


def test_every_node_has_a_span_inside_the_text() -> None:
    text = (EXAMPLES[0].read_text() if EXAMPLES else model("  dense 4"))
    lines = text.split("\n")
    spec = ast_of(text)
    for item in spec.items:
        for node in _nodes(item):
            assert 1 <= node.span.line <= node.span.end_line <= len(lines)


def _nodes(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, n.Node):
        yield node
        for name in type(node).model_fields:
            yield from _nodes(getattr(node, name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _nodes(item)


def test_syntax_errors_are_diagnostics_not_lark_errors() -> None:
    with pytest.raises(DiagnosticError) as exc:
        parse(SourceFile("t.ldnn", "model m {\n  dense 10 )\n}\n"))
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("E001", 2, 12)  # type: ignore[union-attr]


def test_a_bare_flag_inside_a_call_turns_it_on() -> None:
    """`sgd(nesterov)` as `early_stop restore_best` and `dense 4 bias=false`'s flags read: the word alone is true."""
    text = "model m {\n  input [4]\n  dense 1\n}\ntrain {\n  loss mse\n  optimizer sgd(momentum=0.9, nesterov)\n}\n"
    result = checked(text)
    assert result.spec is not None and result.spec.train is not None
    assert result.spec.train.optimizer.nesterov is True  # type: ignore[union-attr]


@pytest.mark.parametrize(("written", "patience", "restore_best"), [
    ("early_stop 5", 5, False), ("early_stop restore_best", 10, True), ("early_stop 5 restore_best", 5, True),
    ("early_stop restore_best 5", 5, True), ("early_stop patience=5 restore_best", 5, True),
    ("early_stop 5 restore_best=true", 5, True), ("early_stop 5 restore_best=false", 5, False)])
def test_early_stop_reads_its_short_forms(written: str, patience: int, restore_best: bool) -> None:
    """The patience alone may go bare, first, with or without `restore_best` beside it, bare or `=`."""
    text = (f"model m {{\n  input [4]\n  dense 1\n}}\ndata {{\n  source parity(bits=4, samples=64)\n"
            f"  validate 10%\n}}\ntrain {{\n  loss mse\n  {written}\n}}\n")
    result = checked(text)
    assert result.errors == [] and result.spec is not None and result.spec.train is not None
    stop = result.spec.train.early_stop
    assert stop is not None and (stop.patience, stop.restore_best) == (patience, restore_best)


EARLY_STOP_FORMS = "write `early_stop patience=10 restore_best`, or `early_stop 10`"


@pytest.mark.parametrize(("written", "got", "help"), [
    ("true", "true", EARLY_STOP_FORMS), ("[5]", "[5]", EARLY_STOP_FORMS), ("wait(5)", "`wait(...)`", EARLY_STOP_FORMS),
    ("patience", "`patience`", "`patience` takes a number: `patience=10`"),
    ("5 restore_bst", "`5 restore_bst`", "did you mean `restore_best`?")])
def test_early_stop_names_its_forms_for_any_other_value(written: str, got: str, help: str) -> None:
    text = (f"model m {{\n  input [4]\n  dense 1\n}}\ndata {{\n  source parity(bits=4, samples=64)\n"
            f"  validate 10%\n}}\ntrain {{\n  loss mse\n  early_stop {written}\n}}\n")
    (diag,) = check_source(SourceFile("t.ldnn", text)).errors
    assert (diag.code, diag.message, diag.help) == (
        "E201", f"`early_stop` of `train`: its options are `patience=N` and `restore_best`; got {got}", help)


def test_an_option_may_take_the_bare_word_for_its_value() -> None:
    """`dtype=int` means what the bare `int` means (`int32`), and `mode=average` what `average` does."""
    spec = checked("model m {\n  input [6, 2] dtype=int\n  embedding 3 vocab=5\n  globalpool mode=average\n}\n").spec
    assert spec is not None
    assert spec.model.input.layer.dtype == "int32"
    assert spec.model.body[-1].layer.mode == "avg"  # type: ignore[union-attr]


def test_nesting_up_to_the_limits_checks_and_formats() -> None:
    """Every later stage recurses over the tree: at the limits, none of them may hit Python's own."""
    from ldnn_dsl.expand.expand import MAX_NESTING as RESIDUALS
    from ldnn_dsl.fmt import format_text
    from ldnn_dsl.syntax.parse import MAX_NESTING

    def nested(levels: int) -> str:
        units = " + ".join(["1"] * 90)  # with the residuals, within a few levels of MAX_DEPTH
        return "model m {\n  input [90]\n" + "residual {\n" * levels + f"dense {units}\n" + "}\n" * levels + "}\n"

    text = nested(RESIDUALS)  # the most the expander takes: within the parser's limit, with the model's braces
    for spec_text in (text, format_text(text)):
        node = checked(spec_text).spec.model.body[0]  # type: ignore[union-attr]
        for _ in range(RESIDUALS - 1):
            node = node.body[0]  # type: ignore[union-attr]
        assert node.body[0].layer.units == 90  # type: ignore[union-attr]
    levels = MAX_NESTING - 1  # the model's own braces are the first level
    parse(SourceFile("t.ldnn", nested(levels)))
    with pytest.raises(DiagnosticError) as deeper:
        parse(SourceFile("t.ldnn", nested(levels + 1)))
    (diag,) = deeper.value.diagnostics
    assert (diag.code, diag.span.line) == ("E004", 3 + levels), diag  # type: ignore[union-attr]
    assert diag.message.startswith(f"brackets nest more than {MAX_NESTING} levels deep"), diag


def _nesting_blocks(blocks: int, levels: int, nest: str = "residual {") -> str:
    """`blocks` blocks, each nesting `levels` of `nest` around a call of the next one."""
    text, closing = "", "}" * nest.count("{") + "\n"
    for i in range(blocks):
        inner = f"b{i + 1}()\n" if i < blocks - 1 else "dense 4 init=normal(0.02)\n"
        text += f"block b{i}() {{\n" + f"{nest}\n" * levels + inner + closing * levels + "}\n"
    return text + "model m {\n  input [4]\n  b0()\n}\n"


@pytest.mark.parametrize(("nest", "brackets"), [("residual {", 1), ("parallel add { branch {", 2)])
def test_blocks_nest_up_to_what_a_flat_spec_can_hold_then_get_e004(nest: str, brackets: int) -> None:
    """Blocks nest past what one file's brackets allow. The expander bounds the total at what the
    run folder's spec.ldnn, the model written out flat, can be read back with, so it always
    parses again, and the stages after it (which recurse per level) never meet Python's limit."""
    from ldnn_dsl.expand.expand import MAX_NESTING
    from ldnn_dsl.train.resolved import resolved_text

    levels = MAX_NESTING // brackets // 4
    result = check_source(SourceFile("t.ldnn", _nesting_blocks(4, levels, nest)), "check")
    assert not result.errors and result.spec is not None
    flat = resolved_text(result.spec, batch=32, epochs=1, seed=1, jit=False, steps_per_execution=1, folder=None)
    assert "block" not in flat and not check_source(SourceFile("spec.ldnn", flat), "check").errors
    (diag,) = check_source(SourceFile("t.ldnn", _nesting_blocks(5, levels, nest)), "check").errors
    assert diag.code == "E004" and diag.message.startswith(
        f"`residual` and `parallel` nest more than {MAX_NESTING} brackets deep here"), diag
    assert diag.notes[0].startswith("in block `b4`, called at t.ldnn:"), diag.notes


def test_a_long_chain_of_uses_gets_e004_at_the_use_too_deep(tmp_path: Path) -> None:
    from ldnn_dsl.expand.modules import MAX_USE_DEPTH

    for i in range(MAX_USE_DEPTH + 5):
        write(tmp_path / f"f{i}.ldnn", f'use "f{i + 1}.ldnn"\n')
    write(tmp_path / f"f{MAX_USE_DEPTH + 5}.ldnn", "let width = 4\n")
    main = write(tmp_path / "main.ldnn", 'use "f0.ldnn"\nmodel m {\n  input [4]\n  dense width\n}\n')
    (diag,) = check_source(read(str(main)), "check").errors
    assert diag.code == "E004" and diag.span.path.endswith(f"f{MAX_USE_DEPTH - 2}.ldnn"), diag  # type: ignore[union-attr]
    write(tmp_path / f"f{MAX_USE_DEPTH - 2}.ldnn", "let width = 4\n")  # MAX_USE_DEPTH files loading at once
    assert not check_source(read(str(main)), "check").errors


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_wide_encoding_is_named_with_or_without_its_byte_order_mark(encoding: str) -> None:
    with pytest.raises(DiagnosticError) as exc:
        decode("t.ldnn", "model m {\n  input [4]\n}\n".encode(encoding))
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.message) == ("E002", f"the file is {encoding[:6].upper()} text; specs are UTF-8"), diag
    assert diag.help.startswith("save it as UTF-8"), diag  # type: ignore[union-attr]


@pytest.mark.parametrize(("written", "keras"), [
    ("crossentropy", None), ("cross_entropy", None), ("SoftmaxWithLoss", "sparse_categorical_crossentropy"),
    ("nll_loss", "sparse_categorical_crossentropy"), ("BCEWithLogitsLoss", "binary_crossentropy"),
    ("EuclideanLoss", "mse"), ("l1", "mae"), ("smooth_l1", "huber"), ("kl_div", "kl_divergence")])
def test_another_frameworks_loss_name_is_told_the_keras_one(written: str, keras: str | None) -> None:
    """A name that says which loss is that loss; `crossentropy`, which does not, names Keras' three."""
    text = f"model m {{\n  input [4]\n  dense 1 sigmoid\n}}\ntrain {{\n  loss {written}\n}}\n"
    (diag,) = check_source(SourceFile("t.ldnn", text)).errors
    if keras is None:
        assert (diag.code, diag.message) == ("E210", f"`loss` of `train`: Keras has no loss `{written}`")
        assert diag.help.startswith("Keras names three crossentropies: `sparse_categorical_crossentropy`")  # type: ignore[union-attr]
        return
    assert (diag.code, diag.message, diag.help) == ("E210", f"unknown loss `{written}` in `train`",
                                                    f"did you mean `{keras}`?")


def test_a_syntax_error_beside_a_very_long_expression_is_still_a_diagnostic() -> None:
    """The search for further errors reads the repaired tree, which no depth check has seen."""
    text = "model m {\n  input [4]\n  dense 4 relu,\n  dense 1\n}\nlet x = 1" + "+1" * 3000 + "\n"
    with pytest.raises(DiagnosticError) as exc:
        parse(SourceFile("t.ldnn", text))
    assert [(d.code, d.span.line) for d in exc.value.diagnostics] == [("E001", 3)]  # type: ignore[union-attr]


@pytest.mark.parametrize(("written", "help"), [
    ("schedule plateau(0.5, 2)", "write `plateau(factor=0.5, patience=2)`"),
    ("optimizer sgd(0.01)", "the learning rate is a setting of its own in `train`: `lr 0.01` on its own line"),
    ("optimizer adam(0.001, 0.9)",
     "the learning rate is a setting of its own in `train`: `lr 0.001` on its own line"),
    ("optimizer sgd(nesterov, 0.9)", "write `sgd(momentum=0.9, nesterov)`"),
    ("schedule plateau(0.5, 2, patience=4)", None),  # which value was meant for what is anyone's guess
    ("optimizer adam(\"fast\")", None)])  # beta_1="fast" is no valid call to offer
def test_values_without_names_get_the_call_they_mean_where_it_is_sure(written: str, help: str | None) -> None:
    text = f"model m {{\n  input [4]\n  dense 1\n}}\ntrain {{\n  loss mse\n  {written}\n}}\n"
    (diag,) = check_source(SourceFile("t.ldnn", text)).errors
    assert (diag.code, diag.help) == ("E205", help), diag


def test_the_syntax_hints_know_the_sections_the_checker_has() -> None:
    """The parser's hints name the sections without importing the checker, a later stage."""
    from ldnn_dsl.check.recipe import SECTION_MODELS
    from ldnn_dsl.syntax.tokens import SECTIONS

    assert tuple(SECTION_MODELS) == SECTIONS
