"""`batch auto`: the recipe's "smallest minibatch that runs efficiently on your machine",
measured on this machine with this model before training starts.

    train { batch auto }
"""

from __future__ import annotations

from collections.abc import Callable

from ldnn_dsl.train.members import Plan, compile_options, input_array, network_with_preprocessing
from ldnn_dsl.train.steps import choose_steps
from ldnn_dsl.tune.batch_auto import choose_batch, format_table


def measured_batch(plan: Plan, say: Callable[[str], None]) -> int:
    """Time a few training steps at each power of two from 16 to 1024 and take the smallest
    batch within 90% of the best throughput; print the table. Each batch runs as many steps
    per call as training would run with it (`steps_per_execution`): several steps per call
    make small batches efficient, which is what the recipe's small batch asks for."""
    train, graph = plan.spec.train, plan.spec.model
    assert train is not None
    x = input_array(plan.splits.x_train, graph.input.layer.dtype)  # type: ignore[union-attr]
    chosen, table = choose_batch(lambda: network_with_preprocessing(plan, graph.name), x, plan.splits.y_train,
                                 lambda batch: compile_options(train, plan.jit,
                                                               choose_steps(train, graph, batch, samples=len(x))))
    say("batch auto: training throughput by minibatch size\n" + format_table(table))
    say(f"batch auto: chose {chosen}")
    return chosen
