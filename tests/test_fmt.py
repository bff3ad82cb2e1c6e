"""`ldnn fmt`: one canonical layout, idempotent, meaning-preserving, every comment kept."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from helpers import checked, ldnn_process, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.fmt import format_paths, format_text
from ldnn_dsl.fmt.comments import scan_comments
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.parse import parse

REPO = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"
SPEC_FILES = sorted(SHARED_EXAMPLES.glob("*.ldnn")) + sorted((REPO / "specs").rglob("*.ldnn"))
PATH = "spec.ldnn"


def meaning(text: str) -> Any:
    """The AST without any position (`span`, `name_span`, ...): what formatting must keep."""
    return _without_spans(to_ast(PATH, parse(SourceFile(PATH, text))).model_dump())


def _without_spans(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_spans(v) for k, v in data.items() if k != "span" and not k.endswith("_span")}
    if isinstance(data, list | tuple):
        return [_without_spans(v) for v in data]
    return data


def comment_texts(text: str) -> list[str]:
    return [c.text for c in scan_comments(text)]


def assert_formats_well(text: str) -> str:
    """The shared helper: idempotent, same meaning, same comments in the same order."""
    once = format_text(text, PATH)
    assert format_text(once, PATH) == once, f"not idempotent:\n{once}"
    assert meaning(once) == meaning(text)
    assert comment_texts(once) == comment_texts(text)
    assert once == "" or (once.endswith("\n") and not once.endswith("\n\n"))
    return once


# the identity fixture: shipped specs are already canonical -------------------------------
@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_spec_files_round_trip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_formats_well(text)


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="the shared examples are not checked out")
@pytest.mark.parametrize("path", sorted(SHARED_EXAMPLES.glob("*.ldnn")), ids=lambda p: p.name)
def test_shared_examples_are_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text


# messy inputs ---------------------------------------------------------------------------
MESSY = {
    "odd_spacing": "model   m{input [ 32 ,32,3 ]\n   dense 10   softmax    init=normal( 0.02 )}\n",
    "one_line_bodies": "model m { input [8]\nresidual { dense 256 relu  dense 256 }\nrepeat 2 { dense 8 }\n}",
    "blank_lines": "\n\n\nlet a = 1\n\n\n\nlet b = 2\nmodel m {\n\n  input [a]\n\n\n\n  dense b\n\n}\n\n\n",
    "multi_line_list": "model m {\n  input [32,\n         32,\n         3]\n  reshape [\n 3072\n ]\n}\n",
    "comments_everywhere": (
        "# head\n\nlet a = 1  # a\n# before model\nmodel m {  # open\n  # first\n  input [a,  # in list\n"
        "  2]  # after list\n  repeat 2 {  # rep\n    dense 4  # d\n    # last in repeat\n  }  # closed\n"
        "  # end of model\n}  # model done\n# between\ntrain {\n  lr 0.1  # rate\n  # end of train\n}\n# tail\n"
    ),
    "expressions": "let a = (1 + 2) * 3\nlet b = a - (a - 1)\nlet c = (a * 2) + 1\nlet d = -(a + 1)\n"
                   "let e = --a\nlet f = a / (b / c)\nmodel m { input [a] dense 3 (-1) k=-2 }\n",
    "parallel": "model m { input [8, 8, 1]\nparallel add { branch { conv 4 1x1 }\nbranch { conv 4 3x3 padding=same\n"
                "batchnorm }\nbranch {}\n}\nparallel concat {}\n}\n",
    "calls_as_statements": "block cp(f,) { conv f 3x3 }\nblock plain { flatten }\nmodel m { input [4, 4, 1]\n"
                           "cp(8)\ncp(2 * 4) relu\nplain }\n",
    "sections": "data{source npz(\"d.npz\", x=x, y=y)\nvalidate 10%}\ninit { weights scaled(1.0)\n biases zeros }\n"
                "train {\nloss mse\n\n  optimizer sgd(momentum=0.9,\n   nesterov=true)\n"
                "early_stop patience=2 restore_best\n}\n"
                "model m { input [1] }",
    "crlf_and_tabs": "model m {\r\n\tinput [4]\t# tabbed\r\n\tdense 2\r\n}\r\n",
    "string_with_hash": 'use "a#b.ldnn"  # real comment\nmodel m { input [1] }\n',
    "only_comments": "# one\n\n\n# two\n",
    "empty": "",
    "empty_bodies": "model m {}\ninit {\n}\ntrain {  # nothing yet\n}\n",
    "keywords_as_words": "model m { input [1] dense 3 repeat }\ntrain { repeat 3\n model 2 }\n",
}


@pytest.mark.parametrize("name", sorted(MESSY))
def test_messy_inputs_format_well(name: str) -> None:
    assert_formats_well(MESSY[name])


GOLDEN_IN = """\
# A messy spec.
let   w=64
let depth = (w+1)*2   # derived


