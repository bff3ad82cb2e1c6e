"""The model body expanded: blocks inlined, repeats unrolled, arguments bound to the layer
table, every layer named. Settings of the sections are evaluated (they may use `let`s)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ldnn_dsl.ast import nodes as n
from ldnn_dsl.check.recipe import home_section, moved
from ldnn_dsl.expand.bind import bind
from ldnn_dsl.expand.block_args import bind_params, no_call_after
from ldnn_dsl.expand.evaluate import FAILED, Env, evaluate, evaluate_arg
from ldnn_dsl.expand.graph import (
    CallSite,
    Gaps,
    LayerNode,
    ModelGraph,
    Node,
    ParallelNode,
    ResidualNode,
    call_notes,
    walk,
)
from ldnn_dsl.expand.modules import Loader, Module, language_words
from ldnn_dsl.expand.unresolved import uncalled_block, unresolved
from ldnn_dsl.layers.registry import LAYER_KINDS, layer_help
from ldnn_dsl.layers.values import Arg, Percentage, Word
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError, did_you_mean, error, warning
from ldnn_dsl.source.span import Span
from ldnn_dsl.source.text import SourceFile
from ldnn_dsl.syntax.parse import MAX_NESTING as PARSE_NESTING

MAX_LAYERS = 10_000
MAX_DEPTH = 100  # blocks calling blocks; expansion recurses once per level
# `residual` and `parallel` within each other across blocks, counted as the run folder's spec.ldnn
# writes them out flat (a `parallel` and its `branch`: two brackets), within the model's brackets
# and a layer's own: the limit the parser holds that file to, and each level a recursion downstream.
MAX_NESTING = PARSE_NESTING - 2
SECTIONS = ("init", "data", "train")


@dataclass(frozen=True)
class Setting:
    """One evaluated line of a section: `lr 0.1` -> head `lr`, args [0.1]."""

    head: str
    head_span: Span
    span: Span
    args: tuple[Arg, ...]


@dataclass
class Expanded:
    """What the checker consumes: the model graph, the sections' settings, the diagnostics so far."""

    path: str
    model: ModelGraph | None = None
    sections: dict[str, tuple[Span, list[Setting]]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    gaps: Gaps = field(default_factory=Gaps)
    unset: dict[str, set[str]] = field(default_factory=dict)  # by section: what lines in error may have set
    is_library: bool = False  # only `let`s, `block`s and `use`s: a file meant to be used
    unresolved: list[Span] = field(default_factory=list)  # words a failed `use` may have defined
    names: tuple[str, ...] = ()  # the `let`s in scope of the sections: what a mistyped word may have meant

    @property
    def failed(self) -> bool:
        """Whether expansion found an error (a warning, such as an empty `repeat`, is no failure)."""
        return any(d.severity == "error" for d in self.diagnostics)


def expand(source: SourceFile) -> Expanded:
    loader = Loader()
    module = loader.load_source(source)
    out = Expanded(source.path, sources=loader.sources, diagnostics=loader.diagnostics)
    if module is None:
        return out
    models = [item for item in module.spec.items if isinstance(item, n.ModelDef)]
    for extra in models[1:]:
        out.diagnostics.append(error("E103", f"a second model `{extra.name}`; a spec holds exactly one",
                                     extra.name_span))
    called: set[str] = set()
    if models:
        expander = Expander(module, out.diagnostics)
        out.model = expander.model(models[0])
        out.gaps = Gaps(frozenset(expander.gaps_before), frozenset(expander.gaps_after))
        called = expander.called
    if not module.incomplete:  # with a `use` lost, its names are unknown: `unresolved` covers that
        known = {*language_words(), *module.env.values}
        out.diagnostics += [d for item in module.spec.items if isinstance(item, n.BlockDef)
                            and item.name not in called for d in uncalled_block(item, known, set(module.blocks))]
    out.sections, out.unset = _sections(module, out.diagnostics)
    out.names = tuple(module.env.values)
    # Only `let`s, `block`s and `use`s: meant to be used. An empty file is no library: it lacks its model.
    out.is_library = not models and not out.sections and bool(module.spec.items)
    out.unresolved = [span for used in loader.done.values() if used is not None and used.incomplete
                      for span in unresolved(used.spec, {*language_words(), *used.env.values}, set(used.blocks))]
    return out


# The structure of a model, found at the top level of a file: where it goes instead.
INSIDE_A_MODEL = {"branch": "a `branch { }` goes inside `parallel concat { }` or `parallel add { }`, in a model",
                  **{word: f"`{word}` goes inside `model NAME {{ }}` or a `block`"
                     for word in ("repeat", "residual", "parallel")}}


def _sections(module: Module, diags: list[Diagnostic]) -> tuple[dict[str, tuple[Span, list[Setting]]],
                                                                 dict[str, set[str]]]:
    """The sections' evaluated settings by name, and by name the settings that lines which failed may have set."""
    found: dict[str, tuple[Span, list[Setting]]] = {}
    unset: dict[str, set[str]] = {}
    seen: set[str] = set()
    for item in module.spec.items:
        if not isinstance(item, n.Section):
            continue
        if item.name not in SECTIONS:
            diags.append(error("E105", f"unknown section `{item.name}`", item.name_span,
                               help=INSIDE_A_MODEL.get(item.name) or did_you_mean(item.name, SECTIONS)
                               or f"sections are {', '.join(SECTIONS)}"))
            continue
        if item.name in seen:
            diags.append(error("E103", f"a second `{item.name}` section; merge it into the first", item.name_span))
            continue
        seen.add(item.name)
        settings, unset[item.name] = _settings(item, module.env, diags)
        found[item.name] = (item.name_span, settings)
    return found, unset


def _settings(section: n.Section, env: Env, diags: list[Diagnostic]) -> tuple[list[Setting], set[str]]:
    """The section's lines evaluated; a line that cannot be is left out, its error reported, and
    its words returned: the settings it may have set (several share a line)."""
    settings: list[Setting] = []
    unset: set[str] = set()
    for stmt in section.settings:
        try:
            settings.append(Setting(stmt.head, stmt.head_span, stmt.span, _args(stmt, env)))
        except DiagnosticError as exc:
            diags.extend(exc.diagnostics)
            unset |= {stmt.head, *(item.name for item in stmt.items if isinstance(item, n.Name))}
    return settings, unset


def _args(stmt: n.Statement, env: Env) -> tuple[Arg, ...]:
    return tuple(evaluate_arg(a, env) for a in (*(stmt.call_args or ()), *stmt.items))


class Gap:
    """Stands in a stack, while it is expanded, for a statement that failed."""


GAP = Gap()
Item = Node | Gap


class Expander:
    """Walks one model body; names layers `kind_N` in order unless `name=` says otherwise."""

    def __init__(self, module: Module, diagnostics: list[Diagnostic]) -> None:
        self.module = module
        self.diags = diagnostics
        self.counts: Counter[str] = Counter()
        self.names: set[str] = set()
        self.named_at: dict[str, Span] = {}  # where each name given by the author is: the model's, `name=`s
        self.model_name: str | None = None
        self.active: list[CallSite] = []  # the block calls being expanded, outermost first
        self.called: set[str] = set()  # every block a call reached
        self.layers = 0
        self.nesting = 0  # the `residual`s and `parallel`s the statement being expanded is inside
        self.gaps_before: set[str] = set()
        self.gaps_after: set[str] = set()

    def model(self, model: n.ModelDef) -> ModelGraph | None:
        self.names.add(model.name)
        self.model_name, self.named_at[model.name] = model.name, model.name_span
        items = self.body(model.body, self.module.env)
        nodes = [item for item in items if not isinstance(item, Gap)]
        first = nodes[0] if nodes else None
        written = model.body[0] if model.body else None
        if isinstance(written, n.Statement) and written.head == "input" and not (
                isinstance(first, LayerNode) and first.layer.kind == "input"):
            return None  # the `input` line has errors of its own, already reported
        failed_first = bool(items) and isinstance(items[0], Gap)
        layer_first = isinstance(written, n.Statement) and written.head in LAYER_KINDS and written.call_args is None
        if failed_first and not layer_first:
            return None  # `inptu [4]`, or a block call that failed: it may have been meant to give the input
        if (failed_first and layer_first) or not (isinstance(first, LayerNode) and first.layer.kind == "input"):
            if failed_first and isinstance(written, n.Statement):  # at the line in error, a layer's
                where, notes = written.head_span, ()
            else:
                where, notes = (first.span, first.notes) if first is not None else (model.name_span, ())
            self.diags.append(error("E301", "a model starts with `input [SHAPE]`", where,
                                    help="e.g. `input [784]` or `input [32, 32, 3]`", notes=notes))
            return None
        body = self.closed(model.name, items[items.index(first) + 1:])
        for node in walk(body):
            if isinstance(node, LayerNode) and node.layer.kind == "input":
                self.diags.append(error("E307", "`input` can only be the first layer of a model", node.span,
                                        notes=node.notes))
                return None
        return ModelGraph(name=model.name, span=model.span, input=first, body=body)

    def closed(self, holder: str, items: list[Item]) -> tuple[Node, ...]:
        """A finished stack without its gaps, each remembered by the node after it, or by `holder`
        when the stack ends in one."""
        nodes: list[Node] = []
        gap = False
        for item in items:
            if isinstance(item, Gap):
                gap = True
                continue
            if gap:
                self.gaps_before.add(item.name)
                gap = False
            nodes.append(item)
        if gap:
            self.gaps_after.add(holder)
        return tuple(nodes)

    def body(self, stmts: tuple[n.LayerStmt, ...], env: Env) -> list[Item]:
        out: list[Item] = []
        for stmt in stmts:
            if self.layers > MAX_LAYERS:  # reported once, by `layer`
                break
            try:
                out.extend(self.statement(stmt, env))
            except DiagnosticError as exc:  # inside a block: say which call of it
                notes = call_notes(self.called_at())
                self.diags.extend(d if d.notes else d.model_copy(update={"notes": notes}) for d in exc.diagnostics)
                out.append(GAP)
        return out

    def statement(self, stmt: n.LayerStmt, env: Env) -> list[Item]:
        if isinstance(stmt, n.Repeat):
            return self.repeat(stmt, env)
        if isinstance(stmt, n.Residual | n.Parallel):
            return [self.nested(stmt, env)]
        if stmt.head in LAYER_KINDS:
            return self.layer(stmt, env)
        if stmt.head in self.module.blocks:
            return self.call(stmt, env)
        if stmt.head == "let":  # `let w = 4` in a model: refused, and its uses add nothing, as a refused let's
            env.values.update({item.key: FAILED for item in stmt.items[:1] if isinstance(item, n.Option)})
        raise DiagnosticError([error("E101", f"unknown layer kind or block `{stmt.head}`", stmt.head_span,
                                     help=self._unknown_help(stmt))])

    def _unknown_help(self, stmt: n.Statement) -> str:
        if stmt.call_args is not None:  # `conv_pool(64)` reads as a block call: `conv` is no help here
            return (did_you_mean(stmt.head, self.module.blocks)
                    or did_you_mean(stmt.head, LAYER_KINDS, prefixes=False)
                    or f"define it first: `block {stmt.head}(...) {{ ... }}`, or `use` the file that defines it")
        if stmt.head in ("let", "use"):
            return f"`{stmt.head}` goes at the top level of the file, outside `model {{ }}` and `block`s"
        if homes := home_section(stmt.head):  # `loss bce` inside the model
            return moved(stmt.head, homes, ", not a layer")
        return (layer_help(stmt.head) or did_you_mean(stmt.head, [*LAYER_KINDS, *self.module.blocks])
                or f"layer kinds are {', '.join(LAYER_KINDS)}")

    def layer(self, stmt: n.Statement, env: Env) -> list[Item]:
        self.layers += 1
        if self.layers > MAX_LAYERS:
            raise DiagnosticError([error("E004", f"the model expands to more than {MAX_LAYERS:,} layers", stmt.span)])
        cls = LAYER_KINDS[stmt.head]
        layer, spans, diags = bind(cls, _args(stmt, env), stmt.head_span, f"`{stmt.head}`",
                                   positional=cls.positional, words=cls.words, names=env.values,
                                   blocks={name: b.definition.params for name, b in self.module.blocks.items()})
        if layer is None:
            raise DiagnosticError(diags)
        name = layer.name or self.fresh(stmt.head)  # type: ignore[attr-defined]
        if layer.name is not None:  # type: ignore[attr-defined]
            if name in self.names:
                raise DiagnosticError([self._name_taken(name, spans["name"])])
            self.names.add(name)
            self.named_at[name] = spans["name"]
        return [LayerNode(name=name, span=stmt.span, called_at=self.called_at(), layer=layer, spans=spans)]

    def _name_taken(self, name: str, span: Span) -> Diagnostic:
        """A `name=` already taken: by the model (Keras names the model and its layers alike), by
        another layer, or by a layer this one is repeated from (`repeat` or a block called twice)."""
        first = self.named_at.get(name)
        if name == self.model_name:
            return error("E103", f"a layer named `{name}`, the model's own name", span,
                         help="the model and its layers need names of their own: choose another")
        if first is None:  # `dense_1`: ldnn's own name for an earlier layer without `name=`
            return error("E103", f"`{name}` is taken: ldnn gave it to an earlier layer without a `name=`", span,
                         help="layers without a `name=` are called KIND_N in order (`dense_1`, `dense_2`...): "
                              "choose another name")
        if first == span:  # the same statement, expanded again
            return error("E103", f"two layers named `{name}`: this one is repeated", span,
                         help="a layer in a `repeat` or in a block called more than once cannot have a fixed name")
        return error("E103", f"two layers named `{name}`", span,
                     help=f"the other is at {first.line_seen_from(span.path)}, column {first.col}")

    def called_at(self) -> tuple[CallSite, ...]:
        return tuple(reversed(self.active))

    def fresh(self, kind: str) -> str:
        while True:
            self.counts[kind] += 1
            name = f"{kind}_{self.counts[kind]}"
            if name not in self.names:
                self.names.add(name)
                return name

    def repeat(self, stmt: n.Repeat, env: Env) -> list[Item]:
        count = evaluate(stmt.count, env)
        if isinstance(count, Word) and count.name not in ("true", "false"):  # `repeat detph {`: a missing `let`
            raise DiagnosticError([error("E102", f"unknown name `{count.name}`: `repeat` needs a whole count",
                                         stmt.count.span, help=did_you_mean(count.name, env.values) or
                                         f"define it first (`let {count.name} = 3`), or write the count")])
        if isinstance(count, float) and count.is_integer() and not isinstance(count, Percentage):
            count = int(count)
        if not isinstance(count, int):  # `repeat "2"`, `repeat 3x3`, `repeat 2.5`, `repeat 50%`, `repeat true`
            from ldnn_dsl.fmt.values import value_text  # here: the `fmt` package imports the checker

            raise DiagnosticError([error("E201", f"`repeat` needs a whole count; got `{value_text(stmt.count)}`",
                                         stmt.count.span)])
        if not 1 <= count <= MAX_LAYERS:
            raise DiagnosticError([error("E202", f"`repeat` needs a whole count from 1 to {MAX_LAYERS:,}; got "
                                         f"{count}", stmt.count.span)])
        if not stmt.body:
            self.diags.append(warning("W118", f"this `repeat {count}` has an empty body: it adds nothing", stmt.span,
                                      help="put the layers to repeat inside it, or drop it",
                                      notes=call_notes(self.called_at())))
        out: list[Item] = []
        for i in range(count):
            before = len(self.diags)
            if i:  # a finding in the first repetition is in every one; a later one's is said to be there
                self.active.append(CallSite(span=stmt.span, repetition=(i + 1, count)))
            try:
                out.extend(self.body(stmt.body, env))
            finally:
                if i:
                    self.active.pop()
            if len(self.diags) > before:  # the same error N times helps nobody
                break
        return out

    def nested(self, stmt: n.Residual | n.Parallel, env: Env) -> ResidualNode | ParallelNode:
        brackets = 2 if isinstance(stmt, n.Parallel) else 1
        if self.nesting + brackets > MAX_NESTING:  # blocks nesting blocks: one file's brackets stop sooner
            raise DiagnosticError([error("E004", f"`residual` and `parallel` nest more than {MAX_NESTING} brackets "
                                         "deep here, written out as one model (a `parallel` and its `branch` "
                                         "count two)", stmt.span, help="flatten the blocks that nest them")])
        self.nesting += brackets
        try:
            return self.parallel(stmt, env) if isinstance(stmt, n.Parallel) else self.residual(stmt, env)
        finally:
            self.nesting -= brackets

    def residual(self, stmt: n.Residual, env: Env) -> ResidualNode:
        name = self.fresh("residual")
        return ResidualNode(name=name, span=stmt.span, called_at=self.called_at(),
                            body=self.closed(name, self.body(stmt.body, env)))

    def parallel(self, stmt: n.Parallel, env: Env) -> ParallelNode:
        if stmt.mode not in ("concat", "add"):
            raise DiagnosticError([error("E210", f"`parallel` joins by `concat` or `add`, not `{stmt.mode}`",
                                         stmt.mode_span, help=did_you_mean(stmt.mode, ["concat", "add"]))])
        if not stmt.branches:
            raise DiagnosticError([error("E206", "`parallel` needs at least one `branch { ... }`", stmt.span)])
        name = self.fresh("parallel")
        branches = tuple(self.closed(name, self.body(b.body, env)) for b in stmt.branches)
        return ParallelNode(name=name, span=stmt.span, called_at=self.called_at(), mode=stmt.mode,  # type: ignore[arg-type]
                            branches=branches)

    def call(self, stmt: n.Statement, env: Env) -> list[Item]:
        self.called.add(stmt.head)
        block = self.module.blocks[stmt.head]
        if block.failed:
            raise DiagnosticError([])  # its definition's error is already out; a call adds nothing
        params = block.definition.params
        if any(c.block == stmt.head for c in self.active):
            raise DiagnosticError([error("E108", f"block `{stmt.head}` calls itself", stmt.head_span,
                                         help="blocks are macros; use `repeat N { ... }` for repetition")])
        if sum(c.repetition is None for c in self.active) >= MAX_DEPTH:
            raise DiagnosticError([error("E004", f"blocks call blocks more than {MAX_DEPTH} levels deep",
                                         stmt.head_span, help="flatten the chain of blocks")])
        args = _args(stmt, env)
        no_call_after(stmt, args[len(stmt.call_args or ()):], self.module.blocks)
        bound = bind_params(stmt, params, args)
        self.active.append(CallSite(block=stmt.head, span=stmt.head_span))
        try:
            return self.body(block.definition.body, block.env.child(bound))
        finally:
            self.active.pop()
