"""Checks of a compiled network against its own mathematics; imports Keras when called.

`check_gradients` (the `gradcheck` function of `ldnn_dsl.verify.gradcheck`, re-exported under
a name that does not hide the module) compares the backend's analytic gradient with central
differences: the recipe's safeguard before trusting a network's backward pass. The names load
their modules on first use (NumPy among them): the command line reads `GradcheckOptions`'
defaults from `verify.options` without them."""

from __future__ import annotations

import importlib
from typing import Any

from ldnn_dsl.verify.options import GradcheckOptions

_LOADED_ON_USE = {"GradcheckError": ("backends", "GradcheckError"), "GradcheckReport": ("gradcheck", "GradcheckReport"),
                  "LayerResult": ("gradcheck", "LayerResult"), "SkippedLayer": ("gradcheck", "SkippedLayer"),
                  "check_gradients": ("gradcheck", "gradcheck")}


def __getattr__(name: str) -> Any:
    if name not in _LOADED_ON_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LOADED_ON_USE[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


__all__ = ["GradcheckError", "GradcheckOptions", "GradcheckReport", "LayerResult", "SkippedLayer",
           "check_gradients"]
