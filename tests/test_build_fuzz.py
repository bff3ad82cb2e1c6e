"""Static = real beyond the examples: any stack the checker accepts builds in Keras with the
shapes and parameter counts the checker predicted, and runs.

Stacks are grown one random layer at a time, keeping a layer only if the checker accepts the
stack with it, so the checker itself steers the generator towards valid (and so buildable)
specs. Every argument that bears on shapes or parameters is drawn somewhere.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldnn_dsl.check.check import CheckResult, check_source
from ldnn_dsl.layers.base import ACTIVATIONS
from ldnn_dsl.source.text import decode

# CI draws the same 60 stacks every run; `LDNN_FUZZ_EXAMPLES=2000` hunts wider with fresh draws.
HUNT = os.environ.get("LDNN_FUZZ_EXAMPLES")
SETTINGS = settings(max_examples=int(HUNT or 60), derandomize=not HUNT, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

small = st.integers(1, 6)
window = st.one_of(st.integers(1, 3).map(str), st.tuples(st.integers(1, 3), st.integers(1, 3)).map(
    lambda hw: f"{hw[0]}x{hw[1]}"))
padding = st.sampled_from(["", " padding=same", " padding=valid", " same"])
activation = st.sampled_from(("", *ACTIVATIONS)).map(lambda a: f" {a}" if a else "")
weight_options = st.lists(st.sampled_from([" bias=false", " max_norm=2.0", " l2=1e-3", " init=scaled(1.0)",
                                           " init=orthogonal(1.0)", " bias_init=constant(0.1)"]),
                          max_size=2, unique=True).map("".join)


def line(template: str, *parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(lambda values: template.format(*values))


def stride(prefix: str = " stride=") -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), window.map(lambda w: prefix + w))


SLIDING = [  # the kinds that fit fewest shapes: drawn three times as often as the rest
    line("conv {} {}{}{}{}{}", small.map(str), window, activation, stride(), padding, weight_options),
    line("conv1d {} {}{}{}", small.map(str), st.integers(1, 3).map(str), stride(), padding),
    line("{} {}{}{}", st.sampled_from(["maxpool", "avgpool"]), window, stride(), padding),
    line("{} {}{}{}{}", st.sampled_from(["lstm", "gru", "simplernn"]), small.map(str),
         st.sampled_from(["", " sequences"]), st.sampled_from(["", " relu"]),
         st.sampled_from(["", " forget_bias=2.0", " recurrent_init=orthogonal(1.0)"])),
]
OTHERS = [
    line("dense {}{}{}", small.map(str), activation, weight_options),
    line("dropout {}", st.sampled_from(["0", "0.25", "0.5"])),
    line("batchnorm{}", st.sampled_from(["", " momentum=0.9", " epsilon=1e-5"])),
    line("layernorm{}", st.sampled_from(["", " epsilon=1e-5"])),
    line("activation{}", activation.filter(bool)),
    line("embedding {} vocab={}", small.map(str), st.integers(2, 9).map(str)),
    line("residual {{ dense {} relu  dense {} }}", small.map(str), small.map(str)),
    line("residual {{ conv {} 3x3 relu padding=same }}", small.map(str)),
    line("parallel {} {{\n    branch {{ dense {} }}\n    branch {{ activation relu }}\n  }}",
         st.sampled_from(["concat", "add"]), small.map(str)),
    line("parallel concat {{\n    branch {{ conv {} 1x1 relu }}\n    branch {{ maxpool 3x3 stride=1 same }}\n  }}",
         small.map(str)),
    st.one_of(  # the kinds that lower the rank, together as one
        line("globalpool{}", st.sampled_from(["", " max", " avg"])),
        st.just("flatten"),
        line("reshape [{}]", st.sampled_from(["-1", "-1, 2", "2, -1", "-1, 1, 2", "1, -1"])),
    ),
]
LAYERS = st.sampled_from(SLIDING * 3 + OTHERS).flatmap(lambda kind: kind)

INPUTS = st.one_of(
    line("input [{}]", small.map(str)),
    line("input [{}, {}]", small.map(str), small.map(str)),
    line("input [{}, {}, {}]", st.integers(1, 9).map(str), st.integers(1, 9).map(str), st.integers(1, 3).map(str)),
    line("input [{}] int\nembedding {} vocab={}", small.map(str), small.map(str), st.integers(2, 9).map(str)),
)


def checked(lines: list[str]) -> CheckResult:
    text = "model fuzz {\n" + "".join(f"  {row}\n" for row in lines) + "}\n"
    return check_source(decode("fuzz.ldnn", text.encode()), "compile")


@st.composite
def accepted_stack(draw: st.DrawFn) -> list[str]:
    """An input and up to eight more lines, each kept only if the checker accepts the stack with it."""
    lines = draw(INPUTS).split("\n")
    for _ in range(draw(st.integers(1, 12))):
        candidate = draw(LAYERS)
        if not checked([*lines, candidate]).errors:
            lines.append(candidate)
        if len(lines) > 8:
            break
    return lines


@pytest.fixture(scope="module")
def build() -> ModuleType:
    import ldnn_dsl.build.model as build

    return build


@SETTINGS
@given(lines=accepted_stack())
def test_accepted_stacks_build_as_checked_and_run(build: ModuleType, lines: list[str]) -> None:
    result = checked(lines)
    assert not result.errors and result.spec is not None
    model = build.build_model(result.spec)
    assert model.count_params() == result.inference.total_params
    rows = {row.name: row.shape for row in result.inference.rows}
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert {name: rows.get(name) for name in shapes} == shapes
    shape = model.inputs[0].shape[1:]
    batch = (np.random.default_rng(0).integers(0, 2, (2, *shape)) if lines[0].endswith("int")
             else np.random.default_rng(0).normal(size=(2, *shape)).astype("float32"))
    out = np.asarray(model(batch, training=False))
    assert out.shape[1:] == tuple(model.outputs[0].shape[1:])
    assert np.isfinite(out).all()
