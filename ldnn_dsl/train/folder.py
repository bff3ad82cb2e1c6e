"""The run folder: `model.keras`, `spec.ldnn`, `history.csv`, `metrics.json`, `curves.png`.

Everything is written into a hidden sibling folder first and renamed into place only when
complete, so a run folder either holds a whole run or does not exist; an earlier run's
results are never overwritten."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ldnn_dsl.source.diagnostics import DiagnosticError, error
from ldnn_dsl.source.span import Span

TRAIN_CODE = "E406"
FILES = ("model.keras", "spec.ldnn", "history.csv", "metrics.json", "curves.png")


def default_folder(model_name: str, root: str | Path = "runs") -> Path:
    """`runs/<model>-<YYYYmmdd-HHMMSS>`, with `-2`, `-3`... if that second is taken."""
    base = Path(root) / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def refuse_existing(folder: Path, span: Span | None) -> None:
    """A folder that holds anything is an earlier result: never write over it."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DiagnosticError([error(TRAIN_CODE, f"output folder `{folder}` already exists and is not empty", span,
                                     help="choose another `--out`, or move the earlier run away")])


@contextmanager
def staging(folder: Path) -> Iterator[Path]:
    """A temporary sibling of `folder` to write into; renamed to `folder` on success,
    removed on any failure (Ctrl-C included)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    try:
        if folder.exists():
            folder.rmdir()  # empty, unless another run has filled it since refuse_existing looked
        os.replace(temp, folder)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise DiagnosticError([error(TRAIN_CODE, f"could not put the run folder in place at `{folder}`: "
                                     f"{exc.strerror or exc}", help="choose another `--out`")]) from None


# files -----------------------------------------------------------------------------------
def write_history(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """One row per epoch (per member for an ensemble); columns in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_metrics(path: Path, metrics: dict[str, Any]) -> None:
    path.write_text(json.dumps(_finite(metrics), indent=2) + "\n")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_curves(path: Path, rows: Sequence[dict[str, Any]], metric: str | None) -> None:
    """Loss, the first metric and the lr against epochs, one line per member and split."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    panels = ["loss", *([metric] if metric else []), "lr"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.6), squeeze=False)
    for ax, key in zip(axes[0], panels, strict=True):
        for member, member_rows in _by_member(rows).items():
            suffix = f" (member {member})" if member is not None else ""
            epochs = [r["epoch"] for r in member_rows]
            for column, label in ((key, "training"), (f"val_{key}", "validation")):
                values = [r.get(column) for r in member_rows]
                if any(v is not None for v in values) and not (key == "lr" and label == "validation"):
                    ax.plot(epochs, values, marker=".", label=(label if key != "lr" else "lr") + suffix)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        if key == "lr":
            ax.set_yscale("log")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _by_member(rows: Sequence[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.get("member"), []).append(row)
    return out
