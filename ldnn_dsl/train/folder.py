"""The run folder: `model.keras`, `spec.ldnn`, `history.csv`, `metrics.json`, `curves.png`.

Everything is written into a hidden sibling folder first and renamed into place only when
complete, so a run folder either holds a whole run or does not exist; an earlier run's
results are never overwritten."""

from __future__ import annotations

import csv
import errno
import itertools
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldnn_dsl.source.beside import beside
from ldnn_dsl.source.diagnostics import DiagnosticError, error

TRAIN_CODE = "E406"
WRITE_CODE = "E005"  # the run folder cannot be made, filled or put in place: a file problem, as in `compile`
FILES = ("model.keras", "spec.ldnn", "history.csv", "metrics.json", "curves.png")


def default_folders(model_name: str, root: str | Path = "runs") -> Iterator[Path]:
    """The free names a run without `--out` may take, in order: `runs/<model>-<YYYYmmdd-HHMMSS>`,
    then `-2`, `-3`... Free when asked: another run started in the same second may take one later,
    so `staging` goes on to the next (`others`)."""
    base = Path(root) / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not os.path.lexists(base):
        yield base
    yield from numbered(base)


def numbered(folder: Path) -> Iterator[Path]:
    """`folder-2`, `folder-3`...: the free names beside `folder`, where a run goes when something
    else took `folder` while it trained (its result is not thrown away, nor written over)."""
    for n in itertools.count(2):
        other = folder.with_name(f"{folder.name}-{n}")
        if not os.path.lexists(other):
            yield other


def refuse_unusable_folder(folder: Path, spec_path: str) -> None:
    """Refuse, before any data are loaded, an output that would fail only once training is
    done: a folder that holds anything (an earlier result: never written over), a file, the
    current folder, or a place one cannot write to. Said of the spec as a whole: the output
    is chosen on the command line (or by the caller), not in any line of the spec."""
    def refuse(message: str, help: str) -> DiagnosticError:
        return DiagnosticError([error(WRITE_CODE, message, path=spec_path, help=help)])

    where = _absolute(folder)
    if where == _absolute(Path.cwd()):
        raise refuse(f"the run folder cannot be the current folder `{where}`",
                     "ldnn builds the run beside its folder and then renames it into place: name a new folder, "
                     "e.g. `--out run1`")
    if os.path.islink(where):
        raise refuse(f"output `{folder}` is a symbolic link: the finished run is renamed into place, which would "
                     "replace the link, not fill the folder it points to",
                     f"give the folder itself: `--out {os.path.realpath(where)}`")
    if os.path.lexists(where) and not os.path.isdir(where):
        raise refuse(f"output `{folder}` already exists and is not a folder", "choose another `--out`")
    if os.path.isdir(where) and (not where.name or _holds_anything(where)):  # no name: the root
        raise refuse(f"output folder `{folder}` already exists and is not empty",
                     "choose another `--out`, or move the earlier run away")
    blocked = why_unwritable(where)
    if blocked is not None:
        raise refuse(f"cannot write the run folder at `{folder}`: {blocked}",
                     "choose an `--out` in a folder you can write to")


def _holds_anything(folder: Path) -> bool:
    """Whether a folder has entries; one that cannot be listed counts as full (it is not ours)."""
    try:
        return any(folder.iterdir())
    except OSError:
        return True


def why_unwritable(path: Path) -> str | None:
    """Why a new file or folder cannot be made at `path`, or None when it can.

    The nearest folder above `path` that exists is tried by making (and removing) a hidden
    folder in it: permission bits say nothing for root, nor for `/proc` or a full disk."""
    above = _absolute(path).parent
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    if not os.path.isdir(above):
        return f"`{above}` is a file, not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=beside(path, "probe-", spare=8).name, dir=above))
    except OSError as exc:  # ENOENT: what /proc says; "no such file" would only puzzle
        reason = "" if exc.errno == errno.ENOENT else f" ({exc.strerror or exc})"
        whose = "its parent " if above == _absolute(path).parent else ""
        return f"{whose}`{above}` is not writable{reason}"
    return None


# The last output put in place in this process: its path and the identity (device, inode) the
# staged file or folder had, which a rename keeps. Kept before the rename, checked after a SIGTERM.
_placing: tuple[Path, int, int] | None = None


