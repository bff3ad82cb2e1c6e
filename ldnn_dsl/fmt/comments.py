"""Finding comments and braces in the source text: the two things the AST does not keep.

The grammar ignores comments, so the formatter recovers them from the text itself. A
`#` starts a comment anywhere outside a string; strings never span lines, so one pass per
line is enough. The text has already parsed, so every string in it is well formed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

Pos = tuple[int, int]
"""A 1-based (line, column) position, comparable in source order."""


@dataclass(frozen=True)
class Comment:
    """One `# ...` comment; `own_line` when nothing but blanks comes before it on its line."""

    line: int
    col: int
    text: str
    own_line: bool

    @property
    def pos(self) -> Pos:
        return (self.line, self.col)


def scan_comments(text: str) -> list[Comment]:
    """Every comment of `text` in source order, trailing blanks (and a CR) stripped."""
    found: list[Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        col = _comment_start(line)
        if col is not None:
            found.append(Comment(number, col + 1, line[col:].rstrip(), own_line=not line[:col].strip()))
    return found


def _comment_start(line: str) -> int | None:
    """The 0-based index of the `#` that starts a comment on `line`, skipping strings."""
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string and ch == "\\":
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        elif ch == "#" and not in_string:
            return i
        i += 1
    return None


def find_brace(lines: list[str], after: Pos) -> Pos:
    """The position of the first `{` at or after `after`, skipping comments.

    The AST does not record where a body opens; comments between a construct's start
    and its `{` (inside a wrapped parameter list, say) are told apart by this position.
    Callers start after any string of the construct's header, so none is crossed here.
    """
    line, col = after
    while line <= len(lines):
        text = lines[line - 1]
        for i in range(col - 1, len(text)):
            if text[i] == "#":
                break
            if text[i] == "{":
                return (line, i + 1)
        line, col = line + 1, 1
    return after


class CommentQueue:
    """The comments not yet printed, taken strictly in source order so none is reordered."""

    def __init__(self, comments: list[Comment]) -> None:
        self._pending = deque(comments)

    def take_before(self, pos: Pos) -> list[Comment]:
        """Remove and return every pending comment that starts before `pos`."""
        taken: list[Comment] = []
        while self._pending and self._pending[0].pos < pos:
            taken.append(self._pending.popleft())
        return taken

    def any_before(self, pos: Pos) -> bool:
        return bool(self._pending) and self._pending[0].pos < pos
