"""The table of sections: `init`'s model, and each section's name mapped to its model (`data`'s
and `train`'s live in their own modules), with the help for a setting written in the wrong one."""

from __future__ import annotations

from typing import ClassVar

from ldnn_dsl.check.data_section import DataSection
from ldnn_dsl.check.section import Section
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.layers.base import Float32
from ldnn_dsl.layers.initializers import Init


class InitSection(Section):
    """`init { weights scaled(1.0)  biases zeros  forget_bias 1.0 }`."""

    weights: Init | None = None
    biases: Init | None = None
    forget_bias: Float32 | None = None

    examples: ClassVar = {"weights": "weights scaled(1.0)", "biases": "biases zeros", "forget_bias": "forget_bias 1.0"}


SECTION_MODELS: dict[str, type[Section]] = {"init": InitSection, "data": DataSection, "train": TrainSection}


def home_section(setting: str, besides: str | None = None) -> tuple[str, ...]:
    """The sections other than `besides` that have `setting` (`batch`: train; `seed`: data and
    train): a setting written in the wrong section, or in the model, most often belongs there."""
    return tuple(name for name, cls in SECTION_MODELS.items()
                 if name != besides and any(setting in (key, info.alias) for key, info in cls.model_fields.items()))


def moved(setting: str, homes: tuple[str, ...], what: str = "") -> str:
    """The help for a setting written where it does not belong: `seed` is a setting of `data` and
    of `train`: move it into `data { }` or `train { }` (`what`: `, not a layer`, said after)."""
    named = " and of ".join(f"`{home}`" for home in homes)
    into = " or ".join(f"`{home} {{ }}`" for home in homes)
    return f"`{setting}` is a setting of {named}{what}: move it into {into}"
