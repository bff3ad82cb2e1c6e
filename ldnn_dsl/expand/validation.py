"""Pydantic's validation errors reworded for the spec's author, at the argument's span."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ldnn_dsl.expand.value_help import (
    NUMBER_TYPES,
    as_call,
    as_written_call,
    expected_value,
    show,
    value_help,
    written_as_text,
)
from ldnn_dsl.layers.initializers import INITIALIZERS, Init
from ldnn_dsl.layers.refusals import (
    REFUSED,
    ArgumentRangeError,
    UnknownArgumentError,
    UnknownInitializerError,
    WrongKindError,
)
from ldnn_dsl.layers.values import Several
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error, folded
from ldnn_dsl.source.span import Span

CALL_TYPES = ("union_tag_not_found", "model_attributes_type", "model_type", "dict_type")  # a call was due
MAX_LISTED = 8  # longer lists of choices go into the help, not the message
RANGE = {"greater_than": "greater than {gt}", "greater_than_equal": "at least {ge}", "less_than": "less than {lt}",
         "less_than_equal": "at most {le}"}


def validate(cls: type[BaseModel], data: dict[str, Any], spans: Mapping[str, Span], span: Span,
             what: str, *, keys: Mapping[str, Span] | None = None,
             unset: Collection[str] = (), names: Collection[str] = ()) -> tuple[BaseModel | None, list[Diagnostic]]:
    """`cls(**data)`, or the diagnostics explaining why not (one per bad argument).

    `unset`: fields whose values were left out of `data` for errors already reported; their
    absence is no error of its own.

    `spans` holds where each field's value is written; a value inside another (an option of a
    call, an item of a list) may have its own, under its dotted path (`schedule.plateau.factor`,
    `metrics.1`). `keys` holds where an option's key is written, by the same paths: an unknown
    option is marked at its key, as the layers' are. `names`: the `let`s and parameters in
    scope; a word where a number goes may be one of them mistyped (`input [widht]`)."""
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        errors = [e for e in exc.errors(include_url=False)
                  if not (e["type"] == "missing" and len(e["loc"]) == 1 and e["loc"][0] in unset)]
        return None, list(_diagnostics(_calls_over_numbers(_with_flags(errors)), cls, spans, keys or {}, span, what,
                                       names))


def _with_flags(errors: list[Any]) -> list[Any]:
    """A union of words and a flag or a number (`jit auto|true|false`, `batch auto|N`) fails
    once per branch. Where the value is not a number at all (`batch fast`, `batch 2.5`,
    `batch true`), the words' error is the one reported, naming the number too; the number
    branch's own error goes. A number out of range keeps its own error (`batch 0`)."""
    flags = {_union(e) for e in errors if e["type"] == "bool_type"} - {None}
    words = {_union(e) for e in errors if e["type"] == "literal_error"} - {None}
    numbers = {_union(e): "int_type" if e["type"] == "value_error" else e["type"] for e in errors
               if _union(e) in words and _not_a_number(e)}
    out = []
    for e in errors:
        at = _union(e)
        if at in numbers and _not_a_number(e):
            continue
        if e["type"] == "literal_error" and at in flags:
            e = {**e, "ctx": {**e["ctx"], "expected": f"{e['ctx']['expected']}, true or false"}}
        if e["type"] == "literal_error" and at in numbers:
            e = {**e, "ctx": {**e["ctx"], "or_number": numbers[at]}}
        out.append(e)
    return out


def _calls_over_numbers(errors: list[Any]) -> list[Any]:
    """A call where a number or a call goes (`validate csv(...)`, `validate foo(3)`) fails the
    number branches too, and those come first: the call's own error is the one to report. An
    unknown call's name is then refused naming the numbers too."""
    def calls_number(e: Any) -> bool:
        return e["type"] in NUMBER_TYPES and isinstance(e.get("input"), dict)

    numbers: dict[tuple[str | int, ...], str] = {}
    for e in filter(calls_number, errors):  # the first branch's kind: `a number`, not `a whole number`
        numbers.setdefault(_fields(e), e["type"])
    own = {at for e in errors if not calls_number(e) for at in numbers if _fields(e)[:len(at)] == at}
    out = []
    for e in errors:
        if calls_number(e) and _fields(e) in own:
            continue
        if e["type"] == "union_tag_invalid" and _fields(e) in own:
            e = {**e, "ctx": {**e["ctx"], "or_number": numbers[_fields(e)]}}
        out.append(e)
    return out


