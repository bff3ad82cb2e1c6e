"""The checked spec: what the Keras builder and the trainer consume."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ldnn_dsl.check.data_section import DataSection
from ldnn_dsl.check.recipe import InitSection
from ldnn_dsl.check.train_section import TrainSection
from ldnn_dsl.expand.graph import ModelGraph
from ldnn_dsl.layers.base import InitDefaults
from ldnn_dsl.source.span import Span

# (section, setting) -> where it was written; `setting.N`: its item N; `setting=`: its value alone
Spans = dict[tuple[str, str], Span]


VALUE = "="  # `(section, "biases=")`: where the setting's value is written, without its name


def value_span(spans: Spans, section: str, setting: str) -> Span | None:
    """Where a setting's value was written (`orthogonal(1.0)` of `biases orthogonal(1.0)`), or
    else the setting: for an error about the value, not the setting's name."""
    return spans.get((section, setting + VALUE)) or spans.get((section, setting))


def item_span(spans: Spans, section: str, setting: str, index: int) -> Span | None:
    """Where item `index` of a listed setting was written (`metrics [a, b]`, `preprocess` over
    two lines), or else the setting."""
    return spans.get((section, f"{setting}.{index}")) or spans.get((section, setting))


class WrapperNames:
    """The layers `ldnn train` wraps around the network in the model it saves. The network is
    one layer beside them, named after the model, so no model may take one of these names."""

    INPUT = "raw_input"
    LOG1P_INPUT = "raw"
    STANDARDIZE = "standardize"
    LOG1P = "log1p"
    ENSEMBLE_MEAN = "ensemble_mean"
    ALL = (INPUT, LOG1P_INPUT, STANDARDIZE, LOG1P, ENSEMBLE_MEAN)


class Spec(BaseModel):
    """A whole .ldnn spec after expansion and checks: the model graph and the recipe."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    model: ModelGraph
    init: InitSection = Field(default_factory=InitSection)
    data: DataSection | None = None
    train: TrainSection | None = None

    @property
    def init_defaults(self) -> InitDefaults:
        return InitDefaults(self.init.weights, self.init.biases, self.init.forget_bias)
