"""The specs the benchmarks run: the shared examples (optionally with a shorter input), the
wide MLPs, and a generated long spec for front-end throughput."""

from __future__ import annotations

import re
from functools import cache

from benchmarks import EXAMPLES, SPECS
from ldnn_dsl.check.check import CheckResult, check_source
from ldnn_dsl.source.text import SourceFile, decode

INPUT_LINE = re.compile(r"^(\s*input\s*)\[[^\]]*\]", re.MULTILINE)


@cache
def spec_text(name: str) -> str:
    """A shared example by name, or `wide_mlp` from this repository's specs/."""
    path = SPECS / f"{name}.ldnn" if name == "wide_mlp" else EXAMPLES / f"{name}.ldnn"
    return path.read_text(encoding="utf-8")


def with_input(text: str, shape: tuple[int, ...] | None) -> str:
    """The same spec with another input shape: only for data lengths the weights do not depend on
    (an LSTM's sequence length), so the model's parameters stay exactly the same."""
    if shape is None:
        return text
    replaced, count = INPUT_LINE.subn(lambda m: m.group(1) + "[" + ", ".join(map(str, shape)) + "]", text, count=1)
    if count != 1:
        raise ValueError(f"Received a spec without an `input [...]` line; cannot set its shape to {shape}")
    return replaced


def checked(text: str, path: str, purpose: str = "compile") -> CheckResult:
    """Check a spec that must be valid; the benchmark is meaningless otherwise."""
    result = check_source(decode(path, text.encode("utf-8")), purpose)  # type: ignore[arg-type]
    if result.errors or result.spec is None:
        raise ValueError(f"{path} does not check: " + "; ".join(d.message for d in result.errors))
    return result


def mlp_text(width: int, depth: int, inputs: int, batch: int, precision: str = "float32") -> str:
    """A wide MLP as ldnn: the `--gpu-mlp` model (8 x dense 8192 in bf16) at any size."""
    return (f"model wide_mlp {{\n  input [{inputs}]\n  repeat {depth} {{\n    dense {width} relu\n  }}\n"
            "  dense 10 softmax\n}\n\ninit {\n  weights scaled(1.4)\n}\n\n"
            "train {\n  loss      sparse_categorical_crossentropy\n  optimizer sgd(momentum=0.9)\n"
            f"  lr        0.05\n  batch     {batch}\n  epochs    1\n  precision {precision}\n}}\n")


def big_spec(lines: int = 5000) -> str:
    """A valid spec of about `lines` lines: lets (3/10), blocks (3/10), and a long model of
    block calls, repeats and residuals (the rest), with comments along the way."""
    lets, blocks = max(2, lines * 3 // 10), max(1, lines * 3 // 10 // 8)
    out = ["# Generated for the front-end benchmark: lets, blocks and a long model.", "", "let base = 16"]
    out += [f"let w_{i} = base + {i % 7} * 2" + ("    # every tenth has a comment" if i % 10 == 0 else "")
            for i in range(1, lets)]
    for b in range(blocks):
        out += ["", f"block unit_{b}(width, rate) {{", "  dense width relu", "  residual {",
                "    dense width relu", "    dense width", "  }", "  dropout rate", "}"][1 if b else 0:]
    out += ["", "model big {", "  input [base]"]
    body: list[str] = []
    i = 0
    while len(out) + len(body) + 8 < lines:
        if i % 5 == 4:
            body += ["  repeat 2 {", f"    unit_{i % blocks}(w_{1 + i % (lets - 1)}, 0.1)", "  }"]
        else:
            comment = "  # a call" if i % 9 == 0 else ""
            body.append(f"  unit_{i % blocks}(w_{1 + i % (lets - 1)}, {(i % 4) / 10}){comment}")
        i += 1
    out += [*body, "  dense 10 softmax", "}", "", "init {", "  weights scaled(1.0)", "  biases  zeros", "}", ""]
    return "\n".join(out)


def source(text: str, path: str) -> SourceFile:
    return decode(path, text.encode("utf-8"))