def _fields(error: Any) -> tuple[str | int, ...]:
    """An error's place without the union branches' labels: ('validate', 'csv', 'target')."""
    return tuple(part for part in error["loc"] if not _label(part))


def _union(error: Any) -> tuple[str | int, ...] | None:
    """The place of the union whose branch failed (`('jit',)` for `('jit', 'bool')`), or None
    for an error outside any union: `precision fp16` and `epochs 2.5` are two errors, not one
    value's two branches."""
    loc = error["loc"]
    return tuple(loc[:-1]) if loc and _label(loc[-1]) else None


def _label(part: str | int) -> bool:
    """Whether a part of an error's place names a union's branch, which pydantic writes as the
    branch's type: `literal['auto']`, `function-before[...]`, or a bare `bool` or `int`."""
    return isinstance(part, str) and (not part.isidentifier() or part in ("bool", "int", "float", "str"))


def _not_a_number(error: Any) -> bool:
    """Whether a number branch's error says the value is no number of its kind (as opposed to
    one out of range)."""
    return error["type"] in NUMBER_TYPES or (
        error["type"] == "value_error" and isinstance(error["ctx"]["error"], WrongKindError))


def _diagnostics(errors: Iterable[Any], cls: type[BaseModel], spans: Mapping[str, Span], keys: Mapping[str, Span],
                 span: Span, what: str, names: Collection[str]) -> Iterable[Diagnostic]:
    seen: set[str] = set()
    for err in errors:
        path = [str(part) for part in err["loc"] if isinstance(part, int) or part.isidentifier()]  # no union
        #   branch labels such as `constrained-float` or `function-before[...]`
        loc = [part for part in path if not part.isdigit()]  # nor indices
        # One error per value written: a union gives one per branch for the same value, and a bad
        # item leaves its list in error too, while each bad option of a call (`sgd(momentum=1.5,
        # nesterov=2)`) or item of a list is its own.
        written = _written(spans, path) or (loc[0] if loc else "")
        if any(_nested(written, other) or _nested(other, written) for other in seen):
            continue
        seen.add(written)
        where = spans.get(written) or span
        if err["type"] == "extra_forbidden":
            yield _unknown_option(loc, keys.get(".".join(path), where), what, _options_at(cls, loc[:-1]),
                                  err.get("input"))
        else:
            yield _one(err, loc, where, what, keys, path, names)


def _nested(inner: str, outer: str) -> bool:
    """Whether the value at dotted path `inner` is `outer` or lies inside it."""
    return inner == outer or inner.startswith(f"{outer}.")


def _written(spans: Mapping[str, Span], path: list[str]) -> str | None:
    """The innermost value on `path` whose place is known, as its key in `spans`."""
    for end in range(len(path), 0, -1):
        if (key := ".".join(path[:end])) in spans:
            return key
    return None


def _unknown_option(loc: list[str], span: Span, what: str, options: list[str] | None, value: Any = None
                    ) -> Diagnostic:
    """E204 with a `did you mean`, or else the options there are (when the model is known)."""
    field = loc[-1] if loc else ""
    owner = f"`{loc[-2]}`" if len(loc) >= 2 else what
    listed = None
    if options is not None:
        listed = f"{owner} takes: {', '.join(options)}" if options else f"{owner} takes no options"
    setting = KERAS_OPTIMIZER_OPTIONS.get(field) if loc[:1] == ["optimizer"] else None
    if setting is not None:  # `sgd(lr=0.1)`, `adamw(weight_decay=0.01)`, as Keras writes them
        written = show(value).strip("`") if isinstance(value, int | float | str) else "..."
        listed = f"{setting[1]} is a setting of its own in `train`: `{setting[0]} {written}` on its own line"
        return error("E204", f"unknown option `{field}` for {owner}", span, help=listed)
    return error("E204", f"unknown option `{field}` for {owner}", span,
                 help=did_you_mean(field, options or ()) or listed)


# Keras' optimizer arguments that are `train` settings in ldnn: the setting, and what it is.
KERAS_OPTIMIZER_OPTIONS = {
    "lr": ("lr", "the learning rate"), "learning_rate": ("lr", "the learning rate"),
    "weight_decay": ("weight_decay", "weight decay"),  # not Keras 2's `decay`, which decayed the lr
    "clipnorm": ("clip_norm", "gradient clipping"), "global_clipnorm": ("clip_norm", "gradient clipping"),
}


