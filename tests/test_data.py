"""The data stage: built-in tasks, npz/csv files, splits, preprocessing, fit checks, baseline.

Every failure must be one E405 diagnostic naming the file and the problem; the tests pin the
phrases a user relies on. Data is small and made in `tmp_path`, so the module runs in seconds.
"""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import write

from ldnn_dsl import check
from ldnn_dsl.check.data_section import DataSection
from ldnn_dsl.data import Splits, baseline, fit_report, load_data
from ldnn_dsl.data.baseline import beats_baseline, net_score
from ldnn_dsl.data.csvfile import load_csv
from ldnn_dsl.data.files import load_npz
from ldnn_dsl.data.fit import Vocab
from ldnn_dsl.data.generators import parity_task, sort_task
from ldnn_dsl.data.preprocess import standardize_stats
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import resolve

SPAN = Span(path="spec.ldnn", line=3, col=14, end_line=3, end_col=40)


def section(source: dict[str, Any], **settings: Any) -> DataSection:
    return DataSection.model_validate({"source": source, **settings})


def sort_source(samples: int = 1000) -> dict[str, Any]:
    return {"name": "sort", "count": 3, "bits": 4, "samples": samples}


def e405(raised: pytest.ExceptionInfo[DiagnosticError]) -> str:
    """The one diagnostic's message, after checking it is an E405."""
    (diag,) = raised.value.diagnostics
    assert diag.code == "E405"
    return diag.message


def save_npz(path: Path, **arrays: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


# generators ------------------------------------------------------------------------------
def test_sort_is_deterministic_in_its_seed() -> None:
    a, b, c = sort_task(3, 4, 50, seed=7), sort_task(3, 4, 50, seed=7), sort_task(3, 4, 50, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_sort_targets_are_the_sorted_inputs_and_bits_decode_msb_first() -> None:
    x, y = sort_task(count=5, bits=6, samples=200, seed=1)
    assert x.shape == (200, 30) and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert y.shape == (200, 5) and y.dtype == np.int32
    values = (x.reshape(200, 5, 6) * 2 ** np.arange(5, -1, -1)).sum(axis=-1).astype(np.int32)
    assert np.array_equal(y, np.sort(values, axis=1))
    assert y.max() < 64 and y.min() >= 0


def test_parity_targets_are_the_parity_of_the_bits() -> None:
    x, y = parity_task(bits=9, samples=300, seed=3)
    assert x.shape == (300, 9) and x.dtype == np.float32
    assert y.shape == (300, 1) and y.dtype == np.float32
    assert np.array_equal(y[:, 0], x.sum(axis=1) % 2)
    assert np.array_equal(parity_task(9, 300, 3)[0], x)


def test_data_too_large_for_memory_is_e405_at_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """NumPy's MemoryError while the data load was reported as running out of memory while
    training, at `batch`, whose help (a smaller batch) cannot help."""
    import ldnn_dsl.data.sources as sources

    def too_large(*_: Any) -> Any:
        raise MemoryError("Unable to allocate 447. GiB for an array with shape (2000000000, 60) and data type float32")

    monkeypatch.setattr(sources, "sort_task", too_large)
    with pytest.raises(DiagnosticError) as raised:
        load_data(section(sort_source(2_000_000_000)), "s.ldnn", SPAN)
    assert e405(raised) == ("not enough memory for the data: Unable to allocate 447. GiB for an array with shape "
                            "(2000000000, 60) and data type float32")
    assert raised.value.diagnostics[0].span == SPAN


# files -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("count", "bits", "loss", "codes"), [
    (2**31 - 1, 1, "mse", {"E405"}),  # the input and the output misfit the sample and its targets
    (2**25, 2, "kl_divergence", {"E405"}),  # targets up to 3, outside [0, 1]: counted a slice at a time
    (2**25, 1, "mse", set()),  # shapes fit, and every value rule runs
])
def test_a_huge_sort_count_is_checked_without_making_its_targets(count: int, bits: int, loss: str,
                                                                  codes: set[str]) -> None:
    """The checker reads a generator's targets for their shape and range only; it made them as
    lists of `count` numbers, which for 2**31 - 1 took 24 GB before the process was killed."""
    import tracemalloc

    size = count * bits
    model = (f"model m {{\n  input [{size}]\n  reshape [{count}, {bits}]\n  dense 1\n  flatten\n}}\n"
             if count < 2**30 else "model m {\n  input [4]\n  dense 1\n}\n")
    spec = f"{model}data {{\n  source sort(count={count}, bits={bits}, samples=1)\n}}\ntrain {{\n  loss {loss}\n}}\n"
    tracemalloc.start()
    try:
        diagnostics = check(spec).diagnostics
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert {d.code for d in diagnostics if d.severity == "error"} == codes, [d.message for d in diagnostics]
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_npz_paths_are_relative_to_the_spec(tmp_path: Path) -> None:
    x, y = np.arange(20, dtype=np.float64).reshape(10, 2), np.arange(10)
    save_npz(tmp_path / "specs" / "data" / "train.npz", x_train=x, y_train=y)
    data = section({"name": "npz", "path": "data/train.npz", "x": "x_train", "y": "y_train"})
    splits = load_data(data, str(tmp_path / "specs" / "model.ldnn"))
    assert splits.x_train.dtype == np.float32 and splits.y_train.dtype == np.int32
    assert sorted(splits.x_train[:, 0].tolist()) == x[:, 0].tolist()
    assert np.array_equal(splits.x_train[:, 0] / 2, splits.y_train)  # rows stay paired through the shuffle


def test_stdin_specs_resolve_against_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve("-", "a.npz") == tmp_path / "a.npz"
    assert resolve("<stdin>", "d/a.npz") == tmp_path / "d" / "a.npz"
    assert resolve("/elsewhere/spec.ldnn", "a.npz") == Path("/elsewhere/a.npz")
    assert resolve("spec.ldnn", "/abs/a.npz") == Path("/abs/a.npz")


def test_csv_target_by_name_or_index(tmp_path: Path) -> None:
    file = write(tmp_path / "houses.csv", "rooms,price,age\n3,100.5,10\n4, 200 ,20\n\n5,300,30\n")
    x, y = load_csv(file, "price")
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert x.tolist() == [[3, 10], [4, 20], [5, 30]] and y.tolist() == [100.5, 200, 300]
    x, y = load_csv(file, 0)
    assert y.tolist() == [3, 4, 5] and x.shape == (3, 2)
    assert load_csv(file)[1].tolist() == [10, 20, 30]  # default: the last column


