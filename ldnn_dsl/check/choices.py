"""A setting that names a choice with arguments: `sgd(momentum=0.9)`, `plateau(patience=3)`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from ldnn_dsl.layers.refusals import refusal
from ldnn_dsl.layers.values import quote


def _once(field: str, data: dict[str, Any]) -> str:
    """`field`, unless `data` has it already (bare twice, evaluation refuses; a quoted flag and a
    bare one, `sgd("nesterov", nesterov)`, reach here)."""
    if field in data:
        raise refusal("E207", f"`{field}` is given twice")
    return field


class Choice(BaseModel):
    """Base of every `name(args)` setting value. Positional arguments fill `positional` in order."""

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    positional: ClassVar[tuple[str, ...]] = ()
    unnamed_first: ClassVar[str | None] = None  # the help for a first number without a name, `{}` for it

    @model_validator(mode="before")
    @classmethod
    def _positional(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and "args" in data:
            data = dict(data)
            args = list(data.pop("args"))
            bound = list(zip(args, cls.bound_to(args), strict=True))
            flags = [field for _, field in bound if field in cls._flags()]
            values = [(value, field) for value, field in bound if field not in flags]
            for field in flags:  # `sgd(nesterov)`; set first, so a call written out by name keeps them
                data[_once(field, data)] = True
            if any(field is None for _, field in values):
                raise cls._unnamed(data, [value for value, _ in values], args[0])
            for value, field in values:
                data[_once(field, data)] = value  # type: ignore[arg-type]
        return data

    @classmethod
    def bound_to(cls, args: list[Any]) -> list[str | None]:
        """The field each value written without a name sets: a flag its own (`sgd(nesterov)`),
        any other the next of `positional`, in order; None for one past them. Validation binds
        by it, and the checker points an error in a value at the value by it."""
        flags, free = cls._flags(), iter(cls.positional)
        return [a if isinstance(a, str) and a in flags else next(free, None) for a in args]

    @classmethod
    def _unnamed(cls, data: dict[str, Any], args: list[Any], first: Any) -> PydanticCustomError:
        """`plateau(0.5, 2)`: values without names where the choice takes them by name. The help
        writes the call out with the names in the choice's order, the order they were most likely
        meant in, where that call is valid; `unnamed_first` says what else a `first` value (the
        first written, flags included) may mean."""
        name = str(data.get("name"))
        fields = [f for f in cls.model_fields if f != "name"]
        unnamed = f"{len(args)} value{'s' if len(args) > 1 else ''} without a name"
        if not fields:  # `schedule constant(0.1)`
            return refusal("E205", f"`{name}` takes no values; got {unnamed}", f"write `{name}` alone")
        if cls.positional:
            message = f"only {', '.join(f'`{p}`' for p in cls.positional)} may go without a name; got {unnamed}"
        else:
            message = f"its values go by name ({', '.join(fields)}); got {unnamed}"
        if cls.unnamed_first and isinstance(first, int | float) and not isinstance(first, bool):
            return refusal("E205", message, cls.unnamed_first.format(first))
        keys = [*cls.positional, *(f for f in fields if f not in cls.positional)][:len(args)]
        named = dict(zip(keys, args, strict=True)) if len(keys) == len(args) else {}
        if not named or any(k in data for k in keys) or not cls._valid({**data, **named}):
            return refusal("E205", message)  # no call that surely means what was written
        written = [ldnn_literal(v) if k in cls.positional else f"{k}={ldnn_literal(v)}" for k, v in named.items()]
        written += [k if v is True and k in cls._flags() else f"{k}={ldnn_literal(v)}"
                    for k, v in data.items() if k != "name"]
        return refusal("E205", message, f"write `{name}({', '.join(written)})`")

    @classmethod
    def _valid(cls, data: dict[str, Any]) -> bool:
        try:
            cls.model_validate(data)
        except ValueError:  # pydantic's ValidationError is one
            return False
        return True

    @classmethod
    def _flags(cls) -> set[str]:
        """The true/false options, which a bare word turns on, as in a layer or a setting's options."""
        return {key for key, info in cls.model_fields.items() if info.annotation is bool}

    def text(self, *, omit: tuple[str, ...] = ()) -> str:
        """The value written back as .ldnn source (for the resolved spec); `omit`: arguments
        whose default depends on more than the value itself, left for the reader to apply."""
        args = [f"{k}={ldnn_literal(v)}" for k, v in self.model_dump(exclude={"name", *omit}).items()
                if v is not None]
        name = self.name  # type: ignore[attr-defined]
        return f"{name}({', '.join(args)})" if args else name


def ldnn_literal(value: Any) -> str:
    """A Python value written back as .ldnn source."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # a word stays a word; anything else, `true` included, is a string
        return quote(value) if not value.isidentifier() or value in ("true", "false") else value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(ldnn_literal(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value)

