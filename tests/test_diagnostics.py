"""Golden diagnostics: each `tests/diagnostics/NAME.ldnn` beside the exact `ldnn check` text it must give.

Regenerate after an intended change with `LDNN_UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py`,
then read every changed `.expected` file: the message must say what is wrong, the caret must sit
under the whole offending span, and a typo must get a `did you mean`.
Files under `tests/diagnostics/used/` are only there to be `use`d by the cases.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "diagnostics"
CASES = sorted(CASES_DIR.glob("*.ldnn"))
UPDATE = os.environ.get("LDNN_UPDATE_GOLDEN") == "1"
HEADER = re.compile(r"^\S+:\d+:\d+: (error|warning)\[(\w+)\]: ", re.MULTILINE)


def _relative(case: Path) -> str:
    return case.relative_to(CASES_DIR.parents[1]).as_posix()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, ldnn) -> None:
    rc, out, err = ldnn("check", "--format", "text", _relative(case))
    expected_file = case.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(err, encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}; run with LDNN_UPDATE_GOLDEN=1 to create it"
    assert err == expected_file.read_text(encoding="utf-8")
    assert out == ""
    assert "Traceback" not in err
    failed = " error[" in err
    assert rc == (1 if failed else 0)
    assert err.rstrip().endswith("failed" if failed else "ok")


def test_every_expected_file_has_its_case() -> None:
    stale = [e.name for e in CASES_DIR.glob("*.expected") if not e.with_suffix(".ldnn").exists()]
    assert not stale


def test_goldens_cover_enough_ground() -> None:
    """At least 30 error cases, and most of the recipe's warnings."""
    found = [HEADER.findall(case.with_suffix(".expected").read_text(encoding="utf-8")) for case in CASES
             if case.with_suffix(".expected").exists()]
    error_cases = [f for f in found if any(sev == "error" for sev, _ in f)]
    warning_codes = {code for f in found for sev, code in f if sev == "warning"}
    assert len(error_cases) >= 30
    assert len({code for f in found for sev, code in f if sev == "error"}) >= 30
    assert len(warning_codes) >= 6


def test_every_code_is_raised_somewhere_listed_and_documented() -> None:
    """`codes.CODES` is the list the README's tables give: a code no check emits (E402 was one)
    promises a diagnostic that never comes, and one missing from the list has no documentation."""
    from ldnn_dsl.source.codes import CODES

    package = CASES_DIR.parents[1] / "ldnn_dsl"
    used = {code for path in package.rglob("*.py") if path.name != "codes.py"
            for code in re.findall(r"\"([EW]\d{3})\"", path.read_text(encoding="utf-8"))}
    readme = (CASES_DIR.parents[1] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([EW]\d{3})` \|", readme, re.MULTILINE))
    assert sorted(set(CODES) - used) == []
    assert sorted(used - set(CODES)) == []
    assert documented == set(CODES)


W101_MIXED = """
model m {{
  input [8]
  dense 8 relu init=uniform(0.05)
  repeat 7 {{
    dense 8 relu
  }}
  dense 1
}}
init {{
  weights normal(0.02)
}}
"""
W122_BEYOND_THE_RUN = """
model m {{
  input [2]
  dense 1 sigmoid
}}
data {{
  source   parity(bits=2, samples=64)
  validate 25%
}}
train {{
  loss       binary_crossentropy
  epochs     {epochs}
  schedule   plateau(patience={plateau})
  early_stop patience={patience} restore_best
}}
"""


def test_w101_marks_where_most_fixed_inits_are_written() -> None:
    """Eight of nine layers take the `init` default, one writes its own: the default is the fix."""
    from helpers import checked

    result = checked(W101_MIXED.format())
    [found] = [d for d in result.warnings if d.code == "W101"]
    assert found.span is not None and found.span.line == 11 and "weights scaled(1.0)" in (found.help or "")


@pytest.mark.parametrize(("epochs", "plateau", "patience", "warned"), [
    (10, 10, 10, False),  # the plateau cannot act within the run: nothing to warn of
    (5, 4, 4, False), (50, 4, 4, True), (50, 0, 1, True), (50, 1, 2, False)])
def test_w122_only_where_the_plateau_could_act(epochs: int, plateau: int, patience: int, warned: bool) -> None:
    from helpers import checked

    result = checked(W122_BEYOND_THE_RUN.format(epochs=epochs, plateau=plateau, patience=patience))
    assert ("W122" in [d.code for d in result.warnings]) is warned
