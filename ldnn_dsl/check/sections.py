"""Settings of a section bound to its typed model.

One line is one setting. Its value: a single value as written; several values a list
(`augment translate(4) flip(horizontal)`); `key=value` options and bare flags a record
(`early_stop patience=10 restore_best`). List settings may also repeat over lines."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, get_args

from pydantic.fields import FieldInfo

from ldnn_dsl.check.choices import Choice
from ldnn_dsl.check.recipe import SECTION_MODELS, home_section, moved
from ldnn_dsl.check.section import Section
from ldnn_dsl.check.spec import VALUE
from ldnn_dsl.expand.bind import call_argument_spans
from ldnn_dsl.expand.expand import Setting
from ldnn_dsl.expand.validation import call_names, models_in, validate, words_of
from ldnn_dsl.expand.value_help import quoted_word
from ldnn_dsl.layers.initializers import Init
from ldnn_dsl.layers.values import Arg, CallValue, Several, Word, plain, written
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error, known_as, nearest
from ldnn_dsl.source.span import Span


def bind_section(name: str, span: Span, settings: list[Setting], *, unset: Collection[str] = (),
                 names: Collection[str] = ()) -> tuple[Section | None, list[Diagnostic], dict[str, Span]]:
    """The typed section from its settings, one per setting (see `split_settings`), its errors,
    and where each item of a list setting is written, by its index over all the lines that set
    it (`preprocess.1`: an error found in one step at run time points at that step), and each
    setting's value (`weights=`: an error about the value, not the setting's name). `unset`:
    what lines already reported and left out may have set; none of it is reported missing.
    `names`: the `let`s in scope, for a `did you mean` on a word written where a number goes."""
    binder = _Binder(name, SECTION_MODELS[name], set(unset))
    for setting in settings:
        binder.take(setting)
    cls, data, diags = binder.cls, binder.data, binder.diags
    diags += _listed_twice(cls, data, {**binder.inner, **binder.spans})
    # The lines that are fine are still checked; a line in error may have been meant to set what is missing.
    model, problems = validate(cls, data, {**binder.inner, **binder.spans}, span, f"`{name}`", keys=binder.keys,
                               unset=binder.unset, names=names)
    items = {at: place for at, place in binder.inner.items()
             if at.count(".") == 1 and at.split(".")[0] in cls.lists}
    items.update({head + VALUE: place for head, place in binder.spans.items()})
    return (None, diags + problems, items) if diags else (model, problems, items)  # type: ignore[return-value]


@dataclass
class _Binder:
    """A section's settings read one line at a time: the values by field, where each is
    written, and the errors of the lines that could not be read."""

    section: str
    cls: type[Section]
    unset: set[str]  # fields a line in error may have been meant to set: not reported missing
    data: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)  # each setting's value
    inner: dict[str, Span] = field(default_factory=dict)  # the items and options inside a value
    keys: dict[str, Span] = field(default_factory=dict)  # the `key` of each `key=value`
    diags: list[Diagnostic] = field(default_factory=list)

    @cached_property
    def fields(self) -> dict[str, str]:
        """Each setting's word (a field's alias, or its name) and the field it sets."""
        return {(info.alias or key): key for key, info in self.cls.model_fields.items()}

    def take(self, setting: Setting) -> None:
        fields = self.fields
        if setting.head not in fields:
            self.unset.update(nearest(setting.head, fields))  # `los mse` was meant to set `loss`
            self.diags.append(_unknown_setting(self.section, setting, fields))
            return
        info = self.cls.model_fields[fields[setting.head]]
        quoted = _quoted_words(setting, info.annotation)
        value, problem = (None, None) if quoted else _value(
            setting, self.cls.examples.get(setting.head), _leading(info.annotation))
        if quoted or problem is not None:
            self.unset.add(setting.head)
            self.diags.extend(quoted or [problem])
            return
        first = 0
        if setting.head in self.data:
            if setting.head not in self.cls.lists:
                self.diags.append(error("E207", f"`{setting.head}` is set twice in `{self.section}`",
                                        setting.head_span, help=f"first set at line {self.spans[setting.head].line}"))
                return
            first = len(_as_list(self.data[setting.head]))
            value = _as_list(self.data[setting.head]) + _as_list(value)
        self.data[setting.head] = value
        first_arg = setting.args[0]
        self.spans[setting.head] = (first_arg.key_span or first_arg.span).to(setting.args[-1].span)  # at the value
        _inner_spans(setting, first if setting.head in self.cls.lists else None, info, self.inner, self.keys)


PATH_SETTINGS = ("source", "validate", "test")  # their calls' unnamed argument is a file's path


def _argument_words(annotation: Any) -> set[str]:
    """The words a choice's arguments take (`horizontal`, `max`): not the choices' own names,
    nor initializers', whose arguments are numbers."""
    if annotation is Init or Init in get_args(annotation):
        return set()
    names = {w for model in models_in(annotation) if "name" in model.model_fields
             for w in words_of(model.model_fields["name"].annotation)}
    return words_of(annotation) - names