block conv_pool( filters ) {  conv filters 3x3 relu padding=same
   maxpool 2x2 }
model net { input [32,
  32, 3]   # image
residual { dense 256 relu  dense 256 }


  parallel concat {   branch {conv 32 1x1 relu}
  branch { maxpool 3x3  # pool
  }}
  conv_pool( width*2 )
  # the head
  dense 10 softmax }
train {  lr 0.1
loss  mse   # plain
 optimizer   sgd(momentum=0.9)
}
"""

GOLDEN_OUT = """\
# A messy spec.
let w     = 64
let depth = (w + 1) * 2         # derived

block conv_pool(filters) {
  conv filters 3x3 relu padding=same
  maxpool 2x2
}

model net {
  input [32, 32, 3]             # image
  residual {
    dense 256 relu
    dense 256
  }

  parallel concat {
    branch { conv 32 1x1 relu }
    branch {
      maxpool 3x3               # pool
    }
  }
  conv_pool(width * 2)
  # the head
  dense 10 softmax
}

train {
  lr        0.1
  loss      mse                 # plain
  optimizer sgd(momentum=0.9)
}
"""


def test_golden_messy_input() -> None:
    assert format_text(GOLDEN_IN, PATH) == GOLDEN_OUT


SETTINGS_ON_ONE_LINE = """\
model m { input [4]  dense 1 }

train { loss mse  optimizer sgd(momentum=0.9)  lr 0.1  epochs 12  # note
  metrics [mae] precision float32 jit false  clip_norm 5 seed 1
}
"""


def test_settings_on_one_line_go_one_per_line_as_the_checker_reads_them() -> None:
    """A setting's name starts the next setting unless the current one takes it as a word, as
    the checker splits them; after a bracketed list, even a word it takes (`precision` is a metric)."""
    formatted = format_text(SETTINGS_ON_ONE_LINE, PATH)
    assert formatted.split("train {\n")[1] == (
        "  loss      mse\n"
        "  optimizer sgd(momentum=0.9)\n"
        "  lr        0.1\n"
        "  epochs    12                  # note\n"
        "  metrics   [mae]\n"
        "  precision float32\n"
        "  jit       false\n"
        "  clip_norm 5\n"
        "  seed      1\n"
        "}\n")
    assert format_text(formatted, PATH) == formatted
    assert checked(formatted, PATH).spec.train == checked(SETTINGS_ON_ONE_LINE, PATH).spec.train


def test_a_name_that_a_let_defines_is_a_value_not_a_setting() -> None:
    """The checker reads `loss mse batch` as one setting when `batch` is a `let`: so does fmt."""
    text = "let batch = 64\n\ntrain {\n  loss mse batch\n}\n"
    assert format_text(text, PATH) == text


def test_a_file_that_uses_another_has_its_settings_split_too() -> None:
    """No `let` may take a setting's name, in a `use`d file either: the split cannot change meaning."""
    text = 'use "lib.ldnn"\n\ntrain {\n  loss mse lr 0.1\n}\n'
    assert format_text(text, PATH) == 'use "lib.ldnn"\n\ntrain {\n  loss mse\n  lr   0.1\n}\n'
    assert_formats_well(GOLDEN_IN)


def test_comments_keep_their_place() -> None:
    text = "model m {\n  # about input\n  input [4]  # trailing\n}  # closing\n# eof\n"
    assert format_text(text) == "model m {\n  # about input\n  input [4]                     # trailing\n}" \
                                "                               # closing\n# eof\n"


def test_a_comment_inside_an_empty_call_goes_before_it() -> None:
    """Not after it, where it would read as the next layer's comment."""
    text = "block b() {\n  dense 3\n}\nmodel m {\n  input [4]\n  b(\n    # why empty\n  )\n  dense 2\n}\n"
    assert format_text(text).endswith("  input [4]\n  # why empty\n  b()\n  dense 2\n}\n")
    assert_formats_well(text)


