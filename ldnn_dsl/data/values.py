"""float32's limits and how values are shown in a message: ldnn trains in float32, so a value
that a file holds in float64 must fit it, and a cell is quoted so that the author sees what the
file holds (a NUL or a tab escaped), not a terminal's garbled rendering of it."""

from __future__ import annotations

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_RANGE = "float32's range (±3.4e38)"
FLOAT32_HELP = "ldnn trains in float32: scale the values down (divide by a constant, or take a log) in the file"


def to_float32(array: np.ndarray) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """`array` as float32, and the index of its first finite value that float32 cannot hold
    (None when all fit). The cast is done with overflow silenced, so that a caller can name the
    value instead of NumPy printing `RuntimeWarning: overflow encountered in cast`."""
    with np.errstate(over="ignore"):
        out = array.astype(np.float32, copy=False)
    if out is array or np.isfinite(out).all():
        return out, None
    overflowed = np.argwhere(np.isinf(out) & np.isfinite(array))
    return out, (tuple(int(i) for i in overflowed[0]) if len(overflowed) else None)


def number(value: object) -> str:
    """A number as short as `:g` writes it (1e+300), or as NumPy does when float() cannot hold
    it (a long double past float64)."""
    as_float = float(value)  # type: ignore[arg-type]
    return f"{as_float:g}" if np.isfinite(as_float) or not isinstance(value, np.floating) else str(value)


def shown(text: str) -> str:
    """`text` with its non-printable characters escaped as Python writes them (`2\\x00`, `\\t`):
    a raw NUL or escape sequence in a diagnostic hides the very problem it reports."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def ordinal(index: int) -> str:
    """`the 3rd` for index 2: a column's position in words, which cannot be mistaken for the
    0-based index that `target=` takes."""
    place = index + 1
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"the {place}{suffix}"
