"""How a validator refuses a value, so that the checker gives the refusal its own code.

Pydantic wraps whatever a validator raises; the exception's class is all that the checker
sees of why. A plain ValueError is a value of the right kind outside what its field allows
(E202); `WrongKindError` is a value of the wrong kind (E201); `refusal` picks any code and adds a
help. The initializer table's two refusals carry the names that their did-you-mean needs."""

from __future__ import annotations

from pydantic_core import PydanticCustomError

REFUSED = "ldnn_refused"  # the error type of a validator that picks its own code and help (`refusal`)


class WrongKindError(ValueError):
    """A value of the wrong kind for its field (E201): `2.5` units, a list for a column."""


class UnknownInitializerError(ValueError):
    """`init=nromal(0.02)` (E208)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown initializer `{name}`")
        self.name = name


class UnknownArgumentError(ValueError):
    """`init=normal(sdt=1)` (E204): `arg` is no argument of initializer `name`."""

    def __init__(self, name: str, arg: str) -> None:
        super().__init__(f"`{name}` has no argument `{arg}`")
        self.name, self.arg = name, arg


class ArgumentRangeError(ValueError):
    """`init=normal(-1)` (E202): argument `index` of initializer `name` (in its table's order)
    is outside what it takes; the checker marks that argument, not the whole call."""

    def __init__(self, message: str, name: str, index: int) -> None:
        super().__init__(message)
        self.name, self.index = name, index


def refusal(code: str, message: str, help: str | None = None, *, got: bool = False,
            at: str | None = None) -> PydanticCustomError:
    """A validator's error with its own code and help, which a ValueError cannot carry; `got`:
    the message goes on with the value as written ("; got `5 restor_best`"); `at`: the word
    of the value to mark (`restor_best`), where the checker knows where it is written."""
    return PydanticCustomError(REFUSED, message, {"code": code, "help": help, "got": got, "at": at})


def contradiction(message: str, help: str) -> PydanticCustomError:
    """Options that contradict each other (E404): a layer's, or a source's; `help` says how to choose."""
    return refusal("E404", message, help)
