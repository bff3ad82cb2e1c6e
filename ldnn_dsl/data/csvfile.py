"""Reading `csv(...)` sources. Every failure is an E405 that names the file, the line as an
editor numbers it (blank lines counted), the column and the cell, escaped where it is not
printable, so that the author can go straight to it."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ldnn_dsl.data.access import cannot_read, check_readable
from ldnn_dsl.data.loaded import Loaded
from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.values import FLOAT32_HELP, FLOAT32_RANGE, ordinal, shown, to_float32
from ldnn_dsl.source.diagnostics import DiagnosticError, did_you_mean
from ldnn_dsl.source.span import Span

_SEPARATORS = {";": "`;`", "\t": "tabs", "|": "`|`"}


@dataclass(frozen=True)
class _Where:
    """What every message about one file needs: its name as the spec writes it, and the span."""

    file: Path
    written: str
    span: Span | None

    def error(self, message: str, help: str | None = None) -> DiagnosticError:
        return data_error(message, self.span, path=str(self.file), help=help)


@dataclass(frozen=True)
class _Table:
    """The header and the data rows, each row with the file line it starts on."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, index: int) -> str:
        """A column named for a message: column `price`, or the 3rd column (no name) when its
        header cell is empty."""
        name = self.header[index]
        return f"column `{shown(name)}`" if name else f"{ordinal(index)} column (no name)"


