"""Diagnostics: what went wrong, where, and how to fix it; rendered as text, JSON or
GitHub annotations."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ldnn_dsl.source.span import Span

Severity = Literal["error", "warning"]
TAB = 4  # columns per tab when a source line is shown


class Diagnostic(BaseModel):
    """One finding: a code, a message for the spec's author, where, and a hint."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    severity: Severity
    code: str
    message: str
    path: str | None = None
    span: Span | None = None
    help: str | None = None
    notes: tuple[str, ...] = ()  # where the span was reached from: block calls, innermost first

    @property
    def where(self) -> str:
        if self.span is not None:
            return f"{self.span.path}:{self.span.line}:{self.span.col}"
        return self.path or "<unknown>"


class DiagnosticError(Exception):
    """Raised by library entry points: holds every diagnostic of the failed stage."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> None:
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})  # text to show the lines from, when the stage failed before having it
        super().__init__("\n".join(_summary(d) for d in self.diagnostics))


def position(diag: Diagnostic) -> tuple[int, int]:
    """(line, column) for putting one file's findings in reading order; one without a place first."""
    return (diag.span.line, diag.span.col) if diag.span is not None else (0, 0)


def _summary(diag: Diagnostic) -> str:
    """One diagnostic in an exception's message (a traceback, a notebook): its line, and the
    help and notes that say what to do, without the source lines that `render_text` quotes."""
    return "\n".join([f"{diag.where}: {diag.severity}[{diag.code}]: {diag.message}", *_footer(diag, " ")])


def error(code: str, message: str, span: Span | None = None, *, help: str | None = None, path: str | None = None,
          line: int | None = None, col: int | None = None, notes: tuple[str, ...] = ()) -> Diagnostic:
    """An error at `span`, or at `path:line:col` for problems found before there is a tree."""
    if span is None and path is not None and line is not None:
        span = Span(path=path, line=line, col=col or 1, end_line=line, end_col=(col or 1) + 1)
    return Diagnostic(severity="error", code=code, message=message, span=span, help=help, path=path, notes=notes)


def warning(code: str, message: str, span: Span | None = None, *, help: str | None = None,
            notes: tuple[str, ...] = ()) -> Diagnostic:
    """A lint: the spec is valid, but the recipe says it will likely train badly."""
    return Diagnostic(severity="warning", code=code, message=message, span=span, help=help, notes=notes)


def a_number(text: str) -> str:
    """`text`, which begins with a number, after the article it is read with: `an 8x8 window`,
    `an 11`, `a 16`."""
    spoken = text[:len(text) - len(text.lstrip("0123456789"))]
    vowel = spoken.startswith("8") or (len(spoken) % 3 == 2 and spoken.startswith(("11", "18")))
    return f"{'an' if vowel else 'a'} {text}"


CALLED_AT = ", called at "
MAX_CALLS_LISTED = 4  # further calls with the same finding are counted


def call_note(block: str, at: Span) -> str:
    """The note under a finding inside a block: which call of the block it came from."""
    return f"in block `{block}`{CALLED_AT}{at.path}:{at.line}:{at.col}"


REPETITION = "in repetition "


def repetition_note(i: int, count: int, at: Span) -> str:
    """The note under a finding in a later repetition of a `repeat`, whose input differs from the first's."""
    return f"{REPETITION}{i} of `repeat {count}` at {at.path}:{at.line}:{at.col}"


