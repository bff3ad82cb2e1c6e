"""Output lines and the two column alignments, applied once the whole file is laid out.

Alignment depends on the neighbours of a line, so the printer first emits `Line`s and
`render` lines up columns afterwards:

* settings and `let`s: in a run of lines with the same `align` key, the values start one
  space after the longest name (`loss      sparse_...`, `let bits  = 16`). Blank lines
  and other code end a run; full-line comments do not.
* end-of-line comments: in a run of consecutive code lines that each carry one, the
  comments start at the same column: COMMENT_COLUMN, or two spaces after the longest
  code of the run when that is further right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

INDENT = "  "
COMMENT_COLUMN = 32
"""0-based column of end-of-line comments (as in the shared examples): `input [60]` + padding."""

LineKind = Literal["code", "comment", "blank"]


@dataclass
class Line:
    """One output line; `right` is the column that `align` lines up (a setting's value)."""

    kind: LineKind
    indent: int = 0
    left: str = ""
    right: str = ""
    align: str | None = None
    comment: str | None = None


def render(lines: list[Line]) -> str:
    """The file's text: aligned columns, each line ending in one newline."""
    code = _aligned_code(lines)
    texts = _with_comments(lines, code)
    return "".join(t.rstrip() + "\n" for t in texts)


def _aligned_code(lines: list[Line]) -> list[str]:
    """Each line's text without its end-of-line comment, settings and lets lined up."""
    widths: dict[int, int] = {}
    for run in _align_runs(lines):
        width = max((len(lines[i].left) for i in run if lines[i].right), default=0)
        widths.update(dict.fromkeys(run, width))
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.kind == "blank":
            out.append("")
            continue
        text = line.left
        if line.right:
            text = f"{line.left.ljust(widths.get(i, 0))} {line.right}"
        out.append(INDENT * line.indent + text)
    return out


def _align_runs(lines: list[Line]) -> Iterator[list[int]]:
    """Indices of lines sharing an `align` key, run by run; full-line comments are skipped."""
    run: list[int] = []
    key: str | None = None
    for i, line in enumerate(lines):
        if line.kind == "comment":
            continue
        if line.align is not None and line.align == key:
            run.append(i)
            continue
        if run:
            yield run
        run, key = ([i], line.align) if line.align is not None else ([], None)
    if run:
        yield run


def _with_comments(lines: list[Line], code: list[str]) -> list[str]:
    """Attach end-of-line comments, one column per run of consecutive commented lines."""
    out = list(code)
    i = 0
    while i < len(lines):
        if lines[i].comment is None:
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].comment is not None:
            j += 1
        column = max(COMMENT_COLUMN, *(len(code[k]) + 2 for k in range(i, j)))
        for k in range(i, j):
            out[k] = f"{code[k].ljust(column)}{lines[k].comment}"
        i = j
    return out
