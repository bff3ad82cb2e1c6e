"""`ldnn compile SPEC -o model.keras [--jit auto|true|false]`: the network as a saved Keras model.

The file is written atomically (a temporary sibling, then `os.replace`), so a failed or
interrupted compile never leaves half a model behind."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ldnn_dsl.check.check import check_source
from ldnn_dsl.commands.report import report
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError
from ldnn_dsl.source.text import read

JIT_CHOICES = ("auto", "true", "false")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="build a spec's network and save it as a .keras file",
                       description="Check a spec and save its network (no training) as a Keras 3 model.")
    p.add_argument("spec", metavar="SPEC", help="the .ldnn file")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the model (.keras)")
    p.add_argument("--jit", choices=JIT_CHOICES, default="auto",
                   help="build for XLA (true), without (false), or by the spec's `jit` rule (auto)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.output.endswith(".keras"):
        print(f"ldnn compile: error: the output `{args.output}` must end in `.keras` (Keras 3's format)",
              file=sys.stderr)
        return 2
    quiet_tensorflow()
    try:
        source = read(args.spec)
        result = check_source(source, "compile")
        report(result.diagnostics, result.sources)
        if result.errors or result.spec is None:
            return 1
        from ldnn_dsl.build.model import build_model
        from ldnn_dsl.train.xla import choose_jit

        setting = result.spec.train.jit if result.spec.train is not None else "auto"
        chosen = {"true": True, "false": False}.get(args.jit, setting)
        model = build_model(result.spec, xla=choose_jit(chosen, result.spec.model))
        save_atomically(model, Path(args.output))
    except DiagnosticError as exc:
        report(exc.diagnostics, sources_of(exc.diagnostics))
        return 1
    print(f"ldnn compile: wrote {args.output} ({model.count_params():,} parameters)", file=sys.stderr)
    return 0


def save_atomically(model: object, target: Path) -> None:
    """Keras insists on the `.keras` suffix, so the temporary file keeps it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.stem}.partial-{os.getpid()}.keras")
    try:
        model.save(temp)  # type: ignore[attr-defined]
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def sources_of(diags: Sequence[Diagnostic]) -> dict[str, str]:
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


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) is noise for a CLI user."""
    from ldnn_dsl.build.backend import import_keras_quietly

    import_keras_quietly()