def calls_merged(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A finding inside a block, made once per call of the block, shown once: the first call's
    notes, then one note naming the other calls (where their chains first part). The same
    finding in each repetition of a `repeat` is one finding, with no note of the repetitions."""
    groups: dict[Diagnostic, list[Diagnostic]] = {}
    for d in diags:
        groups.setdefault(d.model_copy(update={"notes": ()}) if d.notes else d, []).append(d)
    out = []
    for same in groups.values():
        first, *repeated = same
        chains = [_calls(first.notes)]
        for d in repeated:  # another call's; another repetition within a call already seen adds nothing
            if _calls(d.notes) not in chains:
                chains.append(_calls(d.notes))
        if len(chains) > 1:
            calls = [_parting_call(chains[0], chain) for chain in chains[1:]]
            listed = ", ".join(calls[:MAX_CALLS_LISTED]) + (
                f" and {len(calls) - MAX_CALLS_LISTED} more" if len(calls) > MAX_CALLS_LISTED else "")
            plural = "s" if len(calls) > 1 else ""
            first = first.model_copy(update={"notes": (*first.notes, f"the same in the call{plural} at {listed}")})
        out.append(first)
    return out


def _calls(notes: tuple[str, ...]) -> tuple[str, ...]:
    """The block calls of a finding's notes, without its repetitions."""
    return tuple(note for note in notes if not note.startswith(REPETITION))


def _parting_call(first: tuple[str, ...], other: tuple[str, ...]) -> str:
    """Where `other`'s chain of calls leaves `first`'s: the call that makes it another finding."""
    pairs = zip(first, other, strict=False)  # chains of other depths: a block called from two others
    parting = next((note for mine, note in pairs if mine != note), other[-1] if other else "")
    return parting.rpartition(CALLED_AT)[2] or parting


CLOSE = 0.7  # how alike (difflib's ratio) a word and a choice are for the word to count as its misspelling
# Keras' (and Caffe's) names for what the language calls otherwise: no spelling is near, but the
# author who writes them knows exactly what they mean.
KNOWN_AS = {"learning_rate": "lr", "base_lr": "lr", "global_clipnorm": "clip_norm", "clipnorm": "clip_norm",
            "clip_gradients": "clip_norm", "grad_clip": "clip_norm", "gradient_clip_val": "clip_norm",
            "every_epoch": "epoch", "each_epoch": "epoch",
            "batch_size": "batch", "max_iter": "epochs", "validation_split": "validate",
            "kernel_initializer": "init", "bias_initializer": "bias_init",
            "recurrent_initializer": "recurrent_init", "return_sequences": "sequences",
            "kernel_constraint": "max_norm", "kernel_regularizer": "l2", "unit_forget_bias": "forget_bias",
            "strides": "stride", "pool_size": "window", "kernel_size": "window", "use_bias": "bias",
            "output_dim": "units", "input_dim": "vocab", "mean": "avg", "p": "rate",
            "xavier": "glorot_uniform", "xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
            "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal", "msra": "he_normal", "gaussian": "normal",
            "he": "he_normal", "kaiming": "he_normal", "lecun": "lecun_normal",
            "fp16": "mixed_float16", "float16": "mixed_float16", "half": "mixed_float16", "bf16": "mixed_bfloat16",
            "bfloat16": "mixed_bfloat16", "fp32": "float32", "reduce_on_plateau": "plateau",
            "ReduceLROnPlateau": "plateau", "StepLR": "step", "CosineAnnealingLR": "cosine",
            # PyTorch's losses (CrossEntropyLoss and NLLLoss take class ids)
            "CrossEntropyLoss": "sparse_categorical_crossentropy", "NLLLoss": "sparse_categorical_crossentropy",
            "nll": "sparse_categorical_crossentropy", "MSELoss": "mse", "L1Loss": "mae", "SmoothL1Loss": "huber",
            "HuberLoss": "huber", "BCELoss": "binary_crossentropy", "BCEWithLogitsLoss": "binary_crossentropy",
            "nll_loss": "sparse_categorical_crossentropy", "KLDivLoss": "kl_divergence", "kl_div": "kl_divergence",
            "PoissonNLLLoss": "poisson", "l1": "mae", "l2": "mse", "smooth_l1": "huber",
            "bce_with_logits": "binary_crossentropy", "sigmoid_cross_entropy_with_logits": "binary_crossentropy",
            "softmax_cross_entropy_with_logits": "categorical_crossentropy",
            "sparse_softmax_cross_entropy_with_logits": "sparse_categorical_crossentropy",
            # Caffe's loss layers (SoftmaxWithLoss and MultinomialLogisticLoss take class ids)
            "SoftmaxWithLoss": "sparse_categorical_crossentropy",
            "MultinomialLogisticLoss": "sparse_categorical_crossentropy",
            "SigmoidCrossEntropyLoss": "binary_crossentropy", "EuclideanLoss": "mse", "HingeLoss": "hinge"}


def folded(word: str) -> str:
    """A name without case, `_` or `-`: `smooth_l1`, `SmoothL1Loss`'s `smoothl1loss`."""
    return re.sub(r"[_\-]", "", word).casefold()


_KNOWN_FOLDED = {folded(name): known for name, known in KNOWN_AS.items()}


def known_as(word: str) -> str | None:
    """ldnn's word for another framework's name (`learning_rate`, `BatchSize`: `lr`, `batch`),
    in any case and with or without `_`."""
    return KNOWN_AS.get(word) or _KNOWN_FOLDED.get(folded(word))


def did_you_mean(word: str, choices: Iterable[str], *, prefixes: bool = True) -> str | None:
    """`did you mean 'x'?` for the nearest choices, or None when nothing is close."""
    near = nearest(word, choices, prefixes=prefixes)
    return f"did you mean {' or '.join(f'`{c}`' for c in near)}?" if near else None


def nearest(word: str, choices: Iterable[str], *, prefixes: bool = True) -> list[str]:
    """The choices `word` is most likely a misspelling of: the one it is but for case (`Relu`),
    or with two neighbouring letters swapped (`sdg`: too short for the likeness to count);
    else every one as close as the closest (`beta` is as near `beta_1` as `beta_2`, and naming
    one would pick for the author); else, with `prefixes`, the first that starts the word or
    that the word starts (`batch_size` -> `batch`); none when nothing is close. A Keras name
    for a choice (`learning_rate` for `lr`), in any case and with or without `_`, is that choice."""
    options = sorted(set(choices))
    known = known_as(word)
    if known in options:
        return [known]
    folded = word.casefold()
    exact = [option for option in options if option.casefold() == folded]
    swapped = [option for option in options if _swapped(option.casefold(), folded)]
    if exact or swapped:
        return exact or swapped
    ratios = {option: difflib.SequenceMatcher(None, option.casefold(), folded).ratio() for option in options}
    best = max(ratios.values(), default=0.0)
    if best >= CLOSE:
        return [option for option in options if ratios[option] == best]
    if prefixes and len(word) > 2:
        return [c for c in options if c.startswith(word) or word.startswith(c)][:1]
    return []


def _swapped(a: str, b: str) -> bool:
    """Whether `b` is `a` with two neighbouring characters swapped."""
    if len(a) != len(b):
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differ) != 2 or differ[1] != differ[0] + 1:
        return False
    i, j = differ
    return a[i] == b[j] and a[j] == b[i]