def _quoted_words(setting: Setting, annotation: Any) -> list[Diagnostic]:
    """`loss "mse"`, `metrics ["mae", "mse"]`, `flip(mode="vertical")`: the words of the
    setting's written as strings, each refused where it is written, as a layer's is (`dense 10
    "relu"`), so that a spec spells each word one way. A string from a `let` is not written here."""
    words = words_of(annotation)
    found: list[tuple[str, Span]] = []
    for arg in setting.args:
        if arg.key is not None:
            continue
        if isinstance(arg.value, list):
            found += [(item, at) for item, at, quoted in zip(arg.value, arg.item_spans, arg.quoted_items, strict=False)
                      if quoted and item in words]
        elif arg.quoted and arg.value in words:
            found.append((arg.value, arg.span))  # type: ignore[arg-type]
        called = isinstance(arg.value, CallValue) and setting.head not in PATH_SETTINGS  # a path may be any text
        inner = arg.value.args if called else ()  # type: ignore[union-attr]
        # `flip("horizontal")`: an argument's own words, not the setting's choices (`adam("sgd")`)
        own = _argument_words(annotation) if inner else set()
        found += [(a.value, a.span) for a in inner if a.quoted and a.value in own]
    return [quoted_word(word, setting.head, at) for word, at in found]


def _unknown_setting(section: str, setting: Setting, fields: Collection[str]) -> Diagnostic:
    """E106, with where the setting belongs: another section, a choice's arguments, or a close name."""
    homes = home_section(setting.head, section)
    help = (moved(setting.head, homes) if homes else _argument_help(section, setting)
            or _schedule_help(setting.head, section)
            or _regularizer_help(setting.head) or did_you_mean(setting.head, fields)
            or _known_elsewhere(setting.head, section)
            or f"`{section}` takes: {', '.join(fields)}")
    return error("E106", f"unknown setting `{setting.head}` in `{section}`", setting.head_span, help=help)


def _regularizer_help(word: str) -> str | None:
    """`l2 5e-4` as a setting: a penalty is a layer's option here, or `weight_decay` for all."""
    if word not in ("l2", "l1", "l2_reg", "regularization", "regularizer", "kernel_regularizer"):
        return None
    return ("a penalty is a layer's option, `dense 64 relu l2=1e-4`; for every weight at once, "
            "`train { weight_decay 1e-4 }` (decoupled from the loss, as Keras' optimizers apply it)")


def _known_elsewhere(word: str, section: str) -> str | None:
    """`batch_size` in `data`: Keras' name for a setting of another section (`batch`, of `train`)."""
    known = known_as(word)
    homes = home_section(known, section) if known else ()
    return f"ldnn calls `{word}` `{known}`; " + moved(known, homes) if known and homes else None


# Other frameworks' words for parts of an lr schedule, which ldnn writes as one `schedule` call.
SCHEDULE_WORDS = {"lr_policy", "gamma", "stepsize", "step_size", "lr_decay", "decay", "decay_rate", "decay_steps",
                  "lr_scheduler", "scheduler", "lr_schedule", "milestones", "T_max", "warmup_epochs"}


def _schedule_help(word: str, section: str) -> str | None:
    """Caffe's `lr_policy step` with `stepsize` and `gamma`, PyTorch's `StepLR(step_size, gamma)`,
    Keras' old `decay`: not a near spelling of any setting (`lr_decay` is not `lr`)."""
    if word not in SCHEDULE_WORDS:
        return None
    where = "" if section == "train" else " of `train`"
    return (f"the lr's schedule is one setting{where}: `schedule step(every=30, factor=0.1)` divides the lr by 10 "
            "every 30 epochs (Caffe's `lr_policy step`, `stepsize`, `gamma`), or `schedule cosine(warmup=5)` or "
            "`plateau(factor=0.5, patience=2)`")


def _listed_twice(cls: type[Section], data: Mapping[str, Any], spans: Mapping[str, Span]) -> list[Diagnostic]:
    """E207 for a word listed twice in a list setting (`metrics [accuracy, accuracy]`), which
    Keras would track twice, the second time as `accuracy_1`."""
    out: list[Diagnostic] = []
    for setting in cls.lists:
        first: dict[str, int] = {}
        for i, item in enumerate(_as_list(data.get(setting, []))):
            if not isinstance(item, str):
                continue
            if item not in first:
                first[item] = i
                continue
            # A list from a `let` has no place for each item: the error goes on the setting's value.
            at, before = (spans.get(f"{setting}.{j}", spans[setting]) for j in (i, first[item]))
            out.append(error("E207", f"`{item}` is listed twice in `{setting}`", at,
                             help=f"first listed at line {before.line}, column {before.col}" if before != at else None))
    return out


