"""`ldnn check PATH...`: the TensorFlow-free checker, for writing specs and for CI."""

from __future__ import annotations

import argparse
import os
import sys

from ldnn_dsl.check.check import CheckResult, check_source
from ldnn_dsl.check.shapes import fmt_shape
from ldnn_dsl.commands.report import FORMATS, counts, report
from ldnn_dsl.source.diagnostics import DiagnosticError, render_json
from ldnn_dsl.source.text import no_specs_in, read_spec, spec_paths


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="parse and check specs (no TensorFlow)",
                       description="Check .ldnn specs: syntax, names, arguments, shapes, parameter counts, lints. "
                                   "Positions are file:line:col, 1-based, a column counting characters (a tab is one).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="spec files, directories (recursing into *.ldnn), or -")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="how to print diagnostics: text (default) on stderr; json (one document) or github "
                        "(workflow commands) on stdout")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--summary", action="store_true",
                   help="print each checked model's layers, shapes and parameters: as tables on stdout, or with "
                        "--format json as the document's `models` list")
    p.set_defaults(run=run)


def check_one(path: str) -> CheckResult:
    if path != "-" and os.path.isdir(path):  # only reached for a directory that holds no spec
        return CheckResult(path, diagnostics=[no_specs_in(path)])
    try:
        source = read_spec(path)
    except DiagnosticError as exc:
        return CheckResult(path, diagnostics=exc.diagnostics, sources=exc.sources)
    return check_source(source, "check")


def run(args: argparse.Namespace) -> int:
    """Check every path. stdout holds what a tool reads (the JSON document, GitHub commands,
    summary tables); stderr holds text diagnostics and the closing tally, for people."""
    results = [check_one(path) for path in spec_paths(args.paths)]
    diags = [d for r in results for d in r.diagnostics]
    sources = {k: v for r in results for k, v in r.sources.items()}
    summarized = [r for r in results if r.spec is not None and r.inference is not None] if args.summary else []
    if args.format == "json":  # stdout stays one document, the summary included, for `> report.json`
        print(render_json(diags, {"models": [summary_json(r) for r in summarized]} if args.summary else None))
    else:
        report(diags, sources, args.format)
        for result in summarized:
            print(summary(result))
    failed = any(d.severity == "error" or args.strict for d in diags)
    if args.format == "text":
        status = "failed" if failed else "ok"
        print(f"ldnn check: {len(results)} file{'s' * (len(results) != 1)}, {counts(diags)}: {status}",
              file=sys.stderr)
    return 1 if failed else 0


def summary(result: CheckResult) -> str:
    """The model as a table, Keras' `summary()` without importing Keras."""
    assert result.spec is not None and result.inference is not None
    rows = [(("  " * r.depth) + r.name, r.kind, fmt_shape(r.shape), f"{r.params:,}") for r in result.inference.rows]
    header = ("layer", "kind", "output shape", "params")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    line = lambda cells: "  ".join(  # noqa: E731
        c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    rule = "-" * (sum(widths) + 6)
    body = [line(r) for r in rows]
    total = f"total parameters: {result.inference.total_params:,}"
    return "\n".join([f"model {result.spec.model.name} ({result.path})", rule, line(header), rule, *body, rule, total])


def summary_json(result: CheckResult) -> dict[str, object]:
    """The same table as `summary`, as data: one entry per row, shapes as lists, counts as numbers."""
    assert result.spec is not None and result.inference is not None
    layers = [{"name": r.name, "kind": r.kind, "shape": list(r.shape), "params": r.params, "depth": r.depth}
              for r in result.inference.rows]
    return {"file": result.path, "model": result.spec.model.name, "layers": layers,
            "total_params": result.inference.total_params}