def render_text(diag: Diagnostic, sources: Mapping[str, str]) -> str:
    """The compiler-style block: header, the source line, a caret under the span, help.

    The header's `line:col` counts characters (a tab is one column), as JSON, GitHub, rustc and
    editors' go-to-line do; only the source line and caret are drawn with tabs expanded, so the
    caret sits under the span whatever the tab width."""
    head = f"{diag.where}: {diag.severity}[{diag.code}]: {diag.message}"
    span = diag.span
    text = sources.get(span.path) if span else None
    if span is None or text is None:
        return "\n".join([head, *_footer(diag, "  ")])
    lines = text.split("\n")
    raw = lines[span.line - 1].rstrip("\r") if 1 <= span.line <= len(lines) else ""
    start = _shown_col(raw, max(span.col, 1))
    end = _shown_col(raw, span.end_col) if span.end_line == span.line else len(raw.expandtabs(TAB)) + 1
    shown, start, width = _window(raw.expandtabs(TAB), start, max(end - start, 1))
    gutter = " " * len(str(span.line))
    pad, carets = _columns(shown[: start - 1]), max(_columns(shown[start - 1: start - 1 + width]), 1)
    out = [head, f"{gutter} |", f"{span.line} | {shown}", f"{gutter} | {' ' * pad}{'^' * carets}"]
    return "\n".join([*out, *_footer(diag, gutter)])


