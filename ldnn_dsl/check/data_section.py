"""The `data` section: where the samples come from, how they are split, preprocessed and augmented."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ldnn_dsl.check.choices import Choice
from ldnn_dsl.check.section import Fraction, Section, Seed, choices, listed
from ldnn_dsl.layers.base import MAX_SIZE, Float32, Positive, PositiveWhole, Whole
from ldnn_dsl.layers.refusals import WrongKindError, contradiction, refusal
from ldnn_dsl.layers.values import Percentage, quote
from ldnn_dsl.source.diagnostics import did_you_mean


class SortSource(Choice):
    """`sort(count, bits, samples)`: the bits of `count` numbers in; each sorted position's value out."""

    name: Literal["sort"]
    count: PositiveWhole = 10
    bits: Annotated[Whole, Field(ge=1, le=16)] = 6
    samples: PositiveWhole = 100_000

    @model_validator(mode="after")
    def _indexable_samples(self) -> SortSource:
        if self.count * self.bits > MAX_SIZE:
            raise ValueError(f"a sample holds `count` x `bits` values, at most {MAX_SIZE:,} (2**31 - 1, the most "
                             f"TensorFlow can index); got {self.count:,} x {self.bits} = {self.count * self.bits:,}")
        return self

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One sample's x: every number's bits in a row."""
        return (self.count * self.bits,)

    @property
    def target_shape(self) -> tuple[int, ...]:
        """One sample's y: a value per sorted position."""
        return (self.count,)

    @property
    def target_range(self) -> tuple[int, int]:
        """The smallest and the largest value of y: 0 and the top value of `bits` bits."""
        return 0, 2**self.bits - 1

    target_dtype: ClassVar = "int32"


class ParitySource(Choice):
    """`parity(bits, samples)`: random bits in, their parity (0 or 1) out."""

    name: Literal["parity"]
    bits: Annotated[Whole, Field(ge=1, le=64)] = 16
    samples: PositiveWhole = 100_000

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (self.bits,)

    target_shape: ClassVar = (1,)
    target_range: ClassVar = (0.0, 1.0)  # even and odd

    target_dtype: ClassVar = "float32"


Generator = SortSource | ParitySource  # built in: their sizes are known before any sample is made


def _a_path(value: str) -> str:
    """`npz("")` (an unset variable in a generated spec) would name the spec's own folder."""
    if not value.strip():
        raise ValueError(f"must be a file's path, relative to the spec; got \"{value}\"")
    return value


FilePath = Annotated[str, AfterValidator(_a_path)]


class NpzSource(Choice):
    """`npz("train.npz", x=x_train, y=y_train)`: arrays from a NumPy archive (path relative to the spec)."""

    name: Literal["npz"]
    path: FilePath
    x: str = "x"
    y: str = "y"

    positional: ClassVar = ("path",)


class CsvSource(Choice):
    """`csv("houses.csv", target=price)`: a header row, numeric columns; `target` is y, the rest x.

    `header=false` reads a file without a header row (columns by index only); `header=true`
    takes a first row of numbers as names. Left out, a first row of numbers is refused when
    the file is read, since dropping it or training on it would each be wrong for some file."""

    name: Literal["csv"]
    path: FilePath
    target: Annotated[str | int, BeforeValidator(_column)] = -1
    header: bool | None = None

    positional: ClassVar = ("path",)

    @property
    def takes_training_target(self) -> bool:
        """As a validation or test source: no `target=` of its own, and a header to find the
        training file's target column in by name, as its other columns are matched."""
        return "target" not in self.model_fields_set and self.header is not False

    @model_validator(mode="after")
    def _named_target_needs_names(self) -> CsvSource:
        if self.header is False and isinstance(self.target, str):
            raise contradiction(f"`target={self.target}` names a column, but with `header=false` the columns have "
                                "no names", "give the target column's index (0 for the first, -1 for the last)")
        return self


SOURCE_KINDS = SortSource | ParitySource | NpzSource | CsvSource
SOURCES = tuple(get_args(kind.model_fields["name"].annotation)[0] for kind in get_args(SOURCE_KINDS))


def _known_source(value: Any) -> Any:
    """`source mnist`: no dataset is downloaded, so a dataset's name gets the file forms, which
    a list of the choices alone does not say; `source "x.npz"`: a file's path, the call that reads it."""
    name = value if isinstance(value, str) else value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str) or name in SOURCES:
        return value
    if name.isidentifier():
        raise refusal("E210", f"unknown source `{name}`; ldnn makes `sort` and `parity` data and reads `npz` and "
                      "`csv` files", did_you_mean(name, SOURCES) or
                      f'save the data as a file and read it: `npz("{name}.npz", x=KEY, y=KEY)` or '
                      f'`csv("{name}.csv", target=COLUMN)`, the path relative to the spec')
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else None
    calls = {"npz": f"npz({quote(name)}, x=KEY, y=KEY)", "csv": f"csv({quote(name)}, target=COLUMN)"}
    if kind in calls:
        raise refusal("E201", f"a file is read by a call that says its kind; got {quote(name)}",
                      f"write `{calls[kind]}`")
    stem = quote(name.rsplit(".", 1)[0] + ".npz")
    raise refusal("E201", f"ldnn reads `npz` and `csv` files, each by its call; got {quote(name)}",
                  f"save the data as one of those and read it: `npz({stem}, x=KEY, y=KEY)`")


