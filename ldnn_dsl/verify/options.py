"""`ldnn gradcheck`'s options, their defaults and bounds: kept free of NumPy and Keras, so that the
command line reads its defaults here without loading what the check itself needs."""

from __future__ import annotations

from dataclasses import dataclass

from ldnn_dsl.check.section import MAX_SEED

SMALLEST_STEP = 1e-10  # below, LOSS_ROUNDING / step swamps every quotient

# Steps the check can learn from: below, LOSS_ROUNDING / eps swamps every difference quotient (and
# the noise floor grows until any gradient passes); above, the quotient reflects the curvature.
EPS_RANGE = (SMALLEST_STEP, 1e-1)


@dataclass(frozen=True)
class GradcheckOptions:
    """`batch` samples, `samples` entries per variable, relative `tolerance`, `seed`, step `eps`."""

    batch: int = 4
    samples: int = 8
    tolerance: float = 1e-5
    seed: int = 0
    eps: float = 1e-6

    def __post_init__(self) -> None:
        """Refuse, as `ldnn gradcheck` does, a step that measures nothing and a seed Keras cannot take."""
        low, high = EPS_RANGE
        if not low <= self.eps <= high:
            raise ValueError(f"eps must be from {low:g} to {high:g}, got {self.eps!r}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
