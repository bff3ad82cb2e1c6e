"""Ctrl-C and SIGTERM for the commands that load Keras: compile, gradcheck and train.

A Ctrl-C pressed while Keras loads (3-5 s here) can land in XLA's gc callback or in a
finalizer, where it cannot propagate and is lost: `ldnn compile` then wrote its model and
exited 0, `ldnn gradcheck` ran the whole check, as if nothing had been pressed. Each of these
commands therefore runs under `guarded`, which catches every Ctrl-C and SIGTERM from the
start, and loads Keras with `load_keras`, which raises a lost one again once Keras is in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ldnn_dsl.build.backend import import_keras_quietly
from ldnn_dsl.commands.report import report
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError
from ldnn_dsl.source.text import read
from ldnn_dsl.train.stopping import (
    Terminated,
    ctrl_c_aborts,
    forget_signals,
    interrupted_by_ctrl_c,
    raise_swallowed_signal,
    sigterm_raises,
)


def guarded(body: Callable[[], int], *, interrupted: Callable[[], int], terminated: Callable[[], int]) -> int:
    """`body()`'s exit status; the diagnostics of a spec or data error and 1; after a Ctrl-C,
    whenever it came and even when a library turned it into an error of its own, `interrupted()`;
    after SIGTERM, `terminated()`. The last two say what was kept and return the status."""
    forget_signals()
    try:  # around the handlers too: a signal may land as they are put back, once `body` is done
        with sigterm_raises(), ctrl_c_aborts():
            return _reported(body)
    except Terminated:
        return terminated()
    except (KeyboardInterrupt, Exception) as exc:
        if not interrupted_by_ctrl_c(exc):
            raise
        return interrupted()


def _reported(body: Callable[[], int]) -> int:
    """`body()`'s exit status, or 1 once its diagnostics are out."""
    try:
        return body()
    except DiagnosticError as exc:
        report(exc.diagnostics, {**sources_of(exc.diagnostics), **exc.sources})
        return 1


def load_keras() -> None:
    """Import Keras without TensorFlow's start-up chatter, then raise again a Ctrl-C or SIGTERM
    that the import lost."""
    import_keras_quietly()
    raise_swallowed_signal()


def sources_of(diags: Sequence[Diagnostic]) -> Mapping[str, str]:
    """The text of every file a diagnostic points into, for the caret lines."""
    out: dict[str, str] = {}
    for d in diags:
        path = d.span.path if d.span else None
        if path and path not in out:
            try:
                out[path] = read(path).text
            except DiagnosticError:
                continue
    return out
