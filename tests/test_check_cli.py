"""`ldnn check` as users and CI run it: exit codes, paths, formats, summaries, and bad input."""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

import pytest
from helpers import ROOT, fresh_python, ldnn_process, write

import ldnn_dsl
from ldnn_dsl.check.recipe import SECTION_MODELS
from ldnn_dsl.source.text import MAX_BYTES

VALID = "model m {\n  input [16]\n  dense 8 relu\n  dense 1 sigmoid\n}\n"
BROKEN = "model m {\n  input [16]\n  dense 8 rleu\n}\n"
WARNED = VALID + "\ndata {\n  source parity(bits=16, samples=1000)\n}\n\ntrain {\n  loss binary_crossentropy\n}\n"
SUMMARY_TOTALS = {
    "sort10x6": "1,768,064", "parity": "70,401", "char_lstm": "3,336,288", "convnet": "3,248,202",
    "deep_residual": "1,387,786", "inception_cell": "13,034",
}


# exit codes ------------------------------------------------------------------------------
def test_clean_spec_exits_0(tmp_path, ldnn) -> None:
    run = ldnn("check", str(write(tmp_path / "ok.ldnn", VALID)))
    assert run.rc == 0
    assert run.err.strip() == "ldnn check: 1 file, 0 errors, 0 warnings: ok"


def test_errors_exit_1(tmp_path, ldnn) -> None:
    run = ldnn("check", str(write(tmp_path / "bad.ldnn", BROKEN)))
    assert run.rc == 1
    assert "error[E203]" in run.err and run.err.rstrip().endswith("failed")


def test_warnings_pass_unless_strict(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "warn.ldnn", WARNED))
    assert ldnn("check", path).rc == 0
    strict = ldnn("check", "--strict", path)
    assert strict.rc == 1
    assert "warning[W108]" in strict.err


@pytest.mark.parametrize("args", [["check", "--bogus", "x.ldnn"], ["check"], ["check", "--format", "xml", "x.ldnn"],
                                  ["frobnicate"]])
def test_usage_errors_exit_2(args, ldnn) -> None:
    run = ldnn(*args)
    assert run.rc == 2
    assert "usage:" in run.err


def test_version_is_the_package_version(ldnn) -> None:
    run = ldnn("--version")
    assert (run.rc, run.out) == (0, f"ldnn {ldnn_dsl.__version__}\n")


# paths -----------------------------------------------------------------------------------
def test_directories_recurse(tmp_path, ldnn) -> None:
    write(tmp_path / "a.ldnn", VALID)
    write(tmp_path / "deeper" / "still" / "b.ldnn", BROKEN)
    write(tmp_path / "deeper" / "notes.txt", "not a spec")
    run = ldnn("check", str(tmp_path))
    assert run.rc == 1
    assert "2 files, 1 error" in run.err
    assert str(Path("deeper") / "still" / "b.ldnn") in run.err


def test_dash_reads_stdin() -> None:
    ok = ldnn_process("check", "-", stdin=VALID.encode())
    assert ok.returncode == 0, ok.stderr.decode()
    bad = ldnn_process("check", "-", stdin=BROKEN.encode())
    assert bad.returncode == 1
    assert bad.stderr.decode().startswith("<stdin>:3:11: error[E203]: unknown activation `rleu`")


