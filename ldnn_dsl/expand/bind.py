"""A statement's arguments bound to the fields of its layer kind (or setting), by the
rules of the language: positional values in order, bare words by vocabulary, options by key."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, get_origin

from pydantic import BaseModel

from ldnn_dsl.expand.modules import language_words
from ldnn_dsl.expand.validation import validate, words_of
from ldnn_dsl.expand.value_help import bare_word_help, quoted_word
from ldnn_dsl.layers.base import ACTIVATIONS, WINDOW_FIELDS, LayerKind
from ldnn_dsl.layers.registry import LAYER_KINDS, kind_called
from ldnn_dsl.layers.values import Arg, CallValue, Word, plain, written
from ldnn_dsl.source.diagnostics import Diagnostic, a_number, did_you_mean, error, nearest, position
from ldnn_dsl.source.span import Span

Bound = tuple[BaseModel | None, dict[str, Span], list[Diagnostic]]


def bind(cls: type[BaseModel], args: Iterable[Arg], span: Span, what: str, *, positional: tuple[str, ...],
         words: Mapping[str, tuple[str, Any]], names: Iterable[str] = (),
         blocks: Mapping[str, Sequence[str]] | None = None) -> Bound:
    """The validated model plus the span of each field, or the diagnostics. `names`: the `let`s
    and parameters in scope; `blocks`: the blocks defined, by their parameters, which a value
    may name by mistake."""
    binding = _Binding(cls, what, positional, words, tuple(names), blocks or {})
    args = list(args)
    spaced = _spaced_windows(args)
    i = 0
    while i < len(args):
        if i not in spaced:
            i += binding.take(args[i], args[i + 1:])
        elif spaced[i] is not None:  # `3 x 3`: one error, at the `x`, for the three
            binding.diags.append(spaced[i])  # type: ignore[arg-type]
        i += 1
    model, problems = validate(cls, binding.data, binding.spans, span, what, keys=binding.keys, names=binding.names)
    if binding.diags:  # the values given are checked all the same; what a value in error may have set is not missing
        diags = binding.diags
        return None, binding.spans, sorted([*diags, *_beside(problems, binding.spans.values(), diags)], key=position)
    return model, binding.spans, problems


@dataclasses.dataclass
class _Binding:
    """The fields bound so far, the positional ones still open, and the errors found on the way."""

    cls: type[BaseModel]
    what: str
    positional: tuple[str, ...]
    words: Mapping[str, tuple[str, Any]]
    names: tuple[str, ...]
    blocks: Mapping[str, Sequence[str]]
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    spans: dict[str, Span] = dataclasses.field(default_factory=dict)
    keys: dict[str, Span] = dataclasses.field(default_factory=dict)
    diags: list[Diagnostic] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.options = [f for f in self.cls.model_fields if f not in ("kind", "node")]
        self.slots = list(self.positional)

    def take(self, arg: Arg, following: Sequence[Arg]) -> int:
        """Binds `arg`; how many of the `following` arguments it took with it (a misread word may)."""
        misread = self._misread(arg, following)
        if misread is not None:
            self.diags.append(misread[0])
            return misread[1]
        placed = self._place(arg)
        if isinstance(placed, Diagnostic):
            self.diags.append(placed)
        else:
            self._assign(*placed, arg)
        return 0

    def _misread(self, arg: Arg, following: Sequence[Arg]) -> tuple[Diagnostic, int] | None:
        """Values the author meant otherwise than they read: a shape without brackets, values in
        another framework's order, an option's name without its `=` (`dense 64 init normal(0.02)`),
        or a misspelt layer kind that starts the next layer on the line (`dense 8 relu  dens 8`).
        One error each, taking with it the values that follow as part of the same mistake."""
        if (unbracketed := self._unbracketed(arg, following)) is not None:
            return unbracketed
        if (reordered := self._reordered(arg, following)) is not None:
            return reordered
        word = arg.value.name if isinstance(arg.value, Word) and arg.key is None else None
        if word is None or word in self.words or word in self.names or word in self.blocks:
            return None
        if word in self.options and following and following[0].key is None:
            value = following[0]
            return error("E205", f"`{word}` is an option of {self.what}: its value follows an `=`",
                         arg.span.to(value.span), help=f"write `{word}={written(value.value)}`"), 1
        kind = kind_called(word) or next(iter(nearest(word, LAYER_KINDS, prefixes=False)), None)
        if issubclass(self.cls, LayerKind) and kind and not nearest(word, [*self.words, *self.names]):
            return error("E101", f"unknown layer kind `{word}`", arg.span,
                         help=f"did you mean `{kind}`? A layer on the same line as another starts with its kind"
                         ), len(following)
        return None

    def _place(self, arg: Arg) -> tuple[str, Any] | Diagnostic:
        """The field `arg` sets and its value, by key, vocabulary or position; or why it sets none."""
        value, what = arg.value, self.what
        if arg.key is not None:
            return self._option(arg)
        if isinstance(value, Word) and value.name in self.words:
            return self.words[value.name]
        if isinstance(value, Word | CallValue) and value.name in self.blocks and value.name not in self.words:
            self._in_place_of_the_first()
            return block_after(arg, what, self.blocks[value.name])
        if isinstance(value, Word) and value.name not in ("true", "false"):
            wanted = self.slots[0] if self.slots == list(self.positional) and self.slots else None  # nothing there yet
            self._in_place_of_the_first()
            return _unknown_word(value.name, arg.span, what, self.words, self.names, wanted)
        if isinstance(value, CallValue) and value.name in self.words:  # `dense 4 leaky_relu(0.2)`
            return error("E205", f"`{value.name}` takes no arguments in {what}", arg.span,
                         help=f"write `{value.name}` alone (with Keras' defaults)")
        if self.slots:
            return self.slots.pop(0), plain(value)
        if not self.positional:  # `flatten 2`, `globalpool 2`
            words = ", ".join(f"`{w}`" for w in sorted(self.words))
            return error("E205", f"{what} takes {'only the words ' + words if words else 'no values'}; got "
                         f"{written(value)}", arg.span, help=_quoted_word_help(value, self.words) or
                         (f"drop {written(value)}" if words else f"write {what} alone"))
        expected = ", ".join(self.positional)
        return error("E205", f"too many positional values for {what} (it takes: {expected})", arg.span,
                     help=_quoted_word_help(value, self.words)
                     or "give the rest as options, e.g. `key=value`")

    def _option(self, arg: Arg) -> tuple[str, Any] | Diagnostic:
        """`key=value`; a word the key's vocabulary has reads as that word does (`dtype=int`)."""
        assert arg.key is not None
        key, value = arg.key, plain(arg.value)
        if key not in self.options:
            return error("E204", f"unknown option `{key}` for {self.what}", arg.key_span or arg.span,
                         help=_option_help(key, self.options, self.spans, arg.value))
        worded = isinstance(value, str) and self.words.get(value, (None,))[0] == key  # `dtype=int` reads as int32
        if arg.quoted and (worded or value in words_of(self.cls.model_fields[key].annotation)):
            # `activation="softmax"`, `dtype="int"`: refused as `dense 10 "relu"` and `loss "mse"` are; a
            # string from a `let` or a block's argument is not written here, and its quotes are elsewhere
            return quoted_word(value, key, arg.span, f"`{key}={value}`")
        return key, self.words[value][1] if worded else value  # type: ignore[index]

    def _unbracketed(self, arg: Arg, following: Sequence[Arg]) -> tuple[Diagnostic, int] | None:
        """`input 28 28 1`: a shape's numbers without their brackets, where the next positional
        field is a list; one error for the run of numbers, not one for each number after the first."""
        field = self.slots[0] if self.slots else None
        if field is None or field in WINDOW_FIELDS or get_origin(self.cls.model_fields[field].annotation) is not tuple:
            return None
        run = list(itertools.takewhile(lambda a: a.key is None and _is_whole(a.value), [arg, *following]))
        if len(run) < 2:
            return None
        numbers = ", ".join(written(a.value) for a in run)
        line = f"{self.what.strip('`')} [{numbers}]{_rest(following[len(run) - 1:])}"
        return error("E201", f"`{field}` of {self.what} is a list in square brackets; got {len(run)} numbers",
                     arg.span.to(run[-1].span), help=f"write `{line}`"), len(run) - 1

    def _reordered(self, arg: Arg, following: Sequence[Arg]) -> tuple[Diagnostic, int] | None:
        """`embedding 100 16`, `conv 3x3 32`: the first values in another framework's order, which
        the layer kind recognizes (`LayerKind.reordered`); one error, with the line put right."""
        if self.slots != list(self.positional) or not issubclass(self.cls, LayerKind):
            return None
        run = list(itertools.takewhile(lambda a: a.key is None, [arg, *following]))
        keyed = {a.key for a in following if a.key is not None}
        found = self.cls.reordered([a.value for a in run], keyed)
        if found is None:
            return None
        line, why, used = found
        return error("E205", f"the values of {self.what} are out of order" if used > 1 else
                     f"{self.what} lacks its first value, `{self.positional[0]}`", arg.span.to(run[used - 1].span),
                     help=f"write `{line}{_rest(following[used - 1:])}`: {why}"), used - 1

    def _assign(self, name: str, value: Any, arg: Arg) -> None:
        if name in self.spans:
            said = (f"{self.what} takes one {name}; `{written(arg.value)}` is a second" if f"`{name}`" == self.what
                    else f"`{name}` of {self.what} is given twice")  # `activation relu tanh`
            self.diags.append(error("E207", said, arg.key_span or arg.span))
            return
        rank = getattr(self.cls, "rank", None)
        if name in WINDOW_FIELDS and arg.product is not None and rank != 1:
            self.diags.append(_product_as_window(name, self.what, arg, rank))
            return
        if name in self.slots:
            self.slots.remove(name)
        self.data[name], self.spans[name] = value, arg.span
        self.spans.update({f"{name}.{i}": item for i, item in enumerate(arg.item_spans)})  # `input [-3, 4]`: at -3
        self.keys.update(_call_keys(name, arg))

    def _in_place_of_the_first(self) -> None:
        """A value in error where nothing has taken the first positional field yet (`conv wdth 3x3`)
        stands in for it: the values after it go on to the fields after it, as they were meant to."""
        if self.slots and self.slots == list(self.positional):
            self.slots.pop(0)