def _options_at(cls: type[BaseModel], loc: list[str]) -> list[str] | None:
    """The options of the model that `loc` leads to from `cls` (`optimizer`, `adam` -> Adam's),
    or None when it leads to none or to several."""
    models = [cls]
    for part in loc:
        tagged = [m for m in models if part in call_names(m)]
        models = tagged or [sub for m in models for key, info in m.model_fields.items()
                            if part in (key, info.alias) for sub in models_in(info.annotation)]
    if len(models) != 1:
        return None
    internal = {"kind", "node", *(("name",) if call_names(models[0]) else ())}  # a choice's `name` is how it is called
    return [info.alias or key for key, info in models[0].model_fields.items() if key not in internal]


def call_names(model: type[BaseModel]) -> tuple[Any, ...]:
    """The names a choice is called by (`adam` for Adam): its `name` field's literal words."""
    info = model.model_fields.get("name")
    return get_args(info.annotation) if info is not None and get_origin(info.annotation) is Literal else ()


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation holds, through unions, Annotated and tuples."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in models_in(arg)]


def words_of(annotation: Any) -> set[str]:
    """Every word a setting accepts: its literal words (`metrics` accepts `precision`, also a
    setting's name), its choices' names and words (`adam`, `horizontal`), and its flags (`restore_best`)."""
    if get_origin(annotation) is Literal:
        return {a for a in get_args(annotation) if isinstance(a, str)}
    if annotation is Init:  # its names are a table, not a Literal
        return set(INITIALIZERS)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        flags = {key for key, info in annotation.model_fields.items() if info.annotation is bool}
        return flags | {w for info in annotation.model_fields.values() for w in words_of(info.annotation)}
    return {w for arg in get_args(annotation) for w in words_of(arg)}


def _one(err: Any, loc: list[str], span: Span, what: str, keys: Mapping[str, Span], path: list[str],
         names: Collection[str]) -> Diagnostic:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    shown = show(value)
    field = loc[-1] if loc else ""
    called = field == "args" and len(loc) > 1
    if called:  # `init=normal("x")`: name the option, not the call's internals
        loc, field = loc[:-1], loc[-2]
    if len(loc) >= 2:  # setting, choice, argument: `factor` of `plateau`; setting, option: of `early_stop`
        what = f"`{loc[-2]}`"
    if kind == "union_tag_invalid":
        return _unknown_choice(ctx, field, what, shown, keys.get(".".join([*path, str(ctx.get("tag"))]), span))
    if kind in RANGE:
        return error("E202", f"`{field}` of {what} must be {RANGE[kind].format(**ctx)}; got {shown}", span)
    if kind == "missing":  # `activation` alone: "needs a value", not "`activation` needs `activation`"
        return error("E206", f"{what} needs {'a value' if what == f'`{field}`' else f'`{field}`'}", span)
    if kind == "literal_error":
        return _not_a_word_listed(ctx, value, field, what, shown, span, path)
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        bound = f"{'at least' if kind == 'too_short' else 'at most'} {limit} value{'' if limit == 1 else 's'}"
        return error("E202", f"`{field}` of {what} takes {bound}; got {ctx.get('actual_length')}", span)
    if kind == "union_tag_not_found" and isinstance(value, dict):  # `optimizer sgd momentum=0.9`
        return error("E201", f"`{field}` of {what} must be a call like name(...); got {shown}", span,
                     help=as_call(value))
    if isinstance(value, Several) and kind in CALL_TYPES:  # `source npz "a.npz"`: a call without its ( )
        return error("E201", f"`{field}` of {what} must be a call like name(...); got {shown}", span,
                     help=as_written_call(value))
    if kind == REFUSED:
        got = f"; got {shown}" if ctx.get("got") else ""
        at = keys.get(".".join([*path, ctx["at"]]), span) if ctx.get("at") else span
        return error(ctx["code"], f"`{field}` of {what}: {err['msg']}{got}", at, help=ctx.get("help"))
    if kind == "value_error":
        return _value_error(ctx["error"], field, what, span, keys, path)
    expected = expected_value(kind)
    help = value_help(kind, value, field, names)
    if called:
        return error("E201", f"the arguments of `{field}` of {what} must each be {expected}; got {shown}", span,
                     help=help)
    return error("E201", f"`{field}` of {what} must be {expected}; got {shown}", span, help=help)


# Choices other frameworks name that ldnn writes as another choice with arguments.
EXPONENTIAL = "an exponential decay is `schedule step(every=1, factor=0.95)`: the lr times 0.95 each epoch"
CHOICE_HINTS = {
    "nesterov": "Nesterov momentum is SGD's: `optimizer sgd(momentum=0.9, nesterov=true)`",
    "momentum": "momentum is SGD's: `optimizer sgd(momentum=0.9)`",
    **dict.fromkeys(("exponential", "exponentiallr", "exponentialdecay"), EXPONENTIAL),
}


