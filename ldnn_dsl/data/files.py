"""Reading `npz(...)` sources (and, from csvfile, `csv(...)` ones); every failure becomes an
E405 diagnostic that names the file and what is wrong with it, never a NumPy traceback."""

from __future__ import annotations

import pickle
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ldnn_dsl.data.access import cannot_read, check_readable, is_system_error
from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.values import FLOAT32_HELP, FLOAT32_RANGE, number, to_float32
from ldnn_dsl.layers.values import quote
from ldnn_dsl.source.diagnostics import DiagnosticError, did_you_mean, nearest
from ldnn_dsl.source.span import Span

__all__ = ["load_npz"]

# zlib.error: a compressed archive whose deflate stream is damaged
_LOAD_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, zlib.error)


def load_npz(path: Path | str, x: str = "x", y: str = "y", *, span: Span | None = None,
             written: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a NumPy archive: floats as float32, integers (class or token ids) as int32.

    ```
    source npz("data/train.npz", x=x_train, y=y_train)
    ```"""
    file, written = Path(path), written or str(path)
    check_readable(file, written, span)
    archive = _open(file, written, span)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise data_error(f"data file `{written}` holds a single array (.npy), not an .npz archive of x and y",
                         span, path=str(file), help="write it with numpy.savez(path, x=..., y=...)")
    with archive:
        _both_held(archive, x, y, written, span)
        xs = _member(archive, x, "x", written, span)
        ys = _member(archive, y, "y", written, span)
    _check_samples(xs, ys, f"`{written}`", span)
    return xs, ys


NUMPY_STARTS = (b"PK", b"\x93NUMPY")  # a zip archive (.npz), a single array (.npy)


def _open(file: Path, written: str, span: Span | None) -> np.lib.npyio.NpzFile | np.ndarray:
    """The archive; a file the system will not open is unreadable, not malformed, so it gets
    the system's reason and no advice to rewrite it."""
    try:
        return np.load(file, allow_pickle=False)
    except OSError as exc:
        if is_system_error(exc):
            raise cannot_read(file, written, exc, span) from None
        raise _not_an_archive(file, written, str(exc), span) from None
    except _LOAD_ERRORS as exc:
        raise _not_an_archive(file, written, str(exc), span) from None


def _not_an_archive(file: Path, written: str, why: str, span: Span | None) -> DiagnosticError:
    """NumPy's reason only for a file that starts like a NumPy one: for any other it talks of
    pickles, which the author never wrote."""
    try:
        with file.open("rb") as handle:
            start = handle.read(len(NUMPY_STARTS[1]))
    except OSError:
        start = b""
    reason = f" ({why})" if start.startswith(NUMPY_STARTS) else " (it does not start like one)"
    return data_error(f"data file `{written}` is not a NumPy .npz archive{reason}", span, path=str(file),
                      help="write it with numpy.savez(path, x=..., y=...)")


def _held(keys: list[str]) -> str:
    """An archive's arrays, as a message lists them."""
    return ", ".join(f"`{k}`" for k in keys) or "nothing"


def _both_held(archive: np.lib.npyio.NpzFile, x: str, y: str, written: str, span: Span | None) -> None:
    """One error when the archive holds neither array: fixing x alone would only lead to y's."""
    keys = list(archive.files)
    if x in keys or y in keys:
        return  # `_member` names the one that is missing
    near = [found[0] for key in (x, y) if len(found := nearest(key, keys)) == 1]
    x_name, y_name = [n if n.isidentifier() else quote(n) for n in near] if len(near) == 2 else ("<name>", "<name>")
    raise data_error(f"data file `{written}` has neither array `{x}` for x nor `{y}` for y; it holds: {_held(keys)}",
                     span, help=f"name them in the source: `npz({quote(written)}, x={x_name}, y={y_name})`")


def _member(archive: np.lib.npyio.NpzFile, key: str, role: str, written: str, span: Span | None) -> np.ndarray:
    """One named array, numeric and with a sample axis, or an error listing the keys there are."""
    keys = list(archive.files)
    if key not in keys:
        hint = did_you_mean(key, keys)
        raise data_error(f"data file `{written}` has no array `{key}` for {role}; it holds: {_held(keys)}", span,
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
        return _float32(array, what, span)
    raise data_error(f"{what} has dtype {array.dtype}; only numbers can be trained on", span)


def _float32(array: np.ndarray, what: str, span: Span | None) -> np.ndarray:
    """float32, or E405 naming a value it cannot hold: the cast would make it inf, with a
    RuntimeWarning, and the fit check would then blame NaN or infinite values."""
    out, overflow = to_float32(array)
    if overflow is not None:
        raise data_error(f"{what} holds values past {FLOAT32_RANGE}, e.g. {number(array[overflow])}", span,
                         help=FLOAT32_HELP)
    return out


def _check_samples(x: np.ndarray, y: np.ndarray, where: str, span: Span | None) -> None:
    """x and y pair up sample by sample; an empty set cannot be trained on."""
    if len(x) != len(y):
        raise data_error(f"{where}: x has {len(x)} samples but y has {len(y)}; they must pair up", span)
    if len(x) == 0:
        raise data_error(f"{where} holds no samples", span)