def test_a_numeric_target_that_is_also_a_column_name_says_which_it_means(tmp_path: Path) -> None:
    """`header=true` over columns named `1,0`: `target=1` took column 1 by position, `0`, in silence."""
    file = write(tmp_path / "n.csv", "1,0\n5,7\n6,8\n")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, 1, header=True)
    (diag,) = raised.value.diagnostics
    assert diag.message == (f"`target=1` is column 1 by position, `0`, but `{file}` also has a column named `1` "
                            "(column 0)")
    assert diag.help == 'write `target="1"` for the column named `1`, or `target=-1` for column 1'
    with pytest.raises(DiagnosticError) as raised:  # the other index is a name too: only the name's form
        load_csv(write(tmp_path / "neg.csv", "-1,1\n5,7\n"), -1, header=True)
    assert raised.value.diagnostics[0].message.startswith("`target=-1` is column 1 by position, `1`, but")
    assert raised.value.diagnostics[0].help == 'write `target="-1"` for the column named `-1`'

    assert load_csv(file, "1", header=True)[1].tolist() == [5, 6]
    assert load_csv(file, -1, header=True)[1].tolist() == [7, 8]
    assert load_csv(file, 1, header=False)[1].tolist() == [0, 7, 8]  # no names: positions only
    with pytest.raises(DiagnosticError) as raised:
        load_csv(write(tmp_path / "five.csv", "1,2,3,4,5\n1,2,3,4,5\n"), 5, header=True)
    assert raised.value.diagnostics[0].help == 'for the column named `5`, write `target="5"`'


def test_csv_source_loads_through_the_data_section(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{2 * i}" for i in range(40))
    write(tmp_path / "d.csv", f"a,b\n{rows}\n")
    splits = load_data(section({"name": "csv", "path": "d.csv", "target": "b"}, validate=0.25), str(tmp_path / "s"))
    assert splits.x_train.shape == (30, 1) and splits.x_val is not None and splits.x_val.shape == (10, 1)
    assert np.array_equal(splits.y_train, 2 * splits.x_train[:, 0])


def test_a_csv_without_a_header_row_reads_every_row_by_index(tmp_path: Path) -> None:
    """numpy's savetxt writes no header: `header=false` keeps the first row as a sample."""
    rows = "\n".join(f"{i},{2 * i}" for i in range(40))
    write(tmp_path / "d.csv", f"{rows}\n")
    splits = load_data(section({"name": "csv", "path": "d.csv", "header": False}, validate=0.25), str(tmp_path / "s"))
    assert splits.x_train.shape == (30, 1) and splits.x_val is not None and splits.x_val.shape == (10, 1)
    assert 0 in splits.x_train[:, 0].tolist() + splits.x_val[:, 0].tolist()
    x, y = load_csv(write(tmp_path / "n.csv", "1,2,3\n4,5,6\n"), 0, header=False)
    assert x.tolist() == [[2, 3], [5, 6]] and y.tolist() == [1, 4]


def test_a_first_row_of_numbers_is_taken_as_names_only_when_told(tmp_path: Path) -> None:
    """pandas writes `0,1,2` as the names of an unnamed frame's columns; left unsaid, such a row
    is refused rather than dropped as a header or trained on as a sample."""
    file = write(tmp_path / "p.csv", "\n0,1,2\n4,5,6\n")
    x, y = load_csv(file, "2", header=True)
    assert x.tolist() == [[4, 5]] and y.tolist() == [6]
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, span=SPAN, written="p.csv")
    assert "`p.csv`, line 2: the first row is all numbers (`0,1,2`), so it is unclear whether it is a header" in (
        e405(raised))
    assert raised.value.diagnostics[0].help == ("write `header=false` if the file has no header row, or `header=true` "
                                                "if these are the column names")


