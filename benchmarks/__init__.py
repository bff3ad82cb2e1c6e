"""Benchmarks: ldnn against hand-written Keras, and against the machine's own limits.

    python -m benchmarks                       # everything, written to benchmarks/RESULTS.md
    python -m benchmarks --only frontend,compile --reps 3 --out /tmp/r.md

Every figure is the median of `--reps` repetitions; every comparison runs its two sides
alternately in the same process (A B A B ...), takes the ratio pair by pair, then the median,
so a machine that slows down half-way hurts both sides alike. One module per kind:
`frontend` (check and fmt), `building` (spec → Keras model), `training` (samples/s and the
share of the machine's matmul rate), `matmul` (that rate), `gpu_mlp` (bf16 model FLOP utilisation),
`feeding` (epoch times under Keras' input pipeline and ldnn's).
The hand-written Keras twins of every benchmarked spec are in `twins`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT.parent / "shared" / "examples"
SPECS = ROOT / "specs"
DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"
KINDS = ("frontend", "compile", "train", "matmul", "feed")
MODELS = ("sort10x6", "parity", "convnet", "char_lstm", "deep_residual", "wide_mlp")