def test_a_file_named_twice_is_checked_once(tmp_path) -> None:
    """`check - -` would otherwise read stdin a second time and find no model in it; a file
    named and also found in its directory would be reported twice."""
    dashes = ldnn_process("check", "-", "-", stdin=VALID.encode())
    assert dashes.returncode == 0, dashes.stderr.decode()
    assert dashes.stderr.decode().strip() == "ldnn check: 1 file, 0 errors, 0 warnings: ok"
    bad = write(tmp_path / "bad.ldnn", BROKEN)
    twice = ldnn_process("check", str(tmp_path), str(bad), str(tmp_path / "." / "bad.ldnn"))
    assert twice.returncode == 1
    assert twice.stderr.decode().count("error[E203]") == 1
    assert "ldnn check: 1 file, 1 error" in twice.stderr.decode()


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_an_empty_path_is_no_file_not_the_current_folder(tmp_path, command: str) -> None:
    """`ldnn check "$SPEC"` with SPEC unset checked every spec under the working directory and
    could pass."""
    write(tmp_path / "ok.ldnn", VALID)
    run = ldnn_process(command, "", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.decode().startswith('"": error[E005]: the path is empty (an unset variable?)')


def test_stdin_with_use_resolves_from_the_working_directory(tmp_path) -> None:
    write(tmp_path / "lib.ldnn", "let width = 8\n")
    spec = 'use "lib.ldnn"\n' + VALID.replace("dense 8", "dense width")
    run = ldnn_process("check", "-", stdin=spec.encode(), cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode()


def test_a_use_path_starts_from_home_at_a_tilde(tmp_path, ldnn, monkeypatch) -> None:
    """`~` is the home folder in a `use` path, as it already was in a data path."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(tmp_path / "home" / "lib.ldnn", "let width = 8\n")
    spec = write(tmp_path / "spec.ldnn", 'use "~/lib.ldnn"\n' + VALID.replace("dense 8", "dense width"))
    run = ldnn("check", str(spec))
    assert run.rc == 0, run.err
    (tmp_path / "home" / "lib.ldnn").unlink()  # missing: the help names where it looked, no folder rule
    run = ldnn("check", str(spec))
    assert f"help: looked for `{tmp_path / 'home' / 'lib.ldnn'}`\n" in run.err, run.err


def test_shared_examples_check_clean(shared_examples, ldnn) -> None:
    run = ldnn("check", str(shared_examples))
    assert run.rc == 0, run.err
    assert " 0 errors" in run.err
    assert "error[" not in run.err


def test_summary_totals(shared_examples, ldnn) -> None:
    run = ldnn("check", "--summary", *(str(shared_examples / f"{name}.ldnn") for name in SUMMARY_TOTALS))
    assert run.rc == 0, run.err
    totals = re.findall(r"^model \S+ \((.+)\)$|^total parameters: ([\d,]+)$", run.out, re.MULTILINE)
    found = {}
    path = None
    for model_path, total in totals:
        if model_path:
            path = Path(model_path).stem
        else:
            found[path] = total
    assert found == SUMMARY_TOTALS


# formats ---------------------------------------------------------------------------------
def test_json_format(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "bad.ldnn", BROKEN))
    run = ldnn("check", "--format", "json", path)
    assert run.rc == 1
    document = json.loads(run.out)
    (diag,) = document["diagnostics"]
    assert diag["file"] == path
    assert diag["code"] == "E203"
    assert diag["severity"] == "error"
    assert (diag["span"]["line"], diag["span"]["col"], diag["span"]["end_col"]) == (3, 11, 15)
    assert "rleu" in diag["message"] and "relu" in diag["help"]


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_machine_formats_go_to_stdout(tmp_path, ldnn, fmt) -> None:
    """Like ruff's and eslint's: `ldnn check --format json x.ldnn > out.json` keeps the report."""
    run = ldnn("check", "--format", fmt, str(write(tmp_path / "bad.ldnn", BROKEN)))
    assert run.rc == 1
    assert run.err == ""
    assert "E203" in run.out


def test_json_format_of_a_clean_spec_is_a_document_too(tmp_path, ldnn) -> None:
    run = ldnn("check", "--format", "json", str(write(tmp_path / "ok.ldnn", VALID)))
    assert (run.rc, run.err, json.loads(run.out)) == (0, "", {"diagnostics": []})


def test_json_format_in_a_fresh_process_redirects_to_a_file(tmp_path) -> None:
    run = ldnn_process("check", "--format", "json", "-", stdin=BROKEN.encode())
    assert run.returncode == 1
    assert run.stderr == b""
    assert json.loads(run.stdout)["diagnostics"][0]["code"] == "E203"


def test_json_summary_is_part_of_the_document(shared_examples, ldnn, tmp_path) -> None:
    """With `--summary`, stdout stays one JSON document: the tables become its `models` list."""
    paths = [str(shared_examples / f"{name}.ldnn") for name in SUMMARY_TOTALS]
    run = ldnn("check", "--format", "json", "--summary", *paths, str(write(tmp_path / "bad.ldnn", BROKEN)))
    assert run.rc == 1 and run.err == ""
    document = json.loads(run.out)
    assert [d["code"] for d in document["diagnostics"] if d["severity"] == "error"] == ["E203"]
    models = document["models"]
    assert [m["file"] for m in models] == paths  # a spec with errors has no summary, as in the text tables
    assert {Path(m["file"]).stem: f"{m['total_params']:,}" for m in models} == SUMMARY_TOTALS
    parity = models[list(SUMMARY_TOTALS).index("parity")]
    assert parity["model"] == "parity"
    assert parity["layers"][0] == {"name": "input_1", "kind": "input", "shape": [16], "params": 0, "depth": 0}
    assert sum(layer["params"] for layer in parity["layers"]) == parity["total_params"]
    assert "models" not in json.loads(ldnn("check", "--format", "json", paths[0]).out)


def test_github_summary_keeps_the_tables(shared_examples, ldnn) -> None:
    run = ldnn("check", "--format", "github", "--summary", str(shared_examples / "parity.ldnn"))
    assert run.rc == 0 and run.err == ""
    assert "total parameters: 70,401" in run.out


def test_json_format_for_an_unreadable_file(tmp_path, ldnn) -> None:
    run = ldnn("check", "--format", "json", str(tmp_path / "missing.ldnn"))
    assert run.rc == 1
    (diag,) = json.loads(run.out)["diagnostics"]
    assert diag["code"] == "E005" and diag["file"] == str(tmp_path / "missing.ldnn")


IN_BLOCK = "block twice(c) {\n  dense c rleu\n}\n\nmodel m {\n  input [4]\n  twice(8)\n}\n"


def test_json_and_github_formats_carry_the_block_call(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "bad.ldnn", IN_BLOCK))
    (diag,) = json.loads(ldnn("check", "--format", "json", path).out)["diagnostics"]
    assert (diag["span"]["line"], diag["notes"]) == (2, [f"in block `twice`, called at {path}:7:3"])
    line = ldnn("check", "--format", "github", path).out.strip()
    assert line.startswith(f"::error file={github_property(path)},line=2,")
    assert line.endswith(f"; in block `twice`, called at {path}:7:3")


def test_github_format(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "bad.ldnn", BROKEN))
    run = ldnn("check", "--format", "github", path)
    assert run.rc == 1
    line = run.out.strip().splitlines()[0]
    assert line.startswith(f"::error file={github_property(path)},line=3,col=11,")
    assert "::[E203] unknown activation `rleu`" in line


def test_github_format_warnings(tmp_path, ldnn) -> None:
    run = ldnn("check", "--format", "github", str(write(tmp_path / "warn.ldnn", WARNED)))
    assert run.rc == 0
    assert run.out.startswith("::warning file=")


def github_property(value: str) -> str:
    """`value` escaped as a workflow command's property (the test's own copy of GitHub's rules)."""
    for raw, escaped in (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C")):
        value = value.replace(raw, escaped)
    return value


def test_github_format_escapes_the_file_property(tmp_path, ldnn) -> None:
    """A `,` or `:` in a file name would end the property or the command's properties early."""
    folder = tmp_path / "100%"
    path = str(write(folder / "a,b:c.ldnn", BROKEN))
    line = ldnn("check", "--format", "github", path).out.strip()
    escaped = str(folder).replace("%", "%25").replace(":", "%3A").replace(",", "%2C") + os.sep + "a%2Cb%3Ac.ldnn"
    assert line.startswith(f"::error file={escaped},line=3,col=11,endLine=3,endColumn=15,title=ldnn E203::")


def test_github_escapes_properties_and_message() -> None:
    from ldnn_dsl.source.diagnostics import error, render_github

    diag = error("E005", "50% done\r\nnext: a, b", path="x,y:z.ldnn", help="see a:b")
    assert render_github(diag) == ("::error file=x%2Cy%3Az.ldnn,title=ldnn E005::"
                                   "[E005] 50%25 done%0D%0Anext: a, b (see a:b)")
    assert render_github(error("E005", "no file")) == "::error title=ldnn E005::[E005] no file"


TABBED = "model m {\n\tinput\t[16]\n\tdense\t2\trleu\n}\n"


def test_text_column_is_the_character_column_like_json_and_github(tmp_path, ldnn) -> None:
    """Editors (and rustc) count a tab as one column: `3:10` lands on `rleu`, the caret still sits under it."""
    path = str(write(tmp_path / "tab.ldnn", TABBED))
    (diag,) = json.loads(ldnn("check", "--format", "json", path).out)["diagnostics"]
    assert (diag["span"]["line"], diag["span"]["col"]) == (3, 10)
    assert ",line=3,col=10," in ldnn("check", "--format", "github", path).out
    header, _, source, caret, *_ = ldnn("check", path).err.splitlines()
    assert header.startswith(f"{path}:3:10: error[E203]")
    assert TABBED.splitlines()[2][10 - 1:].startswith("rleu")
    assert caret.index("^") == source.index("rleu") and caret.count("^") == len("rleu")


# schema ----------------------------------------------------------------------------------
PYDANTIC_LIMITS = {"gt", "ge", "lt", "le"}


def schema_keywords(node: object, names: bool = False) -> set[str]:
    """Every keyword used anywhere in a JSON Schema, skipping the names under `properties` and `$defs`."""
    if isinstance(node, list):
        return set().union(*(schema_keywords(item) for item in node))
    if not isinstance(node, dict):
        return set()
    found = set() if names else set(node)
    return found.union(*(schema_keywords(v, k in ("properties", "$defs") and not names) for k, v in node.items()))


@pytest.fixture
def spec_schema(ldnn) -> dict:
    run = ldnn("schema")
    assert run.rc == 0, run.err
    return json.loads(run.out)


def test_schema_is_draft_2020_12_with_json_schema_limits(spec_schema) -> None:
    assert spec_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert not schema_keywords(spec_schema) & PYDANTIC_LIMITS  # validators ignore them: the limits would be lost
    defs = spec_schema["$defs"]
    assert defs["Dense"]["properties"]["units"]["exclusiveMinimum"] == 0
    assert {k: v for k, v in defs["Dropout"]["properties"]["rate"].items() if "imum" in k} == {
        "minimum": 0, "exclusiveMaximum": 1}
    assert (defs["SortSource"]["properties"]["bits"]["minimum"], defs["SortSource"]["properties"]["bits"]["maximum"]) \
        == (1, 16)
    l2 = defs["Dense"]["properties"]["l2"]["anyOf"][0]
    clip = defs["TrainSection"]["properties"]["clip_norm"]["anyOf"][0]
    assert (l2["minimum"], "exclusiveMinimum" in l2) == (0, False)  # the tighter of `ge=0` and float32's lowest
    assert (clip["exclusiveMinimum"], "minimum" in clip) == (0, False)


def test_schema_keywords_skips_property_names() -> None:
    schema = {"$defs": {"gt": {"properties": {"le": {"ge": 1}}}}}
    assert schema_keywords(schema) == {"$defs", "properties", "ge"}


def test_schema_validates_the_specs_and_enforces_limits(spec_schema, repo_root, shared_examples) -> None:
    """Every checked spec here, dumped as JSON, is valid; the same dump with `dense 0` is not."""
    jsonschema = pytest.importorskip("jsonschema")
    from ldnn_dsl.check.check import check_source
    from ldnn_dsl.source.text import read

    jsonschema.Draft202012Validator.check_schema(spec_schema)
    validator = jsonschema.Draft202012Validator(spec_schema)
    paths = sorted([*repo_root.glob("specs/*.ldnn"), *shared_examples.glob("*.ldnn")])
    dumps = [check_source(read(str(path))).spec for path in paths]
    assert len(paths) >= 10 and None not in dumps
    for path, spec in zip(paths, dumps, strict=True):
        errors = [e.message for e in validator.iter_errors(spec.model_dump(mode="json", by_alias=True))]
        assert not errors, f"{path}: {errors[:3]}"
    dump = dumps[0].model_dump(mode="json", by_alias=True)
    dense = next(node["layer"] for node in dump["model"]["body"] if node.get("layer", {}).get("kind") == "dense")
    dense["units"] = 0
    assert not validator.is_valid(dump)
    dense["units"] = 2**31  # past what TensorFlow can index: `ldnn check` says E202, and so does the schema
    assert not validator.is_valid(dump)
    dense["units"] = 4
    assert validator.is_valid(dump)
    for option, value in (("l2", -5.0), ("max_norm", 0.0), ("name", "my layer!")):  # each refused by the checker
        assert not validator.is_valid({**dump, "model": {**dump["model"], "body": [
            {**node, "layer": {**node["layer"], option: value}} if node.get("layer") is dense else node
            for node in dump["model"]["body"]]}}), option
    trained = next(spec.model_dump(mode="json", by_alias=True) for spec in dumps if spec.train is not None)
    assert validator.is_valid(trained)
    trained["train"]["lr"] = 1e39  # past float32
    assert not validator.is_valid(trained)


# imports ---------------------------------------------------------------------------------
def test_check_never_imports_tensorflow(shared_examples) -> None:
    """Nor NumPy: the checker's cost is lark and pydantic, and a data module imported by mistake shows here."""
    path = str(shared_examples / "convnet.ldnn")
    code = ("import sys; from ldnn_dsl.cli import main; rc = main(['check', " + repr(path) + "]); "
            "assert not {'tensorflow', 'keras', 'numpy'} & set(sys.modules), "
            "sorted(m for m in sys.modules if 'tensor' in m or 'keras' in m or 'numpy' in m); print('clean')")
    run = fresh_python(code)
    assert run.stdout.strip() == "clean"


@pytest.mark.parametrize("options", [["--summary"], ["--summary", "--format", "json"], ["--format", "github"]])
def test_check_of_every_spec_in_every_output_never_imports_a_backend(shared_examples, options: list[str]) -> None:
    """Every spec of the repository and the shared examples (built-in sources, recurrent layers,
    branches), with each way of printing: NumPy may load for a built-in source's targets, the
    backends never."""
    paths = [str(ROOT / "specs"), str(shared_examples)]
    code = ("import sys; from ldnn_dsl.cli import main; main(['check', *" + repr(options + paths) + "]); "
            "assert not {'tensorflow', 'keras', 'jax', 'torch'} & set(sys.modules), "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'jax', 'torch')); "
            "print('clean', file=sys.stderr)")
    run = fresh_python(code)
    assert run.stderr.strip().endswith("clean"), run.stderr[-2000:]


def test_the_command_line_starts_before_the_checker_loads() -> None:
    """`import ldnn_dsl` and the `ldnn` entry point load neither lark nor pydantic: the checker
    loads inside `main`, where a Ctrl-C is an interruption, not a traceback."""
    code = ("import sys, ldnn_dsl.cli; heavy = {'lark', 'pydantic', 'ldnn_dsl.api'} & set(sys.modules); "
            "assert not heavy, heavy; ldnn_dsl.load; assert 'ldnn_dsl.api' in sys.modules; print('light')")
    assert fresh_python(code).stdout.strip() == "light"


def test_the_api_names_are_the_functions_whatever_was_imported_first() -> None:
    """`check` and `train` are subpackages too: importing their modules first must not turn the
    API's names into the packages."""
    code = ("import ldnn_dsl.check.lints, ldnn_dsl.train.stopping, ldnn_dsl; "
            "from ldnn_dsl import check, train; import ldnn_dsl.train.run; "
            "assert callable(ldnn_dsl.check) and callable(ldnn_dsl.train) and callable(check) and callable(train); "
            "assert ldnn_dsl.check('model m {\\n  input [2]\\n  dense 1\\n}\\n').spec is not None; "
            "import importlib; importlib.reload(ldnn_dsl); assert callable(ldnn_dsl.check); print('functions')")
    assert fresh_python(code).stdout.strip() == "functions"


def test_ctrl_c_while_the_checker_loads_is_an_interruption() -> None:
    """A Ctrl-C that arrives while the subcommands load is held until they have, then reported
    as any other interruption (130), not raised inside an extension module's import. In a fresh
    process, as `ldnn` starts: its only thread is the one that holds the signal."""
    code = """
        import os, signal
        from ldnn_dsl import cli

        loaded, finished = cli.parser, []

        def pressed_while_loading():
            os.kill(os.getpid(), signal.SIGINT)
            commands = loaded()  # still runs whole: the press is held
            finished.append(True)
            return commands

        cli.parser = pressed_while_loading
        status = cli.main(["check", "-"])
        assert (status, finished) == (130, [True]), (status, finished)
        print("held")
        """
    run = fresh_python(code)
    assert run.stdout.strip() == "held" and run.stderr.strip().endswith("ldnn: interrupted"), run.stderr


def test_a_signal_after_the_command_is_done_waits_for_the_exit(shared_examples) -> None:
    """A Ctrl-C or SIGTERM while the interpreter shuts down (here from an exit handler, as
    JAX's runs) interrupted that handler with a traceback, or killed a process whose work was done."""
    path = str(shared_examples / "convnet.ldnn")
    code = f"""
        import atexit, os, signal, sys
        sys.argv = ["ldnn", "check", {path!r}]
        atexit.register(lambda: [os.kill(os.getpid(), s) for s in (signal.SIGINT, signal.SIGTERM)])
        from ldnn_dsl.cli import entry
        entry()
        """
    run = fresh_python(code)
    assert "Exception ignored" not in run.stderr and "KeyboardInterrupt" not in run.stderr, run.stderr


# bad input never gives a traceback -------------------------------------------------------
def assert_diagnosed(run, code: str | None = None, limit: float | None = None, elapsed: float = 0.0) -> None:
    assert run.rc == 1, run.err
    assert "Traceback" not in run.err and "Traceback" not in run.out
    assert re.search(r"error\[E\d{3}\]", run.err), run.err
    if code is not None:
        assert f"error[{code}]" in run.err, run.err
    if limit is not None:
        assert elapsed < limit, f"took {elapsed:.1f}s"


@pytest.mark.parametrize(("name", "data", "code"), [
    ("latin1.ldnn", "model m {\n  input [16]  # größe\n}\n".encode("latin-1"), "E002"),
    ("nul.ldnn", b"model m {\n  input [16]\x00\n}\n", "E002"),
    ("empty.ldnn", b"", "E104"),
    ("blank.ldnn", b"\n\n   \n", "E104"),
    ("bom_only.ldnn", b"\xef\xbb\xbf", "E104"),
    ("lone_brace.ldnn", b"}", "E001"),
    ("unclosed_string.ldnn", b'data {\n  source npz("x.npz\n}\n', "E001"),
])
def test_bad_bytes(tmp_path, ldnn, name, data, code) -> None:
    assert_diagnosed(ldnn("check", str(write(tmp_path / name, data))), code)


def _filled(head: bytes, unit: bytes, tail: bytes = b"") -> bytes:
    """`head`, then `unit` as often as fits, then `tail`: a file just under the size limit."""
    return head + unit * ((MAX_BYTES - len(head) - len(tail)) // len(unit)) + tail


@pytest.mark.parametrize("kind", ["garbage", "comments", "lets"])
def test_files_just_under_the_size_limit(tmp_path, ldnn, kind, shared_examples) -> None:
    """The largest specs ldnn reads are read whole, quickly: garbage is diagnosed, a spec padded
    with comments or with ten thousand `let`s checks clean."""
    valid = (shared_examples / "parity.ldnn").read_bytes()
    if kind == "garbage":
        rng = random.Random(0)
        alphabet = b"abcxyz0123456789 {}[]()=,+-*/#%.\"\n\tmodel dense input repeat"
        data = _filled(b"", bytes(rng.choice(alphabet) for _ in range(1 << 12)))
    elif kind == "comments":
        data = _filled(valid, b"# " + b"x" * 77 + b"\n")
    else:
        lets = b"".join(b"let pad%d = %d * 2 + 1\n" % (i, i) for i in range(20_000))
        data = lets[: lets.rindex(b"\n", 0, MAX_BYTES - len(valid)) + 1] + valid
    assert MAX_BYTES - 100 <= len(data) <= MAX_BYTES
    path = str(write(tmp_path / f"{kind}.ldnn", data))
    start = time.perf_counter()
    run = ldnn("check", path)
    elapsed = time.perf_counter() - start
    if kind == "garbage":
        assert_diagnosed(run)
    else:
        assert run.rc == 0 and "Traceback" not in run.err, run.err[-2000:]
    assert elapsed < 20, f"took {elapsed:.1f}s"


@pytest.mark.parametrize(("name", "text"), [
    ("repeat", "model m {\n  input [4]\n" + "repeat 1 {\n" * 1000 + "dense 2\n" + "}\n" * 1000 + "}\n"),
    ("repeat_unclosed", "model m {\n  input [4]\n" + "repeat 1 {\n" * 1000),
    ("parens", "let x = " + "(" * 1000 + "1" + ")" * 1000 + "\nmodel m {\n  input [4]\n  dense x\n}\n"),
    ("parens_unclosed", "let x = " + "(" * 1000 + "1\n"),
    ("minus", "let x = " + "-" * 1000 + "1\nmodel m {\n  input [4]\n  dense x\n}\n"),
    ("lists", "model m {\n  input " + "[" * 1000 + "4" + "]" * 1000 + "\n}\n"),
    ("residual", "model m {\n  input [4]\n" + "residual {\n" * 1000 + "dense 4\n" + "}\n" * 1000 + "}\n"),
])
def test_deep_nesting(tmp_path, ldnn, name, text) -> None:
    run = ldnn("check", str(write(tmp_path / f"{name}.ldnn", text)))
    assert "Traceback" not in run.err
    if name != "parens":  # 1,000 parentheses nest no tree: `x` is 1, and the spec is fine
        assert_diagnosed(run)
    else:
        assert run.rc == 0, run.err


def test_a_long_chain_of_blocks_names_its_innermost_calls(tmp_path, ldnn) -> None:
    chain = "block b0(c) {\n  dense c rleu\n}\n"
    chain += "".join(f"block b{i}(c) {{\n  b{i - 1}(c)\n}}\n" for i in range(1, 6))
    path = write(tmp_path / "chain.ldnn", chain + "model m {\n  input [4]\n  b5(8)\n}\n")
    notes = [line.strip() for line in ldnn("check", str(path)).err.splitlines() if "= note:" in line]
    assert notes == [f"= note: in block `b{i}`, called at {path}:{3 * i + 5}:3" for i in range(3)] + [
        "= note: ... and 3 enclosing block calls"]


def test_missing_file(tmp_path, ldnn) -> None:
    path = str(tmp_path / "nowhere.ldnn")
    run = ldnn("check", path)
    assert_diagnosed(run, "E005")
    assert run.err.startswith(f"{path}: error[E005]: no such file")


def test_a_missing_file_names_the_one_of_a_close_name(tmp_path, ldnn) -> None:
    write(tmp_path / "mnist.ldnn", "model m {\n  input [4]\n  dense 2\n}\n")
    run = ldnn("check", str(tmp_path / "minst.ldnn"))
    assert_diagnosed(run, "E005")
    assert f"= help: did you mean `{tmp_path / 'mnist.ldnn'}`?" in run.err


def test_a_missing_file_is_not_offered_a_name_that_shares_only_its_suffix(tmp_path, ldnn) -> None:
    for name in ("tgt.ldnn", "net.ldnn", "nothing.csv"):
        write(tmp_path / name, "model m {\n  input [4]\n  dense 2\n}\n")
    run = ldnn("check", str(tmp_path / "nothing.ldnn"))
    assert f"= help: did you mean `{tmp_path / 'nothing.csv'}`?" in run.err  # the same stem, though
    write(tmp_path / "other.ldnn", "use \"missing.ldnn\"\nmodel m {\n  input [4]\n  dense 2\n}\n")
    run = ldnn("check", str(tmp_path / "other.ldnn"))
    assert_diagnosed(run, "E005")
    assert "did you mean" not in run.err, run.err


def test_a_missing_file_is_never_offered_itself_or_a_folder(tmp_path, ldnn) -> None:
    (tmp_path / "dangling.ldnn").symlink_to(tmp_path / "nowhere.ldnn")
    (tmp_path / "data").mkdir()
    for name in ("dangling.ldnn", "data.ldnn"):
        run = ldnn("check", str(tmp_path / name))
        assert_diagnosed(run, "E005")
        assert "did you mean" not in run.err, run.err


def test_a_path_the_os_cannot_look_up(tmp_path, ldnn) -> None:
    """A name too long to stat: every command says so (E005), none shows a traceback."""
    path = str(tmp_path / ("a" * 300 + ".ldnn"))
    for args in (("check", path), ("fmt", "--check", path)):
        run = ldnn(*args)
        assert "Traceback" not in run.err and run.rc == 1, run.err
        assert run.err.startswith(f"{path}: error[E005]: cannot read the file: File name too long"), run.err


def test_a_file_past_the_size_limit_is_refused_unread(tmp_path, ldnn) -> None:
    from ldnn_dsl.source.text import MAX_BYTES

    path = tmp_path / "big.ldnn"
    path.write_text("# " + "x" * MAX_BYTES + "\n")
    run = ldnn("check", str(path))
    assert run.rc == 1 and run.err.startswith(f"{path}: error[E004]: file is {MAX_BYTES + 3:,} bytes"), run.err
    piped = ldnn_process("check", "-", stdin=path.read_bytes())
    err = piped.stderr.decode()
    assert piped.returncode == 1 and err.startswith(f"<stdin>: error[E004]: file is over {MAX_BYTES:,} bytes"), err


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
def test_devices_and_pipes_are_refused_not_read_forever(tmp_path, ldnn) -> None:
    """`/dev/zero` would be read until the memory is full; a pipe without a writer waited on."""
    fifo = tmp_path / "pipe.ldnn"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        run = ldnn("check", path)
        assert run.rc == 1 and "Traceback" not in run.err, run.err
        assert run.err.startswith(f"{path}: error[E005]: is not a regular file"), run.err


def test_old_mac_line_ends_are_line_ends(tmp_path, ldnn) -> None:
    """A lone CR ends a line, as it did on old Macs: the finding is on line 3, and no CR reaches the terminal."""
    path = tmp_path / "cr.ldnn"
    path.write_bytes(b"model a {\r  input [3]\r  dense 2 rleu\r}\r")
    run = ldnn("check", str(path))
    assert run.err.startswith(f"{path}:3:11: error[E203]: unknown activation `rleu`") and "\r" not in run.err, run.err


def test_directory_without_specs(tmp_path, ldnn) -> None:
    write(tmp_path / "README.md", "no specs here")
    run = ldnn("check", str(tmp_path))
    assert "Traceback" not in run.err
    assert_diagnosed(run, "E005")
    assert run.err.startswith(f"{tmp_path}: error[E005]: no .ldnn files in this directory")


def test_directory_passed_as_a_file(tmp_path, ldnn) -> None:
    folder = tmp_path / "spec.ldnn"
    folder.mkdir()
    write(folder / "inner.ldnn", VALID)
    run = ldnn("check", str(folder))  # a directory named like a spec recurses into it
    assert run.rc == 0, run.err
    assert "1 file, 0 errors" in run.err
    assert ldnn("check", str(tmp_path)).rc == 0  # and is not taken for a spec when its parent recurses
    from ldnn_dsl.source.diagnostics import DiagnosticError
    from ldnn_dsl.source.text import read

    with pytest.raises(DiagnosticError) as exc:
        read(folder)
    assert exc.value.diagnostics[0].code == "E005"


def test_use_of_a_directory(tmp_path, ldnn) -> None:
    (tmp_path / "lib").mkdir()
    run = ldnn("check", str(write(tmp_path / "spec.ldnn", 'use "lib"\n' + VALID)))
    assert_diagnosed(run, "E005")
    assert 'cannot use "lib": is a directory' in run.err


def test_a_bug_in_ldnn_says_so_beside_its_traceback(ldnn, monkeypatch) -> None:
    """Not the author's mistake: the traceback stays (it is what a bug report needs), with the
    line that says whose it is, and exit status 70 rather than a spec error's 1."""
    from ldnn_dsl.commands import check_cmd

    def broken(args: object) -> int:
        raise TypeError("a bug")

    monkeypatch.setattr(check_cmd, "run", broken)
    run = ldnn("check", "specs/sort.ldnn")
    assert run.rc == 70, run
    assert "Traceback" in run.err and "TypeError: a bug" in run.err
    assert run.err.rstrip().endswith("please report it with the spec and the command"), run.err


EXAMPLE_MODEL = "model m {\n  input [8, 8, 1]\n  conv 4 3x3 relu\n  flatten\n  dense 3 softmax\n}\n"
EXAMPLE_SECTIONS = {"init": "", "data": '  source npz("d.npz", x=x, y=y)\n  validate 10%\n',
                    "train": "  loss sparse_categorical_crossentropy\n"}


@pytest.mark.parametrize(("section", "setting"), [(section, info.alias or key)
                                                  for section, cls in SECTION_MODELS.items()
                                                  for key, info in cls.model_fields.items()])
def test_a_setting_left_without_a_value_is_shown_a_valid_example(tmp_path: Path, section: str, setting: str) -> None:
    """E206's help writes a line out for every setting; the line it writes is valid where it is."""
    example = SECTION_MODELS[section].examples[setting]
    assert example.split()[0] == setting
    np_file = tmp_path / "d.npz"
    np_file.write_bytes(b"")  # there, for the checker; its contents are read only by `train`
    body = {**EXAMPLE_SECTIONS, section: EXAMPLE_SECTIONS[section].replace(f"  {setting} ", "  # ")}
    bare = body | {section: body[section] + f"  {setting}\n"}
    spec = tmp_path / "s.ldnn"
    spec.write_text(EXAMPLE_MODEL + "".join(f"{name} {{\n{text}}}\n" for name, text in bare.items()))
    [missing] = ldnn_dsl.check(spec).diagnostics
    assert (missing.code, missing.help) == ("E206", f"for example `{example}`")
    given = body | {section: body[section] + f"  {example}\n"}
    spec.write_text(EXAMPLE_MODEL + "".join(f"{name} {{\n{text}}}\n" for name, text in given.items()))
    assert [d for d in ldnn_dsl.check(spec).diagnostics if d.severity == "error"] == []
