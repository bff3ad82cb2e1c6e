"""Files and their definitions: `use` resolved relative to the using file, cycles refused, and
no `let`, block or parameter allowed a name that would change what a word of the language means."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.check.recipe import SECTION_MODELS
from ldnn_dsl.expand.evaluate import FAILED, Env, evaluate
from ldnn_dsl.layers.base import ACTIVATIONS
from ldnn_dsl.layers.initializers import INITIALIZERS
from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile, read
from ldnn_dsl.syntax.parse import parse

STRUCTURE = ("repeat", "residual", "parallel", "branch")  # the grammar's keywords that start a statement


@dataclass
class Block:
    definition: n.BlockDef
    env: Env  # the names visible where the block was defined
    failed: bool = False  # its definition has an error: a call adds nothing, the error is already out


@dataclass
class Module:
    """One file's `let`s and `block`s, with those of the files it uses."""

    spec: n.SpecFile
    env: Env = field(default_factory=Env)
    blocks: dict[str, Block] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # name -> where it was defined, for messages
    home: dict[str, str] = field(default_factory=dict)  # name -> file:line:col of its definition


@dataclass
class Loader:
    """Reads, parses and defines files once each; collects every diagnostic on the way."""

    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    loading: list[str] = field(default_factory=list)
    done: dict[str, Module | None] = field(default_factory=dict)  # None: read once, and it failed

    def load_source(self, source: SourceFile) -> Module | None:
        self.sources[source.path] = source.text
        try:
            spec = to_ast(source.path, parse(source))
        except DiagnosticError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return None
        return self.define(spec)

    def define(self, spec: n.SpecFile) -> Module:
        key = _key(spec.path)
        self.loading.append(key)
        module = Module(spec)
        lets = [item for item in spec.items if isinstance(item, n.Let) and item.name not in language_words()]
        module.env.later = {let.name: let.name_span.line for let in reversed(lets)}  # the first of each name
        for item in spec.items:
            if isinstance(item, n.Use):
                self._use(module, item)
            elif isinstance(item, n.Let):
                self._let(module, item)
            elif isinstance(item, n.BlockDef):
                self._block(module, item)
        module.env.later.clear()
        self.loading.pop()
        self.done[key] = module
        return module

    def _use(self, module: Module, use: n.Use) -> None:
        path = _resolve(module.spec.path, use.path.value)
        key = _key(path)
        if key in self.loading:
            chain = " -> ".join(Path(p).name for p in [*self.loading[self.loading.index(key):], key])
            self.diagnostics.append(error("E006", f"import cycle: {chain}", use.path.span,
                                          help="move the shared definitions into a third file that both use"))
            return
        if key not in self.done:
            self.done[key] = None  # a file that fails is reported once, however often it is used
            try:
                self.done[key] = self.load_source(read(path))
            except DiagnosticError as exc:  # unreadable: point at the `use`, not at a file that is not there
                self.diagnostics.extend(
                    error(d.code, f"cannot use {use.path.text}: {d.message}", use.path.span) for d in exc.diagnostics)
                return
        used = self.done[key]
        if used is None:
            return
        for name in [*used.env.values, *used.blocks]:
            if module.home.get(name) == used.home[name]:
                continue  # the same definition reached twice (a uses b and c, both use d)
            if self._add(module, name, use.path.span, f"imported from {use.path.value}", used.home[name]):
                if name in used.blocks:
                    module.blocks[name] = used.blocks[name]
                else:
                    module.env.values[name] = used.env.values[name]

    def _let(self, module: Module, let: n.Let) -> None:
        module.env.later.pop(let.name, None)  # defined from here on (`let b = b + 1` has no earlier `b`)
        if self._refused(let.name, let.name_span, "a `let`"):
            return
        if not self._add(module, let.name, let.name_span, f"defined at line {let.name_span.line}"):
            return
        try:
            module.env.values[let.name] = evaluate(let.value, module.env)
        except DiagnosticError as exc:
            self.diagnostics.extend(exc.diagnostics)
            module.env.values[let.name] = FAILED

    def _block(self, module: Module, block: n.BlockDef) -> None:
        if block.name in LAYER_KINDS or block.name in STRUCTURE:
            self.diagnostics.append(_shadowing(block))
            return
        failed = not self._params_fine(block)
        if self._add(module, block.name, block.name_span, f"defined at line {block.name_span.line}"):
            module.blocks[block.name] = Block(block, module.env, failed)

    def _params_fine(self, block: n.BlockDef) -> bool:
        """Each parameter once, none a word of the language; every problem reported."""
        fine = True
        spans = block.params_span or (block.name_span,) * len(block.params)
        for i, (param, span) in enumerate(zip(block.params, spans, strict=True)):
            if param in block.params[:i]:
                self.diagnostics.append(error("E103", f"parameter `{param}` of block `{block.name}` is declared twice",
                                              span, help="give each parameter its own name"))
                fine = False
            elif self._refused(param, span, "a block parameter"):
                fine = False
        return fine

    def _refused(self, name: str, span: Span, what: str) -> bool:
        """A word the language gives a meaning is no name for a constant: `let true = 0` would silently
        turn `bias=true` off, and `let relu = 3` make `dense 2 relu` a dense layer given two sizes."""
        meaning = language_words().get(name)
        if meaning is not None:
            self.diagnostics.append(error("E103", f"`{name}` is a word of the language ({meaning}); {what} cannot "
                                          "redefine it", span, help=f"choose another name, e.g. `my_{name}`"))
        return meaning is not None

    def _add(self, module: Module, name: str, span: Span, origin: str, home: str | None = None) -> bool:
        if name in module.origin:
            self.diagnostics.append(error("E103", f"`{name}` is defined twice (first {module.origin[name]})", span))
            return False
        module.origin[name] = origin
        module.home[name] = home or f"{_key(span.path)}:{span.line}:{span.col}"
        return True


