"""The benchmarks (`python -m benchmarks`): the helpers, then every benchmark run for seconds at tiny sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import ROOT
from benchmarks.__main__ import main, parser
from benchmarks.report import Table, cell
from benchmarks.specs import big_spec, checked, with_input
from benchmarks.stats import alternate

TINY = ["--tiny", "--reps", "1", "--seconds", "0.2"]


def test_sides_alternate_and_ratios_are_taken_pair_by_pair() -> None:
    order: list[str] = []
    figures = {"a": iter([1.0, 4.0, 9.0]), "b": iter([1.0, 2.0, 1.0])}

    def side(name: str) -> Callable[[], float]:
        return lambda: order.append(name) or next(figures[name])

    runs = alternate({"a": side("a"), "b": side("b")}, reps=3)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert runs.ratio("a", "b") == 2.0  # median of 1, 2, 9; not median(a) / median(b) = 4
    assert runs.median("a") == 4.0


def test_cells_and_tables() -> None:
    assert [cell(x) for x in (12345.6, 0.01234, 7, float("nan"), None, "a|b")] == \
        ["12,346", "0.0123", "7", "n/a", "n/a", "a\\|b"]
    table = Table("T", ["x", "y"])
    table.add(1, 2.5)
    table.notes.append("note")
    assert table.markdown() == "## T\n\n| x | y |\n|---|---|\n| 1 | 2.5 |\n\n- note\n"


def test_the_generated_spec_is_long_and_valid() -> None:
    text = big_spec(5000)
    assert abs(len(text.splitlines()) - 5000) <= 3
    result = checked(text, "big.ldnn", "check")
    assert len(result.inference.rows) > 1000


def test_with_input_changes_only_the_input_shape() -> None:
    text = "model m {\n  input [100] int\n  embedding 8 vocab=10\n}\n"
    assert with_input(text, (25,)) == "model m {\n  input [25] int\n  embedding 8 vocab=10\n}\n"
    with pytest.raises(ValueError, match="without an `input"):
        with_input("model m {\n}\n", (3,))


def test_unknown_kinds_and_models_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--only", "frontend,speed"])
    assert "unknown benchmark speed" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser().parse_args(["--models", "resnet"])
    assert "expected a comma-separated list of sort10x6" in capsys.readouterr().err


@pytest.mark.slow
def test_frontend_compile_and_matmul_write_markdown(tmp_path: Path, shared_examples: Path) -> None:
    out = tmp_path / "RESULTS.md"
    assert main([*TINY, "--only", "frontend,compile,matmul", "--out", str(out)]) == 0
    text = out.read_text()
    for heading in ("Front end: `ldnn check", "Front end: throughput", "Compile:", "Machine limit"):
        assert f"## {heading}" in text
    assert "| convnet | 3,248,202 |" in text  # every model, its twin checked parameter for parameter
    assert "- **machine**:" in text and "- **versions**: python" in text


@pytest.mark.slow
def test_feeding_compares_both_pipelines(tmp_path: Path, shared_examples: Path) -> None:
    out = tmp_path / "RESULTS.md"
    assert main([*TINY, "--only", "feed", "--out", str(out)]) == 0
    text = out.read_text()
    assert "## Feeding: Keras' pipeline for arrays against ldnn's bounded pipeline" in text
    assert "| sort10x6 | 128 | 2,000 | keras arrays |" in text and "| sort10x6 | 128 | 2,000 | ldnn pipeline |" in text


@pytest.mark.slow
def test_training_and_gpu_mlp_write_markdown(tmp_path: Path, shared_examples: Path) -> None:
    out = tmp_path / "RESULTS.md"
    assert main([*TINY, "--only", "train", "--models", "parity", "--gpu-mlp", "--out", str(out)]) == 0
    text = out.read_text()
    assert "## Training: ldnn against hand-written Keras" in text and "## jit auto:" in text
    assert "## GPU MLP: model FLOP utilisation in mixed bfloat16" in text
    assert "| parity | 128 | off |" in text and "| parity | 128 | on |" in text
    assert "| gpu_mlp | 32 |" in text


@pytest.mark.slow
def test_training_runs_on_jax(tmp_path: Path, shared_examples: Path) -> None:
    pytest.importorskip("jax")
    out = tmp_path / "RESULTS.md"
    env = dict(os.environ, KERAS_BACKEND="jax")
    done = subprocess.run([sys.executable, "-m", "benchmarks", *TINY, "--only", "train", "--models", "parity",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "- **Keras backend**: jax" in text
    assert "| parity | 128 | on |" in text