SourceChoice = choices(SOURCE_KINDS)
Source = Annotated[SourceChoice, BeforeValidator(_known_source)]


def _column(value: Any) -> Any:
    """A csv column by name or by index (negative from the end); `true` or 1.5 is neither,
    though Python would read the first as 1."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer() and not isinstance(value, Percentage):
        return int(value)
    shown = str(value).lower() if isinstance(value, bool) else f"{value * 100:g}%" if isinstance(
        value, Percentage) else value
    raise WrongKindError(f"must be a column's name or its index (a whole number); got {shown}")


SPLIT_OPTIONS = {"split", "fraction", "size", "validation_split"}  # other frameworks' names for the value itself


def _split(value: Any) -> Any:
    """`10%` or 0.1 is a fraction, a whole number a count, a call a second source. A
    percentage stays a fraction, so `100%` is refused rather than read as 1 sample; so is 1.0,
    which reads as 1 sample to some authors and as all of them to others."""
    if isinstance(value, Percentage):
        if value >= 1:
            raise ValueError(f"a percentage must be below 100%, or nothing is left to train on; got {value * 100:g}%")
        return float(value)
    if isinstance(value, float) and value == 1:
        raise WrongKindError("1.0 could be 1 sample or all of them (leaving none to train on); write 1 for one "
                             "sample, or a fraction below 1 such as 10%")
    if isinstance(value, float) and value >= 1 and value.is_integer():
        return int(value)
    if isinstance(value, float) and value > 1:  # `validate 10.5`: neither a fraction nor a count
        percent = f" (`{value:g}%` for a percentage)" if value < 100 else ""  # 100% or more leaves nothing
        raise WrongKindError(f"must be a fraction below 1{percent} or a whole number of samples; got {value:g}")
    if isinstance(value, dict) and "name" not in value and set(value) & SPLIT_OPTIONS:  # `validate split=0.1`
        written = next(v for k, v in value.items() if k in SPLIT_OPTIONS)
        raise refusal("E201", "takes a fraction, a count of samples or a second source, not an option", got=True,
                      help=f"write the value itself: `{_as_written(written)}`")
    if isinstance(value, str) and (number := _quoted_number(value)) is not None:  # `validate "10%"`
        _split(number)  # a number it would refuse unquoted is refused for what it is
        raise refusal("E201", "takes a fraction or a count written as a number, not as text", got=True,
                      help=f"write {value.strip()} without quotes")
    return _known_source(value) if isinstance(value, str) else value  # `validate "val.npz"`, `test mnist`


def _quoted_number(text: str) -> float | None:
    """`"10%"` as the fraction 0.1 (a Percentage), `"500"` as 500: a number written in quotes."""
    body = text.strip()
    if not body[:1] or body[:1] not in "+-.0123456789":  # `"nan"`, `"inf"`: Python's words, no numbers here
        return None
    try:
        number = float(body[:-1] if body.endswith("%") else body)
    except ValueError:
        return None
    if body.endswith("%"):
        return Percentage(number / 100)
    return int(number) if number.is_integer() and "." not in body and "e" not in body.lower() else number


def _as_written(value: Any) -> str:
    """A fraction as a percentage (`0.2` -> `20%`), anything else as it is."""
    if isinstance(value, float) and 0 < value < 1:
        return f"{value * 100:g}%"
    return str(value)


Split = Annotated[Fraction | PositiveWhole | SourceChoice, BeforeValidator(_split)]  # type: ignore[valid-type]


def split_size(setting: float | int, total: int) -> int:
    """The samples a `validate` or `test` fraction or count takes of `total`: a fraction rounds
    to at least one sample; a count is taken as is."""
    if isinstance(setting, float):
        return max(1, round(setting * total))
    return setting


def written_split(setting: float | int) -> str:
    """A fraction or count as the spec writes it: `10%`, `500`; a fraction no short percentage
    reads back exactly as itself stays a number (`0.10000049`), so a resolved spec splits alike."""
    if not isinstance(setting, float):
        return str(setting)
    percent = f"{setting * 100:g}"  # `1e-05%` does not parse: a tiny fraction stays a number
    return f"{percent}%" if "e" not in percent and float(percent) / 100 == setting else repr(setting)


def split_leaves_none(name: str, setting: float | int, left: int, total: int) -> str | None:
    """Why `name`'s split leaves nothing to train on, or None when it leaves some: one rule for
    `ldnn check` (a generator's count is known) and for loading (a file's is known only then)."""
    size = split_size(setting, total)
    if size < left:
        return None
    return (f"`{name} {written_split(setting)}` takes {size} of the {left} samples left ({total} in all), "
            "leaving none to train on")


class Standardize(Choice):
    """Zero mean, unit variance per feature, statistics from the training split only."""

    name: Literal["standardize"]


class Log1p(Choice):
    """log(1 + x) on the given feature columns (all when none are given)."""

    name: Literal["log1p"]
    columns: tuple[Whole, ...] | None = None

    @field_validator("columns", mode="before")
    @classmethod
    def _numbered(cls, value: Any) -> Any:
        """`log1p(columns=[dist])`: a csv header's name where the column's number goes."""
        named = [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []
        if named:
            raise refusal("E201", "feature columns go by number, from 0 with the target left out, not by name",
                          f"give the column of `{named[0]}` by its number among the features; `ldnn train` names "
                          "each feature's column in its messages", got=True)
        return value

    @field_validator("columns")
    @classmethod
    def _once_each(cls, columns: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """`log1p(columns=[0, 0])`: log1p is taken once per column however often it is listed."""
        twice = next((c for i, c in enumerate(columns or ()) if c in (columns or ())[:i]), None)
        if twice is not None:
            raise refusal("E207", f"column {twice} is listed twice", "list each column once")
        return columns


Preprocess = choices(Standardize | Log1p)


def log1p_columns(steps: tuple[object, ...]) -> tuple[int, ...] | None:
    """The columns every `log1p` names, merged: None when unused, () for all columns."""
    chosen = [step for step in steps if isinstance(step, Log1p)]
    if not chosen:
        return None
    if any(step.columns is None for step in chosen):
        return ()
    return tuple(dict.fromkeys(column for step in chosen for column in step.columns or ()))  # as written


def log1p_column_outside(columns: tuple[int, ...], features: int, what: str) -> str | None:
    """Why a `log1p` column is not one of `what`'s `features` (negative ones count from the end,
    as NumPy's do), or None when every one is."""
    bad = [c for c in columns if not -features <= c < features]
    if not bad:
        return None
    has = "1 feature column (0)" if features == 1 else f"{features} feature columns (0..{features - 1})"
    return f"log1p column {bad[0]} is out of range: {what} has {has}"


