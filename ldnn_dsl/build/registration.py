"""Register our Keras objects as soon as Keras is imported, without importing it ourselves.

`keras.saving.load_model` finds `ldnn>ForgetGateBias` only once `ldnn_dsl.build.custom` has
run. Importing it from `ldnn_dsl/__init__.py` would load TensorFlow for every
`ldnn check`; instead a one-shot `sys.meta_path` finder waits for the top-level `keras`
module, lets it execute, then imports `custom`. If Keras is already loaded, it registers now."""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

_CUSTOM = "ldnn_dsl.build.custom"


def register_when_keras_loads() -> None:
    """Make `ldnn>…` objects loadable in every process that imports both ldnn_dsl and Keras."""
    if "keras" in sys.modules:
        importlib.import_module(_CUSTOM)
    elif not any(isinstance(f, _KerasWatcher) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasWatcher())


class _KerasWatcher(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it asks the other finders for `keras` and wraps the loader. It
    stays in place until Keras has run: a spec may be asked for and never loaded
    (`importlib.util.find_spec("keras")`, as TensorFlow does before it imports Keras)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if fullname != "keras":
            return None
        spec = self._others_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        _register_after(spec.loader, self)
        return spec

    def _others_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
                     ) -> ModuleSpec | None:
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec
        return None


def _register_after(loader: Any, watcher: _KerasWatcher) -> None:
    """Shadow this loader instance's `exec_module`: run Keras' own, then retire the watcher and
    register ours (a Keras that failed to import leaves the watcher for the next try)."""
    original = loader.exec_module

    def exec_module(module: ModuleType) -> None:
        original(module)
        _remove(watcher)
        importlib.import_module(_CUSTOM)

    loader.exec_module = exec_module


def _remove(finder: importlib.abc.MetaPathFinder) -> None:
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