def test_a_headerless_csv_names_its_columns_by_position(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as raised:
        load_csv(write(tmp_path / "r.csv", "1,2\n3,x\n"), header=False, span=SPAN)
    assert "line 2, the 2nd column (no name): `x` is not a finite number" in e405(raised)
    with pytest.raises(DiagnosticError) as raised:
        load_csv(write(tmp_path / "r.csv", "1,2\n3\n"), header=False, span=SPAN)
    assert "line 2: 1 cells but line 1 has 2 columns" in e405(raised)
    with pytest.raises(DiagnosticError) as raised:
        load_csv(write(tmp_path / "r.csv", "1;2\n3;4\n"), header=False, span=SPAN)
    assert raised.value.diagnostics[0].help == ("the file seems to be separated by `;`; "
                                                "ldnn reads comma-separated values")


def test_a_missing_data_file_names_one_of_a_close_name(tmp_path: Path) -> None:
    """`npz("data/trian.npz")` beside `data/train.npz`: the help names it as the spec writes paths."""
    save_npz(tmp_path / "data" / "train.npz", x=np.zeros((3, 2)), y=np.zeros(3))
    with pytest.raises(DiagnosticError) as raised:
        load_data(section({"name": "npz", "path": "data/trian.npz"}), str(tmp_path / "spec.ldnn"), SPAN)
    assert "`data/trian.npz` does not exist" in e405(raised)
    assert raised.value.diagnostics[0].help == "did you mean `data/train.npz`?"


BAD_FILES: list[tuple[str, str, Any, str]] = [
    # (id, file name, content writer, expected message fragment)
    ("missing", "nope.npz", None, "does not exist"),
    ("directory", "folder.npz", "dir", "is not a file"),
    ("not npz", "text.npz", "hello, I am text\n", "is not a NumPy .npz archive"),
    ("npy", "single.npy", "npy", "single array (.npy)"),
    ("missing key", "keys.npz", {"inputs": np.zeros((3, 2)), "y": np.zeros(3)}, "no array `x` for x; it holds: "
     "`inputs`, `y`"),
    ("neither key", "keys2.npz", {"a": np.zeros((3, 2)), "b": np.zeros(3)}, "has neither array `x` for x nor `y` "
     "for y; it holds: `a`, `b`"),
    ("lengths", "len.npz", {"x": np.zeros((4, 2)), "y": np.zeros(3)}, "x has 4 samples but y has 3"),
    ("empty arrays", "empty.npz", {"x": np.zeros((0, 2)), "y": np.zeros(0)}, "holds no samples"),
    ("strings", "str.npz", {"x": np.array([["a"], ["b"]]), "y": np.zeros(2)}, "only numbers can be trained on"),
    ("corrupt deflate", "bad.npz", "corrupt", "array `x` in `bad.npz` cannot be read (Error -3 while decompressing"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_npz_files_are_e405_at_the_source(tmp_path: Path, name: str, content: Any, fragment: str) -> None:
    file = tmp_path / name
    if content == "dir":
        file.mkdir()
    elif content == "npy":
        np.save(file, np.zeros(3))
    elif content == "corrupt":  # a compressed archive whose deflate stream is damaged: zlib's error
        np.savez_compressed(file, x=np.random.default_rng(0).normal(size=(200, 4)), y=np.zeros(200))
        data = bytearray(file.read_bytes())
        data[60:100] = b"\xff" * 40  # inside x.npy's compressed bytes, past its local header
        file.write_bytes(bytes(data))
    elif isinstance(content, str):
        write(file, content)
    elif isinstance(content, dict):
        save_npz(file, **content)
    with pytest.raises(DiagnosticError) as raised:
        load_data(section({"name": "npz", "path": name}), str(tmp_path / "spec.ldnn"), SPAN)
    assert fragment in e405(raised)
    assert name in e405(raised) and raised.value.diagnostics[0].span == SPAN


def test_an_archive_with_neither_array_gets_one_error_naming_both(tmp_path: Path) -> None:
    """Naming x alone would only lead to y's error: the help gives the source as it must be written."""
    save_npz(tmp_path / "d.npz", X=np.zeros((3, 2)), Y=np.zeros(3))
    with pytest.raises(DiagnosticError) as raised:
        load_data(section({"name": "npz", "path": "d.npz"}), str(tmp_path / "spec.ldnn"), SPAN)
    assert [d.help for d in raised.value.diagnostics] == ['name them in the source: `npz("d.npz", x=X, y=Y)`']


BAD_CSVS: list[tuple[str, str | bytes, str]] = [
    ("empty", "", "is empty"),
    ("latin-1", "a,b\n1,2\xe9\n".encode("latin-1"), "is not UTF-8 text (it holds the byte 0xe9)"),
    ("header only", "a,b\n", "has a header but no rows"),
    ("one column", "a\n1\n", "has one column"),
    ("text cell", "a,b,c\n1,2,3\n4,five,6\n", "line 3, column `b`: `five` is not a finite number"),
    ("blank cell", "a,b\n1,\n", "line 2, column `b`: `` is not a finite number"),
    ("nan cell", "a,b\nnan,1\n", "line 2, column `a`: `nan` is not a finite number"),
    ("ragged row", "a,b\n1,2\n3\n", "line 3: 1 cells but the header names 2 columns"),
    # lines are the file's own, blank ones counted: an editor's line numbers find the cell
    ("after blank lines", "a,b,c,d,price\n\n\n\n1,2,3,4,5\n1,2,3,4,5\n1,zz,3,4,5\n",
     "line 7, column `b`: `zz` is not a finite number"),
    ("ragged after blanks", "a,b\n\n1,2\n\n3\n", "line 5: 1 cells but the header names 2 columns"),
    ("quoted newline", 'a,b\n"1\n",3\nx,4\n', "line 4, column `a`: `x` is not a finite number"),
    ("nul byte", "a,b\n1,2\x00\n", "line 2, column `b`: `2\\x00` is not a finite number"),
    ("control in header", "a\x07,b\nx,1\n", "column `a\\x07`: `x`"),
    ("underscore", "a,b\n1_000,2\n", "line 2, column `a`: `1_000` is not a finite number"),
    ("non-ascii digits", "a,b\n\u0661\u0662,2\n", "line 2, column `a`: `\u0661\u0662` is not a finite number"),
    ("unnamed column", ",b\nx,2\n", "line 2, the 1st column (no name): `x` is not a finite number"),
    ("past float32", "a,b\n1,2\n3,1e300\n", "line 3, column `b`: `1e300` is past float32's range (±3.4e38)"),
    ("duplicate names", "a,a,c,d,price\n1,2,3,4,5\n", "has two columns named `a`: the 1st and the 2nd"),
]


@pytest.mark.parametrize(("text", "fragment"), [case[1:] for case in BAD_CSVS], ids=[case[0] for case in BAD_CSVS])
def test_bad_csv_files_say_what_and_where(tmp_path: Path, text: str | bytes, fragment: str) -> None:
    file = write(tmp_path / "bad.csv", text)
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, span=SPAN)
    assert fragment in e405(raised)


@pytest.mark.parametrize(("separator", "shown"), [(";", "`;`"), ("\t", "tabs")])
def test_a_csv_separated_otherwise_gets_a_hint(tmp_path: Path, separator: str, shown: str) -> None:
    file = write(tmp_path / "semi.csv", separator.join("abcd") + f"{separator}price\n1{separator}2\n")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, span=SPAN)
    assert "has one column" in e405(raised)
    hint = f"the file seems to be separated by {shown}; ldnn reads comma-separated values"
    assert raised.value.diagnostics[0].help == hint


def test_a_duplicate_column_name_is_refused_even_as_the_target(tmp_path: Path) -> None:
    """`target=a` silently took the first of two `a` columns."""
    file = write(tmp_path / "dup.csv", "a,b,a,price\n1,2,3,4\n")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, "a", span=SPAN, written="dup.csv")
    assert "`dup.csv` has two columns named `a`: the 1st and the 3rd" in e405(raised)


def test_unnamed_columns_are_kept_like_a_pandas_index(tmp_path: Path) -> None:
    """pandas writes its index under an empty name; refusing it would refuse most exports."""
    file = write(tmp_path / "index.csv", ",,b,price\n0,9,1,2\n1,8,3,4\n")
    x, y = load_csv(file, "price")
    assert x.tolist() == [[0, 9, 1], [1, 8, 3]] and y.tolist() == [2, 4]


def test_csv_values_past_float32_warn_nothing(tmp_path: Path, no_warnings: None) -> None:
    file = write(tmp_path / "big.csv", "a,b\n1e300,2\n")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, span=SPAN)
    assert "line 2, column `a`: `1e300` is past float32's range" in e405(raised)
    assert load_csv(write(tmp_path / "max.csv", "a,b\n3.4e38,1e-50\n"))[0].tolist() == [[np.float32(3.4e38)]]


def test_csv_unknown_target_lists_the_columns(tmp_path: Path) -> None:
    file = write(tmp_path / "h.csv", "rooms,price\n1,2\n")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, "prcie")
    assert "no column `prcie`; its columns are `rooms`, `price`" in e405(raised)
    assert raised.value.diagnostics[0].help == "did you mean `price`?"
    with pytest.raises(DiagnosticError) as raised:
        load_csv(file, 5)
    assert "target column 5 is out of range" in e405(raised)


