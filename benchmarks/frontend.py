"""Front end: `ldnn check` as a fresh process against the floors a user would compare it with,
and parse+check / fmt throughput in lines per second on a generated long spec."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from benchmarks import EXAMPLES, ROOT
from benchmarks.report import Table
from benchmarks.specs import big_spec, checked, source
from benchmarks.stats import alternate, seconds
from ldnn_dsl.check.check import check_source
from ldnn_dsl.fmt import format_text

SPEC = "sort10x6"
# What a Keras user runs to validate the same model: import Keras, build it, count its parameters.
KERAS_USER = f"from benchmarks.twins import {SPEC}; print({SPEC}().count_params())"


def process(args: list[str]) -> Callable[[], float]:
    """A fresh Python process, timed from spawn to exit; a failure is an error, not a fast figure."""

    def measure() -> float:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(), capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"`python {' '.join(args)}` failed ({done.returncode}): {done.stderr[-2000:]}")
        return elapsed

    return measure


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def startup(reps: int) -> Table:
    spec = str(EXAMPLES / f"{SPEC}.ldnn")
    runs = alternate({"check": process(["-m", "ldnn_dsl", "check", spec]),
                      "imports": process(["-c", "import lark, pydantic"]),
                      "keras": process(["-c", KERAS_USER])}, reps)
    table = Table(f"Front end: `ldnn check {SPEC}.ldnn` as a fresh process",
                  ["process", "wall time (s)", "ldnn check ÷ this"])
    table.add(f"`ldnn check {SPEC}.ldnn` (python -m ldnn_dsl check)", runs.median("check"), 1.0)
    table.add("`python -c \"import lark, pydantic\"` (the floor)", runs.median("imports"),
              runs.ratio("check", "imports"))
    table.add("a Keras user's check: import keras, build the twin, count_params", runs.median("keras"),
              runs.ratio("check", "keras"))
    table.notes.append(f"Alternated rounds (check, imports, keras): {reps}; ratios pair by pair, then the median.")
    return table


def throughput(reps: int, lines: int) -> Table:
    """Parse + check, and fmt, of a generated spec of `lines` lines; in-process, imports paid before."""

    text = big_spec(lines)
    count = len(text.splitlines())
    checked(text, "big.ldnn", "check")  # valid, and every import warm
    src = source(text, "big.ldnn")
    runs = alternate({"check": lambda: seconds(lambda: check_source(src, "check")),
                      "fmt": lambda: seconds(lambda: format_text(text, "big.ldnn"))}, reps)
    table = Table(f"Front end: throughput on a generated {count:,}-line spec",
                  ["stage", "median time (s)", "lines/s"])
    table.add("parse + expand + check (`check_source`)", runs.median("check"), count / runs.median("check"))
    table.add("`ldnn fmt` (`format_text`)", runs.median("fmt"), count / runs.median("fmt"))
    table.notes.append(f"Rounds: {reps}. The spec holds lets, blocks with residuals, repeats, comments "
                       "(benchmarks/specs.py: `big_spec`).")
    return table


def run(reps: int, lines: int) -> list[Table]:
    return [startup(reps), throughput(reps, lines)]