def test_long_code_pushes_comment_column() -> None:
    text = "train {\n  optimizer sgd(momentum=0.9, nesterov=true)  # a\n  lr 0.1  # b\n}\n"
    lines = format_text(text).splitlines()
    assert lines[1].index("#") == lines[2].index("#") == len("  optimizer sgd(momentum=0.9, nesterov=true)") + 2


def test_invalid_input_raises_diagnostic() -> None:
    with pytest.raises(DiagnosticError):
        format_text("model m { dense 3 ")


# format_paths ---------------------------------------------------------------------------
UGLY = "model m {input [4]\n dense 2}\n"
PRETTY = "model m {\n  input [4]\n  dense 2\n}\n"


def run_fmt(paths: list[str], **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = format_paths(paths, out=out, err=err, **kwargs)
    return status, out.getvalue(), err.getvalue()


def test_check_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    ugly, pretty = tmp_path / "ugly.ldnn", tmp_path / "pretty.ldnn"
    ugly.write_text(UGLY)
    pretty.write_text(PRETTY)
    status, out, _ = run_fmt([str(tmp_path)], check=True)
    assert status == 1
    assert out == f"would reformat {ugly}\n"
    assert ugly.read_text() == UGLY
    assert run_fmt([str(pretty)], check=True)[0] == 0


def test_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    ugly = tmp_path / "ugly.ldnn"
    ugly.write_text(UGLY)
    status, out, _ = run_fmt([str(ugly)], diff=True)
    assert status == 0
    assert "-model m {input [4]\n" in out and "+  input [4]\n" in out and out.startswith("---")
    assert ugly.read_text() == UGLY


def test_rewrites_in_place(tmp_path: Path) -> None:
    ugly = tmp_path / "sub" / "ugly.ldnn"
    ugly.parent.mkdir()
    ugly.write_text(UGLY)
    assert run_fmt([str(tmp_path)]) == (0, "", "")
    assert ugly.read_text() == PRETTY
    assert [p.name for p in ugly.parent.iterdir()] == ["ugly.ldnn"]  # no temp file left behind
    assert run_fmt([str(ugly)], check=True)[0] == 0


def test_invalid_file_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ldnn"
    bad.write_text("model m {\n  dense 3 ;\n}\n")
    status, out, err = run_fmt([str(bad)])
    assert status == 1 and out == ""
    assert f"{bad}:2:11: error[E001]" in err and "^" in err
    assert bad.read_text() == "model m {\n  dense 3 ;\n}\n"
    assert run_fmt([str(tmp_path / "missing.ldnn")])[0] == 1


def test_a_folder_without_specs_is_an_error_not_a_pass(tmp_path: Path) -> None:
    """`ldnn fmt --check spec/` in CI, the folder mistyped or emptied: failing says so; passing would hide it."""
    status, out, err = run_fmt([str(tmp_path)], check=True)
    assert status == 1 and out == ""
    assert err == f"{tmp_path}: error[E005]: no .ldnn files in this directory\n"


def test_stdin_goes_to_stdout() -> None:
    assert run_fmt(["-"], stdin=io.BytesIO(UGLY.encode())) == (0, PRETTY, "")
    assert run_fmt(["-"], check=True, stdin=io.BytesIO(UGLY.encode()))[0] == 1


# random valid specs ---------------------------------------------------------------------
NAMES = st.sampled_from(["a", "width", "relu", "x_1", "sequences", "same", "dense"])
COMMENT = st.sampled_from(["# c", "#", "# a \"quoted\" # twice", "#x"])
SPACE = st.sampled_from([" ", "  ", "\t"])
NUMBERS = st.sampled_from(["0", "128", "0.5", ".5", "3.", "1e-4", "2E+3"])


@st.composite
def eol(draw: st.DrawFn) -> str:
    """A line break, sometimes with a comment, blank lines or an own-line comment."""
    out = draw(st.sampled_from(["", "  "])) + (draw(COMMENT) if draw(st.booleans()) else "") + "\n"
    out += draw(st.sampled_from(["", "\n", "\n\n", "  # own\n", "\n# own\n"]))
    return out


def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    atoms = st.one_of(NUMBERS, NAMES, NUMBERS.map(lambda t: t.split("e")[0].split("E")[0] + "%"))
    if depth == 0:
        return atoms
    sub = expressions(depth - 1)
    return st.one_of(
        atoms,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        sub.map(lambda e: f"({e})"),
        sub.map(lambda e: f"-{e}"),
    )


@st.composite
def values(draw: st.DrawFn, depth: int = 2) -> str:
    kind = draw(st.sampled_from(["expr", "list", "call", "string", "window"] if depth else ["expr", "string"]))
    if kind == "list":
        items = draw(st.lists(values(depth - 1), max_size=3))
        sep = draw(st.sampled_from([", ", ",", ",\n  ", ",  # in list\n  "]))
        return "[" + sep.join(items) + "]"
    if kind == "call":
        args = draw(st.lists(st.one_of(values(depth - 1), options(depth - 1)), max_size=3))
        return "f(" + ", ".join(args) + ")"
    if kind == "string":
        return draw(st.sampled_from(['"d.npz"', '"a#b"', '"q\\"#"']))
    if kind == "window":
        return draw(st.sampled_from(["3x3", "1x1", "2x2x2"]))
    return draw(expressions())


@st.composite
def options(draw: st.DrawFn, depth: int = 1) -> str:
    return f"{draw(st.sampled_from(['init', 'k']))}={draw(values(depth))}"


@st.composite
def statements(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["dense", "conv", "lstm", "block1(1)", "block1(a, k=2)"]))
    items = draw(st.lists(st.one_of(values(1), options()), max_size=3))
    space = draw(SPACE)
    return head + "".join(space + i for i in items)


