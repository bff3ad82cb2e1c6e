"""Where a piece of a spec came from, so every later stage can point back at it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A half-open region of one file: 1-based lines and columns, end column exclusive.

    A column counts characters (a tab is one), as editors' go-to-line and every output format do;
    only the text format's caret line expands tabs, to draw the caret under the span."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other` (same file)."""
        return self.model_copy(update={"end_line": other.end_line, "end_col": other.end_col})

    def contains(self, inner: Span) -> bool:
        """Whether `inner` lies wholly inside this span, in the same file."""
        return (self.path == inner.path and (self.line, self.col) <= (inner.line, inner.col)
                and (inner.end_line, inner.end_col) <= (self.end_line, self.end_col))

    def line_seen_from(self, path: str) -> str:
        """`line 3` inside `path`, `other.ldnn:3` in another file: how a message names a line elsewhere."""
        return f"line {self.line}" if self.path == path else f"{self.path}:{self.line}"


def strip_spans(data: object) -> object:
    """A dumped model without its spans: what 'the same meaning' compares."""
    if isinstance(data, dict):
        return {k: strip_spans(v) for k, v in data.items() if k not in ("span", "spans") and not k.endswith("_span")}
    if isinstance(data, list | tuple):
        return [strip_spans(v) for v in data]
    return data
