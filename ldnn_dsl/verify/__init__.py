"""Checks of a compiled network against its own mathematics; imports Keras when called.

`check_gradients` (the `gradcheck` function of `ldnn_dsl.verify.gradcheck`, re-exported under
a name that does not hide the module) compares the backend's analytic gradient with central
differences: the recipe's safeguard before trusting a network's backward pass."""

from __future__ import annotations

from ldnn_dsl.verify.backends import GradcheckError
from ldnn_dsl.verify.gradcheck import (
    GradcheckOptions,
    GradcheckReport,
    LayerResult,
    SkippedLayer,
)
from ldnn_dsl.verify.gradcheck import gradcheck as check_gradients

__all__ = ["GradcheckError", "GradcheckOptions", "GradcheckReport", "LayerResult", "SkippedLayer",
           "check_gradients"]