@pytest.fixture
def no_warnings() -> Any:
    """Warnings as errors: a raw NumPy RuntimeWarning on stderr is a failure of the promise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_a_path_too_long_to_stat_is_e405_at_the_source(tmp_path: Path, kind: str) -> None:
    """`Path.exists()` raised OSError (ENAMETOOLONG), which came out as E406 at `train {`."""
    name = "a" * 300 + f".{kind}"
    data = section({"name": kind, "path": name})
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "spec.ldnn"), SPAN)
    assert f"cannot read `{name}`: file name too long" in e405(raised)
    assert raised.value.diagnostics[0].span == SPAN


def test_a_symlink_loop_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "loop1.npz").symlink_to("loop2.npz")
    (tmp_path / "loop2.npz").symlink_to("loop1.npz")
    with pytest.raises(DiagnosticError) as raised:
        load_npz(tmp_path / "loop1.npz", written="loop1.npz", span=SPAN)
    assert "cannot read `loop1.npz`: it is a symlink loop" in e405(raised)


def test_a_dangling_symlink_says_where_it_points(tmp_path: Path) -> None:
    (tmp_path / "link.csv").symlink_to("gone.csv")
    with pytest.raises(DiagnosticError) as raised:
        load_csv(tmp_path / "link.csv", written="link.csv")
    assert "`link.csv` is a symbolic link to `gone.csv`, which does not exist" in e405(raised)


def test_a_folder_on_the_path_that_is_a_file(tmp_path: Path) -> None:
    write(tmp_path / "data", "not a folder")
    with pytest.raises(DiagnosticError) as raised:
        load_npz(tmp_path / "data" / "x.npz", written="data/x.npz")
    assert "cannot read `data/x.npz`: a folder on its path is a file" in e405(raised)


def test_a_nul_in_the_path_is_shown_escaped(tmp_path: Path) -> None:
    """os.stat raises ValueError, not OSError, for a NUL: it never reaches the system."""
    with pytest.raises(DiagnosticError) as raised:
        load_npz(tmp_path / "a\x00.npz", written="a\x00.npz")
    assert e405(raised) == "cannot read `a\\x00.npz`: the path holds a NUL character"


def test_an_unreadable_npz_is_not_called_a_bad_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening failed with EACCES: "not a NumPy .npz archive", and help to write it with savez, misled."""
    file = save_npz(tmp_path / "locked.npz", x=np.zeros((2, 1)), y=np.zeros(2))

    def denied(*_: Any, **__: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(np, "load", denied)
    with pytest.raises(DiagnosticError) as raised:
        load_npz(file, written="locked.npz", span=SPAN)
    assert e405(raised) == "cannot read `locked.npz`: permission denied"
    assert "savez" not in (raised.value.diagnostics[0].help or "")


needs_permissions = pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                                       reason="root reads every file whatever its mode")


@needs_permissions
@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_a_file_without_read_permission(tmp_path: Path, kind: str) -> None:
    file = write(tmp_path / f"locked.{kind}", "a,b\n1,2\n")
    file.chmod(0)
    try:
        with pytest.raises(DiagnosticError) as raised:
            load_data(section({"name": kind, "path": file.name}), str(tmp_path / "s.ldnn"), SPAN)
    finally:
        file.chmod(0o600)
    assert e405(raised) == f"cannot read `locked.{kind}`: permission denied"


@needs_permissions
def test_a_folder_without_search_permission(tmp_path: Path) -> None:
    save_npz(tmp_path / "shut" / "d.npz", x=np.zeros((2, 1)), y=np.zeros(2))
    (tmp_path / "shut").chmod(0o600)
    try:
        with pytest.raises(DiagnosticError) as raised:
            load_data(section({"name": "npz", "path": "shut/d.npz"}), str(tmp_path / "s.ldnn"), SPAN)
    finally:
        (tmp_path / "shut").chmod(0o700)
    assert e405(raised) == "cannot read `shut/d.npz`: permission denied"


@pytest.mark.parametrize("role", ["x", "y"])
def test_npz_values_past_float32_are_named_without_a_warning(tmp_path: Path, role: str, no_warnings: None) -> None:
    """float64 1e300 cast to float32 printed `overflow encountered in cast`, then "holds NaN"."""
    arrays = {"x": np.ones((5, 2)), "y": np.ones(5)}
    arrays[role] = arrays[role] * np.array(1e300)
    save_npz(tmp_path / "big.npz", **arrays)
    with pytest.raises(DiagnosticError) as raised:
        load_npz(tmp_path / "big.npz", written="big.npz", span=SPAN)
    assert f"array `{role}` in `big.npz` holds values past float32's range (±3.4e38), e.g. 1e+300" in e405(raised)


def test_a_text_file_named_npz_gets_no_pickle_advice(tmp_path: Path) -> None:
    write(tmp_path / "text.npz", "hello\n")
    with pytest.raises(DiagnosticError) as raised:
        load_npz(tmp_path / "text.npz", written="text.npz")
    assert "is not a NumPy .npz archive" in e405(raised) and "pickle" not in e405(raised)


def test_missing_npz_key_suggests_the_close_one(tmp_path: Path) -> None:
    file = save_npz(tmp_path / "a.npz", x_train=np.zeros((2, 1)), y=np.zeros(2))
    with pytest.raises(DiagnosticError) as raised:
        load_npz(file, "x_trian", "y")
    assert raised.value.diagnostics[0].help == "did you mean `x_train`?"


# splits ----------------------------------------------------------------------------------
def test_loading_is_deterministic_in_the_data_seed() -> None:
    data = section(sort_source(), validate=0.1, seed=4)
    a, b = load_data(data, "s.ldnn"), load_data(data, "s.ldnn")
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)  # type: ignore[arg-type]
    other = load_data(section(sort_source(), validate=0.1, seed=5), "s.ldnn")
    assert not np.array_equal(a.x_train, other.x_train)


@pytest.mark.parametrize(("settings", "sizes"), [
    ({}, (1000, None, None)),
    ({"validate": 0.1}, (900, 100, None)),
    ({"validate": 0.1, "test": 0.2}, (700, 100, 200)),  # both fractions of the total
    ({"validate": 50, "test": 25}, (925, 50, 25)),
    ({"validate": {"name": "sort", "count": 3, "bits": 4, "samples": 30}}, (1000, 30, None)),
])
def test_split_sizes(settings: dict[str, Any], sizes: tuple[int | None, ...]) -> None:
    splits = load_data(section(sort_source(), **settings), "s.ldnn")
    got = tuple(None if x is None else len(x) for x in (splits.x_train, splits.x_val, splits.x_test))
    assert got == sizes
    assert all(x is None or len(x) == len(y) for x, y in ((splits.x_val, splits.y_val),  # type: ignore[arg-type]
                                                          (splits.x_test, splits.y_test)))


def test_splits_do_not_overlap_and_cover_the_data() -> None:
    source = {"name": "parity", "bits": 20, "samples": 500}
    splits = load_data(section(source, validate=0.2, test=0.1), "s.ldnn")
    rows = [tuple(r) for x in (splits.x_train, splits.x_val, splits.x_test) for r in x]  # type: ignore[union-attr]
    assert sorted(rows) == sorted(tuple(r) for r in parity_task(20, 500, 0)[0])


def test_a_second_builtin_source_gets_its_own_seed() -> None:
    data = section(sort_source(40), validate=sort_source(40), test=sort_source(40), seed=3)
    splits = load_data(data, "s.ldnn")
    assert splits.x_val is not None and splits.x_test is not None
    assert np.array_equal(splits.x_val, sort_task(3, 4, 40, seed=4)[0])
    assert np.array_equal(splits.x_test, sort_task(3, 4, 40, seed=5)[0])


@pytest.mark.parametrize(("settings", "fragment"), [
    ({"validate": 1000}, "`validate 1000` takes 1000 of the 1000 samples left"),
    ({"test": 600, "validate": 400}, "`validate 400` takes 400 of the 400 samples left (1000 in all)"),
    ({"test": 0.5, "validate": 0.5}, "leaving none to train on"),
])
def test_a_split_that_leaves_no_training_data_is_e405(settings: dict[str, Any], fragment: str) -> None:
    with pytest.raises(DiagnosticError) as raised:
        load_data(section(sort_source(), **settings), "s.ldnn", SPAN)
    assert fragment in e405(raised)


