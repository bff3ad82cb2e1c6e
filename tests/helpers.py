"""Helpers several test files share: a checked spec, a written file, a fresh interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from ldnn_dsl.check.check import CheckResult, Purpose, check_source
from ldnn_dsl.source.text import decode

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def checked(text: str, path: str = "t.ldnn", purpose: Purpose = "check") -> CheckResult:
    """The checked spec; fails the test on any error (warnings are fine)."""
    result = check_source(decode(path, text.encode()), purpose)
    assert not result.errors, "\n".join(f"{d.where}: {d.code} {d.message}" for d in result.errors)
    assert result.spec is not None
    return result


def write(path: Path, text: str | bytes) -> Path:
    """`text` at `path` (folders made); bytes are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def fresh_python(script: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh interpreter that sees this checkout (for import isolation and
    backends chosen at import); fails the test with its stderr."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def handler_seen_in_a_worker_thread(guard: Callable[[], AbstractContextManager[object]],
                                    signum: signal.Signals) -> tuple[object, object]:
    """(the handler for `signum` before, the one a worker thread sees inside `guard()`): only
    the main thread may set handlers, so a guard run elsewhere must leave them as they are."""
    seen: list[object] = []

    def work() -> None:
        with guard():
            seen.append(signal.getsignal(signum))

    before = signal.getsignal(signum)
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return before, seen[0]


def train_in_a_child(spec: Path, out: Path, err: Path) -> subprocess.Popen[str]:
    """`ldnn train SPEC --out OUT` in a child process, returned once it has finished its first
    epoch (Keras' progress goes to a pipe, one line per epoch); stderr goes to the file `err`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    with err.open("w") as stderr:  # the child keeps its own copy
        child = subprocess.Popen([sys.executable, "-m", "ldnn_dsl.cli", "train", str(spec), "--out", str(out)],
                                 stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=spec.parent)
    assert child.stdout is not None
    for line in child.stdout:
        if "val_loss" in line:
            return child
    raise AssertionError(f"the run ended before its first epoch: {err.read_text()[-2000:]}")


def ldnn_process(*args: str, stdin: bytes | None = None, cwd: Path | None = None, timeout: float = 60,
                 stdin_closed: bool = False) -> subprocess.CompletedProcess[bytes]:
    """`python -m ldnn_dsl ARGS...` as a fresh process (for stdin and import isolation).
    `stdin_closed`: started with no descriptor 0 at all (`<&-`), so that Python has no `sys.stdin`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    close = (lambda: os.close(0)) if stdin_closed else None
    return subprocess.run([sys.executable, "-m", "ldnn_dsl", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=timeout, check=False, preexec_fn=close)


class _CtrlCWhenCollected:
    """A Ctrl-C that lands in a finalizer, as one pressed while Keras loads lands in XLA's gc
    callback: it cannot propagate, and Python would print it as "Exception ignored in"."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)


def ctrl_c_lost_in_a_finalizer() -> None:
    _CtrlCWhenCollected()


def ctrl_c_made_a_library_error() -> None:
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:  # as Pydantic, building a schema, reports one
        raise RuntimeError("schema could not be built: KeyboardInterrupt") from None


CTRL_C_LOST_OR_MASKED = [ctrl_c_lost_in_a_finalizer, ctrl_c_made_a_library_error]


def then(call: Callable[..., T], after: Callable[[], None]) -> Callable[..., T]:
    """`call`, with `after()` run once it has returned: a signal injected at a chosen moment."""

    def called(*args: object, **kwargs: object) -> T:
        result = call(*args, **kwargs)
        after()
        return result

    return called