def _shadowing(block: n.BlockDef) -> Diagnostic:
    """A block named like a layer kind or a keyword could never be used: `dense(3)` builds the layer."""
    name = block.name
    what = "layer kind" if name in LAYER_KINDS else "keyword"
    meaning = "layer" if name in LAYER_KINDS else "keyword"
    return error("E103", f"block `{name}` would shadow the {what} `{name}`: a statement `{name}` always means the "
                 f"{meaning}, never the block", block.name_span, help=f"choose another name, e.g. `{name}_block`")


@cache
def language_words() -> dict[str, str]:
    """Every bare word the language gives a meaning, with that meaning, read from the tables
    themselves: a new layer kind, initializer or choice is reserved without touching this."""
    words = dict.fromkeys(("true", "false"), "a boolean")
    words.update({kind: "a layer kind" for kind in LAYER_KINDS})
    for name in ACTIVATIONS:
        words.setdefault(name, "an activation")
    for name in INITIALIZERS:
        words.setdefault(name, "an initializer")
    for kind, cls in LAYER_KINDS.items():
        for word, (option, value) in cls.words.items():
            words.setdefault(word, f"a flag of `{kind}`" if value is True else f"a value of `{option}` of `{kind}`")
        for option, info in cls.model_fields.items():
            for word in sorted(_literal_words(info.annotation, option)):
                words.setdefault(word, f"a value of `{option}` of `{kind}`")
    for section, model in SECTION_MODELS.items():
        for setting, info in model.model_fields.items():
            for word, owner in sorted(_literal_words(info.annotation, info.alias or setting).items()):
                words.setdefault(word, f"a value of `{owner}` in `{section}`")
    return words


def _literal_words(annotation: Any, owner: str) -> dict[str, str]:
    """The words a type accepts, each with the setting or choice it is a value of (`owner`): its
    literals, and those of the choices and records inside it (`flip(horizontal)`, `optimizer sgd`)."""
    if get_origin(annotation) is Literal:
        return {word: owner for word in get_args(annotation) if isinstance(word, str)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_words(annotation, owner)
    out: dict[str, str] = {}
    for arg in get_args(annotation):
        out = {**_literal_words(arg, owner), **out}
    return out


def _model_words(model: type[BaseModel], owner: str) -> dict[str, str]:
    """A choice's name and the words of its arguments (`horizontal` is a value of `flip`), or, for
    a record (a model without a `name`), also its flags (`early_stop restore_best`)."""
    fields = model.model_fields
    kind = fields["name"].annotation if "name" in fields else None
    names = [word for word in get_args(kind) if isinstance(word, str)] if get_origin(kind) is Literal else []
    out = dict.fromkeys(names, owner)
    if "name" not in fields:
        out.update({flag: owner for flag, info in fields.items() if info.annotation is bool})
    inner = names[0] if len(names) == 1 else owner
    for key, info in fields.items():
        if key != "name":
            out = {**_literal_words(info.annotation, inner), **out}
    return out


def _resolve(spec_path: str, target: str) -> str:
    base = Path(spec_path).parent if spec_path not in ("-", "<stdin>") else Path.cwd()
    return str(base / target)


def _key(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path