MAX_SHOWN = 100  # columns of a source line shown; a longer one is cut around the span, as rustc does
CONTEXT = 20  # columns kept before the span in a cut line


def _window(shown: str, start: int, width: int) -> tuple[str, int, int]:
    """The part of a long line to show (`...` where it is cut), the caret's column in it and its
    width: a line of hundreds of characters would wrap, and the caret land under nothing."""
    if len(shown) <= MAX_SHOWN:
        return shown, start, width
    lo = max(0, min(start - 1 - CONTEXT, len(shown) - MAX_SHOWN))
    hi = min(len(shown), lo + MAX_SHOWN)
    cut = ("..." if lo else "") + shown[lo:hi] + ("..." if hi < len(shown) else "")
    return cut, start - lo + (3 if lo else 0), max(1, min(width, hi - (start - 1)))


def _footer(diag: Diagnostic, gutter: str) -> list[str]:
    """The `= help:` line, then one `= note:` line per note."""
    lines = [f"{gutter} = help: {diag.help}"] if diag.help else []
    return lines + [f"{gutter} = note: {note}" for note in diag.notes]


def _columns(text: str) -> int:
    """How many terminal columns `text` takes: two for a wide character (CJK, fullwidth forms),
    none for a combining mark, so the caret lands under `z` after `数据集.npz`."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _shown_col(line: str, col: int) -> int:
    """The 1-based column of character `col` once the line's tabs are expanded."""
    return len(line[: col - 1].expandtabs(TAB)) + 1


def render_json(diags: Iterable[Diagnostic], sections: Mapping[str, object] | None = None) -> str:
    """One JSON document listing every diagnostic (for editors and CI tooling), then any further
    top-level `sections` the command adds (`ldnn check --summary` adds `models`)."""
    return json.dumps({"diagnostics": [_json_item(d) for d in diags], **(sections or {})}, indent=2,
                      ensure_ascii=False)


def _json_item(diag: Diagnostic) -> dict[str, object]:
    """A diagnostic as JSON: its file at the top, its span without the file again."""
    item = diag.model_dump(exclude={"path", "span"})
    item["file"] = diag.span.path if diag.span else diag.path
    item["span"] = diag.span.model_dump(exclude={"path"}) if diag.span else None
    return item


def render_github(diag: Diagnostic) -> str:
    """A GitHub Actions workflow command, so CI shows the finding on the line itself."""
    kind = "error" if diag.severity == "error" else "warning"
    message = f"[{diag.code}] {diag.message}" + (f" ({diag.help})" if diag.help else "")
    message += "".join(f"; {note}" for note in diag.notes)
    properties = {**_github_where(diag), "title": f"ldnn {diag.code}"}
    listed = ",".join(f"{k}={_github_property(str(v))}" for k, v in properties.items() if v not in (None, ""))
    return f"::{kind} {listed}::{_github_data(message)}"


def _github_where(diag: Diagnostic) -> dict[str, object]:
    """The location properties: the span's file, start and end, or just the file when there is no span."""
    s = diag.span
    if s is None:
        return {"file": diag.path}
    return {"file": s.path, "line": s.line, "col": s.col, "endLine": s.end_line, "endColumn": s.end_col}


def _github_data(text: str) -> str:
    """A workflow command's message, escaped by GitHub's rules so a newline or `%` survives."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A workflow command's property value: also `:` and `,`, which would end the value early."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")
