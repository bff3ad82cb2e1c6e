"""Convolution and pooling, with Keras' shape rules (`padding=valid` by default)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Literal

from ldnn_dsl.layers.base import (
    Activation,
    InitDefaults,
    LayerKind,
    PositiveWhole,
    Shape,
    ShapeError,
    WeightLayer,
    Window,
    activation_words,
    fmt_shape,
)
from ldnn_dsl.layers.values import WindowValue
from ldnn_dsl.source.diagnostics import a_number

Padding = Literal["valid", "same"]


def slide(size: int, window: int, stride: int, padding: str) -> int:
    """Output length of a window sliding over `size` positions, as Keras computes it."""
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


SPATIAL = {1: "[steps, channels]", 2: "[height, width, channels]"}
MIN_IMAGE_SIDE = 8  # a flat vector of a square size at least this side's may be an image (8x8 digits)


def spatial(kind: str, shape: Shape, *ranks: int, hint: bool = True) -> None:
    """A kind that slides over `rank` spatial axes needs `rank` + 1 axes (the last: channels).
    `hint`: say how a one-channel signal or a flat image gets the axes it lacks."""
    if len(shape) - 1 not in ranks:
        want = " or ".join(SPATIAL[rank] for rank in ranks)
        raise ShapeError("E302", f"`{kind}` needs an input of shape {want}; it gets {fmt_shape(shape)}",
                         help=_channels_help(shape, ranks) if hint else None)


def _channels_help(shape: Shape, ranks: tuple[int, ...]) -> str | None:
    """The reshape that gives a one-channel signal its channel axis (`[28, 28]` -> `[28, 28, 1]`),
    or a flat square image its rows back (`[784]` -> `[28, 28, 1]`)."""
    hints = []
    if len(shape) in ranks:
        hints.append(f"a signal of one channel still needs that axis: `reshape {list((*shape, 1))}` before it")
    side = math.isqrt(shape[0]) if len(shape) == 1 else 0
    if 2 in ranks and side >= MIN_IMAGE_SIDE and side * side == shape[0]:
        hints.append(f"if these are flat {side}x{side} images: `reshape [{side}, {side}, 1]` before it")
    return "; ".join(hints) or None


def fit(window: tuple[int, ...], rank: int, what: str) -> tuple[int, ...]:
    if len(window) == 1:
        return window * rank
    if len(window) != rank:
        raise ShapeError("E202", f"a {rank}-D {what} needs a {rank}-D window, got {'x'.join(map(str, window))}",
                         "window")
    return window


def slide_all(kind: str, shape: Shape, window: tuple[int, ...], stride: tuple[int, ...], padding: str) -> Shape:
    dims = []
    for axis, (size, w, s) in enumerate(zip(shape[:-1], window, stride, strict=True)):
        out = slide(size, w, s, padding)
        if out <= 0:
            raise ShapeError("E303", f"`{kind}` window {'x'.join(map(str, window))} does not fit its input "
                             f"{fmt_shape(shape)}: axis {axis} has only {size} position{'s' * (size != 1)}", "window",
                             help="use padding=same, a smaller window, or less pooling before this layer")
        dims.append(out)
    return tuple(dims)


class Conv(WeightLayer):
    """`conv 64 3x3 relu stride=1 padding=same`: a 2-D convolution."""

    kind: Literal["conv"] = "conv"
    filters: PositiveWhole
    window: Window
    activation: Activation = "linear"
    stride: Window = (1,)
    padding: Padding = "valid"

    rank: ClassVar[int] = 2
    kernel_axes: ClassVar = 4  # window height, window width, channels, filters
    positional: ClassVar = ("filters", "window")
    words: ClassVar = {**activation_words(), "same": ("padding", "same"), "valid": ("padding", "valid")}
    doc: ClassVar = "2-D convolution: filters, window, activation, stride=, padding=valid or same"
    elsewhere: ClassVar = ("Conv2D", "Conv2d", "Convolution2D")

    @classmethod
    def reordered(cls, values: Sequence[object], keyed: Collection[str]) -> tuple[str, str, int] | None:
        """`conv 3x3 32`: the window before the filters; `conv 3x3 relu`: the filters left out."""
        window = values[0] if values else None
        if "filters" in keyed or "window" in keyed or not isinstance(window, WindowValue):
            return None
        kind, shown = cls.model_fields["kind"].default, "x".join(map(str, window.dims))
        filters = values[1] if len(values) >= 2 else None
        if isinstance(filters, int) and not isinstance(filters, bool):
            return f"{kind} {filters} {shown}", "the filters first, then the window", 2
        return f"{kind} FILTERS {shown}", "the number of filters comes first, then the window", 1

    def _geometry(self, shape: Shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
        spatial(self.kind, shape, self.rank)
        window = fit(self.window, self.rank, "convolution")
        try:
            stride = fit(self.stride, self.rank, "stride")
        except ShapeError as exc:
            raise ShapeError(exc.code, exc.message, "stride") from None
        return window, stride

    def output_shape(self, shape: Shape) -> Shape:
        window, stride = self._geometry(shape)
        return (*slide_all(self.kind, shape, window, stride, self.padding), self.filters)

    def param_count(self, shape: Shape) -> int:
        window, _ = self._geometry(shape)
        return math.prod(window) * shape[-1] * self.filters + (self.filters if self.bias else 0)

    def macs(self, shape: Shape) -> int:
        window, _ = self._geometry(shape)
        return math.prod(self.output_shape(shape)) * math.prod(window) * shape[-1]

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        window, stride = fit(self.window, self.rank, ""), fit(self.stride, self.rank, "")
        cls = keras.layers.Conv2D if self.rank == 2 else keras.layers.Conv1D
        return cls(self.filters, window, strides=stride, padding=self.padding, activation=self.activation, name=name,
                   **self.weight_options(defaults, max_norm_axis=list(range(self.rank + 1))))


class Conv1D(Conv):
    """`conv1d 64 5 relu`: a 1-D convolution over [steps, channels]."""

    kind: Literal["conv1d"] = "conv1d"  # type: ignore[assignment]

    rank: ClassVar[int] = 1
    kernel_axes: ClassVar = 3  # window, channels, filters
    doc: ClassVar = "1-D convolution over [steps, channels]: filters, window, activation, stride=, padding="
    elsewhere: ClassVar = ("Conv1D", "Conv1d", "Convolution1D")


class Pool(LayerKind):
    """Max or average pooling; 1-D or 2-D by the input's rank. Stride defaults to the window."""

    window: Window
    stride: Window | None = None
    padding: Padding = "valid"

    positional: ClassVar = ("window",)
    words: ClassVar = {"same": ("padding", "same"), "valid": ("padding", "valid")}
    keeps_range: ClassVar = True  # a maximum or a mean of its input's values

    def _geometry(self, shape: Shape) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        rank = len(shape) - 1
        ranks = self._ranks()
        if rank == 1 and 1 not in ranks:
            raise self._image_window_on_sequence(shape)
        spatial(self.kind, shape, *ranks)
        window = fit(self.window, rank, "pooling")
        try:
            stride = fit(self.stride, rank, "stride") if self.stride else window
        except ShapeError as exc:
            raise ShapeError(exc.code, exc.message, "stride") from None
        return rank, window, stride

    def _image_window_on_sequence(self, shape: Shape) -> ShapeError:
        """`maxpool 2x2` on [steps, channels] (after a conv1d or an embedding): the window is an
        image's, the input a sequence's; which one is wrong only the author knows."""
        field = "window" if len(self.window) == 2 else "stride"
        dims = self.window if field == "window" else self.stride
        written = f"{self.kind} {dims[0]}" if field == "window" else f"stride={dims[0]}"  # type: ignore[index]
        one = f"`{written}`" if len(set(dims)) == 1 else f"a {field} of one number"  # type: ignore[arg-type]
        return ShapeError("E202", f"{a_number('x'.join(map(str, dims)))} {field} pools [height, width, channels]; "  # type: ignore[arg-type]
                          f"{fmt_shape(shape)} is a sequence of {shape[-1]} channels", field,
                          help=f"write {one} to pool the sequence; if these are one-channel images: "
                               f"`reshape {list((*shape, 1))}` before it")

    def _ranks(self) -> tuple[int, ...]:
        """The ranks its input may have: both, unless a window or stride of two axes says 2-D."""
        given = [w for w in (self.window, self.stride) if w]
        fitting = tuple(rank for rank in (1, 2) if all(len(w) in (1, rank) for w in given))
        return fitting or (1, 2)

    def output_shape(self, shape: Shape) -> Shape:
        _, window, stride = self._geometry(shape)
        return (*slide_all(self.kind, shape, window, stride, self.padding), shape[-1])

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        rank, window, stride = self._geometry(shape)
        prefix = "Max" if self.kind == "maxpool" else "Average"
        cls = getattr(keras.layers, f"{prefix}Pooling{rank}D")
        return cls(window, strides=stride, padding=self.padding, name=name)


