"""Help for a value of the wrong kind: what the author most likely meant, written as the spec
writes it (`"8"` is 8, `biases 0.1` is `constant(0.1)`, `npz "a.npz"` is `npz("a.npz")`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ldnn_dsl.layers.values import Percentage, Several
from ldnn_dsl.source.diagnostics import Diagnostic, did_you_mean, error
from ldnn_dsl.source.span import Span

NUMBER_TYPES = ("int_type", "int_parsing", "float_type", "float_parsing")


def value_help(kind: str, value: Any, field: str, names: Collection[str]) -> str | None:
    """The first help that fits a value Pydantic refused as `kind` (`int_type`, `tuple_type`, ...)."""
    return (written_as_text(kind, value) or _a_name(kind, value, names) or _as_list(kind, value)
            or _as_constant(kind, value, field) or _number_called(kind, value, field) or _batch_axis(value, field))


def bare_word_help(written: str) -> str:
    """The help for a word written as a string (`"relu"`, `loss "mse"`, `init="he_normal"`):
    each word has one spelling, the bare one."""
    return f"write {written} without quotes: words such as activations, losses and initializers are bare"


def quoted_word(word: str, of: str, at: Span, written: str | None = None) -> Diagnostic:
    """E201 for a word of the setting or option `of` written as a string (`loss "mse"`,
    `activation="softmax"`), at the string; `written`: the help's form, the word alone by default."""
    return error("E201", f"`{word}` is a word of `{of}`, written as a string", at,
                 help=bare_word_help(written or word))


def written_as_text(kind: str, value: Any) -> str | None:
    """Why text is refused where a number or true/false goes, though Python would read it as one
    (`"8"`, `inf`, `"true"`)."""
    if kind.startswith("bool") and isinstance(value, str) and value.strip() in ("true", "false"):
        return f"write {value.strip()} without quotes"
    if kind.startswith("bool") and isinstance(value, str) and value.lower() in ("true", "false"):  # Python's `True`
        return f"write `{value.lower()}`: `true` and `false` are lower case"
    if not (kind.startswith(("int", "float")) and isinstance(value, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return "numbers in a spec are finite: a name such as `inf` or `nan` is not one"
    return f"write the number without quotes: {value.strip()}"


def _as_list(kind: str, value: Any) -> str | None:
    """`input 784`: one number where a list goes, which a list of one would be."""
    if kind.startswith("tuple") and isinstance(value, int | float) and not isinstance(value, bool):
        return f"a list of one value is still a list: `[{value}]`"
    return None


def _a_name(kind: str, value: Any, names: Collection[str]) -> str | None:
    """A word where a number goes that is close to a `let` or parameter: a typo of its name
    (`input [widht]`), which the expander could not tell from a word such as `relu`."""
    if not kind.startswith(("int", "float")):
        return None
    words = value if isinstance(value, list) else [value]  # a call's arguments: `normal(sigm)`
    return next((hint for word in words if isinstance(word, str) and (hint := did_you_mean(word, names))), None)


BIAS_FIELDS = ("biases", "bias_init")
WEIGHT_FIELDS = ("weights", "init", "recurrent_init")


def _as_constant(kind: str, value: Any, field: str) -> str | None:
    """`biases 0.1`, `bias_init=0`: a number where a bias's initializer goes is meant as every
    entry; where a weight's goes, as the spread of a random draw (Caffe's `std`): equal weights
    keep every unit alike, and the net cannot learn."""
    if field not in (*BIAS_FIELDS, *WEIGHT_FIELDS) or not kind.startswith(("model", "dict")) \
            or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if field in WEIGHT_FIELDS:
        return (f"write `normal({show(value)})` for weights drawn with that std" if value > 0 else
                "write `scaled(1.0)` (1/sqrt(fan_in) * randn): equal weights keep every unit alike")
    named = {0: "zeros", 1: "ones"}.get(value)  # type: ignore[call-overload]
    return f"write `{named or f'constant({show(value)})'}`: every bias equal to {show(value)}"


BATCH_WORDS = ("none", "null", "batch", "batch_size")


def _batch_axis(value: Any, field: str) -> str | None:
    """`input [None, 784]`: Keras' batch axis (or a free axis) in a shape, which here is one
    sample's, every axis of a fixed size."""
    if field != "shape" or not isinstance(value, str) or value.casefold() not in BATCH_WORDS:
        return None
    return "a shape is one sample's, every axis of a fixed size: leave out the batch axis (Keras' `None`)"


def _number_called(kind: str, value: Any, field: str) -> str | None:
    """`l2=l2(1e-4)`: Keras' `kernel_regularizer=l2(1e-4)` with ldnn's name, where ldnn's option
    takes the number itself."""
    if not kind.startswith(NUMBER_TYPES) or not isinstance(value, dict) or set(value) != {"name", "args"} \
            or value["name"] != field:
        return None
    args = value["args"]
    if len(args) != 1 or not isinstance(args[0], int | float) or isinstance(args[0], bool):
        return None
    return f"`{field}` takes the number itself, {show(args[0])}, not a call"


def expected_value(kind: str) -> str:
    """What a value of Pydantic's error `kind` should have been, in the author's words (`a whole number`)."""
    for prefix, words in (("int", "a whole number"), ("float", "a number"), ("bool", "true or false"),
                          ("string", "a string"), ("tuple", "a list like [32, 32, 3]"), ("list", "a list"),
                          ("dict", "a call like name(...)"), ("model", "a call like name(...)")):
        if kind.startswith(prefix):
            return words
    return "a different kind of value"


def as_written_call(values: Several) -> str | None:
    """`npz "a.npz"` as the call it was meant to be: `npz("a.npz")`."""
    head, *rest = values
    if not (isinstance(head, str) and head.isidentifier()):
        return None
    return f"write `{head}({', '.join(_as_source(v) for v in rest)})`"


def _as_source(value: Any) -> str:
    """One value as the spec writes it: a word bare, other text in double quotes."""
    return f'"{value}"' if isinstance(value, str) and not value.isidentifier() else show(value).strip("`")


def as_call(record: dict[str, Any]) -> str | None:
    """The call a record was meant to be: `sgd momentum=0.9` (one flag, then options) is `sgd(momentum=0.9)`."""
    flags = [key for key, v in record.items() if v is True]
    if len(flags) != 1:
        return None
    options = ", ".join(f"{key}={show(v).strip('`')}" for key, v in record.items() if key != flags[0])
    return f"write `{flags[0]}({options})`: a choice's options go inside its parentheses"


def show(value: Any) -> str:
    """A value quoted in a message as the spec writes it (`true`, `10%`, `normal(...)`), not as Python prints it."""
    if isinstance(value, bool):  # as the spec writes it, not Python's True
        return str(value).lower()
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, Percentage):
        return f"{value * 100:g}%"
    if isinstance(value, dict) and "name" in value:
        return f"`{value['name']}(...)`"
    if isinstance(value, dict):  # options and flags, as written: `sgd momentum=0.9`
        return "`" + " ".join(key if v is True else f"{key}={show(v).strip('`')}" for key, v in value.items()) + "`"
    if isinstance(value, Several):  # `lr 0.1 e`, `npz "a.npz"`: as written
        return "`" + " ".join(_as_source(v) for v in value) + "`"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v).strip("`") for v in value) + "]"  # a call as `name(...)`, not a dict
    return str(value)
