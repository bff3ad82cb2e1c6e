"""`python -m benchmarks [--only frontend,compile,train,matmul,feed] [--seconds S] [--reps N] [--out PATH]`.

Writes one Markdown document (default benchmarks/RESULTS.md). The Keras backend is the one
`KERAS_BACKEND` names (TensorFlow by default); run with `KERAS_BACKEND=jax` for the JAX path."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from benchmarks import DEFAULT_OUT, KINDS, MODELS, ROOT
from benchmarks.report import Table, document

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
T = TypeVar("T")


def _names(allowed: Sequence[str], what: str) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown) or '(none)'}; "
                                             f"expected a comma-separated list of {', '.join(allowed)}")
        return names

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description="ldnn against hand-written Keras and "
                                "against the machine's limits; writes the results as Markdown.")
    p.add_argument("--only", type=_names(KINDS, "benchmark"), default=list(KINDS),
                   help=f"which benchmarks (default: all): {','.join(KINDS)}")
    p.add_argument("--seconds", type=float, default=2.0,
                   help="about how long one training measurement runs (default 2)")
    p.add_argument("--reps", type=int, default=5, help="repetitions (alternated rounds) per figure (default 5)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown file to write")
    p.add_argument("--models", type=_names(MODELS, "model"), default=list(MODELS),
                   help=f"models for compile and train (default: all): {','.join(MODELS)}")
    p.add_argument("--gpu-mlp", action="store_true",
                   help="add the mixed-bfloat16 wide MLP (8 x dense 8192, batch 4096) and its bf16 matmul peak")
    p.add_argument("--lines", type=int, default=5000, help="lines of the generated spec for front-end throughput")
    p.add_argument("--matmul-size", type=int, default=2048, help="size of the square float32 matmuls")
    p.add_argument("--most-steps", type=int, default=400, help="the most training steps one measurement runs")
    p.add_argument("--feed-samples", type=int, default=60_000,
                   help="training samples per epoch in the feeding benchmark (default 60000)")
    p.add_argument("--tiny", action="store_true",
                   help="smoke-test sizes: short spec, small matmuls, short sequences, tiny GPU MLP")
    return p


def run(args: argparse.Namespace) -> list[Table]:
    tables: list[Table] = []
    lines, size = (min(args.lines, 200), min(args.matmul_size, 256)) if args.tiny else (args.lines, args.matmul_size)
    if "frontend" in args.only:
        from benchmarks import frontend

        tables += _stage("frontend", lambda: frontend.run(args.reps, lines))
    if "compile" in args.only:
        from benchmarks import building
        from benchmarks.cases import case

        cases = [case(n, tiny=args.tiny) for n in args.models]
        tables += _stage("compile", lambda: [building.run(cases, args.reps)])
    if "matmul" in args.only or "train" in args.only:
        from benchmarks import matmul

        table, peak = _stage("matmul", lambda: matmul.run(size, args.reps))
        tables.append(table)
    if "train" in args.only:
        tables += _stage("train", lambda: _train(args, peak.median))
    if "feed" in args.only:
        from benchmarks import feeding
        from benchmarks.cases import case

        samples = 2_000 if args.tiny else args.feed_samples
        tables += _stage("feed", lambda: [feeding.run(case("sort10x6"), samples=samples, epochs=3, reps=args.reps)])
    return tables


def _train(args: argparse.Namespace, peak: float) -> list[Table]:
    from benchmarks import gpu_mlp, train_report
    from benchmarks.cases import case

    most = min(args.most_steps, 20) if args.tiny else args.most_steps
    tables = train_report.run([case(n, tiny=args.tiny) for n in args.models], seconds=args.seconds,
                              reps=args.reps, most_steps=most, peak=peak, peak_name="matmul peak",
                              title="Training: ldnn against hand-written Keras, and against the matmul peak")
    if args.gpu_mlp:
        tables += gpu_mlp.run(seconds=args.seconds, reps=args.reps, most_steps=most, tiny=args.tiny)
    return tables


def _stage(name: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    print(f"benchmarks: {name} ...", file=sys.stderr, flush=True)
    result = work()
    print(f"benchmarks: {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.reps < 1 or args.seconds <= 0:
        parser().error("--reps must be at least 1 and --seconds positive")
    started = time.perf_counter()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    tables = run(args)
    from benchmarks.machine import backend, describe

    header = [*describe(backend()), ("total time", f"{time.perf_counter() - started:.0f} s")]
    if load is not None:
        header.append(("load average at start (1, 5, 15 min)", ", ".join(f"{v:.2f}" for v in load)))
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document(header, tables, command.strip()), encoding="utf-8")
    shown = args.out.resolve().relative_to(ROOT) if args.out.resolve().is_relative_to(ROOT) else args.out
    print(f"benchmarks: wrote {shown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
