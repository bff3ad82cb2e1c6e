"""`batch auto`, measured (ldnn_dsl.tune): the choice logic with injected throughputs, then one real run."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ldnn_dsl.tune import batch_auto
from ldnn_dsl.tune.batch_auto import CANDIDATES, BatchRow, choose_batch, format_table

# samples/s by batch: rises, then flattens at 1000 (2048 is a little slower than 1024)
CURVE = {16: 100.0, 32: 190.0, 64: 350.0, 128: 600.0, 256: 900.0, 512: 980.0, 1024: 1000.0, 2048: 990.0}
X, Y = np.zeros((5000, 4), np.float32), np.zeros((5000,), np.float32)


def fake(curve: dict[int, float], calls: list[int] | None = None) -> Callable[[int], float]:
    def measure(batch: int) -> float:
        if calls is not None:
            calls.append(batch)
        return curve[batch]

    return measure


def choose(curve: dict[int, float] = CURVE, x: np.ndarray = X, **options: Any) -> tuple[int, list[BatchRow]]:
    return choose_batch(lambda: None, x, Y[: len(x)], {}, measure=fake(curve, options.pop("calls", None)), **options)


def test_smallest_batch_within_90_percent_of_the_best() -> None:
    chosen, table = choose()
    assert chosen == 256  # 900 >= 0.9 * 1000; 128 (600) is not
    assert [row.batch for row in table] == list(CANDIDATES)
    assert [row.batch for row in table if row.chosen] == [256]
    assert table[6].relative == 1.0 and table[4].relative == pytest.approx(0.9)


def test_no_candidate_is_a_batch_the_checker_warns_about() -> None:
    """A resolved spec with the chosen batch passes `ldnn check --strict` (W103: past 1024)."""
    from ldnn_dsl.check.lints import LARGEST_BATCH

    assert CANDIDATES[0] == 16 and max(CANDIDATES) == LARGEST_BATCH


def test_tolerance_moves_the_choice() -> None:
    assert choose(tolerance=0.99)[0] == 1024
    assert choose(tolerance=0.5)[0] == 128


def test_flat_curve_picks_the_smallest() -> None:
    assert choose(dict.fromkeys(CANDIDATES, 500.0))[0] == 16


def test_batches_larger_than_the_training_set_are_skipped() -> None:
    calls: list[int] = []
    chosen, table = choose(x=X[:300], calls=calls)
    assert calls == [16, 32, 64, 128, 256]
    assert chosen == 256 and len(table) == 5


def test_a_training_set_smaller_than_every_candidate_uses_the_whole_set() -> None:
    calls: list[int] = []
    chosen, _ = choose({10: 5.0}, x=X[:10], calls=calls)
    assert (chosen, calls) == (10, [10])


def test_budget_stops_larger_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(100))
    monkeypatch.setattr(batch_auto, "monotonic", lambda: 10.0 * next(ticks))  # every candidate "takes" 10 s
    calls: list[int] = []
    chosen, table = choose(seconds_budget=25, calls=calls)
    assert calls == [16, 32, 64]  # 10 s, 20 s, then 30 s > 25 s: stop
    assert chosen == 64 and [row.batch for row in table] == [16, 32, 64]


def test_a_failing_candidate_ends_the_search_and_is_reported() -> None:
    def measure(batch: int) -> float:
        if batch >= 512:
            raise MemoryError("out of memory allocating 2 GiB\nmore detail")
        return CURVE[batch]

    chosen, table = choose_batch(lambda: None, X, Y, {}, measure=measure)
    assert chosen == 256
    assert [row.batch for row in table] == [16, 32, 64, 128, 256, 512]
    assert math.isnan(table[-1].samples_per_second) and "MemoryError: out of memory" in table[-1].problem
    text = format_table(table)
    assert "failed" in text and "more detail" not in text


def test_a_later_failure_other_than_memory_is_raised() -> None:
    """Only running out of memory says a size is too large; any other error is a bug to show."""
    def measure(batch: int) -> float:
        if batch >= 64:
            raise TypeError("unsupported operand")
        return CURVE[batch]

    with pytest.raises(TypeError, match="unsupported operand"):
        choose_batch(lambda: None, X, Y, {}, measure=measure)


def test_a_failure_on_the_first_candidate_is_raised() -> None:
    def measure(batch: int) -> float:
        raise RuntimeError("the model does not build")

    with pytest.raises(RuntimeError, match="does not build"):
        choose_batch(lambda: None, X, Y, {}, measure=measure)


@pytest.mark.parametrize(("options", "message"), [
    ({"tolerance": 0.0}, r"invalid value for `tolerance`.*Received: tolerance=0.0"),
    ({"tolerance": 1.5}, r"tolerance=1.5"),
    ({"candidates": ()}, r"invalid `candidates`"),
    ({"candidates": (16, -32)}, r"candidates=\(16, -32\)"),
])
def test_invalid_arguments_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        choose(**options)


def test_format_table_marks_the_choice() -> None:
    _, table = choose()
    lines = format_table(table).splitlines()
    assert lines[0].split() == ["batch", "samples/s", "relative"]
    assert len(lines) == 1 + len(CANDIDATES)
    assert lines[5].split() == ["256", "900", "0.90", "<-", "chosen"]
    assert lines[7].split() == ["1024", "1,000", "1.00"]


def test_fresh_compile_kwargs_clone_the_optimizer() -> None:
    keras = pytest.importorskip("keras")
    optimizer = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    clone = batch_auto.fresh_compile_kwargs({"optimizer": optimizer, "loss": "mse"})
    assert clone["optimizer"] is not optimizer and clone["loss"] == "mse"
    assert clone["optimizer"].get_config()["momentum"] == 0.9
    assert batch_auto.fresh_compile_kwargs({"optimizer": "sgd"})["optimizer"] == "sgd"


def test_a_real_short_run() -> None:
    keras = pytest.importorskip("keras")

    def build() -> keras.Model:
        return keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((200, 8), dtype=np.float32), rng.standard_normal((200, 1), dtype=np.float32)
    compile_kwargs = {"optimizer": keras.optimizers.SGD(0.01, momentum=0.9), "loss": "mse", "jit_compile": False}
    chosen, table = choose_batch(build, x, y, compile_kwargs, candidates=(16, 32, 64, 256), steps=3)
    assert [row.batch for row in table] == [16, 32, 64]  # 256 > 200 samples
    best = max(row.samples_per_second for row in table)
    assert best > 0 and [row.relative for row in table] == pytest.approx([r.samples_per_second / best for r in table])
    assert chosen == min(row.batch for row in table if row.relative >= batch_auto.TOLERANCE)


def test_each_batch_is_timed_with_its_own_compile_options() -> None:
    """A function of the batch gives each candidate its own options: here the steps per call
    that training would run with it. Every model is compiled with its candidate's options and
    timed over at least three of its calls."""
    keras = pytest.importorskip("keras")
    models: list[Any] = []

    def build() -> keras.Model:
        models.append(keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(1)]))
        return models[-1]

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 8), dtype=np.float32), rng.standard_normal((64, 1), dtype=np.float32)
    asked: list[int] = []

    def options(batch: int) -> dict[str, Any]:
        asked.append(batch)
        return {"optimizer": "sgd", "loss": "mse", "jit_compile": False, "steps_per_execution": 64 // batch}

    _, table = choose_batch(build, x, y, options, candidates=(8, 16), steps=2)
    assert asked == [8, 16] and [m.steps_per_execution for m in models] == [8, 4]
    assert all(row.samples_per_second > 0 for row in table)
    assert all(m.optimizer.iterations.numpy() >= 2 + 3 * m.steps_per_execution for m in models)  # warm-up + timed


def test_the_clock_starts_after_the_first_call_and_counts_the_steps_after_it() -> None:
    """With 4 steps per call and 10 steps per epoch, the calls run 4, 4 and 2 steps: the first
    call's 4 run before the clock starts, the other 6 + 10 of two epochs are timed."""
    keras = pytest.importorskip("keras")
    from ldnn_dsl.tune.throughput import Clock

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False, steps_per_execution=4)
    clock = Clock()
    x, y = np.ones((40, 3), np.float32), np.ones((40, 1), np.float32)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[clock])
    assert (clock.first_step, clock.steps) == (4, 20)
    assert clock.start is not None and clock.stop is not None and clock.start <= clock.stop
