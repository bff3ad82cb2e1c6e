"""Reading spec files into text without ever letting a bad file raise; and the paths around
them: which files a command line names (`spec_paths`), and where a path a spec writes leads
(`resolve`)."""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error, nearest

LONE_CR = re.compile(r"\r(?!\n)")
# Real specs are a few kilobytes; past this, parsing alone takes seconds (Lark runs ~30k tokens/s).
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One spec's text and the path it is reported under."""

    path: str
    text: str
    lines: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", self.text.split("\n"))

    def line(self, number: int) -> str:
        """The 1-based line `number`, without its newline ('' past the end)."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1].rstrip("\r")
        return ""


def decode(path: str, data: bytes) -> SourceFile:
    """Bytes to text; the errors say which byte is wrong and where."""
    if len(data) > MAX_BYTES:  # read no further than one byte past the limit
        raise DiagnosticError([error("E004", f"file is over {MAX_BYTES:,} bytes, the limit for a spec",
                                     path=path)])
    wide = _wide_encoding(data)
    if wide:
        name = wide[:6].upper()
        raise _bad_text(path, data.decode(wide, "replace").lstrip("\ufeff"), 0,
                        f"the file is {name} text; specs are UTF-8", help="save it as UTF-8" + (
                            " (the `>` of Windows PowerShell 5 writes UTF-16; `Out-File -Encoding utf8` does not)"
                            if name == "UTF-16" else ""))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        raise _bad_text(path, data[bom:].decode("utf-8", "replace"), len(data[bom:exc.start].decode("utf-8")),
                        f"byte 0x{data[exc.start]:02x} is not valid UTF-8; specs are UTF-8 text") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    text = LONE_CR.sub("\n", text)  # old Mac line ends: one line otherwise, a `#` comment to its end
    nul = text.find("\x00")
    if nul >= 0:
        raise _bad_text(path, text, nul, "NUL byte in the text; specs are plain UTF-8 text")
    return SourceFile(path, text)  # tabs stay: they may be inside strings; only the display expands them


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 by byte-order mark, or UTF-16 without one by the zero bytes that ASCII
    text has in every other byte of its first 64; None for anything else, which the UTF-8 decoder
    judges (a NUL byte, or the first byte that is not UTF-8)."""
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return name
    head = data[:64]
    if len(head) < 8 or len(head) % 2:
        return None
    for zeros, name in ((1, "utf-16-le"), (0, "utf-16-be")):  # where an ASCII character's high byte sits
        if head[zeros::2].count(0) == len(head) // 2 and 0 not in head[1 - zeros::2]:
            return name
    return None


def _bad_text(path: str, text: str, offset: int, message: str, help: str | None = None) -> DiagnosticError:
    """E002 at the character `offset` of `text`, with the line shown as well as it can be (bad bytes as U+FFFD)."""
    start = text.rfind("\n", 0, offset) + 1
    line = text.count("\n", 0, offset) + 1
    col = offset - start + 1
    shown = text.replace("\x00", "\ufffd")
    return DiagnosticError([error("E002", message, path=path, line=line, col=col, help=help)],
                           sources={path: shown})


EMPTY_PATH = "the path is empty (an unset variable?)"  # `"$SPEC"` with SPEC unset; said by the commands too


def read(path: str | Path, written: str | None = None) -> SourceFile:
    """A spec file from disk; a missing file, a directory, a device or a pipe is a diagnostic, not
    an OSError, a hang or an endless read. `written`: the path as the author wrote it, where it
    was resolved against another file's folder (`use "lib.ldnn"`), for the help to say it so."""
    return decode(str(path), read_bytes(path, written))


def read_bytes(path: str | Path, written: str | None = None) -> bytes:
    """`read`'s bytes, not yet decoded: for `fmt`, which writes the file back in its own style."""
    shown = str(path)
    if not shown:  # `ldnn check "$SPEC"` with SPEC unset: `Path("")` would be the current folder
        raise DiagnosticError([error("E005", EMPTY_PATH, path='""')])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a pipe without a writer opens at once
    except IsADirectoryError:
        raise DiagnosticError([error("E005", "is a directory, not a spec file", path=shown)]) from None
    except FileNotFoundError:
        raise DiagnosticError([error("E005", "no such file", path=shown, help=near_file(written or shown, Path(path)))]
                              ) from None
    except OSError as exc:  # a name too long, a folder that cannot be searched, a symlink loop
        raise DiagnosticError([error("E005", f"cannot read the file: {exc.strerror or exc}", path=shown)]) from None
    except ValueError:  # no file name holds a NUL byte
        raise DiagnosticError([error("E005", "the path holds a NUL byte, which no file name can",
                                     path=shown.replace("\0", "\\0"))]) from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        if stat.S_ISDIR(status.st_mode):  # Linux opens a directory for reading
            raise DiagnosticError([error("E005", "is a directory, not a spec file", path=shown)])
        # /dev/zero would be read until the memory is full, a pipe without a writer waited on
        raise DiagnosticError([error("E005", "is not a regular file (a device, a pipe or a socket); give a "
                                     "spec file, or `-` to read standard input", path=shown)])
    with os.fdopen(fd, "rb") as file:
        _refuse_size(shown, status.st_size)
        try:
            data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            raise DiagnosticError([error("E005", f"cannot read the file: {exc.strerror or exc}",
                                         path=shown)]) from None
    return data


