"""A statement's arguments bound to the fields of its layer kind (or setting), by the
rules of the language: positional values in order, bare words by vocabulary, options by key."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from ldnn_dsl.expand.modules import language_words
from ldnn_dsl.expand.validation import validate
from ldnn_dsl.layers.base import ACTIVATIONS, WINDOW_FIELDS
from ldnn_dsl.layers.values import Arg, CallValue, Word, plain
from ldnn_dsl.source.diagnostics import Diagnostic, a_number, did_you_mean, error, nearest
from ldnn_dsl.source.span import Span

Bound = tuple[BaseModel | None, dict[str, Span], list[Diagnostic]]


def bind(cls: type[BaseModel], args: Iterable[Arg], span: Span, what: str, *, positional: tuple[str, ...],
         words: Mapping[str, tuple[str, Any]], names: Iterable[str] = (),
         blocks: Mapping[str, Sequence[str]] | None = None) -> Bound:
    """The validated model plus the span of each field, or the diagnostics. `names`: the `let`s
    and parameters in scope; `blocks`: the blocks defined, by their parameters, which a value
    may name by mistake."""
    blocks = blocks or {}
    data: dict[str, Any] = {}
    spans: dict[str, Span] = {}
    keys: dict[str, Span] = {}
    diags: list[Diagnostic] = []
    options = [f for f in cls.model_fields if f not in ("kind", "node")]
    slots = list(positional)
    args = list(args)
    spaced = _spaced_windows(args)
    for i, arg in enumerate(args):
        if i in spaced:  # `3 x 3`: one error, at the `x`, for the three
            if spaced[i] is not None:
                diags.append(spaced[i])  # type: ignore[arg-type]
            continue
        if arg.key is not None:
            field, value = arg.key, plain(arg.value)
            if isinstance(value, str) and words.get(value, (None,))[0] == field:  # `dtype=int` as `int` says
                value = words[value][1]
            if field not in options:
                diags.append(error("E204", f"unknown option `{field}` for {what}", arg.key_span or arg.span,
                                   help=_option_help(field, options, spans)))
                continue
        elif isinstance(arg.value, Word) and arg.value.name in words:
            field, value = words[arg.value.name]
        elif isinstance(arg.value, Word | CallValue) and arg.value.name in blocks and arg.value.name not in words:
            diags.append(_block_after_a_layer(arg, what, blocks[arg.value.name]))  # `dense 4 blk(3)`
            _in_place_of_the_first(slots, positional)
            continue
        elif isinstance(arg.value, Word) and arg.value.name not in ("true", "false"):
            wanted = slots[0] if slots == list(positional) and slots else None  # nothing in its place yet
            diags.append(_unknown_word(arg.value.name, arg.span, what, words, names, wanted))
            _in_place_of_the_first(slots, positional)
            continue
        elif isinstance(arg.value, CallValue) and arg.value.name in words:  # `dense 4 leaky_relu(0.2)`
            diags.append(error("E205", f"`{arg.value.name}` takes no arguments in {what}", arg.span,
                               help=f"write `{arg.value.name}` alone (with Keras' defaults)"))
            continue
        elif slots:
            field, value = slots.pop(0), plain(arg.value)
        else:
            expected = ", ".join(positional) if positional else "none"
            diags.append(error("E205", f"too many positional values for {what} (it takes: {expected})", arg.span,
                               help=_quoted_word_help(arg.value, words)
                               or ("give the rest as options, e.g. `key=value`" if positional else None)))
            continue
        if field in spans:
            diags.append(error("E207", f"`{field}` of {what} is given twice", arg.key_span or arg.span))
            continue
        if field in WINDOW_FIELDS and arg.product is not None and getattr(cls, "rank", None) != 1:
            diags.append(_product_as_window(field, what, arg, getattr(cls, "rank", None)))
            continue
        if field in slots:
            slots.remove(field)
        data[field], spans[field] = value, arg.span
        spans.update({f"{field}.{i}": item for i, item in enumerate(arg.item_spans)})  # `input [-3, 4]`: at -3
        keys.update(_call_keys(field, arg))
    model, problems = validate(cls, data, spans, span, what, keys=keys, names=names)
    if diags:  # the values given are checked all the same; what a value in error may have set is not missing
        return None, spans, sorted([*diags, *_beside(problems, spans.values(), diags)], key=_position)
    return model, spans, problems


def _in_place_of_the_first(slots: list[str], positional: tuple[str, ...]) -> None:
    """A value in error where nothing has taken the first positional field yet (`conv wdth 3x3`)
    stands in for it: the values after it go on to the fields after it, as they were meant to."""
    if slots and slots == list(positional):
        slots.pop(0)


def _beside(problems: list[Diagnostic], given: Iterable[Span], diags: list[Diagnostic]) -> list[Diagnostic]:
    """The validation errors of values given (or inside them: an initializer's argument) beside
    the binding errors `diags`, but none where one of those already is (`reshape 4 x 4`)."""
    given, marked = list(given), [d.span for d in diags if d.span is not None]
    return [p for p in problems if p.span is not None and any(_within(p.span, g) for g in given)
            and not any(_overlap(p.span, m) for m in marked)]


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= \
        (outer.end_line, outer.end_col)


def _overlap(a: Span, b: Span) -> bool:
    return (a.line, a.col) < (b.end_line, b.end_col) and (b.line, b.col) < (a.end_line, a.end_col)


def _product_as_window(field: str, what: str, arg: Arg, rank: int | None) -> Diagnostic:
    """`conv 8 3*3`: the number 9, a 9x9 window, where `3x3` was surely meant. Parentheses do not
    spare it: `ldnn fmt` drops them. `rank`: the layer's number of spatial axes, None where the
    input decides (pooling)."""
    factors = arg.product or ()
    side = math.prod(factors)
    whole = a_number(f"{side}x{side} {field}") if rank == 2 else f"a {field} of {side}"
    written, by = "*".join(map(str, factors)), " by ".join(map(str, factors))
    meant = f"a {field} of {by} is written `{'x'.join(map(str, factors))}`"
    if rank is not None and len(factors) != rank:  # `conv 8 3*3*3`: `3x3x3` would be refused in turn
        meant = f"{what} takes a {field} of {rank} sides, such as `{'x'.join([str(factors[0])] * rank)}`"
    return error("E201", f"`{field}` of {what} is `{written}`, the number {side}", arg.span,
                 help=f"{meant}; write `{side}` for {whole}")


def _position(diag: Diagnostic) -> tuple[int, int]:
    return (diag.span.line, diag.span.col) if diag.span is not None else (0, 0)


def _block_after_a_layer(arg: Arg, what: str, params: Sequence[str]) -> Diagnostic:
    name = arg.value.name  # type: ignore[attr-defined]
    call = f"{name}({', '.join(params)})" if params else name
    return error("E205", f"`{name}` is a block: its call cannot follow {what} on the same line", arg.span,
                 help=f"a block call is a statement of its own: put `{call}` on a line of its own")


def _option_help(field: str, options: list[str], given: Mapping[str, Span]) -> str | None:
    """A did-you-mean among the options not given yet; one that is given already is named as
    such: alone where it is the only close one (`conv 4 3x3 kernel_size=3`), first where it is
    closer than any free one (`dense 7 unit=4`: `units`, which the 7 gave, then `init`)."""
    free = nearest(field, [o for o in options if o not in given])
    closest = [o for o in nearest(field, options) if o in given]
    if not closest:
        return did_you_mean(field, free) if free else None
    taken = f"did you mean `{closest[0]}`? It is given already: write it once"
    return f"{taken}. Or {' or '.join(f'`{o}`' for o in free)}?" if free else taken


def _quoted_word_help(value: object, words: Mapping[str, tuple[str, Any]]) -> str | None:
    """`dense 10 "relu"`: a word of the layer's, written as a string."""
    if isinstance(value, str) and value in words:
        return f"write {value} without quotes: words such as activations are bare"
    return None


def _spaced_windows(args: list[Arg]) -> dict[int, Diagnostic | None]:
    """`conv 8 3 x 3`: a window written with spaces reads as a number, a word `x` and another
    number. The error goes on the `x` (the two numbers after the first are left out with it)."""
    found: dict[int, Diagnostic | None] = {}
    for i in range(1, len(args) - 1):
        before, x, after = args[i - 1], args[i], args[i + 1]
        if (isinstance(x.value, Word) and x.value.name == "x" and x.key is None and after.key is None
                and _is_whole(before.value) and _is_whole(after.value)):
            window = f"{before.value}x{after.value}"
            found[i] = error("E203", f"a window is written without spaces: `{window}`", before.span.to(after.span),
                             help=f"write `{window}`")
            found[i + 1] = None
    return found


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _call_keys(field: str, arg: Arg) -> dict[str, Span]:
    """Where each key of a call's options is written (`init=normal(sdt=1)`: `init.normal.sdt`),
    so that an unknown one is marked at its key, not under the whole call; and where its name is
    (`init.nromal`), for an unknown name."""
    if not isinstance(arg.value, CallValue):
        return {}
    name = {f"{field}.{arg.value.name}": arg.value.name_span} if arg.value.name_span is not None else {}
    return name | {f"{field}.{arg.value.name}.{option.key}": option.key_span or option.span
                   for option in arg.value.args if option.key is not None}


MAX_NAMES_LISTED = 8


def _unknown_word(word: str, span: Span, what: str, words: Mapping[str, Any], names: Iterable[str],
                  wanted: str | None = None) -> Diagnostic:
    """A bare word the kind does not know: a typo of one of its words, or of a `let`/parameter
    name; `wanted`, the first positional value, where none is given yet (`dense wdth relu`): a
    word there that is like no word of the kind is most likely a name meant for it."""
    names = [name for name in names if name not in words]
    if word[:1] in "xX" and word[1:].isdigit() and word[1:]:  # `3X3` or `3 x3` reads as 3, then a word
        return error("E203", f"unknown word `{word}` for {what}", span,
                     help="a window is written in one piece with a lower-case `x`, such as `3x3`")
    if word in ACTIVATIONS and not any(field == "activation" for field, _ in words.values()):  # `flatten relu`
        return error("E203", f"{what} takes no activation", span,
                     help=f"put `activation {word}` on a line of its own after it")
    close = nearest(word, [*words, *names], prefixes=False)[:1]
    if not words or (close and close[0] in names):
        hint = f"did you mean `{close[0]}`?" if close else did_you_mean(word, names)
        return error("E102", f"unknown name `{word}`", span, help=hint or "define it first: `let NAME = VALUE`")
    if wanted is not None and not close and word not in language_words():  # `dense zeros`: a word, not a name
        shown = sorted(names)[:MAX_NAMES_LISTED]
        listed = ", ".join(f"`{n}`" for n in shown) + ", ..." * (len(names) > len(shown))
        defined = f"the names defined here are {listed}" if names else f"define it first: `let {word} = VALUE`"
        return error("E102", f"unknown name `{word}`, where {what} takes its `{wanted}`", span,
                     help=f"{defined}; {what} takes the words: {', '.join(sorted(words))}")
    fields = {field for field, _ in words.values()}
    is_activation = fields == {"activation"} or (bool(close) and words[close[0]][0] == "activation")
    noun = "activation" if is_activation else "word"
    return error("E203", f"unknown {noun} `{word}` for {what}", span,
                 help=did_you_mean(word, words) or f"{what} takes the words: {', '.join(sorted(words))}")
