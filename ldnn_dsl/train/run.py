"""`ldnn train`: check the spec, load the data, train, and save a complete run folder.

```
$ ldnn train specs/sort.ldnn --epochs 2
linear baseline: val_accuracy 0.4123
...
ldnn train: saved runs/sorter-20250101-120000
```
The same spec and seed give bit-identical weights on a CPU (seeded Keras, NumPy and
Python generators, deterministic TensorFlow ops). Every failure is a diagnostic: E405 when
the data do not fit the model, E406 when training fails; a failed run leaves no folder."""

from __future__ import annotations

import math
import numbers
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ldnn_dsl.build.backend import precision_policy, seed_everything
from ldnn_dsl.check.check import CheckResult
from ldnn_dsl.check.check import checked as check_spec
from ldnn_dsl.check.choices import Choice
from ldnn_dsl.check.section import MAX_SEED
from ldnn_dsl.check.spec import Spans, Spec
from ldnn_dsl.data.dataset import Splits, baseline, load_data
from ldnn_dsl.data.fit import Vocab, split_problems, with_output_axis
from ldnn_dsl.data.problems import DATA_CODE
from ldnn_dsl.expand.graph import layer_nodes
from ldnn_dsl.layers.base import MAX_SIZE
from ldnn_dsl.source.diagnostics import DiagnosticError, error, render_text
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile, read_spec
from ldnn_dsl.train.batch import measured_batch
from ldnn_dsl.train.failures import failures_as_diagnostics
from ldnn_dsl.train.folder import WRITE_CODE, default_folders, numbered, refuse_unusable_folder, staging
from ldnn_dsl.train.members import Member, Plan, train_member
from ldnn_dsl.train.saving import RunResult, output_classes, save_run
from ldnn_dsl.train.session import fresh_session, kept_random_state, no_retracing_warnings, op_determinism
from ldnn_dsl.train.steps import choose_steps
from ldnn_dsl.train.stopping import StopRequest, ctrl_c_aborts, forget_signals, raise_swallowed_signal
from ldnn_dsl.train.xla import choose_jit


def train(spec_path: str | Path, *, out: str | Path | None = None, epochs: int | None = None,
          seed: int | None = None, quiet: bool = False, max_time: float | None = None,
          max_time_since: float | None = None) -> RunResult:
    """Train the spec at `spec_path`; the run folder is `out` or `runs/<model>-<time>`;
    `epochs` and `seed` replace the spec's. Training stops early, and the run is still
    validated and saved, on a first Ctrl-C or once `max_time` seconds have passed since the call
    (or since the `time.perf_counter()` reading `max_time_since`: `ldnn train` counts its own
    import of Keras, seconds long, as part of the budget).

        train { loss binary_crossentropy  lr 0.1  epochs 10 }   # plus model and data

    Raises DiagnosticError (E405 data, E406 training) and leaves no folder behind on failure;
    TypeError or ValueError, before anything is read or written, for an option the command line
    would refuse too."""
    _check_options(out=out, epochs=epochs, seed=seed, max_time=max_time)
    epochs, seed = (None if value is None else int(value) for value in (epochs, seed))  # NumPy's ints as Python's
    stop = StopRequest.within(max_time, max_time_since)
    forget_signals()
    source = read_spec(str(spec_path))
    try:
        return _train(source, stop, out=out, epochs=epochs, seed=seed, quiet=quiet)
    except DiagnosticError as exc:  # its lines can be shown even when the spec came from stdin
        exc.sources.setdefault(source.path, source.text)
        raise