def log1p_column_twice(columns: tuple[int, ...], features: int, what: str) -> str | None:
    """Why one `log1p` step names a column twice, by two names (`[15, -1]` of 16 features), as
    `[1, 1]` does (E207); None when it does not. Steps that share a column are merged: each
    takes its log once."""
    same = next(((a, b) for i, b in enumerate(columns) for a in columns[:i] if a % features == b % features), None)
    if same is None:
        return None
    return (f"log1p columns {same[0]} and {same[1]} are the same column: {what} has {features} feature "
            f"column{'s' * (features != 1)}, and a negative column counts from the end")


class Translate(Choice):
    name: Literal["translate"]
    pixels: PositiveWhole = 4
    positional: ClassVar = ("pixels",)


class Rotate(Choice):
    name: Literal["rotate"]
    degrees: Annotated[Float32, Field(gt=0, le=180)] = 10
    positional: ClassVar = ("degrees",)


class Flip(Choice):
    name: Literal["flip"]
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal"
    positional: ClassVar = ("mode",)


class Noise(Choice):
    name: Literal["noise"]
    std: Positive = 0.1
    positional: ClassVar = ("std",)


IMAGE_ONLY = ("translate", "rotate", "flip")  # augmentations that need an [height, width, channels] input
Augment = choices(Translate | Rotate | Flip | Noise)


Shuffle = Literal["once", "epoch", "off"]  # the order minibatches are drawn in (see DataSection.shuffle)


class DataSection(Section):
    """`data { source ...  validate 10%  preprocess standardize ... }`."""

    source: Source
    validate_: Split | None = Field(None, alias="validate")
    test: Split | None = None
    preprocess: Annotated[tuple[Preprocess, ...], BeforeValidator(listed)] = ()
    augment: Annotated[tuple[Augment, ...], BeforeValidator(listed)] = ()
    seed: Seed = 0
    # `once`: one seeded order, kept every epoch (Keras on TensorFlow with a seed, Caffe's LMDB);
    # `epoch`: a new order before every epoch; `off`: the order of the data
    shuffle: Shuffle = "once"

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid", populate_by_name=True)
    lists: ClassVar = ("preprocess", "augment")
    examples: ClassVar = {"source": 'source npz("train.npz", x=x, y=y)', "validate": "validate 10%",
                          "test": "test 10%", "preprocess": "preprocess standardize",
                          "augment": "augment flip(horizontal)", "seed": "seed 1", "shuffle": "shuffle once"}
