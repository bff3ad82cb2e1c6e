"""Pydantic's validation errors reworded for the spec's author, at the argument's span."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ldnn_dsl.layers.initializers import INITIALIZERS
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error
from ldnn_dsl.source.span import Span

MAX_LISTED = 8  # longer lists of choices go into the help, not the message
RANGE = {"greater_than": "greater than {gt}", "greater_than_equal": "at least {ge}", "less_than": "less than {lt}",
         "less_than_equal": "at most {le}"}


def validate(cls: type[BaseModel], data: dict[str, Any], spans: Mapping[str, Span], span: Span,
             what: str) -> tuple[BaseModel | None, list[Diagnostic]]:
    """`cls(**data)`, or the diagnostics explaining why not (one per bad argument)."""
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        return None, list(_diagnostics(exc.errors(include_url=False), spans, span, what))


def _diagnostics(errors: Iterable[Any], spans: Mapping[str, Span], span: Span, what: str) -> Iterable[Diagnostic]:
    seen: set[str] = set()
    for err in errors:
        loc = [part for part in err["loc"] if isinstance(part, str) and part.isidentifier()]  # no indices, no
        #   union branch labels such as `constrained-float` or `function-before[...]`
        field = loc[0] if loc else ""
        if field in seen:
            continue
        seen.add(field)
        yield _one(err, loc, spans.get(field, span), what)


def _one(err: Any, loc: list[str], span: Span, what: str) -> Diagnostic:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    shown = _show(value)
    field = loc[-1] if loc else ""
    called = field == "args" and len(loc) > 1
    if called:  # `init=normal("x")`: name the option, not the call's internals
        loc, field = loc[:-1], loc[-2]
    if len(loc) >= 3:  # setting, choice, argument: `factor` of `plateau`
        what = f"`{loc[-2]}`"
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return error("E210", f"unknown {field} `{ctx.get('tag')}` in {what}; choose one of {', '.join(tags)}", span,
                     help=did_you_mean(str(ctx.get("tag")), tags))
    if kind in RANGE:
        return error("E202", f"`{field}` of {what} must be {RANGE[kind].format(**ctx)}; got {shown}", span)
    if kind == "missing":
        return error("E206", f"{what} needs `{field}`", span)
    if kind == "extra_forbidden":
        return error("E204", f"unknown option `{field}` for {what}", span)
    if kind == "literal_error":
        choices = [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else None
        if len(choices) > MAX_LISTED and isinstance(value, str):  # `loss`: name it, list the choices only as help
            return error("E210", f"unknown {field} {shown} in {what}", span,
                         help=hint or f"choose one of {', '.join(choices)}")
        return error("E210", f"`{field}` of {what} must be one of {', '.join(choices)}; got {shown}", span,
                     help=hint)
    if kind in ("too_short", "too_long"):
        return error("E202", f"`{field}` of {what} {err['msg'].lower()}", span)
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        if message.startswith("unknown initializer"):
            name = message.split("`")[1] if "`" in message else str(value)
            return error("E208", f"{message} for `{field}` of {what}", span, help=did_you_mean(name, INITIALIZERS))
        return error("E202" if "got" in message and "expected" not in message else "E201",
                     f"`{field}` of {what}: {message}", span)
    expected = _expected(kind)
    if called:
        return error("E201", f"the arguments of `{field}` of {what} must each be {expected}; got {shown}", span,
                     help=_text_as_number(kind, value))
    return error("E201", f"`{field}` of {what} must be {expected}; got {shown}", span,
                 help=_text_as_number(kind, value))


def _text_as_number(kind: str, value: Any) -> str | None:
    """Why text where a number goes is refused, though Python would read it as one."""
    if not (kind.startswith(("int", "float")) and isinstance(value, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return "numbers in a spec are finite: a name such as `inf` or `nan` is not one"
    return f"write the number without quotes: {value.strip()}"


def _expected(kind: str) -> str:
    for prefix, words in (("int", "a whole number"), ("float", "a number"), ("bool", "true or false"),
                          ("string", "a string"), ("tuple", "a list like [32, 32, 3]"), ("list", "a list"),
                          ("dict", "a call like name(...)"), ("model", "a call like name(...)")):
        if kind.startswith(prefix):
            return words
    return "a different kind of value"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, dict) and "name" in value:
        return f"`{value['name']}(...)`"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
