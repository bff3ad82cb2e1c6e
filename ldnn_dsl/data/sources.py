"""One `source` value → (x, y), whichever kind it is, with the csv header's names when it has them."""

from __future__ import annotations

from ldnn_dsl.check.data_section import CsvSource, NpzSource, ParitySource, SortSource
from ldnn_dsl.data.csvfile import read_csv
from ldnn_dsl.data.files import load_npz
from ldnn_dsl.data.generators import parity_task, sort_task
from ldnn_dsl.data.loaded import Loaded
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import resolve

AnySource = SortSource | ParitySource | NpzSource | CsvSource


def load_source(source: AnySource, spec_path: str | None, seed: int, span: Span | None = None) -> Loaded:
    """Generate a built-in task with `seed`, or read a file relative to the spec."""
    if isinstance(source, SortSource):
        return Loaded(*sort_task(source.count, source.bits, source.samples, seed))
    if isinstance(source, ParitySource):
        return Loaded(*parity_task(source.bits, source.samples, seed))
    file = resolve(spec_path, source.path)
    if isinstance(source, NpzSource):
        return Loaded(*load_npz(file, source.x, source.y, span=span, written=source.path), written=source.path)
    return read_csv(file, source.target, header=source.header, span=span, written=source.path)
