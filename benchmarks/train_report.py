"""The training benchmark's tables, with a finding next to every missed target."""

from __future__ import annotations

from benchmarks.cases import Case
from benchmarks.report import Table
from benchmarks.training import (
    JIT_TARGET,
    Measured,
    auto_ratio,
    default_jit,
    investigate,
    measure,
    missed_utilisation,
    side,
)


def run(cases: list[Case], *, seconds: float, reps: int, most_steps: int, peak: float, peak_name: str,
        title: str) -> list[Table]:
    """Measure every case; where ldnn's default misses its utilisation target, find out why."""
    measured = []
    for case in cases:
        m = measure(case, seconds=seconds, reps=reps, most_steps=most_steps)
        if missed_utilisation(m, peak):
            m.notes.append(investigate(m, seconds=seconds, reps=reps, peak=peak))
        measured.append(m)
    return [throughput_table(measured, peak, title, peak_name), jit_table(measured)]


def throughput_table(measured: list[Measured], peak: float, title: str, peak_name: str) -> Table:
    table = Table(title, ["model", "batch", "XLA", "ldnn samples/s", "Keras samples/s", "ldnn ÷ Keras",
                          "ldnn GFLOP/s", f"÷ {peak_name}", "target", "notes"])
    for m in measured:
        for jit in (False, True):
            sps = m.sps("ldnn", jit)
            util = m.flops(sps) / peak
            target = m.case.utilisation_target
            default = jit == default_jit(m)
            met = "" if target is None or not default else f"≥ {target:g}: {'met' if util >= target else 'MISSED'}"
            notes = [m.case.note] if m.case.note and not jit else []
            if default:
                notes += m.notes
            table.add(m.case.name, m.case.batch, "on" if jit else "off", sps, m.sps("keras", jit),
                      m.runs.ratio(side("ldnn", jit), side("keras", jit)), m.flops(sps) / 1e9, util, met,
                      " ".join(n for n in notes if n))
    table.notes += [f"{peak_name}: {peak / 1e9:.3g} GFLOP/s, measured in this run. GFLOP/s = forward MACs "
                    "(`ldnn check`) x 2 x 3 (a training step ≈ 3 forward passes) x samples/s.",
                    "Both sides: the same data, batch, loss, metrics, optimizer settings and `jit_compile`; "
                    "`fit` with shuffling, a warm-up fit first, the first step of each fit untimed."]
    return table


def jit_table(measured: list[Measured]) -> Table:
    table = Table("jit auto: ldnn's default against the faster hand-written setting",
                  ["model", "ldnn's choice", "ldnn default samples/s", "min-max over rounds", "faster Keras setting",
                   "samples/s",
                   f"ldnn default ÷ faster (target ≥ {JIT_TARGET:g})", "finding"])
    for m in measured:
        on, off = m.sps("keras", True), m.sps("keras", False)
        best = "XLA on" if on >= off else "XLA off"
        ratio = auto_ratio(m)
        choice = f"XLA {'on' if m.auto else 'off'} — {m.auto_reason}"
        default = m.sps("ldnn", m.auto)
        table.add(m.case.name, choice, default, spread(m), best,
                  max(on, off), ratio, jit_finding(m, ratio))
    table.notes.append("Ratios are taken round by round: ldnn's default over the faster of the two hand-written "
                       "runs of the same round, then the median.")
    return table


def jit_finding(m: Measured, ratio: float) -> str:
    if ratio >= JIT_TARGET:
        return "met"
    same = m.runs.ratio(side("ldnn", m.auto), side("keras", m.auto))
    other = m.runs.ratio(side("keras", not m.auto), side("keras", m.auto))
    if other > 1 / JIT_TARGET:
        return (f"MISSED: on this machine XLA {'off' if m.auto else 'on'} is x{other:.2f} faster for this model "
                f"(hand-written); the rule in ldnn_dsl/train/xla.py picked the slower setting. At the same "
                f"setting ldnn ÷ Keras = {same:.2f}, so the model build is not the cause.")
    return (f"MISSED: the jit choice matches the faster setting within 3%, but at that setting ldnn ÷ Keras = "
            f"{same:.2f}: the difference is in the compiled model or noise (see the spread over rounds).")


def spread(m: Measured) -> str:
    """min-max of ldnn's default over rounds, for judging noise."""
    figures = m.runs.figures[side("ldnn", default_jit(m))]
    return f"{min(figures):,.0f}-{max(figures):,.0f}"

