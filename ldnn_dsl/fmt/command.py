"""`ldnn fmt PATH...`: format files in place, or report (`--check`) or show (`--diff`) changes.

    $ ldnn fmt specs/            # rewrite every spec under specs/
    $ ldnn fmt --check specs/    # exit 1 and list the files that are not formatted

A file that does not parse is reported as a diagnostic and left untouched; the exit
status is 1 if any file was invalid (or, with `check`, would change), else 0.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ldnn_dsl.fmt.printer import format_text
from ldnn_dsl.source.diagnostics import DiagnosticError, error, render_text
from ldnn_dsl.source.text import MAX_BYTES, SourceFile, decode, read

STDIN = "-"
STDIN_NAME = "<stdin>"


def format_paths(paths: list[str], check: bool = False, diff: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Format every spec named by `paths` (directories: their `*.ldnn` files; `-`: stdin).

    Without `check` or `diff`, files are rewritten in place and stdin goes to `out`.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    status = 0
    for path in _expand(paths):
        if path == STDIN:
            status |= _format_stdin(stdin if stdin is not None else sys.stdin, check, diff, out, err)
        else:
            status |= _format_file(path, check, diff, out, err)
    return status


def _expand(paths: list[str]) -> Iterator[str]:
    """Directories become their `*.ldnn` files, recursively and sorted, so output is stable; one
    that holds none stays itself, to be reported (as `ldnn check` does): formatting nothing
    silently would pass `--check` in CI on a mistyped folder."""
    for path in paths:
        if path != STDIN and os.path.isdir(path):  # False, not OSError, for a name too long
            yield from [str(p) for p in sorted(Path(path).rglob("*.ldnn")) if p.is_file()] or [path]
        else:
            yield path


def _format_stdin(stdin: TextIO, check: bool, diff: bool, out: TextIO, err: TextIO) -> int:
    original = stdin.read(MAX_BYTES + 1)  # no further: `< /dev/zero` would fill the memory
    formatted = _formatted(lambda: decode(STDIN_NAME, original.encode("utf-8")), err)
    if formatted is None:
        return 1
    if not (check or diff):
        out.write(formatted)
        return 0
    return _report(STDIN_NAME, original, formatted, check, diff, out)


def _format_file(path: str, check: bool, diff: bool, out: TextIO, err: TextIO) -> int:
    if os.path.isdir(path):  # only reached for a directory that holds no spec
        err.write(render_text(error("E005", "no .ldnn files in this directory", path=path), {}) + "\n")
        return 1
    formatted = _formatted(lambda: read(path), err)
    if formatted is None:
        return 1
    original = Path(path).read_bytes().decode("utf-8")
    if check or diff:
        return _report(path, original, formatted, check, diff, out)
    if formatted != original:
        try:
            _write_atomic(Path(path), formatted)
        except OSError as exc:
            err.write(f"{path}: error: cannot write the formatted file: {exc.strerror or exc}\n")
            return 1
    return 0


def _formatted(load: Callable[[], SourceFile], err: TextIO) -> str | None:
    """The formatted text, or None after printing the diagnostics (never a traceback)."""
    source: SourceFile | None = None
    try:
        source = load()
        return format_text(source.text, source.path)
    except DiagnosticError as exc:
        sources = {source.path: source.text} if source is not None else {}
        for diag in exc.diagnostics:
            err.write(render_text(diag, sources) + "\n")
        return None


def _report(path: str, original: str, formatted: str, check: bool, diff: bool, out: TextIO) -> int:
    """`--diff` shows the change, `--check` names the file and fails; neither writes."""
    if formatted == original:
        return 0
    if diff:
        lines = difflib.unified_diff(original.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                     fromfile=f"{path} (original)", tofile=f"{path} (formatted)")
        out.writelines(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    if check:
        out.write(f"would reformat {path}\n")
        return 1
    return 0


def _write_atomic(path: Path, text: str) -> None:
    """Write beside the file, then rename over it: a crash never leaves half a spec.

    A symlink is followed to its target first: renaming over the link itself would replace
    the link with a regular file and leave the spec it points at unformatted."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