def _check_options(*, out: object, epochs: object, seed: object, max_time: object) -> None:
    """The options as `ldnn train`'s arguments are checked: a Python caller's `epochs=0` would
    otherwise train nothing and save a resolved spec that fails its own check."""
    if out is not None and not isinstance(out, str | os.PathLike):
        raise TypeError(f"out must be a path (str or os.PathLike), got {type(out).__name__}")
    if out is not None and not os.fspath(out):
        raise ValueError("out must not be empty (that would name the current folder)")
    for name, value, low, high in (("epochs", epochs, 1, MAX_SIZE), ("seed", seed, 0, MAX_SEED)):
        if value is None:
            continue
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):  # NumPy's ints too
            raise TypeError(f"{name} must be a whole number (int), got {type(value).__name__}")
        if not low <= value <= high:
            raise ValueError(f"{name} must be from {low} to {high:,}, got {value}")
    if max_time is not None:
        if not isinstance(max_time, numbers.Real) or isinstance(max_time, bool):
            raise TypeError(f"max_time must be a number of seconds, got {type(max_time).__name__}")
        if not (math.isfinite(max_time) and max_time > 0):
            raise ValueError(f"max_time must be a positive, finite number of seconds, got {max_time}")


def _train(source: SourceFile, stop: StopRequest, *, out: str | Path | None, epochs: int | None, seed: int | None,
           quiet: bool) -> RunResult:
    replaced = {name: value for name, value in (("epochs", epochs), ("seed", seed)) if value is not None}
    checked = check_spec(source, "train", replaced=replaced)
    spec, spans = checked.spec, checked.spans
    assert spec is not None and spec.train is not None and spec.data is not None
    printed, warned = _printer(quiet), []

    def say(line: str) -> None:  # the run's own warnings are kept for the caller, even when quiet
        if line.startswith("ldnn: warning:"):
            warned.append(line.removeprefix("ldnn: warning: "))
        printed(line)

    for warning in checked.warnings:
        printed(render_text(warning, checked.sources))
    others = default_folders(spec.model.name) if out is None else numbered(Path(out))
    folder = Path(out) if out is not None else next(others)
    refuse_unusable_folder(folder, source.path)
    started = time.perf_counter()
    fresh_session()
    with (precision_policy(spec.train.precision), op_determinism(spec), no_retracing_warnings(), kept_random_state(),
          staging(folder, others) as staged, failures_as_diagnostics(spans), ctrl_c_aborts()):
        plan = _plan(spec, checked, spans, quiet)
        metric, value = baseline(plan.splits, spec.train.loss, output_classes(checked))
        say(f"linear baseline: {metric} {value:.4g}")
        raise_swallowed_signal()  # a Ctrl-C lost while the data loaded aborts now, not after training
        members, stopped = _train_members(plan, stop, say)
        try:
            result = save_run(plan, members, stopped, staged.temp, folder, checked, started, (metric, value), say)
        except OSError as exc:  # a full disk, a quota: the training went fine, the writing did not
            raise DiagnosticError([error(WRITE_CODE, f"could not save the run: {exc.strerror or exc}",
                                         path=str(folder), help="free some space, or choose another `--out`")]
                                  ) from exc
        raise_swallowed_signal()  # before the staged folder is put in place
    result.folder = staged.folder
    result.warnings, result.run_warnings = checked.warnings, warned
    if staged.folder != folder:  # said even when quiet: the run is not where it was asked to be
        print(f"ldnn train: `{folder}` was filled by something else while the net trained; the run is saved in "
              f"`{staged.folder}` instead", file=sys.stderr)
    say(f"ldnn train: saved {staged.folder}")
    return result


def _train_members(plan: Plan, stop: StopRequest, say: Callable[[str], None]) -> tuple[list[Member], str]:
    """The ensemble's members one after another, until they are all trained or a stop is due;
    and why the run ended (a Member.stopped value): the last member's own reason, or the stop's
    where the stop left members untrained, though the last one trained had run all its epochs."""
    assert plan.spec.train is not None
    count = plan.spec.train.ensemble
    members = [train_member(plan, 0, say, stop)]
    while len(members) < count and not stop.due():
        members.append(train_member(plan, len(members), say, stop))
    if len(members) < count and stop.reason is not None:  # members are left only once a stop is due, with its reason
        say(f"ensemble: {len(members)} of {count} members trained; {stop.describe()}, so the saved model averages "
            "those")
        return members, stop.reason
    return members, members[-1].stopped