@st.composite
def bodies(draw: st.DrawFn, depth: int) -> str:
    """A `{ ... }` of layers: statements and, while depth lasts, repeat/residual/parallel."""
    kinds = ["stmt", "repeat", "residual", "parallel"] if depth else ["stmt"]
    layers = []
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=4)):
        if kind == "stmt":
            layers.append(draw(statements()))
        elif kind == "repeat":
            layers.append(f"repeat {draw(expressions(1))} {draw(bodies(depth - 1))}")
        elif kind == "residual":
            layers.append(f"residual {draw(bodies(depth - 1))}")
        else:
            branches = [f"branch {draw(bodies(depth - 1))}" for _ in range(draw(st.integers(0, 3)))]
            layers.append("parallel concat {" + draw(eol()) + "".join(b + draw(eol()) for b in branches) + "}")
    opening = draw(st.sampled_from(["{ ", "{\n", "{  # open\n"]))
    return opening + "".join(layer + draw(eol()) for layer in layers) + "}"


@st.composite
def sections(draw: st.DrawFn) -> str:
    settings = draw(st.lists(statements(), max_size=4))
    return "train {" + draw(eol()) + "".join(s + draw(eol()) for s in settings) + "}"


@st.composite
def specs(draw: st.DrawFn) -> str:
    parts = []
    for kind in draw(st.lists(st.sampled_from(["let", "use", "block", "section"]), max_size=4)):
        if kind == "let":
            parts.append(f"let {draw(NAMES)}{draw(SPACE)}={draw(SPACE)}{draw(expressions())}")
        elif kind == "use":
            parts.append('use "other.ldnn"')
        elif kind == "block":
            parts.append(f"block block1(p, q) {draw(bodies(1))}")
        else:
            parts.append(draw(sections()))
    parts.insert(draw(st.integers(0, len(parts))), f"model m {draw(bodies(2))}")
    return draw(st.sampled_from(["", "# header\n", "\n\n"])) + "".join(p + draw(eol()) for p in parts)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_random_specs_format_well(text: str) -> None:
    assert_formats_well(text)


def test_docstring_examples() -> None:
    import doctest

    from ldnn_dsl.fmt import printer

    assert doctest.testmod(printer).failed == 0


# standard input and the file system, through the command -------------------------------
def test_stdin_is_read_as_bytes_so_a_bad_byte_is_a_diagnostic() -> None:
    run = ldnn_process("fmt", "-", stdin=b"model m {\n  input [4]\n}\n# caf\xe9\n")
    err = run.stderr.decode()
    assert run.returncode == 1 and run.stdout == b"" and "Traceback" not in err
    assert err.startswith("<stdin>:4:6: error[E002]: byte 0xe9 is not valid UTF-8") and "4 | # caf" in err