def test_a_failing_validation_source_points_at_its_own_setting(tmp_path: Path) -> None:
    here = SPAN.model_copy(update={"line": 5})
    data = section(sort_source(), validate={"name": "npz", "path": "val.npz"})
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "s.ldnn"), SPAN, spans={"validate": here})
    assert "`val.npz` does not exist" in e405(raised) and raised.value.diagnostics[0].span == here


def test_a_second_sources_labels_take_the_training_labels_shape(tmp_path: Path) -> None:
    """(n,) for training and (n, 1) for validation: Keras' fit takes either; evaluate once crashed on the mix."""
    save_npz(tmp_path / "train.npz", x=np.zeros((50, 4)), y=np.zeros(50))
    save_npz(tmp_path / "val.npz", x=np.zeros((20, 4)), y=np.ones((20, 1)))
    data = section({"name": "npz", "path": "train.npz"}, validate={"name": "npz", "path": "val.npz"})
    splits = load_data(data, str(tmp_path / "s.ldnn"))
    assert splits.y_train.shape == (50,) and splits.y_val is not None and splits.y_val.shape == (20,)


HOUSES = "area,dist,rooms,price\n" + "".join(f"{100 + i},{i % 7},{1 + i % 4},{3 * i}\n" for i in range(20))


def csv_split(tmp_path: Path, text: str, setting: str = "validate", settings: dict[str, Any] | None = None,
              **source: Any) -> DataSection:
    """houses.csv for training and `text` as the validation (or test) file, both by name `price`."""
    write(tmp_path / "houses.csv", HOUSES)
    write(tmp_path / "second.csv", text)
    second = {"name": "csv", "path": "second.csv", "target": "price", **source}
    return section({"name": "csv", "path": "houses.csv", "target": "price"}, **{setting: second, **(settings or {})})


@pytest.mark.parametrize("setting", ["validate", "test"])
def test_a_second_csv_is_matched_to_the_training_file_by_column_name(tmp_path: Path, setting: str) -> None:
    """`dist,area,rooms,price` after a training file of `area,dist,rooms,price`: the columns were
    taken by position, so area and dist were swapped in silence."""
    data = csv_split(tmp_path, "dist,area,price,rooms\n2,500,9,4\n3,600,8,5\n", setting,
                     {"preprocess": {"name": "log1p", "columns": [1]}})
    splits = load_data(data, str(tmp_path / "s"))
    x, y = (splits.x_val, splits.y_val) if setting == "validate" else (splits.x_test, splits.y_test)
    assert x is not None and y is not None and y.tolist() == [9, 8]
    assert np.allclose(x, [[500, np.log1p(2), 4], [600, np.log1p(3), 5]])  # log1p's column 1 is training's `dist`


def test_a_second_csv_that_names_no_target_takes_the_training_files_by_name(tmp_path: Path) -> None:
    """Its other columns are matched by name: the target's column need not be its last."""
    write(tmp_path / "houses.csv", HOUSES)
    write(tmp_path / "second.csv", "price,rooms,dist,area\n9,4,2,500\n8,5,3,600\n")
    data = section({"name": "csv", "path": "houses.csv", "target": "price"},
                   validate={"name": "csv", "path": "second.csv"})
    splits = load_data(data, str(tmp_path / "s"))
    assert splits.y_val is not None and splits.y_val.ravel().tolist() == [9, 8]
    assert splits.x_val is not None and splits.x_val.tolist() == [[500, 2, 4], [600, 3, 5]]
    write(tmp_path / "second.csv", "area,dist,rooms,cost\n1,2,3,4\n")
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "s"))
    assert "has no column `price`, the training file's target" in e405(raised)
    assert raised.value.diagnostics[0].help == "name its target column `price`, as the training file's is"


def test_a_second_csv_without_a_header_keeps_its_columns_by_position(tmp_path: Path) -> None:
    data = csv_split(tmp_path, "2,500,4,9\n3,600,5,8\n", header=False, target=-1)
    splits = load_data(data, str(tmp_path / "s"))
    assert splits.x_val is not None and splits.x_val.tolist() == [[2, 500, 4], [3, 600, 5]]


@pytest.mark.parametrize(("header", "target", "message", "help"), [
    ("foo,bar,baz,price", "price",
     "the validation file `second.csv` has columns `foo`, `bar`, `baz` where the training file `houses.csv` has "
     "`area`, `dist`, `rooms`",
     "the validation file's columns are matched to the training file's by the names in their header rows, in any "
     "order: give its columns the training file's names"),
    ("area,dist,rooms,id,price", "price", "the validation file `second.csv` has column `id` that the training file "
     "`houses.csv` has not", None),
    ("area,rooms,price", "price", "the validation file `second.csv` lacks column `dist` of the training file "
     "`houses.csv`", None),
    ("area,dist,rooms,cost", -1, "the validation file `second.csv` takes its target from column `cost`, but the "
     "training file `houses.csv` from `price`",
     "name the validation file's target column `price`, as the training file does, or pick it with `target=price` "
     "if the file has it"),
    ("rooms,area,dist,cost", -1, "takes its target from column `cost`, but the training file `houses.csv` from "
     "`price`", None),
    ("price,area,dist,rooms", -1, "has column `price` where the training file `houses.csv` has `rooms`",
     "`target=` picks column `rooms` of the validation file but `price` of the training file: name the same target "
     "column in both"),
], ids=["other names", "an extra column", "a missing column", "a target of another name",
        "a target of another name, the features in another order", "another target by index"])
def test_a_second_csv_of_other_columns_is_e405_at_its_line(tmp_path: Path, header: str, target: str | int,
                                                           message: str, help: str | None) -> None:
    """`foo,bar,baz,price` against `area,dist,rooms,price` was read by position, without a word."""
    row = ",".join(["1"] * len(header.split(",")))
    here = SPAN.model_copy(update={"line": 7})
    with pytest.raises(DiagnosticError) as raised:
        load_data(csv_split(tmp_path, f"{header}\n{row}\n", target=target), str(tmp_path / "s"), SPAN,
                  spans={"validate": here})
    assert message in e405(raised) and raised.value.diagnostics[0].span == here
    assert help is None or raised.value.diagnostics[0].help == help


def test_log1p_names_a_csv_column_as_its_header_does(tmp_path: Path) -> None:
    """With `target=area`, feature column 1 is `rooms`, not the file's column 1 (`dist`): the
    message named only the index, which the author read as the file's."""
    write(tmp_path / "houses.csv", "area,dist,rooms,price\n100,1,-3.5,10\n120,2,3,20\n")
    data = section({"name": "csv", "path": "houses.csv", "target": "area"},
                   preprocess={"name": "log1p", "columns": [1]})
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "s"))
    assert "log1p needs values above -1, but training column 1 (`rooms`) holds -3.5" in e405(raised)
    assert raised.value.diagnostics[0].help == ("choose the columns with `log1p(columns=[...])`; they count the "
                                                "features from 0, the target left out (0 `dist`, 1 `rooms`, 2 `price`)")


