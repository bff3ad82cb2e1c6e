"""The results as Markdown: a header (date, machine, versions), then one table per benchmark."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Table:
    """One benchmark's figures; `notes` are printed under the table (findings, how it was measured)."""

    title: str
    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([cell(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"


def cell(value: object) -> str:
    """Numbers to short text: 3 significant figures, thousands separated; NaN/None as `n/a`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value).replace("|", "\\|")
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def document(header: Sequence[tuple[str, str]], tables: Sequence[Table], command: str) -> str:
    lines = ["# ldnn benchmarks", "", f"Produced by `{command}`. Figures are medians of repetitions; "
             "ratios are taken pair by pair over alternated runs (A B A B ...), then the median.", ""]
    lines += [f"- **{key}**: {value}" for key, value in header]
    return "\n".join(lines) + "\n\n" + "\n".join(t.markdown() for t in tables)
