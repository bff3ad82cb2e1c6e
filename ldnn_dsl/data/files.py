"""Reading `npz(...)` and `csv(...)` sources; every failure becomes an E405 diagnostic that
names the file and what is wrong with it, never a NumPy traceback."""

from __future__ import annotations

import csv
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from ldnn_dsl.data.problems import data_error
from ldnn_dsl.source.diagnostics import DiagnosticError, did_you_mean
from ldnn_dsl.source.span import Span

STDIN_NAMES = ("-", "<stdin>", "")
_LOAD_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError)


def resolve(spec_path: str | None, path: str) -> Path:
    """A data path as the spec means it: relative to the spec's folder, so a spec runs the
    same from any working directory; relative to the cwd for a spec read from stdin."""
    target = Path(os.path.expanduser(path))
    if target.is_absolute():
        return target
    base = Path.cwd() if spec_path is None or spec_path in STDIN_NAMES else Path(spec_path).parent
    return base / target


def check_readable(file: Path, written: str, span: Span | None) -> None:
    """A missing file or a folder is the commonest mistake: say where we looked."""
    if not file.exists():
        raise data_error(f"data file `{written}` does not exist (looked for {file})", span, path=str(file),
                         help="paths in a spec are relative to the spec file's folder")
    if not file.is_file():
        raise data_error(f"data file `{written}` is not a file (looked at {file})", span, path=str(file))


