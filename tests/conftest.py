"""Shared fixtures: where the repository and the shared examples are, and `ldnn` run in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from ldnn_dsl.cli import main

REPO = Path(__file__).resolve().parents[1]


class Run(NamedTuple):
    rc: int
    out: str
    err: str


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def shared_examples() -> Path:
    """`../shared/examples`, next to the repository (skipped where it is not checked out)."""
    path = REPO.parent / "shared" / "examples"
    if not path.is_dir():
        pytest.skip(f"no shared examples at {path}")
    return path


@pytest.fixture
def ldnn(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """`ldnn ARGS...` in-process from the repository root: exit status, stdout, stderr."""
    monkeypatch.chdir(REPO)

    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            rc = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            rc = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        return Run(rc, out, err)

    return run
