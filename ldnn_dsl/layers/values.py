"""Evaluated argument values: what an expression becomes once lets and parameters are known."""

from __future__ import annotations

from dataclasses import dataclass, field

from ldnn_dsl.source.span import Span


class Percentage(float):
    """A number written with `%`: always a fraction, never a count, even when whole (100%)."""


def number_text(value: float) -> str:
    """A number as short as it reads (`1`, `0.02`, `1e-05`) with every digit it needs to read
    back as the very same float (`0.0123456789`): what ldnn writes for a spec to read."""
    short = f"{value:g}"
    if float(short) == value:
        return short
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(float(value))


@dataclass(frozen=True)
class Word:
    """A bare name that is not a `let` or parameter: an activation, a flag, a choice."""

    name: str

    def __str__(self) -> str:
        return self.name


class Several(list):  # type: ignore[type-arg]
    """The values written after one setting's name (`lr 0.1 e`), as opposed to a list written
    in brackets: a message shows them as written, not as `[0.1, e]`."""


@dataclass(frozen=True)
class WindowValue:
    dims: tuple[int, ...]


@dataclass(frozen=True)
class CallValue:
    """`normal(0.02)`, `plateau(factor=0.5)`: a choice with arguments."""

    name: str
    args: tuple[Arg, ...] = ()
    name_span: Span | None = field(default=None, compare=False)  # an unknown name is marked alone


@dataclass(frozen=True)
class Arg:
    """One evaluated argument: positional when `key` is None."""

    value: object
    span: Span
    key: str | None = None
    key_span: Span | None = field(default=None, compare=False)
    item_spans: tuple[Span, ...] = field(default=(), compare=False)  # a list's items, for errors inside it
    product: tuple[int, ...] | None = field(default=None, compare=False)  # `3*3` as written: a window's typo
    quoted: bool = field(default=False, compare=False)  # written as a string here, not through a let or parameter
    quoted_items: tuple[bool, ...] = field(default=(), compare=False)  # the same, for each item of a list


def plain(value: object) -> object:
    """The Python value Pydantic validates: words become strings, windows tuples, calls dicts."""
    if isinstance(value, Word):
        return {"true": True, "false": False}.get(value.name, value.name)
    if isinstance(value, WindowValue):
        return value.dims
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, CallValue):
        return {"name": value.name, "args": [plain(a.value) for a in value.args if a.key is None],
                **{a.key: plain(a.value) for a in value.args if a.key is not None}}
    return value


def quote(value: str) -> str:
    """The string literal whose value is `value`: `unquote`'s inverse. Every backslash is doubled,
    even one `unquote` would keep as written: `"a\\tb"` must not read back as a tab."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def written(value: object) -> str:
    """A value as the spec writes it (`normal(0.02)`, `3x3`, `10%`, `"my data.npz"`), for a
    help that shows a line put right."""
    if isinstance(value, CallValue):
        inner = ", ".join(f"{a.key}={written(a.value)}" if a.key else written(a.value) for a in value.args)
        return f"{value.name}({inner})"
    if isinstance(value, WindowValue):
        return "x".join(map(str, value.dims))
    if isinstance(value, Percentage):
        return f"{number_text(value * 100)}%"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(written, value)) + "]"
    return quote(value) if isinstance(value, str) else str(value)
