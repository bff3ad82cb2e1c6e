"""Printing diagnostics in the format the user asked for."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from ldnn_dsl.source.diagnostics import Diagnostic, render_github, render_json, render_text

FORMATS = ("text", "json", "github")


def report(diags: Sequence[Diagnostic], sources: Mapping[str, str], fmt: str = "text",
           out: TextIO | None = None) -> None:
    out = out or sys.stderr
    if fmt == "json":
        print(render_json(diags), file=out)
        return
    for diag in diags:
        print(render_github(diag) if fmt == "github" else render_text(diag, sources) + "\n", file=out)


def counts(diags: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