def _rest(args: Sequence[Arg]) -> str:
    """The rest of a line as written, after a part a help puts right (` relu stride=2`)."""
    return "".join(f" {a.key}={written(a.value)}" if a.key else f" {written(a.value)}" for a in args)


def _beside(problems: list[Diagnostic], given: Iterable[Span], diags: list[Diagnostic]) -> list[Diagnostic]:
    """The validation errors of values given (or inside them: an initializer's argument) beside
    the binding errors `diags`, but none where one of those already is (`reshape 4 x 4`)."""
    given, marked = list(given), [d.span for d in diags if d.span is not None]
    return [p for p in problems if p.span is not None and any(g.contains(p.span) for g in given)
            and not any(_overlap(p.span, m) for m in marked)]


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


def block_after(arg: Arg, what: str, params: Sequence[str]) -> Diagnostic:
    """A block's call after a statement on its line (`dense 4 blk(3)`): a call is a line of its own."""
    name = arg.value.name  # type: ignore[attr-defined]
    if isinstance(arg.value, CallValue):
        call = written(arg.value)  # the call as written, its values evaluated
    else:  # a bare name: the block's parameters, to fill in
        call = f"{name}({', '.join(params)})" if params else name
    return error("E205", f"`{name}` is a block: its call cannot follow {what} on the same line", arg.span,
                 help=f"a block call is a statement of its own: put `{call}` on a line of its own")


