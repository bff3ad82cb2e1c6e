"""The layer table (`ldnn_dsl/layers/registry.KINDS`) is the one place a kind is added: what
lives outside it, the README's layer reference and the fuzz test's generators, is checked
against it here, so a new kind without them fails a test rather than going undocumented or
untried."""

from __future__ import annotations

import re

from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_build_fuzz import INPUTS, LAYERS

from ldnn_dsl.layers.base import ACTIVATIONS, LayerKind
from ldnn_dsl.layers.registry import KINDS, LAYER_KINDS


def readme_row(cls: type[LayerKind]) -> str:
    """The kind's row of the README's layer table, as its class defines it."""
    words = (["an activation"] if any(w in ACTIVATIONS for w in cls.words) else []) + [
        f"`{w}`" for w in sorted(cls.words) if w not in ACTIVATIONS]
    options = [f"`{f}=`" for f in cls.model_fields if f not in ("kind", "name", *cls.positional)]
    cells = [f"`{cls.model_fields['kind'].default}`", ", ".join(cls.positional), ", ".join(words),
             ", ".join(options), cls.doc]
    return "| " + " | ".join(cell or "—" for cell in cells) + " |"


def test_the_readme_has_each_kinds_row_as_its_class_defines_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Layers"):readme.index("### Initializers")]
    rows = re.findall(r"^\| `\w+` \|.*\|$", table, re.MULTILINE)
    assert rows == [readme_row(cls) for cls in KINDS]


def test_the_fuzz_generators_draw_every_kind() -> None:
    """Else the checker-equals-Keras fuzz test would never try the new kind."""
    seen: set[str] = set()

    @settings(max_examples=2000, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.one_of(LAYERS, INPUTS))
    def draw(text: str) -> None:
        seen.update(re.findall(r"^\s*(\w+)", text, re.MULTILINE))

    draw()
    assert sorted(set(LAYER_KINDS) - seen) == []
