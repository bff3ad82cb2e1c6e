"""What loading any source gives: its arrays, and what is known of their columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Loaded:
    """A source's arrays, and what a csv header says of them: `features` names x's columns
    (None where only positions are known: generators, npz, a csv without a header), `target`
    the column y came from, `written` the file as the spec names it. The names let a second
    csv file be matched to the training file by name, and messages name the column meant."""

    x: np.ndarray
    y: np.ndarray
    features: tuple[str, ...] | None = None
    target: str | None = None
    written: str | None = None