# preprocessing ---------------------------------------------------------------------------
def test_standardize_uses_training_statistics_only_and_leaves_arrays_alone(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train = rng.normal([1.0, -5.0], [2.0, 0.5], size=(4000, 2))
    save_npz(tmp_path / "train.npz", x=train, y=np.zeros(4000))
    save_npz(tmp_path / "val.npz", x=train + 100, y=np.zeros(4000))
    data = section({"name": "npz", "path": "train.npz"}, validate={"name": "npz", "path": "val.npz"},
                   preprocess="standardize")
    splits = load_data(data, str(tmp_path / "s.ldnn"))
    assert splits.norm_mean is not None and splits.norm_var is not None
    assert np.allclose(splits.norm_mean, train.mean(axis=0), atol=1e-4)
    assert np.allclose(splits.norm_var, train.var(axis=0), rtol=1e-4)
    assert np.allclose(np.sort(splits.x_train, axis=0), np.sort(train, axis=0).astype(np.float32))
    assert splits.log1p_columns is None


def test_standardize_measures_the_last_axis_and_spares_constant_features() -> None:
    x = np.zeros((10, 4, 3), dtype=np.float32)
    x[..., 0] = np.arange(40).reshape(10, 4)
    mean, var = standardize_stats(x)
    assert mean.shape == var.shape == (3,) and mean[0] == pytest.approx(19.5)
    assert var[1] == var[2] == 1.0  # constant: left unscaled rather than divided by ~0


def test_standardize_scales_a_feature_of_tiny_scale() -> None:
    """Wavelengths in metres vary by ~1e-7: a fixed variance cutoff (1e-12) took them for a
    constant and left them unscaled, so the net saw values near 1e-7 and learned nothing."""
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(400e-9, 700e-9, 200), np.full(200, 0.3)], axis=1).astype(np.float32)
    _, var = standardize_stats(x)
    assert var[0] == pytest.approx(float(np.var(x[:, 0], dtype=np.float64)), rel=1e-5) and var[0] < 1e-13
    assert var[1] == 1.0  # every value the same: a constant


def test_no_standardize_means_no_statistics() -> None:
    splits = load_data(section(sort_source()), "s.ldnn")
    assert splits.norm_mean is None and splits.norm_var is None


def test_log1p_applies_to_the_chosen_columns_of_every_split(tmp_path: Path) -> None:
    x = np.tile(np.array([[0.0, 1.0, 9.0]]), (20, 1)) * np.arange(1, 21)[:, None]
    save_npz(tmp_path / "d.npz", x=x, y=np.zeros(20))
    data = section({"name": "npz", "path": "d.npz"}, validate=5, preprocess={"name": "log1p", "columns": [2, 0]})
    splits = load_data(data, str(tmp_path / "s.ldnn"))
    assert splits.log1p_columns == (2, 0)  # as written: messages name them in the order the spec does
    for part in (splits.x_train, splits.x_val):
        assert part is not None
        scale = part[:, 1]  # untouched: the row's multiplier
        assert np.allclose(part[:, 2], np.log1p(9 * scale)) and np.allclose(part[:, 0], 0)


def test_log1p_steps_that_share_a_column_take_its_log_once(tmp_path: Path) -> None:
    """`log1p(columns=[2])` and `log1p(columns=[-1])` over 3 features both name column 2: each step
    names it once, and the merged steps take its log once (the checker refuses one step that
    names it twice, as `[2, -1]`)."""
    save_npz(tmp_path / "d.npz", x=np.full((4, 3), np.e - 1), y=np.zeros(4))
    steps = [{"name": "log1p", "columns": [2]}, {"name": "log1p", "columns": [-1]}]
    splits = load_data(section({"name": "npz", "path": "d.npz"}, preprocess=steps), str(tmp_path / "s"))
    assert np.allclose(splits.x_train[:, 2], 1.0) and np.allclose(splits.x_train[:, :2], np.e - 1)


def test_log1p_without_columns_means_all_of_them(tmp_path: Path) -> None:
    save_npz(tmp_path / "d.npz", x=np.full((4, 2), np.e - 1), y=np.zeros(4))
    splits = load_data(section({"name": "npz", "path": "d.npz"}, preprocess="log1p"), str(tmp_path / "s"))
    assert splits.log1p_columns == () and np.allclose(splits.x_train, 1.0)


def test_standardize_refuses_a_variance_past_float32(tmp_path: Path, no_warnings: None) -> None:
    """Values of 1e20 fit float32, but their variance does not: it was cast to inf with a warning."""
    save_npz(tmp_path / "d.npz", x=np.array([[1e20, 1], [-1e20, 2]], np.float32), y=np.zeros(2))
    with pytest.raises(DiagnosticError) as raised:
        load_data(section({"name": "npz", "path": "d.npz"}, preprocess="standardize"), str(tmp_path / "s"), SPAN)
    assert "standardize cannot scale column 0: its variance (1e+40) is past float32's range" in e405(raised)
    write(tmp_path / "d.csv", "y,big\n0,1e20\n1,-1e20\n")
    data = section({"name": "csv", "path": "d.csv", "target": "y"}, preprocess="standardize")
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "s"))
    assert "standardize cannot scale column 0 (`big`): its variance" in e405(raised)  # named as the csv header does


@pytest.mark.parametrize(("columns", "value", "fragment"), [
    ([3], 1.0, "log1p column 3 is out of range: x has 3 feature columns (0..2)"),
    ([1], -1.0, "log1p needs values above -1, but training column 1 holds -1"),
    (None, -2.5, "holds -2.5"),
])
def test_log1p_errors(tmp_path: Path, columns: list[int] | None, value: float, fragment: str) -> None:
    x = np.ones((6, 3))
    x[2, 1] = value
    save_npz(tmp_path / "d.npz", x=x, y=np.zeros(6))
    data = section({"name": "npz", "path": "d.npz"}, preprocess={"name": "log1p", "columns": columns})
    with pytest.raises(DiagnosticError) as raised:
        load_data(data, str(tmp_path / "s.ldnn"))
    assert fragment in e405(raised)


# fit_report ------------------------------------------------------------------------------
def splits_of(x: np.ndarray, y: np.ndarray) -> Splits:
    return Splits(x_train=x, y_train=y, x_val=x[:2], y_val=y[:2])


def test_sort_data_fits_the_sort_model() -> None:
    splits = load_data(section(sort_source(100), validate=0.1), "s.ldnn")
    assert fit_report(splits, (12,), "float32", (3, 16), "sparse_categorical_crossentropy") == []


