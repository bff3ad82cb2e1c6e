"""Printing diagnostics in the format the user asked for."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from ldnn_dsl.source.diagnostics import Diagnostic, render_github, render_json, render_text
from ldnn_dsl.source.text import EMPTY_PATH

FORMATS = ("text", "json", "github")


def report(diags: Sequence[Diagnostic], sources: Mapping[str, str], fmt: str = "text",
           out: TextIO | None = None) -> None:
    """Print `diags` in `fmt` to `out`, by default where that format belongs: text for people on
    stderr (beside the command's own output), JSON and GitHub commands on stdout, like ruff and
    eslint, so `> report.json` keeps them."""
    out = out or (sys.stderr if fmt == "text" else sys.stdout)
    if fmt == "json":
        print(render_json(diags), file=out)
        return
    for diag in diags:
        print(render_github(diag) if fmt == "github" else render_text(diag, sources) + "\n", file=out)


def counts(diags: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def positive(kind: type, at_most: float = math.inf) -> Callable[[str], int | float]:
    """An argparse type: a positive, finite `kind` (int or float) up to `at_most`, or a usage error saying so."""
    wanted = f"a positive {kind.__name__}" + (f" up to {at_most:,}" if at_most < math.inf else "")

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not 0 < value <= at_most or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value
    return parse


def seed(text: str) -> int:
    """An argparse type: a seed Keras accepts, or a usage error saying so."""
    from ldnn_dsl.check.section import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed, a whole number from 0 to {MAX_SEED}, got {text!r}")
    return value


def duration(text: str) -> float:
    """An argparse type: a time such as `90s`, `20m` or `1.5h` (bare numbers are seconds)."""
    from ldnn_dsl.train.stopping import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time such as 90s, 20m or 1.5h, got {text!r}") from None


def named_path(text: str) -> str:
    """An argparse type: a path that is not empty. `--out "$RUN"` with RUN unset would name the
    current folder, or `.keras` with no name before it."""
    if not text:
        raise argparse.ArgumentTypeError(EMPTY_PATH)
    return text