def load_npz(path: Path | str, x: str = "x", y: str = "y", *, span: Span | None = None,
             written: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a NumPy archive: floats as float32, integers (class or token ids) as int32.

    ```
    source npz("data/train.npz", x=x_train, y=y_train)
    ```"""
    file, written = Path(path), written or str(path)
    check_readable(file, written, span)
    try:
        archive = np.load(file, allow_pickle=False)
    except _LOAD_ERRORS as exc:
        raise data_error(f"data file `{written}` is not a NumPy .npz archive ({exc})", span, path=str(file),
                         help="write it with numpy.savez(path, x=..., y=...)") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise data_error(f"data file `{written}` holds a single array (.npy), not an .npz archive of x and y",
                         span, path=str(file), help="write it with numpy.savez(path, x=..., y=...)")
    with archive:
        xs = _member(archive, x, "x", written, span)
        ys = _member(archive, y, "y", written, span)
    _check_samples(xs, ys, f"`{written}`", span)
    return xs, ys


def _member(archive: np.lib.npyio.NpzFile, key: str, role: str, written: str, span: Span | None) -> np.ndarray:
    """One named array, numeric and with a sample axis, or an error listing the keys there are."""
    keys = list(archive.files)
    if key not in keys:
        hint = did_you_mean(key, keys)
        raise data_error(f"data file `{written}` has no array `{key}` for {role}; it holds: "
                         f"{', '.join(f'`{k}`' for k in keys) or 'nothing'}", span,
                         help=hint or f"name the array with `{role}=<name>` in the source")
    try:
        array = archive[key]
    except _LOAD_ERRORS as exc:
        raise data_error(f"array `{key}` in `{written}` cannot be read ({exc})", span) from None
    return _numeric(array, f"array `{key}` in `{written}`", span)


INT32 = np.iinfo(np.int32)


def _numeric(array: np.ndarray, what: str, span: Span | None) -> np.ndarray:
    """float32 for real values, int32 for integers and booleans; anything else is refused."""
    if array.ndim == 0:
        raise data_error(f"{what} is a single number; it needs a first axis of samples", span)
    if array.dtype.kind in "biu":
        if array.size and array.dtype.itemsize >= 4 and (array.max() > INT32.max or array.min() < INT32.min):
            # int32 would wrap them around in silence; as float32 they keep their size (ids are refused later)
            return array.astype(np.float32)
        return array.astype(np.int32, copy=False)
    if array.dtype.kind == "f":
        return array.astype(np.float32, copy=False)
    raise data_error(f"{what} has dtype {array.dtype}; only numbers can be trained on", span)


def _check_samples(x: np.ndarray, y: np.ndarray, where: str, span: Span | None) -> None:
    """x and y pair up sample by sample; an empty set cannot be trained on."""
    if len(x) != len(y):
        raise data_error(f"{where}: x has {len(x)} samples but y has {len(y)}; they must pair up", span)
    if len(x) == 0:
        raise data_error(f"{where} holds no samples", span)


def load_csv(path: Path | str, target: str | int = -1, *, span: Span | None = None,
             written: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A header row, then numbers; `target` (a column name or index) is y, the rest x.

    Returns x (n, columns-1) float32 and y (n,) float32 (the caller casts class ids).

    ```
    source csv("data/houses.csv", target=price)
    ```"""
    file, written = Path(path), written or str(path)
    check_readable(file, written, span)
    header, rows = _read_rows(file, written, span)
    column = _target_column(header, target, written, span)
    values = _to_numbers(header, rows, written, span)
    y = values[:, column].astype(np.float32)
    x = np.delete(values, column, axis=1).astype(np.float32)
    return x, y


def _read_rows(file: Path, written: str, span: Span | None) -> tuple[list[str], list[list[str]]]:
    """Header and data rows (blank lines skipped), each row as long as the header."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            lines = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise data_error(f"data file `{written}` cannot be read as CSV text ({exc})", span, path=str(file)) from None
    if not lines:
        raise data_error(f"data file `{written}` is empty; it needs a header row and rows of numbers", span,
                         path=str(file))
    header, rows = [name.strip() for name in lines[0]], lines[1:]
    if not rows:
        raise data_error(f"data file `{written}` has a header but no rows of data", span, path=str(file))
    if len(header) < 2:
        raise data_error(f"data file `{written}` has one column; it needs the target and at least one feature",
                         span, path=str(file))
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise data_error(f"`{written}`, row {number}: {len(row)} cells but the header names {len(header)} "
                             "columns", span, path=str(file))
    return header, rows


def _target_column(header: list[str], target: str | int, written: str, span: Span | None) -> int:
    """The index of the target column, by name or (possibly negative) index."""
    if isinstance(target, str):
        if target in header:
            return header.index(target)
        hint = did_you_mean(target, header)
        raise data_error(f"`{written}` has no column `{target}`; its columns are "
                         f"{', '.join(f'`{name}`' for name in header)}", span, help=hint)
    if not -len(header) <= target < len(header):
        raise data_error(f"target column {target} is out of range: `{written}` has {len(header)} columns "
                         f"(0..{len(header) - 1})", span)
    return target % len(header)


def _to_numbers(header: list[str], rows: list[list[str]], written: str, span: Span | None) -> np.ndarray:
    """All cells as float64 in one fast pass; on failure, find the first bad cell to name it."""
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        raise _cell_error(header, rows, _first_bad_cell(rows), written, span) from None
    bad = _first_non_finite(values)
    if bad is not None:
        raise _cell_error(header, rows, bad, written, span)
    return values


def _cell_error(header: list[str], rows: list[list[str]], cell: tuple[int, int], written: str,
                span: Span | None) -> DiagnosticError:
    row, col = cell
    return data_error(f"`{written}`, row {row + 2}, column `{header[col]}`: `{rows[row][col].strip()}` is not a "
                      "finite number", span, help="every cell must be a number (no text, no blanks, no NaN)")


def _first_bad_cell(rows: list[list[str]]) -> tuple[int, int]:
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            try:
                if not np.isfinite(float(cell)):
                    return r, c
            except ValueError:
                return r, c
    return 0, 0  # unreachable: NumPy failed on some cell


def _first_non_finite(values: np.ndarray) -> tuple[int, int] | None:
    bad = np.argwhere(~np.isfinite(values))
    return (int(bad[0][0]), int(bad[0][1])) if len(bad) else None