X4 = np.zeros((8, 4), dtype=np.float32)
FITS: list[tuple[str, np.ndarray, np.ndarray, tuple[Any, ...], str, tuple[int, ...], str | None]] = [
    # id, x, y, input shape, input dtype, output shape, loss → expected fragment (None: fits)
    ("x shape", X4, np.zeros((8, 1)), (5,), "float32", (1,), "mse",
     "the training x has per-sample shape [4] but the model's input is [5]"),
    ("x wildcard", np.zeros((8, 7, 4)), np.zeros((8, 1)), (None, 4), "float32", (1,), "mse", None),
    ("x without channels", np.zeros((8, 6, 6)), np.zeros((8, 1)), (6, 6, 1), "float32", (1,), "mse",
     "[6, 6] but the model's input is [6, 6, 1]; the input has a channel axis the data lack: save x as `x[..., None]` "
     "(shape [6, 6, 1])"),
    ("x flat images", np.zeros((8, 36)), np.zeros((8, 1)), (6, 6, 1), "float32", (1,), "mse",
     "[36] but the model's input is [6, 6, 1]; both hold 36 values per sample: save x as `x.reshape(len(x), 6, 6, 1)`, "
     "or read it with `input [36]` and a `reshape [6, 6, 1]` layer"),
    ("int ids whole", np.full((8, 4), 0.5), np.zeros(8), (4,), "int32", (1,), "mse", "non-whole values such as 0.5"),
    ("int ids negative", np.full((8, 4), -2), np.zeros(8), (4,), "int32", (1,), "mse", "negative values"),
    ("x nan", np.full((8, 4), np.nan), np.zeros(8), (4,), "float32", (1,), "mse", "x holds NaN"),
    ("sparse fits (n,p,1)", X4, np.zeros((8, 3, 1), np.int32), (4,), "float32", (3, 10),
     "sparse_categorical_crossentropy", None),
    ("sparse shape", X4, np.zeros((8, 2), np.int32), (4,), "float32", (3, 10), "sparse_categorical_crossentropy",
     "per-sample shape [2] but sparse_categorical_crossentropy with output [3, 10] needs [3]"),
    ("sparse one-hot", X4, np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]], (4,), "float32", (4,),
     "sparse_categorical_crossentropy", "needs one class id per sample; its rows look one-hot, so use "
     "`loss categorical_crossentropy`, or class ids as y (`y.argmax(axis=-1)`)"),
    ("sparse ids", X4, np.full((8, 3), 1.5), (4,), "float32", (3, 10), "sparse_categorical_crossentropy",
     "needs integer class ids"),
    ("sparse range", X4, np.full((8, 3), 10), (4,), "float32", (3, 10), "sparse_categorical_crossentropy",
     "class id 10 but the output has only 10 classes (ids 0..9)"),
    ("binary fits (n,)", X4, np.ones(8), (4,), "float32", (1,), "binary_crossentropy", None),
    ("binary range", X4, np.full((8, 1), 2.0), (4,), "float32", (1,), "binary_crossentropy",
     "needs y in [0, 1], but the training y ranges over [2, 2]"),
    ("binary shape", X4, np.ones((8, 2)), (4,), "float32", (1,), "binary_crossentropy", "per-sample shape [2]"),
    ("categorical fits", X4, np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]], (4,), "float32", (4,),
     "categorical_crossentropy", None),
    ("categorical ids", X4, np.arange(8) % 4, (4,), "float32", (4,), "categorical_crossentropy",
     "looks like class ids, so use sparse_categorical_crossentropy"),
    ("categorical rows", X4, np.full((8, 4), 0.5), (4,), "float32", (4,), "categorical_crossentropy",
     "needs one-hot (or probability) rows"),
    ("mse shape", X4, np.zeros((8, 3)), (4,), "float32", (2,), "mse",
     "per-sample shape [3] but mse compares it with the model's output [2]"),
    ("mae (n,) vs (1,)", X4, np.zeros(8), (4,), "float32", (1,), "mae", None),
    ("y nan", X4, np.full(8, np.nan), (4,), "float32", (1,), "mse", "y holds NaN"),
    # losses Keras clips or diverges on outside a range (poisson trained to NaN and blamed `lr`)
    ("poisson negative", X4, np.array([-1.3, 2, 0, 1, 1, 1, 1, 1]), (4,), "float32", (1,), "poisson",
     "`poisson` needs targets ≥ 0, but the training y holds -1.3 (1 of 8 values is below 0)"),
    ("msle negative", X4, -np.ones(8), (4,), "float32", (1,), "msle",
     "`msle` needs targets ≥ 0, but the training y holds -1 (8 of 8 values are below 0)"),
    ("kl above 1", X4, np.full((8, 1), 2.0), (4,), "float32", (1,), "kl_divergence",
     "`kl_divergence` needs targets in [0, 1], but the training y holds 2"),
    ("mape negative fits", X4, -np.ones(8), (4,), "float32", (1,), "mape", None),
    ("mse squares past float32", X4, np.full(8, 3e38, np.float32), (4,), "float32", (1,), "mse",
     "the training y holds 3e+38, but `mse` squares errors that size past float32's range (±3.4e38)"),
]


@pytest.mark.parametrize(("x", "y", "input_shape", "dtype", "output_shape", "loss", "fragment"),
                         [case[1:] for case in FITS], ids=[case[0] for case in FITS])
def test_fit_report(x: np.ndarray, y: np.ndarray, input_shape: tuple[Any, ...], dtype: str,
                    output_shape: tuple[int, ...], loss: str, fragment: str | None) -> None:
    problems = fit_report(splits_of(x, y), input_shape, dtype, output_shape, loss)
    if fragment is None:
        assert problems == []
    else:
        assert problems and fragment in problems[0], problems
        assert any("validation" in p for p in problems)  # every split is checked, and named


def test_ids_must_fall_below_the_vocab() -> None:
    ids = np.tile(np.arange(20), (8, 1))
    vocab = Vocab(20, "`embedding` on line 3")
    assert fit_report(splits_of(ids, np.zeros(8)), (20,), "int32", (1,), "mse", vocab) == []
    problems = fit_report(splits_of(ids, np.zeros(8)), (20,), "int32", (1,), "mse", Vocab(19, "`embedding` on line 3"))
    assert problems[0] == ("the training x holds id 19, but the `embedding` on line 3 has vocab=19 (ids 0..18); "
                           "raise it to 20 or more")


# baseline --------------------------------------------------------------------------------
def test_parity_baseline_is_chance() -> None:
    splits = load_data(section({"name": "parity", "bits": 10, "samples": 4000}, validate=0.25), "s.ldnn")
    name, value = baseline(splits, "binary_crossentropy")
    assert name == "val_accuracy" and 0.4 < value < 0.6


def test_separable_problem_baseline_is_near_perfect() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 5)).astype(np.float32)
    labels = (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).astype(np.float32)
    keep = np.abs(x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0])) > 0.5  # a margin
    splits = Splits(x[keep][:2000], labels[keep][:2000], x[keep][2000:], labels[keep][2000:])
    assert baseline(splits, "binary_crossentropy")[1] > 0.97
    ids = labels.astype(np.int32)
    splits = Splits(x[keep][:2000], ids[keep][:2000], x_test=x[keep][2000:], y_test=ids[keep][2000:])
    name, value = baseline(splits, "sparse_categorical_crossentropy")
    assert name == "test_accuracy" and value > 0.97
    onehot = np.eye(2, dtype=np.float32)[ids]
    assert baseline(Splits(x[keep], onehot[keep]), "categorical_crossentropy")[1] > 0.97


