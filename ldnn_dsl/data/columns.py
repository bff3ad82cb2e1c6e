"""Feature columns by the names a csv header gives them.

A second csv file (`validate csv(...)`, `test csv(...)`) is matched to the training file by
name, not position: a file written with its columns in another order would otherwise have its
features swapped in silence, and one of other columns entirely would train the validation score
on nonsense. Files without a header have only positions, and keep them. The names also let a
message about feature column 1 say which column that is: the target is left out of the count,
so it is not the file's column 1."""

from __future__ import annotations

from dataclasses import replace

from ldnn_dsl.data.loaded import Loaded
from ldnn_dsl.data.problems import data_error
from ldnn_dsl.data.values import shown
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.source.span import Span

Key = tuple[str, int]  # a name and which of that name it is: unnamed columns may repeat (pandas' index)
LISTED = 6  # names listed in a message before "and N more"


def in_training_order(train: Loaded, other: Loaded, split: str, span: Span | None) -> Loaded:
    """`other` (the validation or test source) with its feature columns in the training
    file's order, when both files name them and the names are the same; E405 at the split's
    line when both name them and the names differ, the target's included. Positional when
    either has no names."""
    if train.features is None or other.features is None:
        return other
    ours, theirs = _keyed(train.features), _keyed(other.features)
    if sorted(ours) != sorted(theirs):
        raise _mismatch(train, other, split, span)
    if train.target and other.target and train.target != other.target:
        raise _other_target(train, other, split, span)
    if ours == theirs:
        return other
    order = [theirs.index(key) for key in ours]
    return replace(other, x=other.x[..., order], features=train.features)


def _keyed(names: tuple[str, ...]) -> list[Key]:
    """Each name with its count so far, so that the 2nd unnamed column matches the 2nd."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, -1) + 1
        keys.append((name, seen[name]))
    return keys


def _mismatch(train: Loaded, other: Loaded, split: str, span: Span | None) -> DiagnosticError:
    """Which columns the split's file has that the training file lacks, and the reverse."""
    assert train.features is not None and other.features is not None
    ours, theirs = _keyed(train.features), _keyed(other.features)
    missing = [key[0] for key in ours if key not in theirs]
    extra = [key[0] for key in theirs if key not in ours]
    file = f"the {split} file `{shown(other.written or '')}`"
    training = f"the training file `{shown(train.written or '')}`"
    if missing and extra:
        message = f"{file} has {_columns(extra)} where {training} has {names_listed(missing)}"
    elif extra:
        message = f"{file} has {_columns(extra)} that {training} has not"
    else:
        message = f"{file} lacks {_columns(missing)} of {training}"
    return data_error(message, span, help=_mismatch_help(train, other, split))


def _other_target(train: Loaded, other: Loaded, split: str, span: Span | None) -> DiagnosticError:
    """`cost` for the validation file's target where the training file's is `price`: matched by
    name, as the features are, another name is another quantity, or the wrong column."""
    assert other.target is not None and train.target is not None
    return data_error(f"the {split} file `{shown(other.written or '')}` takes its target from column "
                      f"`{shown(other.target)}`, but the training file `{shown(train.written or '')}` from "
                      f"`{shown(train.target)}`", span,
                      help=f"name the {split} file's target column `{shown(train.target)}`, as the training file "
                      f"does, or pick it with `target={target_text(train.target)}` if the file has it")


def target_text(name: str) -> str:
    """`price`, or `"sale price"` and `"1"`: a column's name as `target=` takes it."""
    return name if name.isidentifier() and name not in ("true", "false") else '"' + shown(name) + '"'


def _mismatch_help(train: Loaded, other: Loaded, split: str) -> str:
    """A target picked by index that lands on another column in each file explains the whole
    mismatch; otherwise the names themselves differ."""
    if other.target != train.target and train.target and other.target:
        return (f"`target=` picks column `{shown(other.target)}` of the {split} file but `{shown(train.target)}` of "
                "the training file: name the same target column in both")
    return (f"the {split} file's columns are matched to the training file's by the names in their header rows, "
            "in any order: give its columns the training file's names")


def _columns(names: list[str]) -> str:
    return f"column{'s' if len(names) > 1 else ''} {names_listed(names)}"


def names_listed(names: list[str] | tuple[str, ...]) -> str:
    """`a`, `b`, `c` (unnamed ones as `(no name)`), the first few only: a wide file has hundreds."""
    shown_names = [column_name(name) for name in names[:LISTED]]
    more = f", and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return ", ".join(shown_names) + more


def column_name(name: str) -> str:
    return f"`{shown(name)}`" if name else "(no name)"


def feature_label(features: tuple[str, ...] | None, column: int) -> str:
    """` (`rooms`)` after a feature column's index where the header names it, else nothing."""
    if features is None or not features[column]:
        return ""
    return f" ({column_name(features[column])})"


def features_counted(features: tuple[str, ...] | None) -> str:
    """How feature indices count, for a help: `; they count ... (0 `dist`, 1 `rooms`)` where
    the header names the columns, since the file's own column numbers include the target."""
    if features is None:
        return ""
    pairs = [f"{i} {column_name(name)}" for i, name in enumerate(features[:LISTED])]
    more = ", ..." if len(features) > LISTED else ""
    return f"; they count the features from 0, the target left out ({', '.join(pairs)}{more})"

