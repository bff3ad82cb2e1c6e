"""ldnn: a declarative model-spec language for deep nets.

Importing the package is nearly free: the API (`check`, `compile`, `load`, `train`) loads
the checker when first named, and Keras only when `compile` or `train` runs, so that a
Ctrl-C while `ldnn` starts finds its handler in place. Custom Keras objects register
themselves whenever Keras is imported, so `keras.saving.load_model` works on saved ldnn
models after `import ldnn_dsl`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ldnn_dsl.build.registration import register_when_keras_loads as _register_when_keras_loads

if TYPE_CHECKING:
    from ldnn_dsl.api import check, compile, load, train
    from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError

# `check` and `train` are the API's functions and subpackages too. Python binds a package's
# attribute to a subpackage when the subpackage is first imported, so both (empty) packages
# are imported now and their attributes dropped: later imports of their modules find them
# loaded and leave the names to `__getattr__`, which binds the functions.
for _package in ("check", "train"):
    importlib.import_module(f"ldnn_dsl.{_package}")
    globals().pop(_package, None)  # absent on `importlib.reload`, which finds the packages loaded
del _package
_register_when_keras_loads()

__all__ = ["Diagnostic", "DiagnosticError", "check", "compile", "load", "train"]
__version__ = "0.1.0"

_API = ("check", "compile", "load", "train")


def __getattr__(name: str) -> Any:
    """The API's functions and diagnostics, imported when first asked for."""
    if name in _API:
        from ldnn_dsl import api

        globals().update({function: getattr(api, function) for function in _API})
        return globals()[name]
    if name in ("Diagnostic", "DiagnosticError"):
        from ldnn_dsl.source import diagnostics

        return getattr(diagnostics, name)
    raise AttributeError(f"module 'ldnn_dsl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
