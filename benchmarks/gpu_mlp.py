"""`--gpu-mlp`: model FLOP utilisation of a wide MLP in mixed bfloat16 (8 x dense 8192, batch 4096).

Made for a GPU, where bf16 matmuls run on tensor cores. Without one it runs only at `--tiny`
sizes (the smoke test keeps the code path working); at full size a CPU would take minutes
per step. The ceiling is a large bf16 matmul measured in the same run, compiled the same
way as the float32 one."""

from __future__ import annotations

from benchmarks import train_report
from benchmarks.cases import gpu_mlp
from benchmarks.matmul import matmul_rate
from benchmarks.report import Table
from ldnn_dsl.train.xla import gpu_available

FULL = {"width": 8192, "depth": 8, "batch": 4096}
TINY = {"width": 64, "depth": 8, "batch": 32}
TITLE = "GPU MLP: model FLOP utilisation in mixed bfloat16"


def run(*, seconds: float, reps: int, most_steps: int, tiny: bool) -> list[Table]:
    if not tiny and not gpu_available():
        table = Table(TITLE, ["model", "result"])
        table.add("gpu_mlp", "skipped: no GPU for the Keras backend (`--tiny` runs it at toy sizes on a CPU)")
        return [table]
    sizes = TINY if tiny else FULL
    peak = matmul_rate(4 * sizes["width"] if tiny else sizes["width"], "bfloat16", reps=reps)
    case = gpu_mlp(**sizes)
    tables = train_report.run([case], seconds=seconds, reps=reps, most_steps=most_steps, peak=peak.median,
                              peak_name="bf16 matmul peak", title=TITLE)
    tables[0].notes.append(f"bf16 peak: [{peak.size}x{peak.size}] matmuls, median {peak.median / 1e12:.3g} "
                           f"TFLOP/s over {len(peak.flops)} repetitions. Model: {case.note}, batch {case.batch}.")
    return tables[:1]  # its jit row would repeat the table: on a GPU `jit auto` is XLA on
