"""One way to report a data problem, so every loader fails with the same code (E405)."""

from __future__ import annotations

from ldnn_dsl.source.diagnostics import DiagnosticError, error
from ldnn_dsl.source.span import Span

DATA_CODE = "E405"


def data_error(message: str, span: Span | None = None, *, path: str | None = None,
               help: str | None = None) -> DiagnosticError:
    """An E405 error ready to raise: pointed at the `source` setting when its span is known,
    else at the data file itself, so the user never sees a raw NumPy traceback."""
    return DiagnosticError([error(DATA_CODE, message, span, help=help, path=path)])
