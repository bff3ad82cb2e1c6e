"""What every recipe section shares: frozen, strict models whose choices are picked by name."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ldnn_dsl.layers.base import Float32, Whole

MAX_SEED = 2**32 - 1  # the largest seed NumPy, and so Keras' `set_random_seed`, accepts

NonNegative = Annotated[Float32, Field(ge=0)]
Fraction = Annotated[Float32, Field(gt=0, lt=1)]
Seed = Annotated[Whole, Field(ge=0, le=MAX_SEED)]


def listed(value: Any) -> Any:
    """A setting given once or on several lines is a tuple either way."""
    return value if isinstance(value, list | tuple) else [value]


def _named(value: Any) -> Any:
    """A bare word picks a choice with its defaults: `optimizer sgd` is `sgd()`."""
    return {"name": value} if isinstance(value, str) else value


def choices(union: Any) -> Any:
    return Annotated[union, Field(discriminator="name"), BeforeValidator(_named)]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    lists: ClassVar[tuple[str, ...]] = ()  # settings that may be given on several lines
    examples: ClassVar[dict[str, str]] = {}  # a line for each setting: the help where one is left without a value
