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
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO

from ldnn_dsl.fmt.printer import format_text
from ldnn_dsl.source.beside import beside
from ldnn_dsl.source.diagnostics import DiagnosticError, error, render_text
from ldnn_dsl.source.text import (
    MAX_BYTES,
    STDIN,
    SourceFile,
    decode,
    no_specs_in,
    read_bytes,
    read_limited,
    spec_paths,
    stdin_bytes,
)


def format_paths(paths: list[str], check: bool = False, diff: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None, stdin: BinaryIO | None = None) -> int:
    """Format every spec named by `paths` (directories: their `*.ldnn` files; `-`: stdin).

    Without `check` or `diff`, files are rewritten in place and stdin goes to `out`.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    status = 0
    for path in spec_paths(paths):
        if path == "-":
            status |= _format_stdin(stdin if stdin is not None else stdin_bytes(), check, diff, out, err)
        else:
            status |= _format_file(path, check, diff, out, err)
    return status


def _format_stdin(stdin: BinaryIO | None, check: bool, diff: bool, out: TextIO, err: TextIO) -> int:
    """Read as bytes, as `ldnn check -` reads: a bad byte is E002 at its place, and the text
    compared with the formatted one is what was sent, line ends and all."""
    done = _formatted(STDIN, lambda: read_limited(stdin, STDIN), err)
    if done is None:
        return 1
    formatted, original = done
    if not (check or diff):
        _write_bytes(out, formatted)
        return 0
    return _report(STDIN, original, formatted, check, diff, out)


def _write_bytes(out: TextIO, text: str) -> None:
    """Stdin's spec back as the UTF-8 bytes it came in, line ends as they are: a text stream
    would encode in the locale's encoding, and on Windows turn each CRLF into CR CR LF."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a stream of text only (a caller's StringIO)
        out.write(text)
        return
    out.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _format_file(path: str, check: bool, diff: bool, out: TextIO, err: TextIO) -> int:
    if os.path.isdir(path):  # only reached for a directory that holds no spec
        err.write(render_text(no_specs_in(path), {}) + "\n")
        return 1
    done = _formatted(path, lambda: read_bytes(path), err)
    if done is None:
        return 1
    formatted, original = done
    if check or diff:
        return _report(path, original, formatted, check, diff, out)
    if formatted != original:
        try:
            _write_atomic(Path(path), formatted)
        except OSError as exc:
            err.write(f"{path}: error: cannot write the formatted file: {exc.strerror or exc}\n")
            return 1
    return 0


def _formatted(name: str, read: Callable[[], bytes], err: TextIO) -> tuple[str, str] | None:
    """The formatted text and the original, as `read` gives its bytes (line ends and byte-order
    mark kept, which the parsed text drops); or None after printing the diagnostics (never a
    traceback)."""
    source: SourceFile | None = None
    try:
        data = read()
        source, original = decode(name, data), data.decode("utf-8")
        formatted = _in_style_of(original, format_text(source.text, source.path))
        _refuse_growth_past_limit(source.path, formatted)
        return formatted, original
    except DiagnosticError as exc:
        sources = {source.path: source.text} if source is not None else dict(exc.sources)
        for diag in exc.diagnostics:
            err.write(render_text(diag, sources) + "\n")
        return None


def _in_style_of(original: str, formatted: str) -> str:
    """`formatted` with the original's line ends (CRLF where its first line ends so) and its
    UTF-8 byte-order mark, as black and rustfmt keep them: a checkout that git gave Windows
    line ends stays as it is, and `--check` passes on it. Mixed line ends become the first's."""
    first = original.find("\n")
    if first > 0 and original[first - 1] == "\r":
        formatted = formatted.replace("\n", "\r\n")
    return ("\ufeff" if original.startswith("\ufeff") else "") + formatted


def _refuse_growth_past_limit(path: str, formatted: str) -> None:
    """Aligned and spaced, a spec near the size limit may pass it: the result would be a file
    that neither `ldnn check` nor `ldnn fmt` reads, so it is not written."""
    size = len(formatted.encode("utf-8"))
    if size > MAX_BYTES:
        raise DiagnosticError([error("E004", f"formatted, the file would be {size:,} bytes, over the limit of "
                                     f"{MAX_BYTES:,} for a spec; it was left as it is", path=path,
                                     help="split it: `use` a second file for some of its `let`s and `block`s")])


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
    tmp = beside(path, f"fmt-{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
