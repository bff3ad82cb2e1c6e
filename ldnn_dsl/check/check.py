"""The checker's entry point: source in, checked spec plus every diagnostic out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ldnn_dsl.check.data_fit import data_misfits
from ldnn_dsl.check.data_section import IMAGE_ONLY, Augment, DataSection, Translate
from ldnn_dsl.check.lints import lint
from ldnn_dsl.check.losses import loss_kind
from ldnn_dsl.check.section import MAX_SEED
from ldnn_dsl.check.sections import bind_section, split_settings
from ldnn_dsl.check.shapes import Inference, infer
from ldnn_dsl.check.spec import Spans, Spec, WrapperNames, item_span, value_span
from ldnn_dsl.check.train_section import Cosine, Plateau, TrainSection
from ldnn_dsl.expand.expand import Expanded, expand
from ldnn_dsl.expand.graph import layer_nodes
from ldnn_dsl.expand.unresolved import follows_from
from ldnn_dsl.layers.base import fmt_shape
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, calls_merged, error
from ldnn_dsl.source.text import SourceFile

Purpose = Literal["check", "compile", "train"]
NEEDS: dict[str, tuple[str, ...]] = {"check": (), "compile": ("model",), "train": ("model", "data", "train")}


@dataclass
class CheckResult:
    path: str
    spec: Spec | None = None
    inference: Inference | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    spans: Spans = field(default_factory=dict)  # (section, setting) -> its line

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def check_source(source: SourceFile, purpose: Purpose = "check", *,
                 replaced: Mapping[str, int] | None = None) -> CheckResult:
    """Every finding in `source`. `replaced`: `train` settings that replace the spec's (`ldnn train
    --epochs 5`), before the checks across sections and the lints, which then judge the run as it
    will be; a finding that only the replacement brings says so in a note."""
    expanded = expand(source)
    result = _check(source, expanded, purpose, replaced or {})
    findings = [d for d in result.diagnostics if not follows_from(d, expanded.unresolved)]
    result.diagnostics = in_reading_order(findings)
    return result


def in_reading_order(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Each file's findings by line and column, the files in the order they first come up: the
    passes find things in their own order, and a reader goes down the file. A finding made
    again word for word (a lint of a layer inside `repeat 3`) is shown once, and one made at the
    same place in each call of a block once, naming the calls."""
    diags = calls_merged(list(dict.fromkeys(diags)))
    files: dict[str | None, int] = {}
    for d in diags:
        files.setdefault(d.span.path if d.span else d.path, len(files))

    def key(d: Diagnostic) -> tuple[int, int, int]:
        if d.span is None:
            return files[d.path], 0, 0
        return files[d.span.path], d.span.line, d.span.col

    return sorted(diags, key=key)


def _check(source: SourceFile, expanded: Expanded, purpose: Purpose, replaced: Mapping[str, int]) -> CheckResult:
    result = CheckResult(source.path, diagnostics=list(expanded.diagnostics), sources=expanded.sources)
    if expanded.is_library and not expanded.failed and purpose == "check":
        return result
    sections, spans = _sections(expanded, result.diagnostics)
    result.spans = spans
    _require(expanded, purpose, result.diagnostics)
    if expanded.model is not None:
        result.inference = infer(expanded.model, expanded.gaps)
        result.diagnostics.extend(result.inference.diagnostics)
    if result.errors or expanded.model is None:
        return result
    spec = Spec(path=source.path, model=expanded.model, **sections)  # type: ignore[arg-type]
    found = _across_sections(spec, spans, result.inference)
    if replaced and spec.train is not None:
        as_written = set(found)
        spec = spec.model_copy(update={"train": spec.train.model_copy(update=replaced)})
        flags = " and ".join(f"`--{name} {value}`" for name, value in replaced.items())
        found = [d if d in as_written else d.model_copy(update={"notes": (*d.notes, f"{flags} replaced the spec's "
                                                                          "setting")})
                 for d in _across_sections(spec, spans, result.inference)]
    result.spec = spec
    result.diagnostics.extend(found)
    return result


def _across_sections(spec: Spec, spans: Spans, inference: Inference | None) -> list[Diagnostic]:
    """The checks of a whole spec, model and sections together, and the lints."""
    output = inference.output if inference else None
    one_class = _one_class(spec.train, output, spans) if spec.train is not None and output else []
    found = [*_reserved_model_name(spec), *recipe_errors(spec, spans), *one_class,
             *([] if one_class else data_misfits(spec, spans, output))]  # one class: every target misfits
    if spec.train is not None and output:
        found.extend(_top_k_against_output(spec.train, output, spans))
    if spec.train is not None and inference and inference.total_params == 0:
        found.append(_nothing_to_learn(spec, spans))
    found.extend(init_misfits(spec, spans))
    inferred = {row.name: row for row in inference.rows} if inference else {}
    return found + lint(spec, spans, inferred)


def checked(source: SourceFile, purpose: Purpose, *, replaced: Mapping[str, int] | None = None) -> CheckResult:
    """`check_source` for the commands that go on with the spec: any error is raised, all at once."""
    result = check_source(source, purpose, replaced=replaced)
    if result.errors or result.spec is None:  # a library of blocks checks clean, but holds no spec to go on with
        raise DiagnosticError(sources=result.sources, diagnostics=result.errors or [error(
            "E104", "no `model { ... }` in the spec, so there is no spec to go on with", path=source.path, line=1,
            col=1, help="a library of blocks is checked on its own, and loaded through the specs that `use` it")])
    return result


def _sections(expanded: Expanded, diags: list[Diagnostic]) -> tuple[dict[str, object], Spans]:
    models: dict[str, object] = {}
    spans: Spans = {}
    for name, (span, settings) in expanded.sections.items():
        parts = split_settings(name, settings)
        model, problems, items = bind_section(name, span, parts, unset=expanded.unset.get(name, set()),
                                              names=expanded.names)
        diags.extend(problems)
        spans[(name, "")] = span
        spans.update({(name, s.head): s.span for s in parts})
        spans.update({(name, at): item for at, item in items.items()})
        if model is not None:
            models[name] = model
    return models, spans


# E401's words: what was asked for (the API and several commands share a purpose), and the section as written
DOING = {"check": "checking", "compile": "building the network", "train": "training"}
WRITTEN = {"model": "model NAME { input [...] ... }", "data": "data { source ... }", "train": "train { loss ... }"}


def _require(expanded: Expanded, purpose: Purpose, diags: list[Diagnostic]) -> None:
    if expanded.failed:
        return
    present = {"model": expanded.model is not None,
               **{k: k in expanded.sections for k in ("data", "train")}}
    if not present["model"] and purpose == "check":
        diags.append(error("E104", "no `model { ... }` in the spec", path=expanded.path, line=1, col=1,
                           help="a spec holds exactly one `model NAME { input [...] ... }`"))
        return
    for needed in NEEDS[purpose]:
        if not present[needed]:
            diags.append(error("E401", f"the spec has no `{needed}` section, and {DOING[purpose]} needs one",
                               path=expanded.path, line=1, col=1, help=f"add `{WRITTEN[needed]}`"))


def seeds_past_the_largest(seed: int, ensemble: int, spans: Spans) -> Diagnostic | None:
    """E404 when an ensemble's seeds, `seed` to `seed + ensemble - 1`, run past `MAX_SEED`."""
    if seed + ensemble - 1 <= MAX_SEED:
        return None
    return error("E404", f"an ensemble of {ensemble} trains with seeds {seed} to {seed + ensemble - 1}, past the "
                 f"largest seed, {MAX_SEED}", spans.get(("train", "seed"), spans.get(("train", ""))),
                 help=f"use a seed of at most {MAX_SEED - ensemble + 1}")


def init_misfits(spec: Spec, spans: Spans) -> list[Diagnostic]:
    """An `init` default that a layer taking it cannot use (`weights identity` with a conv, whose
    kernel is 4-D): Keras would refuse it at build. Once per setting, at the setting, naming
    the first such layer."""
    out: dict[str, Diagnostic] = {}
    for node in layer_nodes(spec.model.body):
        for setting, reason in node.layer.init_misfits(spec.init_defaults):
            own = "init" if setting == "weights" else "bias_init"
            out.setdefault(setting, error(
                "E202", f"`{setting}` of `init`: {reason}", value_span(spans, "init", setting),
                help=f"give that `{node.layer.kind}` ({node.span.line_seen_from(spec.path)}) its own `{own}=`, "
                     "or pick a default every layer can take"))
    return list(out.values())


def _reserved_model_name(spec: Spec) -> list[Diagnostic]:
    name = spec.model.name
    if name not in WrapperNames.ALL:
        return []
    return [error("E103", f"model name `{name}` is reserved: the model `ldnn train` saves holds a layer of that "
                  "name beside the network, which takes the model's name", spec.model.span,
                  help=f"rename the model; reserved: {', '.join(WrapperNames.ALL)}")]


def recipe_errors(spec: Spec, spans: Spans) -> list[Diagnostic]:
    """Settings that are each valid but contradict each other (run again on settings that
    the command line replaces)."""
    train, data = spec.train, spec.data
    out = _data_against_input(spec, spans)
    if train is None:
        return out
    has_validation = data is not None and data.validate_ is not None
    if train.early_stop is not None and not has_validation:
        out.append(error("E403", "early stopping watches the validation loss, but `data` has no `validate`",
                         spans.get(("train", "early_stop")), help="add `validate 10%` to `data`"))
    if train.seed is not None and (past := seeds_past_the_largest(train.seed, train.ensemble, spans)):
        out.append(past)
    if isinstance(train.schedule, Plateau) and train.schedule.min_lr > train.lr:
        out.append(error("E404", f"the plateau schedule stops training once the lr is below min_lr "
                         f"{train.schedule.min_lr:g}, but `lr` {train.lr:g} starts below it: training would end "
                         "after its first epoch", spans.get(("train", "schedule")),
                         help="min_lr is where cutting the lr stops paying off: usually 1/100 to 1/1000 of `lr`"))
    out.extend(_metrics_against_loss(train, spans) + _decay_past_one(train, spans))
    if "update_ratio" in train.monitor and train.steps_per_execution not in ("auto", 1):
        out.append(error("E404", f"`monitor update_ratio` measures the update of one step, but "
                         f"`steps_per_execution {train.steps_per_execution}` runs {train.steps_per_execution} "
                         "steps per call, so no single step's update can be read",
                         spans.get(("train", "steps_per_execution")),
                         help="remove `steps_per_execution` (`auto` runs one step per call while monitoring)"))
    if isinstance(train.schedule, Cosine) and train.schedule.warmup >= train.epochs:
        out.append(error("E404", f"cosine warm-up of {train.schedule.warmup} epochs is not shorter than the "
                         f"{train.epochs} epochs of training", spans.get(("train", "schedule"))))
    return out


def _decay_past_one(train: TrainSection, spans: Spans) -> list[Diagnostic]:
    """Decoupled weight decay multiplies every weight by 1 - lr * weight_decay each step (Keras'
    optimizers, as AdamW): at a product of 1 or more the weights flip sign, and past 2 they grow
    without bound, whatever the loss. No schedule raises the lr above `lr`."""
    product = train.lr * train.weight_decay
    if product < 1:
        return []
    effect = ("sets every weight to 0" if product == 1 else "flips every weight's sign"
              + (" and grows it without bound" if product > 2 else ""))
    return [error("E404", f"`weight_decay {train.weight_decay:g}` with `lr {train.lr:g}` multiplies every weight by "
                  f"1 - {product:g} = {1 - product:g} each step: it {effect}", spans.get(("train", "weight_decay")),
                  help="weight decay is a small pull towards 0: 1e-5 to 1e-3 is usual, far below 1 / lr")]


def _data_against_input(spec: Spec, spans: Spans) -> list[Diagnostic]:
    """`data` steps that the model's input cannot take (image transforms of a vector, arithmetic
    on ids), with or without a `train` section."""
    data, layer = spec.data, spec.model.input.layer
    if data is None:
        return []
    out = _arithmetic_on_ids(data, spans) if layer.dtype == "int32" else []  # type: ignore[union-attr]
    image_only = [i for i, a in enumerate(data.augment) if a.name in IMAGE_ONLY]
    shape = layer.shape  # type: ignore[union-attr]
    if image_only and len(shape) != 3:
        out.append(error("E404", f"`augment {data.augment[image_only[0]].name}` transforms images, but the input "
                         f"{fmt_shape(shape)} is not [height, width, channels]",
                         item_span(spans, "data", "augment", image_only[0]),
                         help=(f"for one-channel images, declare `input {fmt_shape((*shape, 1))}` (and give x that "
                               "shape); " if len(shape) == 2 else "") + "use `noise(STD)` for other inputs"))
    elif image_only:
        out.extend(_translations_past_the_image(data.augment, shape, spans))
    return out


def _nothing_to_learn(spec: Spec, spans: Spans) -> Diagnostic:
    """Keras trains a model without weights all the same, every epoch alike, with a warning
    in its own words that says nothing of the spec."""
    return error("E404", f"model `{spec.model.name}` has no weights, so `train` has nothing to learn",
                 spans.get(("train", "")), help="add a layer that learns, such as `dense N`")


TOP_K = 5  # Keras' top-k metrics, by name, count a hit among the 5 highest scores


def _top_k_against_output(train: TrainSection, output: tuple[int, ...],
                          spans: Spans) -> list[Diagnostic]:
    """A top-5 metric over 5 classes or fewer counts every sample a hit (and over one unit,
    TensorFlow refuses it in the first step): it measures nothing. So does an argmax over one
    unit (`categorical_accuracy` on a sigmoid output): the one class is always the highest."""
    classes = output[-1] if output else 1
    sparse = loss_kind(train.loss) == "sparse"  # a top-k metric of the other kind is reported as not fitting the loss
    out = [error("E404", f"`{m}` counts a hit when the true class is among the {TOP_K} highest scores, but the "
                 f"output has {classes} {'class' if classes == 1 else 'classes'}: every sample would be a hit",
                 item_span(spans, "train", "metrics", train.metrics.index(m)),
                 help="use `accuracy` (or `binary_accuracy` for one yes/no output)")
           for m in train.metrics if "top_k" in m and classes <= TOP_K and m.startswith("sparse_") == sparse]
    return out + [error("E404", f"`{m}` counts a hit where the highest of the output's units is the true class, "
                        "but the output has one unit: every sample would be a hit",
                        item_span(spans, "train", "metrics", train.metrics.index(m)),
                        help="use `binary_accuracy` (or `accuracy`) for one yes/no output")
                  for m in train.metrics if m == "categorical_accuracy" and classes == 1]


def _one_class(train: TrainSection, output: tuple[int, ...], spans: Spans) -> list[Diagnostic]:
    """A sparse or categorical crossentropy over one output unit: one class, so every target but
    class 0 is out of range, and class 0 is predicted with certainty. Two classes are either
    two units and a softmax, or one unit, a sigmoid and the binary crossentropy."""
    if loss_kind(train.loss) not in ("sparse", "categorical") or output[-1] != 1:
        return []
    return [error("E404", f"`{train.loss}` needs one output per class, but the model's output has one unit: a "
                  "single class", spans.get(("train", "loss")),
                  help="for two classes, end in `dense 2 softmax`, or in `dense 1 sigmoid` with "
                  "`loss binary_crossentropy`")]


SPARSE_METRICS = ("accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                  "sparse_categorical_crossentropy")


def _metrics_against_loss(train: TrainSection, spans: Spans) -> list[Diagnostic]:
    """A metric reads y as the loss does: class ids under a sparse loss, and values shaped like
    the output under every other. The wrong kind fails the first step, deep in TensorFlow."""
    sparse = loss_kind(train.loss) == "sparse"
    wrong = [m for m in train.metrics if ((m not in SPARSE_METRICS) if sparse else m.startswith("sparse_"))]
    fits = ", ".join(SPARSE_METRICS) if sparse else "accuracy, or the metric without `sparse_`"
    return [error("E404", f"metric `{metric}` does not fit the loss: " + (
                  f"`{train.loss}` takes class ids, and `{metric}` needs y shaped like the output" if sparse else
                  f"`{metric}` takes class ids, and `{train.loss}` needs y shaped like the output"),
                  item_span(spans, "train", "metrics", train.metrics.index(metric)), help=f"use {fits}")
            for metric in wrong]


def _arithmetic_on_ids(data: DataSection, spans: Spans) -> list[Diagnostic]:
    """Preprocessing and augmentation compute on numbers; ids are names. A standardized or
    noisy id is another word, or a negative one, and the embedding would look it up all the same."""
    firsts = [(setting, steps[0].name) for setting, steps in (("preprocess", data.preprocess),
                                                             ("augment", data.augment)) if steps]
    return [error("E404", f"`{setting} {name}` computes on the input's values, but the input holds integer ids "
                  "for an embedding: the ids would change into other ids", item_span(spans, "data", setting, 0),
                  help=f"drop `{setting} {name}`; ids go into the embedding as they are") for setting, name in firsts]


def _translations_past_the_image(augment: tuple[Augment, ...], shape: tuple[int, ...],
                                 spans: Spans) -> list[Diagnostic]:
    """E404 for `translate(N)` with N past the image's height or width: Keras' RandomTranslation
    takes N as a fraction of the side, and refuses one above 1 when the model is built."""
    height, width = shape[0], shape[1]
    return [error("E404", f"`augment translate({a.pixels})` shifts images by up to {a.pixels} pixels, but the "
                          f"input's images are {height}x{width}", item_span(spans, "data", "augment", i),
                  help=f"translate by at most {min(height, width)} pixels; a few pixels is usual")
            for i, a in enumerate(augment) if isinstance(a, Translate) and a.pixels > min(height, width)]


__all__ = ["CheckResult", "Purpose", "check_source", "checked"]
