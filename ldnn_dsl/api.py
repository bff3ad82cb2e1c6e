"""The Python API: thin entry points over the pipeline.

    >>> import ldnn_dsl
    >>> spec = ldnn_dsl.load("model m {\\n  input [4]\\n  dense 2 softmax\\n}\\n")
    >>> spec.model.name
    'm'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ldnn_dsl.check.check import CheckResult, Purpose, check_source, checked
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.source.text import SourceFile, decode, read

if TYPE_CHECKING:
    import keras


def source_of(path_or_text: str | Path) -> SourceFile:
    """A path (a Path, or a one-line string naming a file) is read; anything else is spec text."""
    if isinstance(path_or_text, Path):
        return read(path_or_text)
    if "\n" not in path_or_text and ("{" not in path_or_text) and Path(path_or_text).suffix == ".ldnn":
        return read(path_or_text)
    return decode("<text>", path_or_text.encode("utf-8"))


def check(path_or_text: str | Path, purpose: Purpose = "check") -> CheckResult:
    """Every diagnostic of a spec, plus the checked spec and its static shapes when it is valid."""
    return check_source(source_of(path_or_text), purpose)


def load(path_or_text: str | Path, purpose: Purpose = "compile") -> Spec:
    """The checked spec; raises DiagnosticError holding every error."""
    spec = checked(source_of(path_or_text), purpose).spec
    assert spec is not None  # `checked` raises otherwise
    return spec


def compile(path_or_text: str | Path, *, xla: bool = False) -> keras.Model:
    """The spec's network as a Keras model (imports Keras)."""
    from ldnn_dsl.build.model import build_model

    return build_model(load(path_or_text, "compile"), xla=xla)


def train(spec_path: str | Path, **options: Any) -> Any:
    """Train as `ldnn train` does; returns the run's result (folder, metrics)."""
    from ldnn_dsl.train.run import train as run_training

    return run_training(str(spec_path), **options)
