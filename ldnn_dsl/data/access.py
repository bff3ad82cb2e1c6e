"""Whether a data file can be opened, and why not in the spec author's words. `Path.exists()`
raises for a name too long or a folder that cannot be searched, and calls a symlink loop
"missing", so the path is stat'ed here and every OSError becomes an E405 at the `source` line."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.values import shown
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import near_file

# errno's own words (strerror) say these badly for a data path
_REASONS = {
    errno.ELOOP: "it is a symlink loop (links that lead back to each other)",
    errno.ENOTDIR: "a folder on its path is a file",
}
_DENIED = (errno.EACCES, errno.EPERM)


def check_readable(file: Path, written: str, span: Span | None) -> None:
    """A missing file or a folder is the commonest mistake: say where we looked."""
    try:
        status = file.stat()
    except FileNotFoundError:
        raise _missing(file, written, span) from None
    except OSError as exc:
        raise cannot_read(file, written, exc, span) from None
    except ValueError:  # a NUL in the path: os.stat refuses it before asking the system
        raise data_error(f"cannot read `{shown(written)}`: the path holds a NUL character", span) from None
    if not stat.S_ISREG(status.st_mode):
        raise data_error(f"data file `{written}` is not a file (looked at {file})", span, path=str(file))


def _missing(file: Path, written: str, span: Span | None) -> DiagnosticError:
    """Not there; a dangling link says where it points, since the link itself is there to see."""
    if file.is_symlink():
        return data_error(f"data file `{written}` is a symbolic link to `{os.readlink(file)}`, which does not exist",
                          span, path=str(file))
    return data_error(f"data file `{written}` does not exist (looked for {file})", span, path=str(file),
                      help=near_file(written, file) or "paths in a spec are relative to the spec file's folder (to "
                                                       "the current folder for a spec read from standard input)")


def cannot_read(file: Path, written: str, exc: OSError, span: Span | None) -> DiagnosticError:
    """E405 for a file the system will not open or stat, with errno's reason, lower-cased."""
    help = "check the permissions of the file and of the folders above it" if exc.errno in _DENIED else None
    return data_error(f"cannot read `{written}`: {os_reason(exc)}", span, path=str(file), help=help)


def os_reason(exc: OSError) -> str:
    """"file name too long", "permission denied": the system's words without the errno and
    path that `str(exc)` adds, which the message already names."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def is_system_error(exc: OSError) -> bool:
    """An OSError from the system (it has an errno), not one a library raised about the contents."""
    return exc.errno is not None