def _unknown_choice(ctx: Mapping[str, Any], field: str, what: str, shown: str, span: Span) -> Diagnostic:
    """A call whose name no choice has (`optimizer sdg(...)`), at its name."""
    tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
    tag = str(ctx.get("tag"))
    hint = did_you_mean(tag, tags) or CHOICE_HINTS.get(folded(tag))
    if "or_number" in ctx:  # `validate foo(3)`: a number or one of the calls goes there
        return error("E210", f"`{field}` of {what} must be {expected_value(ctx['or_number'])} or one of "
                     f"{', '.join(tags)}; got {shown}", span, help=hint)
    return error("E210", f"unknown {field} `{ctx.get('tag')}` in {what}; choose one of {', '.join(tags)}", span,
                 help=hint)


def _not_a_word_listed(ctx: Mapping[str, Any], value: Any, field: str, what: str, shown: str, span: Span,
                       path: list[str]) -> Diagnostic:
    """A value where one of a few words goes (`padding`, `loss`, `batch auto`); a long list is
    left to the help, and a close word is offered."""
    choices = [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
    written = value.get("name") if isinstance(value, dict) else value  # `mse(1)`: its name
    hint = did_you_mean(written, choices) if isinstance(written, str) else None
    if len(choices) > MAX_LISTED:  # `loss`: name it, list the choices only as help
        noun = field[:-1] if field.endswith("s") and any(p.isdigit() for p in path) else field  # one of `metrics`
        if field == "activation" and isinstance(value, str):  # `activation=sigmod`, as `dense 1 sigmod` is
            return error("E203", f"unknown activation {shown} for {what}", span,
                         help=hint or f"choose one of {', '.join(choices)}")
        message = (f"unknown {noun} {shown} in {what}" if isinstance(value, str) else
                   f"`{field}` of {what} must be a name such as `{choices[0]}`; got {shown}")
        return error("E210", message, span, help=hint or f"choose one of {', '.join(choices)}")
    if "or_number" in ctx:  # `batch fast`: a word where a number or `auto` goes
        return error("E201", f"`{field}` of {what} must be {expected_value(ctx['or_number'])} or "
                     f"{' or '.join(f'`{c}`' for c in choices)}; got {shown}", span,
                     help=hint or written_as_text(ctx["or_number"], value))
    if isinstance(written, bool) and {"epoch", "off"} <= set(choices):  # Keras' `fit(shuffle=True)`
        hint = (f"write `{field} epoch`: a new order every epoch, as Keras' `shuffle=True`" if written else
                f"write `{field} off`: no shuffling")
    return error("E210", f"`{field}` of {what} must be one of {', '.join(choices)}; got {shown}", span, help=hint)


def _value_error(refused: ValueError, field: str, what: str, span: Span, keys: Mapping[str, Span],
                 path: list[str]) -> Diagnostic:
    """A validator's own message, put in context, with the code its class says (see `refusals`);
    an initializer's unknown name or argument gets a `did you mean`, and the argument its key
    marked (where `keys` has it: `weights normal(sdt=1)`)."""
    message = str(refused)
    if isinstance(refused, UnknownInitializerError):
        return error("E208", f"{message} for `{field}` of {what}", keys.get(".".join([*path, refused.name]), span),
                     help=did_you_mean(refused.name, INITIALIZERS))
    if isinstance(refused, UnknownArgumentError):
        params = list(INITIALIZERS[refused.name][0])
        listed = f"`{refused.name}` takes: {', '.join(params)}" if params else f"`{refused.name}` takes no arguments"
        return error("E204", f"unknown option `{refused.arg}` for `{refused.name}` in `{field}` of {what}",
                     keys.get(".".join([*path, refused.name, refused.arg]), span),
                     help=did_you_mean(refused.arg, params) or listed)
    if isinstance(refused, ArgumentRangeError):  # at the value: `normal(-1)`'s -1, `uniform(limit=0)`'s 0
        call = ".".join([*path, refused.name])
        param = list(INITIALIZERS[refused.name][0])[refused.index]
        span = keys.get(f"{call}.{refused.index}") or keys.get(f"{call}.{param}=") or span
    code = "E201" if isinstance(refused, WrongKindError) else "E202"
    if message.startswith("must be "):  # the shared number types' own: `units` of `dense` must be ...
        return error(code, f"`{field}` of {what} {message}", span)
    return error(code, f"`{field}` of {what}: {message}", span)
