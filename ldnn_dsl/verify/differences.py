"""Whether one analytic derivative agrees with difference quotients of the loss.

A first central quotient decides most entries. One that disagrees is retried, since a ReLU
kink or a max-pooling switch inside the step spoils the quotient but not a smaller one; with
larger steps, since the loss's rounding over the step may spoil it; and then one-sided, since
at a kink right at w the framework's gradient is one of the two slopes.
A wrong gradient fails every estimate. The sampling of entries lives here too: which entries
to check decides what a wrong gradient can hide behind."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ldnn_dsl.verify.options import SMALLEST_STEP

# A failing entry is retried with steps eps/10 to eps/10,000 (none below SMALLEST_STEP): a ReLU
# kink or a max-pooling switch within the step spoils a difference quotient, and so does the
# curvature over a large step (`--eps 0.1`), while a smaller step rarely straddles the kink and
# bends less; a wrong analytic gradient stays wrong at every step. Then one-sided, for a kink right at w.
STEP_DIVISORS = (1, 10, 100, 1_000, 10_000)
UNDEFINED = "undefined"  # an entry's `how` where the loss has no derivative to compare with
SMOOTHER = "smaller step"  # an entry's `how` where a smaller step only bent less over the curvature
# A failing entry is also retried with steps 10 and 100 times eps (none above LARGEST_STEP): the
# loss of a deep float64 net rounds worse than LOSS_ROUNDING says (layernorm, gelu and selu: an
# entry failed at eps 1e-6 by 2.7e-5, and passed at 1e-4), and a larger step divides that noise
# by more. It passes when the quotients' distance from g shrinks at each larger step (noise over
# the step falls tenfold; a wrong gradient's distance stays) and the largest agrees with g.
STEP_MULTIPLIERS = (10, 100)
SHRINK = 2  # how much nearer g each larger step's quotient must come, at least
LARGEST_STEP = 1e-3
QUIETER = "larger step"  # an entry's `how` where larger steps rose above the loss's rounding
# The noise of 2 D(h) - D(2h) relative to a central quotient's with the same step.
ONE_SIDED_GAIN = 2.5
# Rounding of the float64 loss, relative to its size, that a difference quotient divides by 2 eps.
LOSS_ROUNDING = 1e-15


def relative_error(analytic: float, numerical: float, floor: float) -> float:
    """|g - n| / max(|g|, |n|, floor): relative where the derivative is resolvable, absolute below."""
    return abs(analytic - numerical) / max(abs(analytic), abs(numerical), floor)


def sample_indices(grad: np.ndarray, count: int, rng: np.random.Generator) -> list[int]:
    """`count` flat indices: half drawn with probability proportional to |g| (a wrong gradient
    shows most where the gradient is large enough to resolve), the rest uniformly (a gradient
    wrongly zero shows there); every index if there are few."""
    if grad.size <= count:
        return list(range(grad.size))
    magnitude = np.abs(grad).ravel()
    nonzero = np.flatnonzero(magnitude)
    weighted = min(len(nonzero), (count + 1) // 2)
    chosen: list[int] = []
    if weighted:  # Gumbel top-k: a draw without replacement, proportional to |g|
        keys = np.log(magnitude[nonzero]) + rng.gumbel(size=len(nonzero))
        chosen = [int(i) for i in nonzero[np.argpartition(-keys, weighted - 1)[:weighted]]]
    for i in rng.choice(grad.size, min(grad.size, 2 * count), replace=False):
        if len(chosen) == count:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    return sorted(chosen)


@dataclass(frozen=True)
class Judge:
    """Compares one analytic derivative with difference quotients, the accurate one first.

    A retry may only rescue an entry when it shows why the first quotient was spoiled: a
    smaller step that agrees with g must disagree with the larger one (a kink lay between
    them), or agree with g as closely as the first step's noise allows (the larger step only
    bent over the curvature: `SMOOTHER`); and a one-sided quotient that agrees with g must
    disagree with the other side (a kink right at w, e.g. a ReLU with zero inputs and a zero
    bias, where the framework picks one slope). Where the two one-sided quotients differ and
    neither agrees, the kink at w is several samples' (a unit that all-zero or all-equal
    weights hold at 0, or tied, for the whole batch): the loss has no derivative there, and
    the framework picks a slope per sample, one side's or none. g passes only within what such
    picks can sum to: between 0, either one-sided quotient and their sum. Where max-pooling may
    tie (`ties`), a window's slope may lie anywhere between its two sides', which these sums do
    not bound: an entry out of that range is `UNDEFINED`, not judged. For a smooth loss all
    quotients agree, so a wrong gradient fails every one."""

    analytic: float
    loss_value: float
    tolerance: float
    eps: float
    ties: bool = False  # the model max-pools: a kink shared by a batch may be a tie

    def floor(self, step: float, gain: float = 1.0) -> float:
        """The rounding noise of a quotient with this step, over the tolerance (see the module doc)."""
        return gain * LOSS_ROUNDING * max(abs(self.loss_value), 1.0) / step / self.tolerance

    def error(self, numerical: float, step: float, gain: float = 1.0) -> float:
        return relative_error(self.analytic, numerical, self.floor(step, gain))

    def differ(self, a: float, b: float, step: float, gain: float = 1.0) -> bool:
        return relative_error(a, b, self.floor(step, gain)) > self.tolerance

    def sides(self, at: Callable[[float], float], step: float) -> dict[str, float]:
        """The forward and backward one-sided quotients over `step`."""
        return {how: _one_sided(at, sign * step, self.loss_value) for how, sign in (("forward", 1), ("backward", -1))}

    def jumps(self, at: Callable[[float], float], eps: float, far: Mapping[str, float]) -> bool:
        """Whether the sides' difference holds at a tenth of the step: a kink's jump in slope does
        not shrink with the step, but the curvature's part does (a hundredfold), and over a large
        step (`--eps 0.1`) it alone made the sides differ: any gradient between them passed."""
        step = eps / 10
        if step < SMALLEST_STEP:
            return True
        near = self.sides(at, step)
        gap = abs(near["forward"] - near["backward"])
        return self.differ(near["forward"], near["backward"], step, ONE_SIDED_GAIN) and \
            gap >= abs(far["forward"] - far["backward"]) / 2

    def judge(self, at: Callable[[float], float]) -> tuple[float, float, float, float, str]:
        """(analytic, numerical, error, step, how) of the estimate that decides."""
        tol, eps = self.tolerance, self.eps
        previous = _central(at, eps)
        first = (self.analytic, previous, self.error(previous, eps), eps, "central")
        if first[2] <= tol:
            return first
        for step in (eps / divisor for divisor in STEP_DIVISORS[1:] if eps / divisor >= SMALLEST_STEP):
            numerical = _central(at, step)
            # It agrees, and either the larger step's quotient was spoiled (they differ), or it agrees
            # even held to the first step's tighter noise floor: a smaller step loosens the floor,
            # which alone must not let an entry pass.
            kinked = self.differ(previous, numerical, step)
            if self.error(numerical, step) <= tol and (kinked or self.error(numerical, eps) <= tol):
                return self.analytic, numerical, self.error(numerical, step), step, "central" if kinked else SMOOTHER
            previous = numerical
        if eps * STEP_MULTIPLIERS[-1] <= LARGEST_STEP:
            quotients = [first[1], *(_central(at, eps * m) for m in STEP_MULTIPLIERS)]
            distances = [abs(q - self.analytic) for q in quotients]
            step = eps * STEP_MULTIPLIERS[-1]
            if all(far * SHRINK <= near for near, far in itertools.pairwise(distances)) \
                    and self.error(quotients[-1], step) <= tol:
                return self.analytic, quotients[-1], self.error(quotients[-1], step), step, QUIETER
        sides = self.sides(at, eps)
        if self.differ(sides["forward"], sides["backward"], eps, ONE_SIDED_GAIN) and self.jumps(at, eps, sides):
            for how, numerical in sides.items():
                if self.error(numerical, eps, ONE_SIDED_GAIN) <= tol:
                    return self.analytic, numerical, self.error(numerical, eps, ONE_SIDED_GAIN), eps, how
            forward, backward = sides["forward"], sides["backward"]
            reachable = (0.0, forward, backward, forward + backward)  # no sample's slope, the right, the left, all
            low, high = min(reachable), max(reachable)
            margin = self.floor(eps, ONE_SIDED_GAIN) * tol + tol * max(abs(low), abs(high))
            if low - margin <= self.analytic <= high + margin:
                return self.analytic, min(max(self.analytic, low), high), 0.0, eps, "kink"
            if self.ties:  # a tied maximum picks a slope between each window's two: no bound from these sums
                return self.analytic, forward, 0.0, eps, UNDEFINED
        return first


def _central(at: Callable[[float], float], step: float) -> float:
    return (at(step) - at(-step)) / (2 * step)


def _one_sided(at: Callable[[float], float], step: float, loss_value: float) -> float:
    """Richardson-extrapolated one-sided quotient, O(step^2): 2 D(h) - D(2h)."""
    once, twice = at(step) - loss_value, at(2 * step) - loss_value
    return (4 * once - twice) / (2 * step)
