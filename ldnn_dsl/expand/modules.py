"""Files and their definitions: `use` resolved relative to the using file, cycles refused, and
no `let`, block or parameter allowed a name that would change what a word of the language means.

A definition that fails (a `let` whose value has an error or whose name is refused, a block refused
or with a bad parameter, any definition of a used file that does not parse) still leaves its name
behind, marked failed: its error is out, so its uses add nothing, here and in the files that use it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.check.recipe import SECTION_MODELS, home_section
from ldnn_dsl.expand.evaluate import FAILED, Env, evaluate
from ldnn_dsl.layers.base import ACTIVATIONS
from ldnn_dsl.layers.initializers import INITIALIZERS
from ldnn_dsl.layers.registry import LAYER_KINDS
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import STDIN_NAMES, SourceFile, read, resolve
from ldnn_dsl.syntax.parse import parse

STRUCTURE = ("repeat", "residual", "parallel", "branch")  # the grammar's keywords that start a statement
# In a file that does not parse: a line that starts a definition, or a `use`.
DEFINITION_LINE = re.compile(r"^[ \t]*(?P<kind>let|block)[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
MAX_USE_DEPTH = 50  # a file using a file using a file...: each level recurses through reading and defining
USE_LINE = re.compile(r"^[ \t]*use\b.*$", re.MULTILINE)


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
    incomplete: bool = False  # a `use` here (or in a file it uses) failed: some of its names are missing
    # A name in `env` or `blocks` but not in `home` stands in for a definition refused or not parsed: it
    # fails quietly where it is used, and takes no name from a real definition (it is none).


@dataclass
class Loader:
    """Reads, parses and defines files once each; collects every diagnostic on the way."""

    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    loading: list[str] = field(default_factory=list)
    done: dict[str, Module | None] = field(default_factory=dict)  # None: could not be read (or is being read)

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
        used = self._used(module, use)
        if used is not None:
            self._import(module, used, use)
        module.incomplete = module.incomplete or used is None or used.incomplete

    def _used(self, module: Module, use: n.Use) -> Module | None:
        """The module `use` names, loaded once; None where it is a cycle or cannot be read."""
        path = str(resolve(module.spec.path, use.path.value))
        key = _key(path)
        if key in self.loading:
            chain = " -> ".join(Path(p).name for p in [*self.loading[self.loading.index(key):], key])
            itself = key == _key(module.spec.path)
            self.diagnostics.append(error("E006", f"import cycle: {chain}", use.path.span,
                                          help="a file cannot use itself: remove this line" if itself else
                                          "move the shared definitions into a third file that both use"))
            return None
        if key not in self.done and len(self.loading) >= MAX_USE_DEPTH:
            self.diagnostics.append(error("E004", f"files `use` files more than {MAX_USE_DEPTH} levels deep here",
                                          use.path.span, help="gather what the chain leads to into fewer files"))
            return None
        if key not in self.done:
            self.done[key] = None  # a file that fails is reported once, however often it is used
            try:
                source = read(path, written=use.path.value)
            except DiagnosticError as exc:  # unreadable: point at the `use`, not at a file that is not there
                self.diagnostics.extend(error(d.code, f"cannot use {use.path.text}: {d.message}", use.path.span,
                                              help=d.help or _looked_for(module.spec.path, path, use.path.value))
                                        for d in exc.diagnostics)
                return None
            loaded = self.load_source(source)
            self.done[key] = loaded if loaded is not None else self._salvage(source)
        return self.done[key]

    def _salvage(self, source: SourceFile) -> Module:
        """What a used file that does not parse exports: without its syntax errors the using file would
        use its names all the same, and each use would be a follow-on error (`dense width` an unknown
        activation). So each `let` and `block` that starts a line is there, failed, and each `use`
        line that parses alone is followed: the names it brings are as good as in any file."""
        uses = (_lone_use(source, match) for match in USE_LINE.finditer(source.text))
        module = self.define(n.SpecFile(path=source.path, items=tuple(use for use in uses if use is not None)))
        for match in DEFINITION_LINE.finditer(source.text):
            name, span = match["name"], _span(source, match.start("name"), match.end("name"))
            if match["kind"] == "let":
                module.env.values.setdefault(name, FAILED)
            else:
                stub = n.BlockDef(span=span, name=name, name_span=span, params=(), body=())
                module.blocks.setdefault(name, Block(stub, module.env, failed=True))
        return module

    def _import(self, module: Module, used: Module, use: n.Use) -> None:
        """`used`'s names into `module`: each real definition once (the same one reached twice, as when
        a uses b and c and both use d, is no clash); a failed one's stand-in only where the name is free."""
        for name in dict.fromkeys([*used.env.values, *used.blocks]):
            home = used.home.get(name)
            if home is None:
                _take(module, used, name, replace=False)
            elif module.home.get(name) != home and self._add(module, name, use.path.span,
                                                             f"imported from {use.path.value}", home):
                _take(module, used, name, replace=True)

    def _let(self, module: Module, let: n.Let) -> None:
        module.env.later.pop(let.name, None)  # defined from here on (`let b = b + 1` has no earlier `b`)
        if self._refused(let.name, let.name_span, "a `let`") or self._names_a_setting(let):
            # Failed, not left to the word: the author means a number by it, so each use would be a
            # follow-on error (`let sequences = 3` then `lstm sequences sequences`: "given twice").
            module.env.values[let.name] = FAILED
            return
        if not self._add(module, let.name, let.name_span, f"defined at line {let.name_span.line}"):
            return
        module.env.defining = let.name
        try:
            module.env.values[let.name] = evaluate(let.value, module.env)
        except DiagnosticError as exc:
            self.diagnostics.extend(exc.diagnostics)
            module.env.values[let.name] = FAILED
        finally:
            module.env.defining = None

    def _block(self, module: Module, block: n.BlockDef) -> None:
        if not self._block_name_fine(block):
            # Kept, failed: a call of it adds nothing (an "unknown block" would contradict the refusal).
            module.blocks.setdefault(block.name, Block(block, module.env, failed=True))
            return
        failed = not self._params_fine(block)
        if self._add(module, block.name, block.name_span, f"defined at line {block.name_span.line}"):
            module.blocks[block.name] = Block(block, module.env, failed)

    def _block_name_fine(self, block: n.BlockDef) -> bool:
        """A block takes no name the language uses: not a statement's keyword or layer kind, which a
        statement always means instead, and no word of a value, which a `let` may not take either
        (`block relu` beside `dense 8 relu` would read as a block yet be the activation)."""
        if block.name in LAYER_KINDS or block.name in STRUCTURE:
            self.diagnostics.append(_shadowing(block))
            return False
        return not self._refused(block.name, block.name_span, "a `block`", example=f"{block.name}_block")

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

    def _refused(self, name: str, span: Span, what: str, example: str | None = None) -> bool:
        """A word the language gives a meaning is no name for a constant: `let true = 0` would silently
        turn `bias=true` off, and `let relu = 3` make `dense 2 relu` a dense layer given two sizes."""
        meaning = language_words().get(name)
        if meaning is not None:
            self.diagnostics.append(error("E103", f"`{name}` is a word of the language ({meaning}); {what} cannot "
                                          "redefine it", span,
                                          help=f"choose another name, e.g. `{example or f'my_{name}'}`"))
        return meaning is not None

    def _names_a_setting(self, let: n.Let) -> bool:
        """Settings may share a line, and a setting's name starts the next one: `let lr = 0.05`
        would make `train { loss mse lr 0.1 }` read `lr` as a value of `loss`."""
        homes = home_section(let.name)
        if homes:
            sections = " and ".join(f"`{home}`" for home in homes)
            self.diagnostics.append(error(
                "E103", f"`{let.name}` is the name of a setting in {sections}; a `let` cannot take it", let.name_span,
                help=f"choose another name, e.g. `my_{let.name}`: in a section, `{let.name}` starts its setting"))
        return bool(homes)

    def _add(self, module: Module, name: str, span: Span, origin: str, home: str | None = None) -> bool:
        if name in module.origin:
            self.diagnostics.append(error("E103", f"`{name}` is defined twice (first {module.origin[name]})", span))
            return False
        module.origin[name] = origin
        module.home[name] = home or f"{_key(span.path)}:{span.line}:{span.col}"
        return True