MAX_LISTED_FOLDER = 10_000  # entries of a folder looked through for a near name; a bigger one, its first ones only


def near_file(written: str, file: Path) -> str | None:
    """The help for a missing file whose folder holds one of a close name (`sortt.ldnn` or
    `sort.ldn` for `sort.ldnn`): "did you mean `specs/sort.ldnn`?", the path written as the
    author wrote it; None when there is none, or the folder cannot be listed. Only regular files
    are offered, and never the name itself (a dangling symlink is missing under its own name)."""
    try:
        with os.scandir(file.parent) as entries:
            names = sorted(entry.name for _, entry in zip(range(MAX_LISTED_FOLDER), entries, strict=False)
                           if entry.name != file.name and _is_file(entry))
    except (OSError, ValueError):
        return None
    close = _near_names(file, names) or [n for n in names if Path(n).stem == file.stem][:1]
    if not close:
        return None
    head = written[: len(written) - len(file.name)] if written.endswith(file.name) else ""
    return f"did you mean `{head}{close[0]}`?"


def _near_names(file: Path, names: list[str]) -> list[str]:
    """Names close to the file's: by their stems where the suffix is the same (a shared `.ldnn`
    makes any two names look alike: `tgt.ldnn` is no misspelling of `nothing.ldnn`), else whole."""
    same = {Path(n).stem: n for n in names if Path(n).suffix == file.suffix}
    return ([same[stem] for stem in nearest(file.stem, same, prefixes=False)]
            or nearest(file.name, [n for n in names if Path(n).suffix != file.suffix], prefixes=False))


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def spec_paths(paths: list[str]) -> Iterator[str]:
    """The specs that command-line `paths` name: a directory's `*.ldnn` files, recursively and
    sorted; each once however often it is named (`check - -` would read stdin twice, the second
    time finding nothing; `check specs specs/a.ldnn` would report twice). A directory without
    specs stays itself, to be reported: going over nothing silently would pass CI on a mistyped
    folder."""
    seen: set[str] = set()
    for path in paths:
        if path not in ("-", "") and os.path.isdir(path):  # False, not OSError, for a name too long; `""` is "."
            named = [str(f) for f in sorted(Path(path).rglob("*.ldnn")) if f.is_file()] or [path]
        else:
            named = [path]
        for one in named:
            key = one if one == "-" or "\0" in one else os.path.realpath(one)  # no real path holds a NUL
            if key not in seen:
                seen.add(key)
                yield one


def no_specs_in(path: str) -> Diagnostic:
    """E005 for a directory named on the command line that holds no spec."""
    return error("E005", "no .ldnn files in this directory", path=path)


STDIN = "<stdin>"  # the name a spec read from standard input goes by in messages
STDIN_NAMES = ("-", STDIN, "")  # what a spec read from standard input is called, on the command line or in a message


def resolve(spec_path: str | None, path: str) -> Path:
    """A path written in a spec (`use`, a data file) as the spec means it: relative to the
    spec's folder, so a spec runs the same from any working directory; relative to the current
    folder for a spec read from stdin. `~` is the home folder, as in a shell."""
    target = Path(os.path.expanduser(path))
    if target.is_absolute():
        return target
    base = Path.cwd() if spec_path is None or spec_path in STDIN_NAMES else Path(spec_path).parent
    return base / target


def read_spec(path: str) -> SourceFile:
    """A spec named on the command line: `-` is standard input (its data paths then resolve
    against the current folder), anything else a file."""
    return read_stream(stdin_bytes()) if path == "-" else read(path)


def read_stream(stream: BinaryIO | None, path: str = STDIN) -> SourceFile:
    """A spec from a stream (standard input), read no further than the size limit: `< /dev/zero`
    would otherwise fill the memory."""
    return decode(path, read_limited(stream, path))


def read_limited(stream: BinaryIO | None, path: str = STDIN) -> bytes:
    """A stream's bytes up to one past the size limit. None is a standard input that was closed
    (`<&-`), which Python leaves as no stream at all."""
    if stream is None:
        raise DiagnosticError([error("E005", "cannot read standard input: it is closed", path=path,
                                     help="pipe a spec into it, or name the file")])
    try:
        return stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DiagnosticError([error("E005", f"cannot read standard input: {exc.strerror or exc}", path=path)]
                              ) from None


def stdin_bytes() -> BinaryIO | None:
    """Standard input as bytes, as a spec is read; None when it is closed."""
    return sys.stdin.buffer if sys.stdin is not None else None


def _refuse_size(path: str, size: int) -> None:
    if size > MAX_BYTES:
        raise DiagnosticError([error("E004", f"file is {size:,} bytes; specs are limited to {MAX_BYTES:,}",
                                     path=path)])
