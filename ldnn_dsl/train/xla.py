"""`jit auto|true|false`: whether the training step is compiled with XLA.

```
train { jit auto }     # the default: the rule in `auto_jit`
```"""

from __future__ import annotations

from typing import Literal

from ldnn_dsl.check.shapes import infer
from ldnn_dsl.check.spec import Spec
from ldnn_dsl.expand.graph import ModelGraph, layer_nodes


def has_dropout(graph: ModelGraph) -> bool:
    """Dropout, or any layer that draws random numbers in every step (XLA's CPU kernels for them are slow)."""
    return any(node.layer.random_in_training for node in layer_nodes(graph.body))


SMALL_MODEL_MACS = 250_000  # forward multiply-accumulates per sample


def auto_jit(*, gpu: bool, dropout: bool, backend: str = "tensorflow", macs: int = SMALL_MODEL_MACS) -> bool:
    """The `jit auto` rule: XLA on a GPU and on JAX always; on a TensorFlow CPU only for
    models without dropout that do at least `SMALL_MODEL_MACS` per sample.

    Measured with Keras 3.15 on TensorFlow 2.21, 2-core CPU (benchmarks/RESULTS.md):
    - an MLP with dropout trained 5-7x *slower* under XLA: XLA's CPU random numbers for the
      dropout masks are far slower than TF's native kernel;
    - large dense nets gain from XLA (sort10x6, 1.8M MACs/sample: x1.24; deep_residual: x1.08;
      a 4 x 2048 MLP: x1.15), but a small one loses (parity, 70k MACs/sample: x0.90), where
      XLA's per-step cost outweighs its faster kernels;
    - on the JAX backend "XLA off" runs op by op without compiling at all (~8x slower on a
      small LSTM), so JAX always compiles; on GPUs XLA wins in every case measured."""
    if gpu or backend != "tensorflow":
        return True
    return not dropout and macs >= SMALL_MODEL_MACS


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


def spec_jit(spec: Spec, setting: Literal["auto"] | bool | None = None) -> bool:
    """Whether the spec's model is built and trained for XLA: `setting` (a command line's) or
    else the spec's own `jit`, `auto` without a `train` section."""
    if setting is None:
        setting = spec.train.jit if spec.train is not None else "auto"
    return choose_jit(setting, spec.model)


def choose_jit(setting: Literal["auto"] | bool, graph: ModelGraph, *, gpu: bool | None = None) -> bool:
    """An explicit `jit true`/`jit false` wins; `auto` applies `auto_jit`."""
    if isinstance(setting, bool):
        return setting
    import keras

    return auto_jit(gpu=gpu_available() if gpu is None else gpu, dropout=has_dropout(graph),
                    backend=keras.backend.backend(), macs=infer(graph).total_macs)
