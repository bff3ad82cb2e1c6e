"""Files and their definitions: `use` resolved relative to the using file, cycles refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.ast.build import to_ast
from ldnn_dsl.expand.evaluate import Env, evaluate
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, error
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile, read
from ldnn_dsl.syntax.parse import parse


@dataclass
class Block:
    definition: n.BlockDef
    env: Env  # the names visible where the block was defined


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
        for item in spec.items:
            if isinstance(item, n.Use):
                self._use(module, item)
            elif isinstance(item, n.Let):
                self._let(module, item)
            elif isinstance(item, n.BlockDef):
                self._block(module, item)
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
        if not self._add(module, let.name, let.name_span, f"defined at line {let.name_span.line}"):
            return
        try:
            module.env.values[let.name] = evaluate(let.value, module.env)
        except DiagnosticError as exc:
            self.diagnostics.extend(exc.diagnostics)

    def _block(self, module: Module, block: n.BlockDef) -> None:
        if self._add(module, block.name, block.name_span, f"defined at line {block.name_span.line}"):
            module.blocks[block.name] = Block(block, module.env)

    def _add(self, module: Module, name: str, span: Span, origin: str, home: str | None = None) -> bool:
        if name in module.origin:
            self.diagnostics.append(error("E103", f"`{name}` is defined twice (first {module.origin[name]})", span))
            return False
        module.origin[name] = origin
        module.home[name] = home or f"{_key(span.path)}:{span.line}:{span.col}"
        return True


def _resolve(spec_path: str, target: str) -> str:
    base = Path(spec_path).parent if spec_path not in ("-", "<stdin>") else Path.cwd()
    return str(base / target)


def _key(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path
