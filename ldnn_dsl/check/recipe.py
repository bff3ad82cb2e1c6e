"""The `init`, `data` and `train` sections as typed, validated models.

Defaults follow the recipe (sgd, lr 0.1, batch 128); `ldnn train` writes every default
out into the resolved spec so a run says exactly what it did."""

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


def home_section(setting: str, besides: str | None = None) -> str | None:
    """The section other than `besides` that has `setting` (`batch` -> `train`): a setting
    written in the wrong section, or in the model, is most often one that belongs elsewhere."""
    for name, cls in SECTION_MODELS.items():
        if name != besides and any(setting in (key, info.alias) for key, info in cls.model_fields.items()):
            return name
    return None
