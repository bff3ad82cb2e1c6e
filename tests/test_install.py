"""The wheel ships the grammar, and an installed (not editable) package finds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "specs" / "sort.ldnn"


@pytest.mark.slow
def test_wheel_install_checks_a_spec(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("ldnn_dsl-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    probe = ("import ldnn_dsl; from ldnn_dsl.syntax.grammar import grammar_path; "
             "print(ldnn_dsl.__file__); print(grammar_path())")
    out = subprocess.run([str(python), "-c", probe], check=True, cwd=tmp_path, capture_output=True, text=True)
    package_file, grammar = out.stdout.split()
    assert package_file.startswith(str(venv)), package_file
    assert grammar.startswith(str(venv)) and grammar.endswith("ldnn_dsl/grammar/ldnn.lark"), grammar
    checked = subprocess.run([str(venv / "bin" / "ldnn"), "check", "--summary", str(EXAMPLE)], cwd=tmp_path,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "total parameters: 324,704" in checked.stdout
