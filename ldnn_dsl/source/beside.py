"""Names for the temporary files and folders written beside a target before the rename that
puts them in place."""

from __future__ import annotations

import os
from pathlib import Path

NAME_MAX = 255  # bytes in one name (a path component), on Linux and macOS alike


def beside(target: Path, tail: str, spare: int = 0) -> Path:
    """`.NAME.TAIL` in `target`'s folder: hidden, and named after what it becomes, so that a
    leftover says whose it was. NAME is cut short where the whole (and `spare` bytes more, for
    what `tempfile` appends) would pass the limit on a name's length, which a target's own name
    may come close to."""
    room = NAME_MAX - spare - len(f"..{tail}".encode())
    # never half a character; a byte that is no UTF-8 (a name from another system) is left out
    name = os.fsencode(target.name)[:room].decode("utf-8", "ignore")
    return target.with_name(f".{name}.{tail}")
