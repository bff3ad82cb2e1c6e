"""Data for training: built-in tasks, npz/csv files, splits, preprocessing, fit checks and a
linear baseline. `load_data` is the entry point; every failure is an E405 diagnostic."""

from ldnn_dsl.data.baseline import baseline
from ldnn_dsl.data.csvfile import load_csv
from ldnn_dsl.data.dataset import Splits, load_data
from ldnn_dsl.data.files import load_npz
from ldnn_dsl.data.fit import fit_report
from ldnn_dsl.data.generators import parity_task, sort_task

__all__ = ["Splits", "baseline", "fit_report", "load_csv", "load_data", "load_npz", "parity_task", "sort_task"]
