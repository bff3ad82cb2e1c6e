"""Medians of alternated repetitions, and ratios taken pair by pair."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values, so a missing figure prints as `n/a` instead of raising."""
    return statistics.median(values) if values else float("nan")


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Alternated:
    """Each side's figure from every round; round i of every side ran back to back."""

    figures: dict[str, list[float]] = field(default_factory=dict)

    def median(self, side: str) -> float:
        return median(self.figures[side])

    def ratio(self, top: str, bottom: str) -> float:
        """median over rounds of top/bottom (each pair measured back to back)."""
        return median([a / b for a, b in zip(self.figures[top], self.figures[bottom], strict=True) if b])

    def ratios(self, top: Callable[[int], float], bottom: Callable[[int], float]) -> float:
        """median over rounds of top(i)/bottom(i), for ratios of derived figures (e.g. the faster of two)."""
        rounds = len(next(iter(self.figures.values()), []))
        return median([top(i) / bottom(i) for i in range(rounds) if bottom(i)])


def alternate(sides: dict[str, Callable[[], float]], reps: int) -> Alternated:
    """Run every side once per round, in the given order (A B A B ...), for `reps` rounds.

    Each side returns its own figure (seconds, samples/s, ...), so a side can exclude its own
    set-up from what it measures."""
    result = Alternated({name: [] for name in sides})
    for _ in range(max(1, reps)):
        for name, measure in sides.items():
            result.figures[name].append(measure())
    return result
