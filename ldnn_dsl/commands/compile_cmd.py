"""`ldnn compile SPEC -o model.keras [--jit auto|true|false]`: the network as a saved Keras model.

The file is written atomically (a temporary sibling, then `os.replace`), so a failed or
interrupted compile (Ctrl-C, SIGTERM) never leaves half a model behind; an output that
cannot be written is refused before TensorFlow is even loaded. A symlink is written through."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from ldnn_dsl.check.check import check_source
from ldnn_dsl.commands.guard import guarded, load_keras
from ldnn_dsl.commands.report import named_path, report
from ldnn_dsl.exit_status import INTERRUPTED_STATUS, TERMINATED_STATUS
from ldnn_dsl.source.beside import beside
from ldnn_dsl.source.diagnostics import DiagnosticError, error
from ldnn_dsl.source.text import read_spec
from ldnn_dsl.train.folder import forget_placed, make_parents, placed, put_in_place, remove_made, why_unwritable
from ldnn_dsl.train.stopping import raise_swallowed_signal

JIT_CHOICES = ("auto", "true", "false")
OUTPUT_CODE = "E005"  # a file that cannot be written (a directory, permissions)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="build a spec's network and save it as a .keras file",
                       description="Check a spec and save its network (no training) as a Keras 3 model.")
    p.add_argument("spec", metavar="SPEC", help="the .ldnn file, or - for standard input")
    p.add_argument("-o", "--output", type=named_path, required=True, metavar="FILE",
                   help="where to write the model (.keras)")
    p.add_argument("--jit", choices=JIT_CHOICES, default="auto",
                   help="build for XLA (true), without (false), or by the spec's `jit` rule (auto)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.output.endswith(".keras"):
        print(f"ldnn compile: error: the output `{args.output}` must end in `.keras` (Keras 3's format)",
              file=sys.stderr)
        return 2
    forget_placed()
    # SIGTERM (`kill`, `timeout`) and Ctrl-C remove the partial file
    return guarded(lambda: _compile(args),
                   interrupted=lambda: _stopped(args.output, "interrupted (Ctrl-C)", INTERRUPTED_STATUS),
                   terminated=lambda: _stopped(args.output, "terminated (SIGTERM)", TERMINATED_STATUS))


def _compile(args: argparse.Namespace) -> int:
    """Check the output, then the spec, then build and save; 1 after reporting the spec's errors."""
    target = through_link(Path(args.output))
    refuse_output(target)
    load_keras()
    source = read_spec(args.spec)
    result = check_source(source, "compile")
    report(result.diagnostics, result.sources)
    if result.errors or result.spec is None:
        return 1
    from ldnn_dsl.build.model import build_in_precision
    from ldnn_dsl.train.xla import spec_jit

    model = build_in_precision(result.spec, xla=spec_jit(result.spec, {"true": True, "false": False}.get(args.jit)))
    save_atomically(model, target)
    policy = model.dtype_policy.name
    shown = "" if policy == "float32" else f", {policy}"
    print(f"ldnn compile: wrote {args.output} ({model.count_params():,} parameters{shown})", file=sys.stderr)
    return 0


def _stopped(output: str, how: str, status: int) -> int:
    """One line on what a signal left: the model, when it came in the moment after saving, or nothing."""
    outcome = f" after {output} was written" if placed() else f"; {output} was not written"
    print(f"ldnn compile: {how}{outcome}", file=sys.stderr)
    return status


def through_link(output: Path) -> Path:
    """Where a model written to `output` goes: a symlink's target, as `fmt` and Keras' own `save`
    write (renaming over the link would replace it with a plain file). Folders are made for a
    path, never at the end of a link: one into a missing folder is refused."""
    if not output.is_symlink():
        return output
    try:
        target = output.resolve(strict=False)
    except (OSError, RuntimeError):  # Python 3.10-3.12 raise RuntimeError for a loop, 3.13 OSError
        raise _cannot_write(output, "it is a link that leads back to itself") from None
    if not target.parent.is_dir():
        raise _cannot_write(output, f"it is a link to `{os.readlink(output)}`, whose folder does not exist")
    return target


def refuse_output(target: Path) -> None:
    """A folder at `target`, or a place where no file can be made, found before the model is
    built rather than at the final rename. An existing file is replaced, as before."""
    if os.path.isdir(target):
        raise _cannot_write(target, "it is a folder")
    blocked = why_unwritable(target)
    if blocked is not None:
        raise _cannot_write(target, blocked)


def save_atomically(model: object, target: Path) -> None:
    """Keras insists on the `.keras` suffix, so the temporary file keeps it. On failure the
    temporary file goes, and so do the folders made for it."""
    temp = beside(target, f"partial-{os.getpid()}.keras")
    made: list[Path] = []
    try:
        made = make_parents(target)
        model.save(temp)  # type: ignore[attr-defined]
        raise_swallowed_signal()  # one lost while saving: the target keeps what it held
        put_in_place(temp, target)
        made = []
    except OSError as exc:
        raise _cannot_write(target, exc.strerror or str(exc)) from None
    finally:
        with contextlib.suppress(OSError):  # cleanup must not hide what went wrong
            temp.unlink(missing_ok=True)
        remove_made(made)


def _cannot_write(target: Path, why: str) -> DiagnosticError:
    return DiagnosticError([error(OUTPUT_CODE, f"cannot write the model here: {why}", path=str(target),
                                  help="choose another `-o`, a `.keras` file in a folder you can write to")])
