"""Measured tuning: settings chosen by timing the model on this machine (`batch auto`).

Importing this package does not import Keras; measuring does."""

from ldnn_dsl.tune.batch_auto import CANDIDATES, BatchRow, choose_batch, format_table

__all__ = ["CANDIDATES", "BatchRow", "choose_batch", "format_table"]
