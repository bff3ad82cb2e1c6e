"""What can go wrong while training, as one diagnostic: a NaN loss, out of memory, Ctrl-C, or Keras refusing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ldnn_dsl.build.backend import out_of_memory
from ldnn_dsl.check.spec import Spans
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error
from ldnn_dsl.train.folder import TRAIN_CODE
from ldnn_dsl.train.members import NonFiniteLossError
from ldnn_dsl.train.stopping import interrupted, signal_under


@contextmanager
def failures_as_diagnostics(spans: Spans) -> Iterator[None]:
    """NaN losses, out-of-memory, Ctrl-C and Keras errors become one E406 diagnostic; SIGTERM
    passes on as Terminated."""
    at = spans.get(("train", ""))
    try:
        yield
    except DiagnosticError:
        raise
    except NonFiniteLossError as exc:
        raise DiagnosticError([error(TRAIN_CODE, f"training stopped: {exc}", spans.get(("train", "lr"), at),
                                     help="lower `lr`, add `clip_norm 5`, or check the data for extreme values")]
                              ) from exc
    except BaseException as exc:
        signalled = signal_under(exc)
        if isinstance(signalled, KeyboardInterrupt):
            raise DiagnosticError([interrupted(at)]) from exc
        if signalled is not None:
            raise signalled from None
        if not isinstance(exc, Exception):
            raise
        raise DiagnosticError([_failure(exc, spans)]) from exc


def _failure(exc: BaseException, spans: Spans) -> Diagnostic:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 400 else text[:400] + " ..."
    if out_of_memory(exc):
        return error(TRAIN_CODE, f"out of memory while training ({type(exc).__name__})",
                     spans.get(("train", "batch"), spans.get(("train", ""))),
                     help="lower `batch`, use a smaller model, or `precision mixed_bfloat16`")
    if (at := _ldnn_frame(exc)) is not None:
        return error("E901", f"internal error in ldnn: {type(exc).__name__}: {text} (raised at {at})",
                     spans.get(("train", "")), help="this is a bug in ldnn, not a problem of the spec or the data: "
                                                     "please report it with the spec; nothing was saved")
    return error(TRAIN_CODE, f"training failed: {type(exc).__name__}: {text}", spans.get(("train", "")))


def _ldnn_frame(exc: BaseException) -> str | None:
    """`ldnn_dsl/train/members.py:120` when ldnn's own code raised `exc` (its innermost frame
    is ours): a bug of ldnn's, which must not read as Keras refusing the spec or the data."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    file = Path(tb.tb_frame.f_code.co_filename).resolve()
    package = Path(__file__).resolve().parents[1]
    return f"{file.relative_to(package.parent)}:{tb.tb_lineno}" if file.is_relative_to(package) else None
