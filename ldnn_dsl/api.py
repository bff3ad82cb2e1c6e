"""The Python API: thin entry points over the pipeline.

    >>> import ldnn_dsl
    >>> spec = ldnn_dsl.load("model m {\\n  input [4]\\n  dense 2 softmax\\n}\\n")
    >>> spec.model.name
    'm'

What `path_or_text` is read as: a `pathlib.Path` (any os.PathLike) is always a path; a `str`
is a path when it is one line that names something that exists, ends in `.ldnn`, or reads as a
path (no spaces, `=`, braces or quotes, and a `/` or a file suffix), and the text of a spec
otherwise; `bytes` are always the text of a spec, checked as a file's bytes are
(UTF-8, no NUL). Anything else is a TypeError.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from ldnn_dsl.check.check import CheckResult, Purpose, check_source, checked
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.text import SourceFile, decode, read

if TYPE_CHECKING:
    import keras

    from ldnn_dsl.train.saving import RunResult

PURPOSES = get_args(Purpose)
PATH_LIKE = re.compile(r'[^\s={}"\0]*([/\\][^\s={}"\0]*|\.[A-Za-z]\w*)')  # `specs/sort.ldn`, `sort.ldn`
TEXT_PATH = "<text>"  # what diagnostics in spec text given as a string are reported under
Source = str | bytes | bytearray | os.PathLike[str]


def source_of(path_or_text: Source, caller: str = "load") -> SourceFile:
    """The spec that `path_or_text` names or holds (the rule in this module's docstring).

    Why this rule: a spec's text runs over several lines and names no file, while a path is one
    line; and a `.ldnn` name that does not exist should say "no such file", not fail to parse.
    `caller` names the function in the TypeError, as the user called it."""
    if isinstance(path_or_text, os.PathLike):
        return read(os.fsdecode(path_or_text))
    if isinstance(path_or_text, bytes | bytearray):
        return decode(TEXT_PATH, bytes(path_or_text))
    if not isinstance(path_or_text, str):
        raise TypeError(f"ldnn_dsl.{caller} takes a path or the text of a spec, got {type(path_or_text).__name__}")
    if is_path(path_or_text):
        return read(path_or_text)
    return decode(TEXT_PATH, path_or_text.encode("utf-8", "surrogatepass"))


def is_path(text: str) -> bool:
    """Whether a string names a file: one line, not blank (`Path("")` is the current folder), and
    ending in `.ldnn`, naming something that exists, or reading as a path: a mistyped
    `specs/sort.ldn` should say "no such file", where no one-line spec has a `/` or a suffix
    without a space, `=`, brace or quote (`let x = 0.5` has). A name the OS cannot even look
    up (too long, a NUL) is text."""
    if not text.strip() or "\n" in text or "\r" in text:
        return False
    if text.endswith(".ldnn") or PATH_LIKE.fullmatch(text):
        return True
    try:
        return Path(text).exists()
    except (OSError, ValueError):
        return False


def check(path_or_text: Source, purpose: Purpose = "check") -> CheckResult:
    """Every diagnostic of a spec, plus the checked spec and its static shapes when it is valid.

    `path_or_text`: a Path is a path; a str is a path when it is one line that names something
    that exists, ends in `.ldnn` or reads as a path, spec text otherwise; bytes are UTF-8 spec text. A file that
    cannot be read (missing, not UTF-8) is a result with that diagnostic too, not an exception."""
    _known(purpose)
    try:
        source = source_of(path_or_text, "check")
    except DiagnosticError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        path = (first.span.path if first.span else first.path) if first else None
        return CheckResult(path or TEXT_PATH, diagnostics=exc.diagnostics, sources=exc.sources)
    return check_source(source, purpose)


def _known(purpose: object) -> None:
    """A ValueError naming the purposes, rather than a KeyError from deep inside."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(map(repr, PURPOSES))}; got {purpose!r}")


def load(path_or_text: Source, purpose: Purpose = "compile") -> Spec:
    """The checked spec; raises DiagnosticError holding every error.

    `path_or_text`: a Path is a path; a str is a path when it is one line that names something
    that exists, ends in `.ldnn` or reads as a path, spec text otherwise; bytes are UTF-8 spec text."""
    return _loaded(path_or_text, purpose, "load")


def compile(path_or_text: Source, *, xla: bool | None = None) -> keras.Model:
    """The spec's network as a Keras model (imports Keras), in the spec's `precision`, with
    kernels for XLA or not (`xla`) as the spec's `jit` rule picks them by default, as
    `ldnn compile` does. Not compiled with an optimizer: the recipe is `ldnn_dsl.train`'s.

    `path_or_text`: a Path is a path; a str is a path when it is one line that names something
    that exists, ends in `.ldnn` or reads as a path, spec text otherwise; bytes are UTF-8 spec text."""
    spec = _loaded(path_or_text, "compile", "compile")  # before Keras: a bad spec fails fast
    from ldnn_dsl.build.model import build_in_precision
    from ldnn_dsl.train.xla import spec_jit

    return build_in_precision(spec, xla=spec_jit(spec) if xla is None else xla)


def _loaded(path_or_text: Source, purpose: Purpose, caller: str) -> Spec:
    """`load`, with the TypeError naming the function the user called."""
    _known(purpose)
    spec = checked(source_of(path_or_text, caller), purpose).spec
    assert spec is not None  # `checked` raises otherwise
    return spec


def train(spec_path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None, epochs: int | None = None,
          seed: int | None = None, quiet: bool = False, max_time: float | None = None) -> RunResult:
    """Train as `ldnn train` does; returns the run's result (folder, metrics). Takes a path only:
    a run folder records the spec file it was trained from. `out`: the run folder (default
    `runs/<model>-<time>`); `epochs`, `seed`: replace the spec's; `max_time`: seconds of training
    before it stops, validates and saves; `quiet`: no progress output."""
    if not isinstance(spec_path, str | os.PathLike):
        raise TypeError(f"ldnn_dsl.train takes a path to a spec file, got {type(spec_path).__name__}")
    if isinstance(spec_path, str) and not is_path(spec_path) and ("\n" in spec_path or "{" in spec_path):
        raise ValueError("ldnn_dsl.train takes a path to a spec file, not a spec's text: the run folder records "
                         "the file it was trained from; write the text to a file and pass its path")
    from ldnn_dsl.train.run import train as run_training

    return run_training(os.fsdecode(spec_path), out=out, epochs=epochs, seed=seed, quiet=quiet,  # type: ignore[arg-type]
                        max_time=max_time)
