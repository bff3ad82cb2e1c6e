"""`batch auto`: the smallest minibatch that keeps the hardware busy.

The recipe prefers small minibatches (more updates per epoch, some regularizing noise)
as long as each step is large enough to amortize the fixed cost of a training step.
The choice is a rule, not a timing run, so the same spec always trains the same way."""

from __future__ import annotations

SMALLEST, LARGEST = 16, 1024
CPU_STEP_MACS = 5e7
GPU_STEP_MACS = 5e9
MIN_STEPS = 16


def auto_batch(macs_per_sample: int, train_samples: int, *, gpu: bool) -> int:
    """The smallest power of two in [16, 1024] whose forward pass does at least
    `CPU_STEP_MACS` (5e7) multiply-accumulates per step on a CPU, `GPU_STEP_MACS` (5e9) on a GPU.

    A training step costs a fixed ~0.5-1 ms of framework overhead (dispatch, callbacks,
    the optimizer's update) plus about 3x the forward pass's arithmetic; at ~1e10-2e10
    MAC/s on a few CPU cores, 5e7 forward MACs (~1.5e8 with backward) makes the arithmetic
    about ten times the overhead. GPUs are ~100x faster and need ~100x larger steps.
    A small training set caps it so an epoch still makes `MIN_STEPS` (16) updates."""
    target = GPU_STEP_MACS if gpu else CPU_STEP_MACS
    cap = max(SMALLEST, train_samples // MIN_STEPS)
    batch = SMALLEST
    while batch < LARGEST and batch * 2 <= cap and batch * max(macs_per_sample, 1) < target:
        batch *= 2
    while batch > 1 and batch > train_samples:
        batch //= 2
    return batch
