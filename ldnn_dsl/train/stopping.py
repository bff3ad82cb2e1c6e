"""Ending training early on request, and keeping what it learned: Ctrl-C and `--max-time`;
and ending it at once, keeping nothing, on SIGTERM.

Ctrl-C works as Caffe's default (`sigint_effect stop` with `snapshot_after_train`): the
first press ends training after the step in progress, and the run is validated, scored and
saved like any finished run; a second press aborts, and nothing is saved. `--max-time`
ends training the same way once its time budget is spent, so a long spec can be run on a
small machine for as long as one has. Both only set Keras' `stop_training`, which `fit`
reads after every step: the compiled step and Keras' asynchronous callbacks are untouched.
SIGTERM (`kill`, `timeout`) aborts the way a second Ctrl-C does."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ldnn_dsl.source.diagnostics import Diagnostic, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.train.folder import TRAIN_CODE

INTERRUPTED = "interrupted"
MAX_TIME = "max_time"


class Terminated(BaseException):
    """SIGTERM arrived (`kill`, `timeout`, a job scheduler). A BaseException, like
    KeyboardInterrupt, so no `except Exception` in Keras or ldnn swallows it on its way out,
    while every `finally` and staging cleanup still runs."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated instead of ending the process at once,
    so a run stopped by `kill` or `timeout` removes its staging folder (the default action runs
    no Python code at all). Only the first one raises: later ones would cut the cleanup short.
    The previous handler is back afterwards; outside the main thread nothing changes."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _raise_and_remember(Terminated)

    with _handled(signal.SIGTERM, terminate, signal.SIG_DFL):
        yield


# The exceptions that signal handlers raised in this process, oldest first. TensorFlow can
# swallow one raised while it runs (a tf.data iterator then reads as exhausted, and `fit` or
# `evaluate` ends quietly): the run asks `raise_swallowed_signal` before it saves anything.
_raised: list[type[BaseException]] = []


def _raise_and_remember(kind: type[BaseException]) -> None:
    _raised.append(kind)
    raise kind


def _abort(signum: int, frame: FrameType | None) -> None:
    _raise_and_remember(KeyboardInterrupt)


@contextmanager
def ctrl_c_aborts() -> Iterator[None]:
    """While the block runs, Ctrl-C raises KeyboardInterrupt at once, as Python's own handler
    does, and is remembered, as SIGTERM is. Around a whole run: outside `fit` (loading the data,
    evaluating, saving) a Ctrl-C aborts, and TensorFlow may swallow it in an evaluation too.
    Around the `ldnn train` command, from before Keras is imported: one that lands in a garbage
    collector's callback or a finalizer cannot propagate, and is only remembered."""
    with _handled(signal.SIGINT, _abort, signal.default_int_handler), _signals_unraisable_quietly():
        yield


@contextmanager
def _signals_unraisable_quietly() -> Iterator[None]:
    """Python prints an exception raised where it cannot propagate (a `__del__`, XLA's gc
    callback) as "Exception ignored in ..." with a traceback. A signal's is remembered
    (`raise_swallowed_signal`), so its traceback is only noise; any other is shown as before."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt | Terminated):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def forget_signals() -> None:
    """A new run starts with no signal against it (the API may train several in one process)."""
    _raised.clear()


def raise_swallowed_signal() -> None:
    """Raise again the first Ctrl-C abort or SIGTERM of this run, in case TensorFlow swallowed it."""
    if _raised:
        raise _raised[0]


def interrupted(at: Span | None = None, path: str | None = None) -> Diagnostic:
    """E406 for a Ctrl-C that aborted the run, whenever it came."""
    return error(TRAIN_CODE, "training interrupted; nothing was saved", at, path=path,
                 help="one Ctrl-C while the net trains stops training and saves the run; "
                      "a second one, or one before training began, aborts")


def interrupted_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a Ctrl-C is behind `exc`: under it, or, for an error some library made of one
    (Pydantic, building a schema, reports it as a SchemaError), remembered by the handler."""
    return isinstance(signal_under(exc), KeyboardInterrupt) or KeyboardInterrupt in _raised


def signal_under(exc: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM behind `exc`, if any. A signal that lands inside a library's
    context manager can make the manager's exit raise an error of its own (TF's device scope:
    "Exiting device scope without proper scope nesting"), with the signal only as its context."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (KeyboardInterrupt, Terminated)):
            return current
        seen.add(id(current))
        current = current.__context__
    return None


@contextmanager
def _handled(signum: int, handler: Callable[[int, FrameType | None], None], fallback: Any) -> Iterator[None]:
    """`handler` for `signum` while the block runs, and the previous handler back afterwards,
    even when the block fails. A handler set outside Python reads as None and cannot be put
    back: `fallback` (Python's own) then. Python lets only the main thread handle signals:
    elsewhere (training in a worker thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, fallback if previous is None else previous)


@dataclass
class StopRequest:
    """Whether the run was asked to stop; shared by an ensemble's members, so a stop asked
    for while one member trains also skips the members after it.

    `budget` is the time allowed in seconds, `deadline` the `time.perf_counter()` reading
    when it is spent; both None without a budget."""

    budget: float | None = None
    deadline: float | None = None
    reason: str | None = None

    @classmethod
    def within(cls, seconds: float | None, since: float | None = None) -> StopRequest:
        """A request that comes due `seconds` after the `time.perf_counter()` reading `since`
        (now, for None); never, for no `seconds`."""
        start = time.perf_counter() if since is None else since
        return cls(seconds, None if seconds is None else start + seconds)

    def due(self) -> bool:
        """True once a stop was asked for, or the time budget is spent."""
        if self.reason is None and self.deadline is not None and time.perf_counter() >= self.deadline:
            self.reason = MAX_TIME
        return self.reason is not None

    def callback(self) -> Any:
        """A Keras callback that ends `fit` after the first step begun once the request is due."""
        import keras

        request = self

        class StopWhenAsked(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
                if request.due():
                    self.model.stop_training = True  # fit checks it once this step is done

        return StopWhenAsked()

    @contextmanager
    def on_ctrl_c(self, model: Any, say: Callable[[str], None]) -> Iterator[None]:
        """While the block runs, a first Ctrl-C asks `model` to stop after its current step (or
        the steps of the call under way, with `steps_per_execution`) and a second one raises
        KeyboardInterrupt; the handling before is back afterwards, even
        when the block fails (Keras calls no callback when `fit` raises); in a worker thread
        nothing changes."""

        def interrupt(signum: int, frame: FrameType | None) -> None:
            self.reason = INTERRUPTED
            model.stop_training = True
            signal.signal(signal.SIGINT, _abort)
            per_call = getattr(model, "steps_per_execution", 1)
            steps = "this step" if per_call == 1 else f"the steps under way (at most {per_call})"
            say(f"ldnn: stopping after {steps}; the run will be validated and saved "
                "(Ctrl-C again to abort without saving)")

        with _handled(signal.SIGINT, interrupt, signal.default_int_handler):
            yield

    def describe(self) -> str:
        """Why training ended early, for the closing line."""
        if self.reason == MAX_TIME:
            return f"its time budget (--max-time {_duration(self.budget or 0.0)}) was spent"
        return "interrupted (Ctrl-C)"


def parse_duration(text: str) -> float:
    """Seconds in `90s`, `20m`, `1.5h` or a bare number of seconds; ValueError otherwise."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    seconds = float(number) * units[unit]
    if not 0 < seconds < float("inf"):
        raise ValueError(text)
    return seconds


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