def _option_help(field: str, options: list[str], given: Mapping[str, Span], value: object = None) -> str | None:
    """A did-you-mean among the options not given yet; one that is given already is named as
    such: alone where it is the only close one (`conv 4 3x3 kernel_size=3`), first where it is
    closer than any free one (`dense 7 unit=4`: `units`, which the 7 gave, then `init`). Keras'
    `kernel_regularizer=l2(1e-4)` gets ldnn's form whole: `l2=1e-4`."""
    free = nearest(field, [o for o in options if o not in given])
    closest = [o for o in nearest(field, options) if o in given]
    if not closest and len(free) == 1 and isinstance(value, CallValue) and value.name == free[0] \
            and len(value.args) == 1 and value.args[0].key is None:
        return f"did you mean `{free[0]}`? It takes the number itself: `{free[0]}={written(value.args[0].value)}`"
    if not closest:
        return did_you_mean(field, free) if free else None
    taken = f"did you mean `{closest[0]}`? It is given already: write it once"
    return f"{taken}. Or {' or '.join(f'`{o}`' for o in free)}?" if free else taken


def _quoted_word_help(value: object, words: Mapping[str, tuple[str, Any]]) -> str | None:
    """`dense 10 "relu"`: a word of the layer's, written as a string."""
    if isinstance(value, str) and value in words:
        return bare_word_help(value)
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
    so that an unknown one is marked at its key, not under the whole call; where its name is
    (`init.nromal`), for an unknown name; and where each argument is, for one out of range."""
    if not isinstance(arg.value, CallValue):
        return {}
    name = {f"{field}.{arg.value.name}": arg.value.name_span} if arg.value.name_span is not None else {}
    return name | call_argument_spans(f"{field}.{arg.value.name}", arg.value)


def call_argument_spans(at: str, call: CallValue) -> dict[str, Span]:
    """`at.KEY` (the key) and `at.KEY=` (its value) of each option of a call, and `at.I`
    of its I-th positional argument: the places a refusal of one argument points at."""
    keys: dict[str, Span] = {}
    positional = 0
    for option in call.args:
        if option.key is None:
            keys[f"{at}.{positional}"] = option.span
            positional += 1
        else:
            keys[f"{at}.{option.key}"] = option.key_span or option.span
            keys[f"{at}.{option.key}="] = option.span
    return keys


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