def _inner_spans(setting: Setting, first: int | None, info: FieldInfo, spans: dict[str, Span],
                 keys: dict[str, Span]) -> None:
    """Where each value inside the setting's value is written, by its path as Pydantic reports it
    (`schedule.plateau.factor`; `augment.1.flip` for a list, whose items count on from `first`;
    `augment.1.flip.mode` for a value written without a name, `flip(orizontal)`), and where each
    option's key is, so that an error inside points there, not at the whole line. `info`: the
    setting's field, whose choices say which field each value without a name sets."""
    for i, arg in enumerate(setting.args):
        at = setting.head if first is None else f"{setting.head}.{first + i}"
        spans[at] = arg.span
        if first is not None and len(setting.args) == 1:  # `metrics [accuracy, acuracy]`: the list is the value
            spans.update({f"{setting.head}.{first + j}": item for j, item in enumerate(arg.item_spans)})
        if isinstance(arg.value, CallValue):
            at = f"{at}.{arg.value.name}"
            spans[at] = arg.span
            keys[at] = arg.value.name_span or arg.span  # an unknown name is marked alone
            keys.update(call_argument_spans(at, arg.value))
            spans.update({f"{at}.{field}": value.span for value, field in _unnamed_fields(info, arg.value)})
            options = arg.value.args
        else:
            options = (arg,)  # `early_stop patience=3`: the setting's own options
        for option in options:
            if option.key is not None:
                spans[f"{at}.{option.key}"] = option.span
                keys[f"{at}.{option.key}"] = option.key_span or option.span
            elif isinstance(option.value, Word):  # a flag: `restore_best`
                spans[f"{at}.{option.value.name}"] = keys[f"{at}.{option.value.name}"] = option.span


def _unnamed_fields(info: FieldInfo, call: CallValue) -> list[tuple[Arg, str]]:
    """Each value `call` takes without a name, with the field it sets, by the choice's own rule."""
    choice = next((m for m in models_in(info.annotation) if call.name in call_names(m)), None)
    if choice is None or not issubclass(choice, Choice):
        return []
    unnamed = [a for a in call.args if a.key is None]
    bound = zip(unnamed, choice.bound_to([plain(a.value) for a in unnamed]), strict=True)
    return [(value, field) for value, field in bound if field is not None]


def split_settings(name: str, settings: list[Setting]) -> list[Setting]:
    """The settings of section `name`, with several on one line split apart."""
    fields, arguments = setting_words(name), choice_arguments(*SECTION_MODELS)
    return [part for setting in settings for part in split_on_setting_names(setting, fields, arguments)]


def setting_words(section: str) -> dict[str, set[str]]:
    """Each setting of `section` (a known one) with the words it accepts."""
    cls = SECTION_MODELS[section]
    return {info.alias or key: words_of(info.annotation) for key, info in cls.model_fields.items()}


def split_on_setting_names(setting: Setting, names: Mapping[str, set[str]],
                           arguments: Mapping[str, Mapping[str, list[str]]]) -> list[Setting]:
    """`init { weights zeros  biases ones }` on one line is two settings: a setting's name
    starts a new one, as a layer kind's name starts a new layer, unless it is a word the
    current setting accepts. So does a misspelt name (`lr 0.1  optimiser adam`), so that it is
    reported as the unknown setting it is, with its `did you mean`, not as part of `lr`'s value."""
    out: list[Setting] = []
    head, head_span, args = setting.head, setting.head_span, []
    for arg in setting.args:
        listed = any(_bracketed(a) for a in args)  # `metrics [accuracy]  precision float32`
        if _starts_a_setting(arg, head, names, arguments, listed):
            out.append(_setting(head, head_span, args))
            head, head_span, args = arg.value.name, arg.span, []  # type: ignore[attr-defined]
        else:
            args.append(arg)
    out.append(_setting(head, head_span, args))
    return out


def _bracketed(arg: Arg) -> bool:
    """A list written in brackets here, as `fmt` sees it: not one a `let` name stands for."""
    return isinstance(arg.value, list | tuple) and (bool(arg.item_spans) or not arg.value)


