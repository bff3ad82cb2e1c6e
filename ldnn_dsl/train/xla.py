"""`jit auto|true|false`: whether the training step is compiled with XLA.

```
train { jit auto }     # the default: the rule in `auto_jit`
```"""

from __future__ import annotations

from typing import Literal

from ldnn_dsl.expand.graph import LayerNode, ModelGraph, Node, ParallelNode, ResidualNode
from ldnn_dsl.layers.core import Dropout


def has_dropout(graph: ModelGraph) -> bool:
    return any(_has_dropout(node) for node in graph.body)


def _has_dropout(node: Node) -> bool:
    if isinstance(node, LayerNode):
        return isinstance(node.layer, Dropout)
    if isinstance(node, ResidualNode):
        return any(_has_dropout(n) for n in node.body)
    if isinstance(node, ParallelNode):
        return any(_has_dropout(n) for branch in node.branches for n in branch)
    return False


def auto_jit(*, gpu: bool, dropout: bool, backend: str = "tensorflow") -> bool:
    """The `jit auto` rule: XLA on a GPU always; on a CPU unless the model has dropout.

    Measured with Keras 3 on TensorFlow 2.21 (2-core CPU): XLA speeds up plain MLPs and
    convnets on CPU, but an MLP with dropout trained 5-7x *slower* under XLA, because
    XLA's CPU random-number generation for the dropout masks is far slower than TF's
    native kernel. On GPUs XLA wins in both cases. On the JAX backend "XLA off" means
    running op by op without compiling at all (measured ~8x slower on a small LSTM), so
    JAX always compiles."""
    return gpu or backend != "tensorflow" or not dropout


def gpu_available() -> bool:
    """Whether the Keras backend sees a GPU (TensorFlow, JAX or torch)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    if backend == "torch":
        import torch

        return bool(torch.cuda.is_available())
    return False


def choose_jit(setting: Literal["auto"] | bool, graph: ModelGraph, *, gpu: bool | None = None) -> bool:
    """An explicit `jit true`/`jit false` wins; `auto` applies `auto_jit`."""
    if isinstance(setting, bool):
        return setting
    import keras

    return auto_jit(gpu=gpu_available() if gpu is None else gpu, dropout=has_dropout(graph),
                    backend=keras.backend.backend())