def load_csv(path: Path | str, target: str | int = -1, *, header: bool | None = None, span: Span | None = None,
             written: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A header row, then numbers; `target` (a column name or index) is y, the rest x.
    `header=False`: no header row, every row is data; None: a header row, which must not be
    all numbers (see `_check_header_present`).

    Returns x (n, columns-1) float32 and y (n,) float32 (the caller casts class ids).

    ```
    source csv("data/houses.csv", target=price)
    ```"""
    read = read_csv(path, target, header=header, span=span, written=written)
    return read.x, read.y


def read_csv(path: Path | str, target: str | int = -1, *, header: bool | None = None, span: Span | None = None,
             written: str | None = None) -> Loaded:
    """`load_csv`, with the header's names of the feature columns and of the target."""
    where = _Where(Path(path), written or str(path), span)
    check_readable(where.file, where.written, span)
    table = _read_table(where, header)
    column = _target_column(table.header, target, where, named=header is not False)
    values = _to_float32(table, _to_numbers(table, where), where)
    names = None if header is False else tuple(table.header)
    return Loaded(np.delete(values, column, axis=1), values[:, column].copy(),
                  None if names is None else names[:column] + names[column + 1:],
                  None if names is None else names[column], written)


def _read_table(where: _Where, header: bool | None) -> _Table:
    """Header and data rows, blank lines skipped but counted, each row as long as the first."""
    lines, rows = _read_lines(where)
    if not rows:
        raise where.error(f"data file `{where.written}` is empty; it needs "
                          f"{'rows' if header is False else 'a header row and rows'} of numbers")
    if header is False:
        table = _Table([""] * len(rows[0]), rows, lines)
    else:
        table = _Table([name.strip() for name in rows[0]], rows[1:], lines[1:])
        if header is None:
            _check_header_present(table.header, lines[0], where)
    if not table.rows:
        raise where.error(f"data file `{where.written}` has a header but no rows of data")
    _check_header(table.header, rows[0][0], where)
    first = "the header names" if header is not False else f"line {table.lines[0]} has"
    for row, line in zip(table.rows, table.lines, strict=True):
        if len(row) != len(table.header):
            raise where.error(f"`{where.written}`, line {line}: {len(row)} cells but {first} "
                              f"{len(table.header)} columns")
    return table


def _check_header_present(header: list[str], line: int, where: _Where) -> None:
    """A first row of numbers is either data in a file without a header (numpy's savetxt writes
    those), or names that happen to be numbers (pandas writes `0,1,2` for an unnamed frame).
    Guessing would silently drop a sample or train on the names, so the author says which."""
    if all(_is_number(name) for name in header):
        cells = ",".join(header) if len(header) <= 6 else ",".join(header[:5]) + ",..."
        raise where.error(f"`{where.written}`, line {line}: the first row is all numbers (`{shown(cells)}`), "
                          "so it is unclear whether it is a header",
                          help="write `header=false` if the file has no header row, or `header=true` if these "
                               "are the column names")


def _read_lines(where: _Where) -> tuple[list[int], list[list[str]]]:
    """The non-blank rows and the line each starts on (a quoted cell may span several lines)."""
    lines, rows = [], []
    try:
        with where.file.open(newline="", encoding="utf-8-sig") as handle:
            reader, start = csv.reader(handle), 1
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(start)
                start = reader.line_num + 1
    except OSError as exc:
        raise cannot_read(where.file, where.written, exc, where.span) from None
    except UnicodeDecodeError as exc:
        # exc.start counts from the decoder's current chunk, not the file's start: no position
        raise where.error(f"data file `{where.written}` is not UTF-8 text (it holds the byte "
                          f"{exc.object[exc.start]:#04x})", help="save it as UTF-8 CSV") from None
    except csv.Error as exc:
        raise where.error(f"data file `{where.written}` cannot be read as CSV text ({exc})") from None
    return lines, rows


def _check_header(header: list[str], first_cell: str, where: _Where) -> None:
    """Two columns at least, and no name twice: `target=a` would take the first `a` in silence.
    Empty names are allowed, and may repeat: pandas writes its index under one, and only
    `target=` reads names."""
    if len(header) < 2:
        raise where.error(f"data file `{where.written}` has one column; it needs the target and at least one "
                          "feature", help=_separator_hint(first_cell))
    first: dict[str, int] = {}
    for index, name in enumerate(header):
        if name and name in first:
            raise where.error(f"`{where.written}` has two columns named `{shown(name)}`: {ordinal(first[name])} and "
                              f"{ordinal(index)}", help="give every column its own name in the header row")
        first.setdefault(name, index)


def _separator_hint(cell: str) -> str | None:
    """A lone header cell holding `;` or a tab is a file written for another separator."""
    for separator, called in _SEPARATORS.items():
        if separator in cell:
            return f"the file seems to be separated by {called}; ldnn reads comma-separated values"
    return None


class TrainingTarget(str):
    """The target of a validation or test csv that names none: the training file's column, by
    name, as the other columns are matched by name."""


def _target_column(header: list[str], target: str | int, where: _Where, *, named: bool = True) -> int:
    """The index of the target column, by name or (possibly negative) index. `named`: the
    header row holds names (not a file without one), so a number that is also a column's name
    (`header=true` over columns named `1,0`) says which it means, or is refused."""
    if isinstance(target, str):
        if target in header:
            return header.index(target)
        columns = ", ".join(f"`{shown(name)}`" for name in header)
        if isinstance(target, TrainingTarget):
            raise data_error(f"`{where.written}` has no column `{shown(target)}`, the training file's target, which "
                             f"a second csv without `target=` takes by name; its columns are {columns}", where.span,
                             help=f"name its target column `{shown(target)}`, as the training file's is")
        raise data_error(f"`{where.written}` has no column `{target}`; its columns are {columns}", where.span,
                         help=did_you_mean(target, header))
    by_name = header.index(str(target)) if named and str(target) in header else None
    if not -len(header) <= target < len(header):
        raise data_error(f"target column {target} is out of range: `{where.written}` has {len(header)} columns "
                         f"(0..{len(header) - 1})", where.span,
                         help=None if by_name is None else f'for the column named `{target}`, write '
                                                           f'`target="{target}"`')
    if by_name is not None and by_name != target % len(header):
        position = target % len(header)
        other = next((i for i in (position, position - len(header)) if i != target and str(i) not in header), None)
        by_position = "" if other is None else f", or `target={other}` for column {position}"
        raise data_error(f"`target={target}` is column {position} by position, `{shown(header[target])}`, but "
                         f"`{where.written}` also has a column named `{target}` (column {by_name})", where.span,
                         help=f'write `target="{target}"` for the column named `{target}`{by_position}')
    return target % len(header)


def _to_numbers(table: _Table, where: _Where) -> np.ndarray:
    """All cells as float64 in one fast pass; on failure, or where NumPy is laxer than a data
    file should be (`1_000`, non-ASCII digits), find the first bad cell to name it."""
    try:
        values = np.array(table.rows, dtype=np.float64)
    except ValueError:
        raise _cell_error(table, _first_bad_cell(table.rows), where) from None
    if not all(_plain("".join(row)) for row in table.rows):
        raise _cell_error(table, _first_bad_cell(table.rows), where)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        raise _cell_error(table, (int(bad[0][0]), int(bad[0][1])), where)
    return values


def _to_float32(table: _Table, values: np.ndarray, where: _Where) -> np.ndarray:
    """The numbers as float32, or E405 at the first cell that float32 cannot hold."""
    out, overflow = to_float32(values)
    if overflow is None:
        return out
    row, col = overflow
    raise where.error(f"`{where.written}`, line {table.lines[row]}, {table.column(col)}: "
                      f"`{shown(table.rows[row][col].strip())}` is past {FLOAT32_RANGE}", help=FLOAT32_HELP)


def _cell_error(table: _Table, cell: tuple[int, int], where: _Where) -> DiagnosticError:
    row, col = cell
    return where.error(f"`{where.written}`, line {table.lines[row]}, {table.column(col)}: "
                       f"`{shown(table.rows[row][col].strip())}` is not a finite number",
                       help="every cell must be a number (no text, no blanks, no NaN)")


def _first_bad_cell(rows: list[list[str]]) -> tuple[int, int]:
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if not _is_number(cell):
                return r, c
    return 0, 0  # unreachable: some cell failed the fast pass


def _is_number(cell: str) -> bool:
    """A finite number written plainly."""
    if not _plain(cell):
        return False
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def _plain(text: str) -> bool:
    """ASCII without `_`: Python's float(), and NumPy's parse with it, also take `1_000` and
    Unicode digits such as `١٢`, which no other tool reading the file would take as numbers."""
    return text.isascii() and "_" not in text