def _starts_a_setting(arg: Arg, head: str, names: Mapping[str, set[str]],
                      arguments: Mapping[str, Mapping[str, list[str]]], listed: bool = False) -> bool:
    """A bare word that names a setting (of any section: `validate 10%  epochs 3` holds a misplaced
    `epochs`, not a value of `validate`) or an argument of another setting's choice (`lr 0.1
    momentum 0.9`: sgd's), or is a close misspelling of another setting's name, and
    is neither a word the setting `head` accepts nor a misspelling of one (`metrics precison` is a
    typo of the metric, not of the setting `precision`; `epochs epoch` is no new setting). After a
    bracketed list (`listed`), a setting's name starts a new one even where the list takes it as
    an item: `metrics [accuracy]  precision float32` lists its metrics in the brackets."""
    if arg.key is not None or not isinstance(arg.value, Word):
        return False
    word, accepted = arg.value.name, names.get(head, set())
    if word in names:  # as `fmt` splits: `metrics precision` is a metric, `metrics [mae] precision` a setting
        return listed or word not in accepted
    if word in accepted:
        return False
    if did_you_mean(word, accepted) is not None:  # `shuffle epochs`: `epoch` misspelt, not the setting
        return False
    others = [name for name in names if name != head]
    # An argument of another setting's choice (`lr 0.1 momentum 0.9`); after a head in error
    # (`erly_stop patience=5 restore_best`), the word may be that head's own: the line stays whole.
    elsewhere = bool(home_section(word)) or (head in names and head not in arguments.get(word, {head: []}))
    return elsewhere or did_you_mean(word, others, prefixes=False) is not None


@cache
def choice_arguments(*sections: str) -> dict[str, dict[str, list[str]]]:
    """Each argument of a choice or record in `sections`, by the settings and choices that take it:
    `momentum` -> {"optimizer": ["sgd", "rmsprop"]}; a record's own, {"early_stop": []}. Read from
    the section tables once (the result is shared: read it, never change it), not per line checked."""
    out: dict[str, dict[str, list[str]]] = {}
    for key, info in (item for section in sections for item in SECTION_MODELS[section].model_fields.items()):
        for model in models_in(info.annotation):
            called = [str(c) for c in call_names(model)]
            for argument in model.model_fields:
                if argument != "name":
                    out.setdefault(argument, {}).setdefault(info.alias or key, []).extend(called)
    return out


def _argument_help(section: str, setting: Setting) -> str | None:
    """`momentum 0.9` as a setting: it is an argument of a choice (`optimizer sgd(momentum=0.9)`)."""
    home = section if setting.head in choice_arguments(section) else next(
        (other for other in SECTION_MODELS if setting.head in choice_arguments(other)), None)
    if home is None:
        return None
    owner, choices = next(iter(choice_arguments(home)[setting.head].items()))
    value = written(setting.args[0].value) if setting.args else "..."
    where = "" if home == section else f" in `{home}`"
    if not choices:
        return f"`{setting.head}` is an option of `{owner}`{where}: `{owner} {setting.head}={value}`"
    named = " or ".join(f"`{c}`" for c in choices)
    return f"`{setting.head}` is an argument of {named}{where}: `{owner} {choices[0]}({setting.head}={value})`"


def _setting(head: str, head_span: Span, args: list[Arg]) -> Setting:
    end = args[-1].span if args else head_span
    return Setting(head, head_span, head_span.to(end), tuple(args))


def _leading(annotation: Any) -> str | None:
    """The field a record takes as its first, unnamed value (`early_stop 5` is its patience)."""
    return next((m.leading for m in models_in(annotation) if getattr(m, "leading", None)), None)


def _value(setting: Setting, example: str | None, leading: str | None = None) -> tuple[Any, Diagnostic | None]:
    """A setting's value: one value, several (`Several`), or a record of options and flags, whose
    first value may go unnamed where the record says which field it sets (`early_stop 5 restore_best=true`)."""
    args = setting.args
    if not args:
        return None, error("E206", f"`{setting.head}` needs a value", setting.span,
                           help=example and f"for example `{example}`")
    if all(a.key is None for a in args):
        values = [plain(a.value) for a in args]
        return (values[0] if len(values) == 1 else Several(values)), None
    record: dict[str, Any] = {}
    for i, arg in enumerate(args):
        if arg.key is not None:
            key, value = arg.key, plain(arg.value)
        elif isinstance(arg.value, Word):
            key, value = arg.value.name, True
        elif i == 0 and leading is not None:
            key, value = leading, plain(arg.value)
        else:
            return None, error("E205", f"`{setting.head}` mixes a positional value with options; "
                               "give every value as `key=value`", arg.span)
        if key in record:  # `early_stop patience=2 patience=5`: not the last one, silently
            return None, error("E207", f"`{key}` of `{setting.head}` is given twice", arg.key_span or arg.span)
        record[key] = value
    return record, None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