def put_in_place(staged: Path, target: Path) -> None:
    """`os.replace(staged, target)`, remembered so that `placed` can tell afterwards whether it happened."""
    global _placing
    st = os.stat(staged)
    _placing = (target, st.st_dev, st.st_ino)
    os.replace(staged, target)


def placed() -> Path | None:
    """The target of the last `put_in_place`, if its rename happened. A SIGTERM can land in the
    moment after it, before the command says so: the output is whole then, and must not be
    reported as lost. The target itself is asked, so an earlier file there does not count."""
    if _placing is None:
        return None
    target, device, inode = _placing
    try:
        st = os.stat(target)
    except OSError:
        return None
    return target if (st.st_dev, st.st_ino) == (device, inode) else None


def forget_placed() -> None:
    """A command starts with nothing put in place."""
    global _placing
    _placing = None


@dataclass
class Staged:
    """Where a run is written (`temp`), and where it is put: `folder`, once the block is over."""

    temp: Path
    folder: Path


@contextmanager
def staging(folder: Path, others: Iterable[Path] = ()) -> Iterator[Staged]:
    """A temporary sibling of `folder` to write into; renamed to `folder` on success,
    removed on any failure (Ctrl-C and SIGTERM included), with any parent folders it made.
    Should `folder` hold another run by then, the first of `others` still free is taken
    instead (siblings: the run's relative data paths hold there too); without `others` the
    run fails, as one must not write over a result."""
    where = _absolute(folder)
    temp = beside(where, f"partial-{os.getpid()}")
    made: list[Path] = []
    try:
        made = make_parents(where)
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        remove_made(made)
        if isinstance(exc, OSError):
            raise _cannot_place(folder, exc) from None
        raise
    staged = Staged(temp, folder)
    try:
        yield staged
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        remove_made(made)
        raise
    try:
        staged.folder = _place(temp, folder, iter(others))
    except BaseException as exc:  # SIGTERM too, should it land between the two steps
        shutil.rmtree(temp, ignore_errors=True)
        remove_made(made)
        if isinstance(exc, OSError):
            raise _cannot_place(folder, exc) from None
        raise


def _place(temp: Path, folder: Path, others: Iterator[Path]) -> Path:
    """`temp` renamed to `folder`, or to the first of `others` that is still free when `folder`
    holds another run by now; where it went."""
    while True:
        where = _absolute(folder)
        try:
            if os.path.isdir(where) and not os.path.islink(where):
                where.rmdir()  # empty, unless another run has filled it since refuse_unusable_folder looked
            put_in_place(temp, where)
            return folder
        except OSError as exc:
            if not _taken(exc, where):
                raise
            folder = next(others, None)  # type: ignore[arg-type]
            if folder is None:
                raise


def _taken(exc: OSError, where: Path) -> bool:
    """Whether `where` failed because something is there by now: a folder another run filled,
    or a file or link made meanwhile (ENOTDIR, which a parent that is no folder also raises:
    that one is no reason to try the next name)."""
    if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
        return True
    return exc.errno == errno.ENOTDIR and os.path.lexists(where) and (
        os.path.islink(where) or not os.path.isdir(where))


def make_parents(path: Path) -> list[Path]:
    """Make the folders above `path` that are missing; the ones made, outermost first, so a
    failure can take them away again (OSError when one cannot be made)."""
    missing = [p for p in _absolute(path).parents if not os.path.lexists(p)]
    made: list[Path] = []
    try:
        for parent in reversed(missing):
            parent.mkdir()
            made.append(parent)
    except OSError:
        remove_made(made)
        raise
    return made


def remove_made(made: list[Path]) -> None:
    """Remove the folders `make_parents` made, innermost first, where they are still empty."""
    for parent in reversed(made):
        try:
            parent.rmdir()
        except OSError:
            return


def _cannot_place(folder: Path, exc: OSError) -> DiagnosticError:
    return DiagnosticError([error(WRITE_CODE, f"could not put the run folder in place at `{folder}`: "
                                  f"{exc.strerror or exc}", path=str(folder), help="choose another `--out`")])


def _absolute(path: Path) -> Path:
    """`path` from the root, `.` and `..` taken out (`Path('.').name` is empty)."""
    return Path(os.path.abspath(path))


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