@pytest.mark.parametrize("command", ["fmt", "check"])
def test_a_closed_stdin_is_a_diagnostic(command: str) -> None:
    run = ldnn_process(command, "-", stdin_closed=True)
    err = run.stderr.decode()
    assert run.returncode == 1 and "Traceback" not in err
    assert err.startswith("<stdin>: error[E005]: cannot read standard input: it is closed")


def test_check_on_stdin_compares_the_text_as_sent() -> None:
    """Line ends are kept in the style of the first line, as black and rustfmt keep them: a
    canonical CRLF text is no change, mixed line ends are. Stdin is read as bytes, not through
    newline translation, and formatted text goes back as bytes."""
    pretty = PRETTY.encode()
    crlf = pretty.replace(b"\n", b"\r\n")
    assert ldnn_process("fmt", "--check", "-", stdin=pretty).returncode == 0
    assert ldnn_process("fmt", "--check", "-", stdin=crlf).returncode == 0
    assert ldnn_process("fmt", "--check", "-", stdin=crlf.replace(b"4]\r\n", b"4]\n")).returncode == 1
    assert ldnn_process("fmt", "-", stdin=UGLY.replace("\n", "\r\n").encode()).stdout == crlf


def test_a_file_keeps_its_line_ends_and_byte_order_mark(tmp_path: Path) -> None:
    """A Windows checkout (git's autocrlf, an editor's BOM) is formatted in its own style, so
    `fmt --check` passes on it in CI, and `fmt` does not rewrite every line of it."""
    crlf = write(tmp_path / "crlf.ldnn", "")
    crlf.write_bytes(b"\xef\xbb\xbf" + UGLY.replace("\n", "\r\n").encode())
    assert run_fmt([str(crlf)]) == (0, "", "")
    assert crlf.read_bytes() == b"\xef\xbb\xbf" + PRETTY.replace("\n", "\r\n").encode()
    assert run_fmt([str(crlf)], check=True) == (0, "", "")
    mixed = write(tmp_path / "mixed.ldnn", "")
    mixed.write_bytes(PRETTY.replace("}\n", "}\r\n").encode())  # the first line ends in LF: LF throughout
    assert run_fmt([str(mixed)], check=True) == (1, f"would reformat {mixed}\n", "")
    assert run_fmt([str(mixed)]) == (0, "", "") and mixed.read_bytes() == PRETTY.encode()


def test_a_file_that_formatting_would_take_past_the_size_limit_is_left_alone(tmp_path: Path) -> None:
    """Aligning 2,000 short `let`s under one long name grows the file 14-fold, past the limit:
    written, it would be a spec neither `ldnn check` nor `ldnn fmt` reads."""
    text = "let " + "w" * 150 + " = 1\n" + "".join(f"let a{i}=1\n" for i in range(2000)) + "model m {\n  input [4]\n}\n"
    spec = write(tmp_path / "lets.ldnn", text)
    status, out, err = run_fmt([str(spec)])
    assert status == 1 and out == "" and spec.read_text() == text
    assert err.startswith(f"{spec}: error[E004]: formatted, the file would be 318,184 bytes, over the limit of "
                          "262,144 for a spec; it was left as it is")


def test_a_file_whose_name_is_near_the_length_limit_is_formatted(tmp_path: Path) -> None:
    spec = write(tmp_path / ("a" * 245 + ".ldnn"), UGLY)
    assert run_fmt([str(spec)]) == (0, "", "")
    assert spec.read_text() == PRETTY and sorted(p.name for p in tmp_path.iterdir()) == [spec.name]


def test_a_spec_named_twice_is_formatted_once() -> None:
    """`fmt - -` read stdin a second time, found it empty and wrote a second, empty spec."""
    run = ldnn_process("fmt", "-", "-", stdin=UGLY.encode())
    assert run.returncode == 0 and run.stdout == PRETTY.encode()


def test_a_path_holding_a_nul_byte_is_a_diagnostic() -> None:
    """The API takes any string: a NUL byte, which no file name holds, is E005 (no ValueError)."""
    status, out, err = run_fmt(["a\0b.ldnn"])
    assert status == 1 and out == "" and "error[E005]: the path holds a NUL byte" in err