def _printer(quiet: bool) -> Callable[[str], None]:
    return (lambda line: None) if quiet else (lambda line: print(line, file=sys.stderr, flush=True))


# the plan --------------------------------------------------------------------------------
def _plan(spec: Spec, checked: CheckResult, spans: Spans, quiet: bool) -> Plan:
    """Seeds, data, the fit check, batch and XLA: everything decided before the first step."""
    train, data = spec.train, spec.data
    assert train is not None and data is not None
    seed = train.seed if train.seed is not None else secrets.randbelow(2**31)
    if train.seed is None:
        _printer(quiet)(f"seed {seed}, drawn: the spec sets none (`--seed {seed}` repeats this run)")
    seed_everything(seed)
    splits = _load(spec, checked, spans)
    jit = choose_jit(train.jit, spec.model)
    plan = Plan(spec, splits, train.epochs, 128 if train.batch == "auto" else train.batch, seed, jit, quiet)
    if train.batch == "auto":
        plan = replace(plan, batch=measured_batch(plan, _printer(quiet)))
        seed_everything(seed)  # the measurement drew random numbers; training starts afresh
    return replace(plan, steps_per_execution=choose_steps(train, spec.model, plan.batch,
                                                          samples=len(splits.x_train)))


SHAPE_HELP = "the data must match the model's input and output shapes"


def _load(spec: Spec, checked: CheckResult, spans: Spans) -> Splits:
    """The splits, or E405 for each way they do not fit the model: at the `validate` or `test`
    line for a split read from its own source, at `source` otherwise."""
    assert spec.data is not None and spec.train is not None and checked.inference is not None
    where = {k: s for (section, k), s in spans.items() if section == "data" and k}  # `preprocess.0`: an item
    source = spans.get(("data", "source"))
    splits = load_data(spec.data, spec.path, source, spans=where)
    layer = spec.model.input.layer
    output = checked.inference.output or ()
    problems = split_problems(splits, tuple(layer.shape), layer.dtype, tuple(output), spec.train.loss,  # type: ignore
                              _vocab(spec))
    own = {name: where.get(key) for name, key, setting in
           (("validation", "validate", spec.data.validate_), ("test", "test", spec.data.test))
           if isinstance(setting, Choice)}
    if problems:
        raise DiagnosticError([error(DATA_CODE, p, span, help=SHAPE_HELP if "shape" in p else None)  # others say
                               for span, p in _merged([(own.get(name) or source, name, p) for name, p in problems])])
    return with_output_axis(splits, tuple(output), spec.train.loss)


def _merged(problems: list[tuple[Span | None, str, str]]) -> list[tuple[Span | None, str]]:
    """One message where splits cut from the same source fail alike (`the x of the training and
    validation splits has per-sample shape [3]`), rather than the same line once per split."""
    groups: dict[tuple[Span | None, str], list[str]] = {}
    for span, name, message in problems:
        groups.setdefault((span, message.replace(f"the {name} ", "the \0 ", 1)), []).append(name)
    out = []
    for (span, template), names in groups.items():
        if len(names) == 1:
            out.append((span, template.replace("\0", names[0], 1)))
            continue
        splits = f"the {', '.join(names[:-1])} and {names[-1]} splits"
        for part in ("x", "y"):  # `the \0 x` -> `the x of the training and validation splits`
            template = template.replace(f"the \0 {part}", f"the {part} of {splits}", 1)
        out.append((span, template))
    return out


def _vocab(spec: Spec) -> Vocab | None:
    """The smallest vocabulary of the embeddings: only they read the input's ids (E308 sees to that)."""
    embeddings = [n for n in layer_nodes(spec.model.body) if n.layer.kind == "embedding"]
    if not embeddings:
        return None
    smallest = min(embeddings, key=lambda n: n.layer.vocab)  # type: ignore[union-attr]
    return Vocab(smallest.layer.vocab, f"`embedding` on {smallest.span.line_seen_from(spec.path)}")  # type: ignore


__all__ = ["RunResult", "train"]
