"""Settings of a section bound to its typed model.

One line is one setting. Its value: a single value as written; several values a list
(`augment translate(4) flip(horizontal)`); `key=value` options and bare flags a record
(`early_stop patience=10 restore_best`). List settings may also repeat over lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from ldnn_dsl.check.recipe import SECTION_MODELS, Section
from ldnn_dsl.expand.expand import Setting
from ldnn_dsl.expand.validation import validate
from ldnn_dsl.layers.values import Arg, Word, plain
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error
from ldnn_dsl.source.span import Span


def bind_section(name: str, span: Span, settings: list[Setting]) -> tuple[Section | None, list[Diagnostic]]:
    """The typed section from its settings, one per setting (see `split_settings`)."""
    cls = SECTION_MODELS[name]
    fields = {(info.alias or key): key for key, info in cls.model_fields.items()}
    data: dict[str, Any] = {}
    spans: dict[str, Span] = {}
    diags: list[Diagnostic] = []
    for setting in settings:
        if setting.head not in fields:
            diags.append(error("E106", f"unknown setting `{setting.head}` in `{name}`", setting.head_span,
                               help=did_you_mean(setting.head, fields) or f"`{name}` takes: {', '.join(fields)}"))
            continue
        value, problem = _value(setting)
        if problem is not None:
            diags.append(problem)
            continue
        if setting.head in data:
            if setting.head not in cls.lists:
                diags.append(error("E207", f"`{setting.head}` is set twice in `{name}`", setting.head_span,
                                   help=f"first set at line {spans[setting.head].line}"))
                continue
            value = _as_list(data[setting.head]) + _as_list(value)
        data[setting.head] = value
        spans[setting.head] = setting.args[0].span.to(setting.args[-1].span)  # a bad value: point at the value
    if diags:
        return None, diags
    model, problems = validate(cls, data, spans, span, f"`{name}`")
    return model, problems  # type: ignore[return-value]


def split_settings(name: str, settings: list[Setting]) -> list[Setting]:
    """The settings of section `name`, with several on one line split apart."""
    cls = SECTION_MODELS[name]
    fields = {info.alias or key: words_of(info.annotation) for key, info in cls.model_fields.items()}
    return [part for setting in settings for part in split_on_setting_names(setting, fields)]


def words_of(annotation: Any) -> set[str]:
    """Every literal word a setting accepts (`metrics` accepts `precision`, also a setting's name)."""
    if get_origin(annotation) is Literal:
        return {a for a in get_args(annotation) if isinstance(a, str)}
    return {w for arg in get_args(annotation) for w in words_of(arg)}


def split_on_setting_names(setting: Setting, names: Mapping[str, set[str]]) -> list[Setting]:
    """`init { weights zeros  biases ones }` on one line is two settings: a setting's name
    starts a new one, as a layer kind's name starts a new layer, unless it is a word the
    current setting accepts."""
    out: list[Setting] = []
    head, head_span, args = setting.head, setting.head_span, []
    for arg in setting.args:
        if (arg.key is None and isinstance(arg.value, Word) and arg.value.name in names
                and arg.value.name not in names.get(head, set())):
            out.append(_setting(head, head_span, args))
            head, head_span, args = arg.value.name, arg.span, []
        else:
            args.append(arg)
    out.append(_setting(head, head_span, args))
    return out


def _setting(head: str, head_span: Span, args: list[Arg]) -> Setting:
    end = args[-1].span if args else head_span
    return Setting(head, head_span, head_span.to(end), tuple(args))


def _value(setting: Setting) -> tuple[Any, Diagnostic | None]:
    args = setting.args
    if not args:
        return None, error("E206", f"`{setting.head}` needs a value", setting.span)
    if all(a.key is None for a in args):
        values = [plain(a.value) for a in args]
        return (values[0] if len(values) == 1 else values), None
    record: dict[str, Any] = {}
    for arg in args:
        if arg.key is not None:
            record[arg.key] = plain(arg.value)
        elif isinstance(arg.value, Word):
            record[arg.value.name] = True
        else:
            return None, error("E205", f"`{setting.head}` mixes a positional value with options; "
                               "give every value as `key=value`", arg.span)
    return record, None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
