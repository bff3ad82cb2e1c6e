"""`ldnn check` as users and CI run it: exit codes, paths, formats, summaries, and bad input."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import fresh_python, write

VALID = "model m {\n  input [16]\n  dense 8 relu\n  dense 1 sigmoid\n}\n"
BROKEN = "model m {\n  input [16]\n  dense 8 rleu\n}\n"
WARNED = VALID + "\ndata {\n  source parity(bits=16, samples=1000)\n}\n\ntrain {\n  loss binary_crossentropy\n}\n"
SUMMARY_TOTALS = {
    "sort10x6": "1,768,064", "parity": "70,401", "char_lstm": "3,336,288", "convnet": "3,248,202",
    "deep_residual": "1,387,786", "inception_cell": "13,034",
}


def ldnn_process(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """`python -m ldnn_dsl ARGS...` as a fresh process (for stdin and import isolation)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "ldnn_dsl", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=timeout, check=False)


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


def test_stdin_with_use_resolves_from_the_working_directory(tmp_path) -> None:
    write(tmp_path / "lib.ldnn", "let width = 8\n")
    spec = 'use "lib.ldnn"\n' + VALID.replace("dense 8", "dense width")
    run = ldnn_process("check", "-", stdin=spec.encode(), cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode()


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
    document = json.loads(run.err)
    (diag,) = document["diagnostics"]
    assert diag["file"] == path
    assert diag["code"] == "E203"
    assert diag["severity"] == "error"
    assert (diag["span"]["line"], diag["span"]["col"], diag["span"]["end_col"]) == (3, 11, 15)
    assert "rleu" in diag["message"] and "relu" in diag["help"]


def test_json_format_for_an_unreadable_file(tmp_path, ldnn) -> None:
    run = ldnn("check", "--format", "json", str(tmp_path / "missing.ldnn"))
    assert run.rc == 1
    (diag,) = json.loads(run.err)["diagnostics"]
    assert diag["code"] == "E005" and diag["file"] == str(tmp_path / "missing.ldnn")


IN_BLOCK = "block twice(c) {\n  dense c rleu\n}\n\nmodel m {\n  input [4]\n  twice(8)\n}\n"


def test_json_and_github_formats_carry_the_block_call(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "bad.ldnn", IN_BLOCK))
    (diag,) = json.loads(ldnn("check", "--format", "json", path).err)["diagnostics"]
    assert (diag["span"]["line"], diag["notes"]) == (2, [f"in block `twice`, called at {path}:7:3"])
    line = ldnn("check", "--format", "github", path).err.strip()
    assert line.startswith(f"::error file={path},line=2,")
    assert line.endswith(f"; in block `twice`, called at {path}:7:3")


def test_github_format(tmp_path, ldnn) -> None:
    path = str(write(tmp_path / "bad.ldnn", BROKEN))
    run = ldnn("check", "--format", "github", path)
    assert run.rc == 1
    line = run.err.strip().splitlines()[0]
    assert line.startswith(f"::error file={path},line=3,col=11,")
    assert "::[E203] unknown activation `rleu`" in line


def test_github_format_warnings(tmp_path, ldnn) -> None:
    run = ldnn("check", "--format", "github", str(write(tmp_path / "warn.ldnn", WARNED)))
    assert run.rc == 0
    assert run.err.startswith("::warning file=")


# imports ---------------------------------------------------------------------------------
def test_check_never_imports_tensorflow(shared_examples) -> None:
    """Nor NumPy: the checker's cost is lark and pydantic, and a data module imported by mistake shows here."""
    path = str(shared_examples / "convnet.ldnn")
    code = ("import sys; from ldnn_dsl.cli import main; rc = main(['check', " + repr(path) + "]); "
            "assert not {'tensorflow', 'keras', 'numpy'} & set(sys.modules), "
            "sorted(m for m in sys.modules if 'tensor' in m or 'keras' in m or 'numpy' in m); print('clean')")
    run = fresh_python(code)
    assert run.stdout.strip() == "clean"


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


def _ten_megabytes_of_garbage() -> bytes:
    rng = random.Random(0)
    alphabet = b"abcxyz0123456789 {}[]()=,+-*/#%.\"\n\tmodel dense input repeat"
    return bytes(rng.choice(alphabet) for _ in range(1 << 16)) * 160


@pytest.mark.parametrize("kind", ["garbage", "comments", "lets"])
def test_ten_megabyte_files(tmp_path, ldnn, kind, shared_examples) -> None:
    valid = (shared_examples / "parity.ldnn").read_text()
    if kind == "garbage":
        data = _ten_megabytes_of_garbage()
    elif kind == "comments":
        data = (valid + ("# " + "x" * 77 + "\n") * 125_000).encode()
    else:
        data = ("".join(f"let pad{i} = {i} * 2 + 1\n" for i in range(500_000)) + valid).encode()
    assert len(data) >= 10_000_000
    path = str(write(tmp_path / f"{kind}.ldnn", data))
    start = time.perf_counter()
    run = ldnn("check", path)
    assert_diagnosed(run, limit=5.0, elapsed=time.perf_counter() - start)


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