def _take(module: Module, used: Module, name: str, *, replace: bool) -> None:
    """`used`'s value and block of `name` into `module`; a stand-in (`replace` false) never hides one there."""
    if name in used.env.values and (replace or name not in module.env.values):
        module.env.values[name] = used.env.values[name]
    if name in used.blocks and (replace or name not in module.blocks):
        module.blocks[name] = used.blocks[name]


def _lone_use(source: SourceFile, match: re.Match[str]) -> n.Use | None:
    """The `use` on the matched line of a file that does not parse, read on its own (at its own line,
    for its spans); None where that line is itself in error."""
    line = source.text.count("\n", 0, match.start())
    try:
        spec = to_ast(source.path, parse(SourceFile(source.path, "\n" * line + match[0])))
    except DiagnosticError:
        return None
    return next((item for item in spec.items if isinstance(item, n.Use)), None)


def _span(source: SourceFile, start: int, end: int) -> Span:
    """The span of `source.text[start:end]`, on one line."""
    line = source.text.count("\n", 0, start) + 1
    col = start - (source.text.rfind("\n", 0, start) + 1) + 1
    return Span(path=source.path, line=line, col=col, end_line=line, end_col=col + end - start)


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
    """A choice's name and the words of its arguments (`horizontal` is a value of `flip`), and the
    flags it takes bare (`sgd(nesterov)`, `early_stop restore_best`)."""
    fields = model.model_fields
    kind = fields["name"].annotation if "name" in fields else None
    names = [word for word in get_args(kind) if isinstance(word, str)] if get_origin(kind) is Literal else []
    out = dict.fromkeys(names, owner)
    inner = names[0] if len(names) == 1 else owner
    out.update({flag: inner for flag, info in fields.items() if info.annotation is bool})  # `nesterov`, bare
    for key, info in fields.items():
        if key != "name":
            out = {**_literal_words(info.annotation, inner), **out}
    return out


def _looked_for(spec_path: str, path: str, written: str) -> str:
    """Where a `use` looked: a relative path is the using file's folder joined with it, which an
    author who reckons from the current folder does not expect; an absolute one (or one from
    home, `~/`) is only where it says."""
    if Path(os.path.expanduser(written)).is_absolute():
        return f"looked for `{path}`"
    base = "the current folder (the spec came from standard input)" if spec_path in STDIN_NAMES else \
        "the folder of the file that uses it"
    return f"looked for `{path}`: a `use` path is relative to {base}"


def _key(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path