def test_baseline_on_wide_images_solves_the_same_ridge_through_the_rows() -> None:
    """With more features than rows (64x64x3 images) XᵀX is 12,288² (35 s); the baseline solves
    the same ridge problem through XXᵀ, on more rows than XᵀX's budget allowed."""
    import importlib

    ridge = importlib.import_module("ldnn_dsl.data.baseline")  # the package exports a function of its name
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 90)), rng.normal(size=(40, 3))
    design = ridge._with_bias((x - x.mean(axis=0)) / x.std(axis=0))
    gram = design.T @ design
    gram += ridge.RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))
    np.testing.assert_allclose(ridge._Ridge.fit(x, y).weights, np.linalg.solve(gram, design.T @ y), atol=1e-9)
    assert ridge._fit_rows(outputs=10, features=64 * 64 * 3) > 1000


def test_regression_baseline_reports_mse() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3))
    y = x @ np.array([1.0, 2.0, 3.0]) + 0.1 * rng.normal(size=500)
    name, value = baseline(Splits(x[:400], y[:400], x[400:], y[400:]), "mse")
    assert name == "val_mse" and value < 0.02


def test_a_net_is_scored_by_the_baselines_measure_on_its_rows() -> None:
    splits = load_data(section({"name": "parity", "bits": 10, "samples": 4000}, validate=0.25), "s.ldnn")
    assert splits.x_val is not None
    truth = lambda x: (x.sum(axis=1, keepdims=True) % 2).astype(np.float32)  # noqa: E731
    assert net_score(splits, "binary_crossentropy", truth) == 1.0
    assert net_score(splits, "binary_crossentropy", lambda x: 1 - truth(x)) == 0.0
    name, base = baseline(splits, "binary_crossentropy")
    assert beats_baseline(splits, name, base, 1.0)
    # 1,000 validation rows at chance: 3 standard errors are 0.047
    assert not beats_baseline(splits, name, 0.5, 0.54) and beats_baseline(splits, name, 0.5, 0.55)


def test_beating_a_regression_baseline_is_any_lower_error() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3))
    y = (x @ np.array([1.0, 2.0, 3.0]))[:, None]
    splits = Splits(x[:400], y[:400], x[400:], y[400:])
    assert net_score(splits, "mse", lambda x: x @ np.array([[1.0], [2.0], [3.0]])) == pytest.approx(0.0, abs=1e-9)
    assert beats_baseline(splits, "val_mse", 0.5, 0.49) and not beats_baseline(splits, "val_mse", 0.5, 0.5)


def test_sort_baseline_is_per_position_accuracy_above_chance() -> None:
    splits = load_data(section(sort_source(3000), validate=0.2), "s.ldnn")
    name, value = baseline(splits, "sparse_categorical_crossentropy")
    assert name == "val_accuracy" and 1 / 16 < value < 1


@pytest.mark.parametrize("classes", [5, 6])
def test_a_model_with_classes_the_labels_never_use_is_scored_by_its_own_count(classes: int) -> None:
    """Labels 0..2 under a 5- or 6-class output: the net's rows have `classes` columns, not 3."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    splits = Splits(x[:240], y[:240], x[240:], y[240:])
    perfect = lambda x: np.eye(classes)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0)]  # noqa: E731
    assert net_score(splits, "sparse_categorical_crossentropy", perfect, classes) == 1.0
    name, value = baseline(splits, "sparse_categorical_crossentropy", classes)
    assert name == "val_accuracy" and value > 0.6


def test_a_baseline_on_targets_near_float32s_limit_stays_a_number(no_warnings: None) -> None:
    """float32 y of 3e38 overflowed the least squares' float32 product: a RuntimeWarning and a `nan` baseline."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    y = np.full(300, 3e38, dtype=np.float32) * rng.uniform(0.5, 1, size=300).astype(np.float32)
    name, value = baseline(Splits(x[:200], y[:200], x[200:], y[200:]), "mse")
    assert name == "val_mse" and np.isfinite(value)


def test_integers_past_int32_keep_their_size(tmp_path: Path) -> None:
    """Epoch milliseconds and the like: int32 would wrap them to garbage without a word."""
    x = np.array([[1_700_000_000_000, 3], [5, 7]], dtype=np.int64)
    save_npz(tmp_path / "big.npz", x=x, y=np.array([0, 1]))
    big, y = load_npz(tmp_path / "big.npz", "x", "y")
    assert big.dtype == np.float32 and big[0, 0] == np.float32(1.7e12) and y.dtype == np.int32


def test_augment_and_log1p_without_arguments_take_the_documented_defaults() -> None:
    """The README gives them: 4 pixels, 10 degrees, horizontal (not Keras' both ways), 0.1, every column."""
    text = ("model m {\n  input [8, 8, 1]\n  flatten\n  dense 2\n}\n"
            "data {\n  source npz(\"d.npz\")\n  augment translate rotate flip noise\n}\n")
    result = check(text)
    assert result.spec is not None and result.spec.data is not None, result.diagnostics
    assert [step.text() for step in result.spec.data.augment] == [
        "translate(pixels=4)", "rotate(degrees=10)", "flip(mode=horizontal)", "noise(std=0.1)"]
    flat = check("model m {\n  input [3]\n  dense 1\n}\ndata {\n  source csv(\"d.csv\", target=y)\n"
                 "  preprocess log1p\n}\n")
    assert flat.spec is not None and flat.spec.data is not None, flat.diagnostics
    assert flat.spec.data.preprocess[0].columns is None  # every feature column (see preprocess.apply_log1p)


def test_a_column_name_in_a_help_is_written_as_target_takes_it() -> None:
    from ldnn_dsl.data.columns import target_text

    assert [target_text(n) for n in ("price", "sale price", "1", "true")] == ['price', '"sale price"', '"1"', '"true"']


def test_sources_and_early_stop_without_arguments_take_the_documented_defaults() -> None:
    """The README gives them: npz's arrays `x` and `y`, csv's last column, early_stop's 10 epochs."""
    npz = check('model m {\n  input [4]\n  dense 1\n}\ndata {\n  source npz("d.npz")\n  validate 10%\n}\n'
                "train {\n  loss mse\n  early_stop restore_best\n}\n").spec
    assert npz is not None and npz.data is not None and npz.train is not None and npz.train.early_stop is not None
    assert (npz.data.source.x, npz.data.source.y, npz.train.early_stop.patience) == ("x", "y", 10)
    csv = check('model m {\n  input [4]\n  dense 1\n}\ndata {\n  source csv("d.csv")\n}\n').spec
    assert csv is not None and csv.data is not None and csv.data.source.target == -1
