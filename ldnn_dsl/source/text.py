"""Reading spec files into text without ever letting a bad file raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error

MAX_BYTES = 16 * 1024 * 1024


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
    if len(data) > MAX_BYTES:
        raise DiagnosticError([error("E004", f"file is {len(data):,} bytes; specs are limited to {MAX_BYTES:,}", path=path)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DiagnosticError(
            [error("E002", f"byte 0x{data[exc.start]:02x} is not valid UTF-8; specs are UTF-8 text", path=path, line=line, col=col)]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise DiagnosticError([error("E002", "NUL byte in the text; specs are plain UTF-8 text", path=path, line=line, col=col)])
    return SourceFile(path, text.expandtabs(4) if "\t" in text else text)


def read(path: str | Path) -> SourceFile:
    """A spec file from disk; a missing file or a directory is a diagnostic, not an OSError."""
    shown = str(path)
    p = Path(path)
    if p.is_dir():
        raise DiagnosticError([error("E005", "is a directory, not a spec file", path=shown)])
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DiagnosticError([error("E005", "no such file", path=shown)]) from None
    except OSError as exc:
        raise DiagnosticError([error("E005", f"cannot read the file: {exc.strerror or exc}", path=shown)]) from None
    return decode(shown, data)