class MaxPool(Pool):
    """`maxpool 2x2`: the maximum over each window."""

    kind: Literal["maxpool"] = "maxpool"
    doc: ClassVar = ("maximum over each window; stride defaults to the window; 1-D or 2-D by input rank "
                     "(on images, `maxpool 3` is `3x3`)")
    elsewhere: ClassVar = ("MaxPooling2D", "MaxPool2d", "MaxPooling1D", "MaxPool1d", "MaxPool", "MaxPooling",
                           "Pooling")


class AvgPool(Pool):
    """`avgpool 2x2`: the mean over each window."""

    kind: Literal["avgpool"] = "avgpool"
    doc: ClassVar = ("mean over each window; stride defaults to the window; 1-D or 2-D by input rank "
                     "(on images, `avgpool 3` is `3x3`)")
    elsewhere: ClassVar = ("AveragePooling2D", "AvgPool2d", "AveragePooling1D", "AvgPool1d", "AvgPool",
                           "AveragePooling")


class GlobalPool(LayerKind):
    """`globalpool` (average) or `globalpool max`: one value per channel."""

    kind: Literal["globalpool"] = "globalpool"
    mode: Literal["avg", "max"] = "avg"

    words: ClassVar = {"max": ("mode", "max"), "avg": ("mode", "avg"), "average": ("mode", "avg")}
    keeps_range: ClassVar = True
    doc: ClassVar = "one value per channel: average (default) or `max`"
    elsewhere: ClassVar = ("GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
                           "GlobalMaxPooling1D", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "GlobalPooling")

    def output_shape(self, shape: Shape) -> Shape:
        spatial(self.kind, shape, 1, 2, hint=False)  # on a vector it has nothing left to pool: no reshape helps
        return (shape[-1],)

    def keras_layer(self, name: str, defaults: InitDefaults, shape: Shape) -> Any:
        import keras

        prefix = "Max" if self.mode == "max" else "Average"
        return getattr(keras.layers, f"Global{prefix}Pooling{len(shape) - 1}D")(name=name)
