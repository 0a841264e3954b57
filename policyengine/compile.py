"""Stage 4: compile a checked ruleset into Python functions, once.

Each item is a list of slots (inputs first, then every computed value). The
declarations are scheduled into *stages*: a stage is everything that can be
computed item by item; a ranking line (`top 10 by X within G`) needs X for all
items first, so the grade that uses it starts a new stage, and between stages
the evaluator ranks. Each stage becomes one generated Python function that loops
over the items with straight-line code — no AST walking per item. User text never
reaches the generated source: names become slot numbers and literals constants.

With `trace=True` the same generator also records which table row, grade line,
raise and supervision line applied; `explain` uses that, `eval` never pays for it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import runtime
from .check import (
    GROUP_RECORD,
    ITEM_RECORD,
    PREVIOUS_RECORD,
    Analysis,
    children,
    walk,
)
from .model import (
    Binary,
    Call,
    Comprehension,
    DecisionTable,
    Dimension,
    Expr,
    Grade,
    GradeScale,
    IfExpr,
    Input,
    Let,
    ListLiteral,
    Literal,
    Member,
    Name,
    Rollup,
    Ruleset,
    Sanction,
    Span,
    Supervision,
    Test,
    Unary,
    rollup_ruleset,
)

_MARKER = re.compile(r"L = [0-9]+")
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
# the only built-ins the stage functions call (generated code sees nothing else)
STAGE_BUILTINS = ("Exception", "enumerate", "len", "any", "all", "min", "max", "abs")


@dataclass(frozen=True)
class RankSpec:
    """Rank every item by the value in `key` (within groups of equal `group`)."""

    key: int
    group: int | None
    rank: int
    size: int
    descending: bool


@dataclass
class Stage:
    run: Callable[..., None]
    rankings: list[RankSpec]
    # values of every item that this stage reads through `items` (name, slot); None when
    # the stage does not read `items` at all (`len(items)` reads it, and no field)
    view: tuple[tuple[str, int], ...] | None = None
    # rollups (indices in CompiledRuleset.rollups) run before this stage: its rules read
    # their unit's values (`单位.指数`)
    rollups: list[int] = field(default_factory=list)
    # the code run on each item (`s`, its slot list), for validation to run on each row as
    # it lays it out (see evaluate.run); None when the stage needs more than the item and
    # the case header (a value computed once for every item), or records a trace
    per_item: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Marker:
    """What generated code was doing when it failed: shown in evaluation errors."""

    key: str
    span: Span
    what: str


@dataclass(frozen=True)
class GradeOut:
    scale: str
    slot: int
    levels: tuple[str, ...]
    colors: tuple[str | None, ...]
    rank_slot: int | None  # descending rank by the first ranking line, for the output


@dataclass(frozen=True)
class SupervisionOut:
    scale: str
    slot: int
    lines: tuple  # model SupervisionLine


@dataclass
class CompiledRollup:
    """A rollup compiled as a ruleset of its own: its rows are the groups, each holding the
    list of its items' slot lists at `members_slot`; `key_slot` is the item slot grouped by."""

    rollup: Rollup
    compiled: CompiledRuleset
    key_slot: int
    members_slot: int
    # the item slot that holds the item's unit row, when item rules read the unit's values
    unit_slot: int | None = None


@dataclass(frozen=True)
class _ItemLevel:
    """What a rollup's compiler needs of the items': their slots and grade scales."""

    slots: dict[str, int]
    scales: list[GradeScale]


@dataclass
class CompiledRuleset:
    ruleset: Ruleset
    analysis: Analysis
    slots: dict[str, int]
    size: int
    inputs: list[Input | Dimension]
    value_names: list[str]
    grades: list[GradeOut]
    supervisions: list[SupervisionOut]
    sanctions: list[Sanction]
    sanction_slot: int
    stages: list[Stage]
    markers: list[Marker]
    source: str
    trace_slot: int | None = None
    constants: dict[str, Any] = field(default_factory=dict)
    rollups: list[CompiledRollup] = field(default_factory=list)
    # in a traced rollup: its aggregates (comprehensions over the group's items), whose
    # counted items the trace records under ("agg", index)
    aggregates: list[Comprehension] = field(default_factory=list)
    # what the rules read of earlier results: the slots that evaluation fills by matching
    # item ids before the stages run (see previous.fill_earlier); empty when they read none
    earlier: EarlierSlots | None = None


@dataclass(frozen=True)
class EarlierSlots:
    """`new` and `history` at their slots; `previous.X` at `fields[X]`."""

    new: int
    history: int
    fields: dict[str, int]


def compile_ruleset(ruleset: Ruleset, analysis: Analysis, trace: bool = False) -> CompiledRuleset:
    return _compile(ruleset, analysis, trace, None)


def _compile(ruleset: Ruleset, analysis: Analysis, trace: bool, parent: _ItemLevel | None) -> CompiledRuleset:
    outer = _Compiler(ruleset, analysis, trace, parent)

    def rollups() -> list[CompiledRollup]:
        # a rollup's aggregates need every item of its group: it runs once the item values it
        # reads are known for all items (a stage boundary like ranking), as a compiled ruleset
        # over the groups; it is compiled once the items' slots are laid out, and before the
        # item stages that read its values are generated. A rollup inside a rollup groups
        # that rollup's units the same way.
        out = []
        for r in ruleset.rollups:
            unit = _compile(rollup_ruleset(ruleset, r), analysis.rollups[r.name], trace,
                            _ItemLevel(dict(outer.slots), list(ruleset.scales)))
            out.append(CompiledRollup(r, unit, outer.slots[r.by], unit.slots["\0members"],
                                      outer.slots.get(f"\0unit:{r.name}")))
        return out

    return outer.build(rollups)


# ---------------------------------------------------------------- scheduling


@dataclass
class _Node:
    key: str
    order: tuple[int, int]
    deps: set[str]
    barrier: set[str]
    decl: object = None
    rank_index: int = -1


class _Compiler:
    def __init__(self, ruleset: Ruleset, analysis: Analysis, trace: bool, parent: _ItemLevel | None = None):
        self.rs = ruleset
        self.an = analysis
        self.trace = trace
        self.parent = parent
        self.slots: dict[str, int] = {}
        self.hidden = 0
        self.consts: dict[str, Any] = {}
        self.const_keys: dict[tuple, str] = {}
        self.functions: list[str] = []
        self.markers: list[Marker] = []
        self.tables = {t.name: t for t in ruleset.tables}
        self.table_fn: dict[str, tuple[str, list[int]]] = {}
        # a rollup compares its items' levels (`i.风险等级 == 高风险`) as the items store them
        outer = parent.scales if parent is not None else []
        self.scales = {s.name: s for s in [*outer, *ruleset.scales]}
        self.fresh = 0
        self.aggregates: list[Comprehension] = []
        self.needed: set[int] = set()
        self.rank_slots: dict[tuple[str, int], tuple[int, int | None, int, int]] = {}
        self.rank_keys: dict[tuple[str, Expr | None, Expr | None], tuple[int, int | None]] = {}
        self.hoisting = True  # False inside a table function (see table_function)
        self.table_count = 0

    # -- slots
    def slot(self, key: str) -> int:
        if key not in self.slots:
            self.slots[key] = len(self.slots)
        return self.slots[key]

    def const(self, value: Any) -> str:
        key = (type(value).__name__, repr(value))
        name = self.const_keys.get(key)
        if name is None:
            name = f"K{len(self.const_keys)}"
            self.const_keys[key] = name
            self.consts[name] = value
        return name

    def var(self) -> str:
        self.fresh += 1
        return f"e{self.fresh}"

    def marker(self, key: str, span: Span, what: str) -> int:
        self.markers.append(Marker(key, span, what))
        return len(self.markers) - 1

    # -- build
    def build(self, rollups: Callable[[], list[CompiledRollup]] | None = None) -> CompiledRuleset:
        inputs: list[Input | Dimension] = []
        for decl in self.rs.declarations:
            if isinstance(decl, (Input, Dimension)):
                self.slot(decl.name)
                inputs.append(decl)
        if self.parent is not None:
            self.slot("\0members")
        self.rollups: list[CompiledRollup] = []
        nodes = self.nodes()
        order = self.schedule(nodes)
        for node in order:
            if node.key.startswith(("let:", "table:", "grade:")):
                self.slot(node.key.split(":", 1)[1])
        earlier = None
        if self.an.reads_earlier is not None:
            earlier = EarlierSlots(self.slot("\0new"), self.slot("\0history"),
                                   {n: self.slot(f"\0previous:{n}") for n in sorted(self.an.earlier_fields)})
        sanction_slot = self.slot("\0sanctions")
        trace_slot = self.slot("\0trace") if self.trace else None
        for node in order:
            if node.key.startswith("rollup:"):
                self.slot(f"\0unit:{node.key[7:]}")
        self.rollups = rollups() if rollups is not None else []
        # item rules compare their unit's levels (`单位.单位档次 == 较差`) as the units store them
        for cr in self.rollups:
            for scale in cr.compiled.ruleset.scales:
                self.scales.setdefault(scale.name, scale)
        grade_outs = []
        for g in self.rs.grades:
            scale = self.scales[g.scale]
            rank_slot = None
            first = next((i for i, r in enumerate(g.rules) if r.kind in ("top", "bottom")), None)
            if first is not None:
                rank_slot = self.slot(f"\0display-rank:{g.scale}")
            grade_outs.append(GradeOut(g.scale, self.slots[g.scale], tuple(lv.name for lv in scale.levels),
                                       tuple(lv.color for lv in scale.levels), rank_slot))
        stages_src: list[tuple[str, list[RankSpec], tuple[tuple[str, int], ...] | None]] = []
        per_item: list[tuple[str, ...] | None] = []
        by_stage: dict[int, list[_Node]] = {}
        for node in order:
            by_stage.setdefault(self.stage_of[node.key], []).append(node)
        names = [cr.rollup.name for cr in self.rollups]
        stage_rollups = [[names.index(n.key[7:]) for n in by_stage[number] if n.key.startswith("rollup:")]
                         for number in sorted(by_stage)]
        for number in sorted(by_stage):
            members = by_stage[number]
            rankings = self.rankings_for(members)
            src = self.stage_source(number, members)
            view = tuple((n, self.slots[n]) for n in sorted(self.view_fields)) if self.reads_items else None
            stages_src.append((src, rankings, view))
            per_item.append(self.item_lines if not (self.trace or self.hoisted or self.reads_items) else None)
        supervisions = [SupervisionOut(s.scale, self.slots[f"\0supervision:{s.scale}"], s.lines)
                        for s in self.rs.supervisions]
        source = "\n\n".join(self.functions + [src for src, _, _ in stages_src]) + "\n"
        namespace: dict[str, Any] = {k: getattr(runtime, k) for k in dir(runtime)
                                     if not k.startswith("_") and k != "load_generated"}
        namespace.update(self.consts)
        runtime.load_generated(source, "<policyengine:ruleset>", namespace, STAGE_BUILTINS)
        stages = [Stage(namespace[f"stage{i}"], rk, view, before, lines)
                  for i, (_, rk, view), before, lines in zip(sorted(by_stage), stages_src, stage_rollups, per_item,
                                                             strict=True)]
        value_names = [d.name for d in self.rs.declarations
                       if isinstance(d, Let) or (isinstance(d, DecisionTable) and d.name in self.an.bare_tables)]
        return CompiledRuleset(
            ruleset=self.rs, analysis=self.an, slots=dict(self.slots), size=len(self.slots),
            inputs=inputs, value_names=value_names, grades=grade_outs, supervisions=supervisions,
            sanctions=list(self.rs.sanctions), sanction_slot=sanction_slot, stages=stages,
            markers=self.markers, source=source, trace_slot=trace_slot, constants=self.consts,
            aggregates=self.aggregates, rollups=self.rollups, earlier=earlier,
        )

    def nodes(self) -> dict[str, _Node]:
        nodes: dict[str, _Node] = {}
        expand = self.expand_keys
        for index, decl in enumerate(self.rs.declarations):
            if isinstance(decl, Let):
                key = f"let:{decl.name}"
            elif isinstance(decl, DecisionTable):
                if decl.name not in self.an.bare_tables:
                    continue
                key = f"table:{decl.name}"
            elif isinstance(decl, Grade):
                key = f"grade:{decl.scale}"
                barrier: set[str] = set()
                for j, rule in enumerate(decl.rules):
                    if rule.kind in ("top", "bottom"):
                        rkey = f"rank:{decl.scale}:{j}"
                        deps = set()
                        for e in (rule.by, rule.within):
                            deps |= self.keys_in(e)
                        nodes[rkey] = _Node(rkey, (index, j), expand(deps), set(), decl, j)
                        barrier.add(rkey)
                deps = expand(self.an.deps.get(key, set()) - self.an.barriers.get(key, set()))
                barrier |= expand(self.an.barriers.get(key, set()))
                nodes[key] = _Node(key, (index, 10**6), deps | self.grade_same_item_deps(decl), barrier, decl)
                continue
            elif isinstance(decl, Supervision):
                key = f"supervision:{decl.scale}"
            elif isinstance(decl, Sanction):
                key = f"sanction:{decl.name}"
            elif isinstance(decl, Rollup):
                key = f"rollup:{decl.name}"
                if not any(key in deps for deps in self.an.deps.values()):
                    continue  # no item rule reads it: it runs after every item stage
                # it needs the item values it reads for every item: a barrier, like ranking
                nodes[key] = _Node(key, (index, 0), set(), expand(self.an.deps.get(key, set())), decl)
                continue
            else:
                continue
            # reading another item's value through `items` needs it for every item first
            barrier = expand(self.an.barriers.get(key, set()))
            nodes[key] = _Node(key, (index, 0), expand(self.an.deps.get(key, set())), barrier, decl)
        return nodes

    def grade_same_item_deps(self, g: Grade) -> set[str]:
        deps: set[str] = set()
        for rule in g.rules:
            if rule.kind == "condition":
                deps |= self.keys_in(rule.condition)
        for r in g.raises:
            deps |= self.keys_in(r.condition)
        if g.matrix is not None:
            for axis in (g.matrix.row_input, g.matrix.column_input):
                sym = self.an.symbols.get(axis)
                if sym is not None and sym.kind in ("let", "table", "grade"):
                    deps.add(f"{sym.kind}:{axis}")
        return self.expand_keys(deps)

    def keys_in(self, e: Expr | None) -> set[str]:
        keys: set[str] = set()
        for node in walk(e):
            name = node.name if isinstance(node, Name) else node.function if isinstance(node, Call) else None
            if name is None:
                continue
            sym = self.an.symbols.get(name)
            if sym is not None and sym.kind in ("let", "table", "grade"):
                keys.add(f"{sym.kind}:{name}")
        return keys

    def expand_keys(self, keys: set[str]) -> set[str]:
        """Tables that are only called have no node: depend on what their cells read."""
        out: set[str] = set()
        stack = list(keys)
        seen: set[str] = set()
        while stack:
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            if k.startswith("table:") and k[6:] not in self.an.bare_tables:
                stack.extend(self.an.deps.get(k, set()))
            else:
                out.add(k)
        return out

    def schedule(self, nodes: dict[str, _Node]) -> list[_Node]:
        indegree = {k: 0 for k in nodes}
        users: dict[str, list[str]] = {k: [] for k in nodes}
        for node in nodes.values():
            for d in node.deps | node.barrier:
                if d in nodes and d != node.key:
                    indegree[node.key] += 1
                    users[d].append(node.key)
        heap = [(n.order, k) for k, n in nodes.items() if indegree[k] == 0]
        heapq.heapify(heap)
        order: list[_Node] = []
        self.stage_of: dict[str, int] = {}
        while heap:
            _, key = heapq.heappop(heap)
            node = nodes[key]
            stage = 0
            for d in node.deps:
                if d in self.stage_of:
                    stage = max(stage, self.stage_of[d])
            for d in node.barrier:
                if d in self.stage_of:
                    stage = max(stage, self.stage_of[d] + 1)
            self.stage_of[key] = stage
            order.append(node)
            for u in users[key]:
                indegree[u] -= 1
                if indegree[u] == 0:
                    heapq.heappush(heap, (nodes[u].order, u))
        if len(order) != len(nodes):  # pragma: no cover - check() reports cycles first
            raise runtime.RuleFailure("PE105", "dependency cycle")
        position = {n.key: i for i, n in enumerate(order)}
        order.sort(key=lambda n: (self.stage_of[n.key], position[n.key]))
        return order

    def rankings_for(self, members: list[_Node]) -> list[RankSpec]:
        specs = []
        for node in members:
            if not node.key.startswith("grade:"):
                continue
            g = node.decl
            assert isinstance(g, Grade)
            first = True
            for j, rule in enumerate(g.rules):
                if rule.kind not in ("top", "bottom"):
                    continue
                key_slot, group_slot, rank_slot, size_slot = self.rank_slots[(g.scale, j)]
                specs.append(RankSpec(key_slot, group_slot, rank_slot, size_slot, rule.kind == "top"))
                if first:
                    # the published rank: 1 = highest value, by the block's first ranking line
                    display = self.slots[f"\0display-rank:{g.scale}"]
                    specs.append(RankSpec(key_slot, group_slot, display, self.slot("\0scratch"), True))
                    first = False
        return specs

    # -- stage functions
    def stage_source(self, number: int, members: list[_Node]) -> str:
        self.needed = set()
        self.view_fields: set[str] = set()
        self.reads_items = False
        self.hoisted: list[str] = []
        produced: set[int] = set()
        body: list[str] = []
        for node in members:
            body.extend(self.node_source(node, produced))
        loads = [f"v{i} = s[{i}]" for i in sorted(self.needed - produced)]
        lines = [f"def stage{number}(items, C, I=None):", "    L = 0", "    s = None", "    try:"]
        lines += ["        " + x for x in self.hoisted]
        lines.append("        for s in items:")
        if self.trace:
            lines.append(f"            TR = s[{self.slots[chr(0) + 'trace']}]")
        lines += ["            " + x for x in loads]
        lines += ["            " + x for x in body]
        # without the markers: a row that fails there is run again by this function (see
        # case.validate), whose markers say where
        self.item_lines = tuple(x for x in loads + body if not _MARKER.fullmatch(x))
        if not loads and not body:
            lines.append("            pass")
        lines += ["    except Exception as exc:", "        raise StageFailure(L, s, exc) from exc"]
        return "\n".join(lines)

    def use(self, slot: int) -> str:
        self.needed.add(slot)
        return f"v{slot}"

    def node_source(self, node: _Node, produced: set[int]) -> list[str]:
        key = node.key
        decl = node.decl
        out: list[str] = []
        if key.startswith("let:"):
            assert isinstance(decl, Let)
            slot = self.slots[decl.name]
            m = self.marker(key, decl.span, f"let {decl.name}")
            out += [f"L = {m}", f"s[{slot}] = v{slot} = {self.ex(decl.expr, {})}"]
            produced.add(slot)
        elif key.startswith("table:"):
            assert isinstance(decl, DecisionTable)
            slot = self.slots[decl.name]
            m = self.marker(key, decl.span, f"table {decl.name}")
            fn, free = self.table_function(decl)
            args = [self.ex(h, {}) for h in decl.inputs] + [self.use(f) for f in free]
            args += ["C", "I"]
            call = self.inline_table(decl, args[:len(decl.inputs)]) or f"{fn}({', '.join(args)})"
            if self.trace:
                heads = "".join(f"{a}, " for a in args[:len(decl.inputs)])
                call = f"{fn}(TR, L, *A{''.join(f', {a}' for a in args[len(decl.inputs):])})"
                out += [f"L = {m}", f"TR[{self.const('args:' + decl.name)}] = A = ({heads})",
                        f"TR[{self.const(key)}], v{slot} = {call}", f"s[{slot}] = v{slot}"]
            else:
                out += [f"L = {m}", f"s[{slot}] = v{slot} = {call}"]
            produced.add(slot)
        elif key.startswith("rank:"):
            assert isinstance(decl, Grade)
            rule = decl.rules[node.rank_index]
            m = self.marker(key, rule.span, f"grade {decl.scale}, ranking line")
            # `top 10 by X within G` and `bottom 10 by X within G` rank the same values: the
            # second line reuses the first's key and group slots, so they are computed once
            # and the evaluator sorts once (explain still finds them under each line's name)
            same = (decl.scale, rule.by, rule.within)
            shared = self.rank_keys.get(same)
            if shared is None:
                key_slot = self.slot(f"\0rank-key:{decl.scale}:{node.rank_index}")
                group_slot = self.slot(f"\0rank-group:{decl.scale}:{node.rank_index}") if rule.within else None
                self.rank_keys[same] = (key_slot, group_slot)
            else:
                key_slot, group_slot = shared
                self.slots[f"\0rank-key:{decl.scale}:{node.rank_index}"] = key_slot
                if group_slot is not None:
                    self.slots[f"\0rank-group:{decl.scale}:{node.rank_index}"] = group_slot
            rank_slot = self.slot(f"\0rank:{decl.scale}:{node.rank_index}")
            size_slot = self.slot(f"\0rank-size:{decl.scale}:{node.rank_index}")
            self.rank_slots[(decl.scale, node.rank_index)] = (key_slot, group_slot, rank_slot, size_slot)
            out.append(f"L = {m}")
            if shared is None:
                out.append(f"s[{key_slot}] = {self.ex(rule.by, {})}")
                if rule.within is not None:
                    out.append(f"s[{group_slot}] = {self.ex(rule.within, {})}")
        elif key.startswith("grade:"):
            assert isinstance(decl, Grade)
            out += self.grade_source(decl)
            produced.add(self.slots[decl.scale])
        elif key.startswith("supervision:"):
            assert isinstance(decl, Supervision)
            out += self.supervision_source(decl)
        elif key.startswith("sanction:"):
            assert isinstance(decl, Sanction)
            out += self.sanction_source(decl)
        # "rollup:": no code in the stage; the evaluator runs the rollup before the stage
        return out

    # -- grades
    def level_index(self, scale: str, level: str) -> int:
        return self.scales[scale].index(level)

    def grade_source(self, g: Grade) -> list[str]:
        slot = self.slots[g.scale]
        m = self.marker(f"grade:{g.scale}", g.span, f"grade {g.scale}")
        out = [f"L = {m}"]
        if g.matrix is not None:
            mx = g.matrix
            row_key = self.label_key(mx.row_input)
            col_key = self.label_key(mx.column_input)
            cells = {}
            for label, row in mx.rows:
                for col, level in zip(mx.columns, row, strict=True):
                    cells[(row_key(label.value), col_key(col.value))] = self.level_index(g.scale, level)
            table = self.const(cells)
            a = self.name_ref(mx.row_input)
            b = self.name_ref(mx.column_input)
            out += [f"g = {table}.get(({a}, {b}))", "if g is None:",
                    f"    no_cell({self.const(g.scale)}, {a}, {b})"]
            if self.trace:
                out.append(f"TR[{self.const('line:' + g.scale)}] = {self.const('matrix')}")
        else:
            # a flat run of `if`s guarded by "not decided yet" rather than an elif chain:
            # Python's compiler recurses on elif, and a grade may have thousands of lines
            out.append("g = -1")
            for j, rule in enumerate(g.rules):
                level = self.level_index(g.scale, rule.level)
                if rule.kind == "otherwise":
                    cond = "True"
                elif rule.kind == "condition":
                    cond = self.ex(rule.condition, {})
                else:
                    _, _, rank_slot, size_slot = self.rank_slots[(g.scale, j)]
                    if rule.percent:
                        cond = f"s[{rank_slot}] * 100 <= {self.const(rule.count)} * s[{size_slot}]"
                    else:
                        cond = f"s[{rank_slot}] <= {int(rule.count)}"
                out.append(f"if {cond}:" if j == 0 else f"if g < 0 and ({cond}):")
                out.append(f"    g = {level}")
                if self.trace:
                    out.append(f"    TR[{self.const('line:' + g.scale)}] = {j}")
                if rule.kind == "otherwise":
                    break
            if all(r.kind != "otherwise" for r in g.rules):
                out += ["if g < 0:", f"    no_grade({self.const(g.scale)})"]
        if self.trace:
            out.append(f"TR[{self.const('base:' + g.scale)}] = g")
            out.append(f"TR[{self.const('raises:' + g.scale)}] = []")
        for j, r in enumerate(g.raises):
            out.append(f"if {self.ex(r.condition, {})}:")
            if r.to_level is not None:
                to = self.level_index(g.scale, r.to_level)
                out.append(f"    g = {to} if g > {to} else g")
            else:
                steps = int(r.steps)
                out.append(f"    g = g - {steps} if g > {steps} else 0")
            if self.trace:
                out.append(f"    TR[{self.const('raises:' + g.scale)}].append({j})")
        out.append(f"s[{slot}] = v{slot} = g")
        return out

    def label_key(self, axis: str) -> Callable[[Any], Any]:
        """Matrix labels of a grade axis are level names; at run time levels are indices."""
        t = self.an.value_types.get(axis)
        if t is not None and t.kind == "level" and t.scale:
            scale = t.scale
            return lambda label: self.level_index(scale, str(label))
        return lambda label: label

    def name_ref(self, name: str) -> str:
        return self.use(self.slots[name])

    def supervision_source(self, s: Supervision) -> list[str]:
        slot = self.slot(f"\0supervision:{s.scale}")
        m = self.marker(f"supervision:{s.scale}", s.span, f"supervision {s.scale}")
        g = self.name_ref(s.scale)
        out = [f"L = {m}", "sv = -1"]
        for j, line in enumerate(s.lines):
            conds = [] if j == 0 else ["sv < 0"]
            if line.level is not None:
                conds.append(f"{g} == {self.level_index(s.scale, line.level)}")
            if line.when is not None:
                conds.append(f"({self.ex(line.when, {})})")
            cond = " and ".join(conds) or "True"
            out += [f"if {cond}:", f"    sv = {j}"]
        out.append(f"s[{slot}] = sv")
        return out

    def sanction_source(self, s: Sanction) -> list[str]:
        index = self.rs.sanctions.index(s)
        m = self.marker(f"sanction:{s.name}", s.span, f"sanction {s.name}")
        fired = f"s[{self.slots[chr(0) + 'sanctions']}]"
        out = [f"L = {m}"]
        if s.source is not None:
            var = self.var()
            scope = {s.var: var}
            fine = self.ex(s.fine, scope) if s.fine is not None else "None"
            conds = [self.ex(x, scope) for x in (s.where, s.when) if x is not None]
            source = self.ex(s.source, {})
            loop = [f"for i, {var} in enumerate({source}):"]
            if conds:
                loop.append(f"    if {' and '.join(f'({c})' for c in conds)}:")
                loop.append(f"        {fired} = fire({fired}, ({index}, {fine}, i))")
            else:
                loop.append(f"    {fired} = fire({fired}, ({index}, {fine}, i))")
            if isinstance(s.source, Name) and any(
                    isinstance(d, Input) and d.name == s.source.name and d.type.kind == "list"
                    for d in self.rs.declarations):
                # most items list no incidents: looping over an empty list costs ten times
                # the test (an enumerate object made and ended per item). Only a list input
                # is tested, which validation makes a list (or the empty default), never None
                loop = [f"if {source}:", *("    " + line for line in loop)]
            out += loop
        else:
            fine = self.ex(s.fine, {}) if s.fine is not None else "None"
            cond = self.ex(s.when, {}) if s.when is not None else "True"
            out += [f"if {cond}:", f"    {fired} = fire({fired}, ({index}, {fine}, None))"]
        return out

    # -- tables
    def table_function(self, t: DecisionTable) -> tuple[str, list[int]]:
        if t.name in self.table_fn:
            return self.table_fn[t.name]
        # numbered before the body is generated: a cell may call another table, generated first
        self.table_count += 1
        fn = f"T{self.table_count - 1}"
        # the cells may read any value of the item (`v…`, found while generating), the case
        # (`C`) and every item (`I`); a comprehension over `items` is not hoisted out of
        # the stage's loop here, since the table function cannot see the stage's locals
        saved = self.needed, self.hoisting
        self.needed, self.hoisting = set(), False
        lines: list[str] = []
        conds = []
        for row in t.rows:
            parts = [self.test(test, f"a{i}") for i, test in enumerate(row.tests)]
            parts = [p for p in parts if p != "True"]
            conds.append(" and ".join(f"({p})" for p in parts) if parts else "True")

        def value(row_index: int) -> str:
            row = t.rows[row_index]
            if len(row.outputs) == 1:
                return self.ex(row.outputs[0], {})
            return "{" + ", ".join(f"{self.const(n)}: {self.ex(o, {})}" for n, o in
                                   zip(t.outputs, row.outputs, strict=True)) + "}"

        def ret(row_index: int, val: str) -> str:
            return f"return ({row_index}, {val})" if self.trace else f"return {val}"

        args = ", ".join(f"a{i}" for i in range(len(t.inputs)))
        lookup = None if self.trace else self.lookup(t)
        if lookup is not None:
            # a row per value (or list of values) of one input, constant outputs: one dict
            # lookup instead of testing the rows one by one
            mapping, otherwise = lookup
            lines.append(f"    r = {self.const(mapping)}.get(a0)")
            lines += ["    if r is not None:", "        return r"]
            lines.append(f"    return {self.const(otherwise)}" if otherwise is not None
                         else f"    no_row({self.const(t.name)}, {args})")
        elif t.hit == "first":
            for i, cond in enumerate(conds):
                lines += [f"    if {cond}:", f"        {ret(i, value(i))}"]
            lines.append(f"    no_row({self.const(t.name)}, {args})")
        elif t.hit in ("unique", "any"):
            lines.append("    hit = -1")
            for i, cond in enumerate(conds):
                lines.append(f"    if {cond}:")
                if t.hit == "unique":
                    lines += ["        if hit >= 0:",
                              f"            overlap({self.const(t.name)}, hit + 1, {i + 1})",
                              f"        hit = {i}"]
                else:
                    lines += ["        if hit >= 0:",
                              f"            if out != {value(i)}:",
                              f"                disagree({self.const(t.name)}, hit + 1, {i + 1})",
                              "        else:",
                              f"            hit = {i}",
                              f"            out = {value(i)}"]
            if t.hit == "any":
                lines += ["    if hit < 0:", f"        no_row({self.const(t.name)}, {args})",
                          f"    {ret('hit', 'out') if self.trace else 'return out'}"]
            else:
                lines += ["    if hit < 0:", f"        no_row({self.const(t.name)}, {args})"]
                for i in range(len(t.rows)):
                    lines += [f"    if hit == {i}:", f"        {ret(i, value(i))}"]
        else:  # collect
            agg = t.aggregate
            lines.append("    found = []")
            if self.trace:
                lines.append("    hits = []")
            for i, cond in enumerate(conds):
                lines += [f"    if {cond}:", f"        found.append({value(i) if agg != 'count' else i})"]
                if self.trace:
                    lines.append(f"        hits.append({i})")
            if agg == "count":
                result = "num(len(found))"
            elif agg == "sum":
                result = "total(found)"
            else:
                lines += ["    if not found:", f"        no_row({self.const(t.name)}, {args})"]
                result = f"{'smallest' if agg == 'min' else 'largest'}(found)"
            lines.append(f"    {ret('hits', result)}")
        free = sorted(self.needed)
        self.needed, self.hoisting = saved
        params = (["TR", "L"] if self.trace else []) + [f"a{i}" for i in range(len(t.inputs))] \
            + [f"v{i}" for i in free] + ["C", "I"]
        self.functions.append("\n".join([f"def {fn}({', '.join(params)}):", *lines]))
        self.table_fn[t.name] = (fn, free)
        return fn, free

    def inline_table(self, t: DecisionTable, args: list[str]) -> str | None:
        """A small table of one input, literal tests and outputs, and a last `-` row, as an
        expression in the caller's code instead of a call: a value table as one dict lookup
        with its default, a first-hit table as a chain of conditional expressions (the
        argument must be a local, read once per row tested). The function stays for trace
        mode, whose rows explain shows. None when the table is not of that shape."""
        if self.trace or len(t.inputs) != 1 or len(t.outputs) != 1 or len(t.rows) > 16:
            return None
        lookup = self.lookup(t)
        if lookup is not None:
            mapping, otherwise = lookup
            if otherwise is None:
                return None
            return f"{self.const(mapping)}.get({args[0]}, {self.const(otherwise)})"
        if t.hit != "first" or not re.fullmatch(r"v[0-9]+", args[0]) or t.rows[-1].tests[0].kind != "any":
            return None
        chain: list[str] = []
        for row in t.rows:
            test, out = row.tests[0], row.outputs[0]
            if not (isinstance(out, Literal) and out.value is not None and not isinstance(out.value, bool)
                    and all(isinstance(v, Literal) for v in test.values)):
                return None
            if test.kind == "any":  # the first `-` row is the default: the rows after it never apply
                return f"({''.join(chain)}{self.const(out.value)})"
            chain.append(f"{self.const(out.value)} if {self.test(test, args[0])} else ")
        return None  # pragma: no cover - the last row is a `-` row

    @staticmethod
    def lookup(t: DecisionTable) -> tuple[dict[Any, Any], Any] | None:
        """For a first-hit table of one input whose rows test literal values (`x` or
        `in [..]`) and give one literal output, up to an optional `-` row: the value of
        each literal (the first row naming it wins) and the `-` row's value."""
        if t.hit != "first" or len(t.inputs) != 1 or len(t.outputs) != 1:
            return None
        mapping: dict[Any, Any] = {}
        for row in t.rows:
            test, out = row.tests[0], row.outputs[0]
            if not isinstance(out, Literal) or out.value is None:
                return None
            if test.kind == "any":
                return mapping, out.value
            if test.kind not in ("equal", "in") or not all(
                    isinstance(v, Literal) and isinstance(v.value, (str, Decimal)) for v in test.values):
                return None
            for v in test.values:
                mapping.setdefault(v.value, out.value)  # type: ignore[union-attr]
        return mapping, None

    def test(self, test: Test, arg: str) -> str:
        if test.kind == "any":
            return "True"
        vals = [self.ex(v, {}) for v in test.values]
        if test.kind == "equal":
            return f"{arg} == {vals[0]}"
        if test.kind == "compare":
            return self.compare(test.op, arg, vals[0], self.is_level_test(test))
        if test.kind == "range":
            lo_op = "<=" if test.low_closed else "<"
            hi_op = "<=" if test.high_closed else "<"
            return f"{vals[0]} {lo_op} {arg} {hi_op} {vals[1]}"
        container = self.container(list(test.values))
        return f"{arg} {'in' if test.kind == 'in' else 'not in'} {container}"

    def is_level_test(self, test: Test) -> bool:
        return any(self.an.type_of(v).kind == "level" for v in test.values)

    def container(self, items: list[Expr]) -> str:
        if all(isinstance(i, Literal) for i in items):
            return self.const(frozenset(i.value for i in items))  # type: ignore[union-attr]
        if all(self.is_level_name(i) for i in items):
            return self.const(frozenset(self.level_value(i) for i in items))  # type: ignore[arg-type]
        return "(" + "".join(f"{self.ex(i, {})}, " for i in items) + ")"

    def is_level_name(self, e: Expr) -> bool:
        return isinstance(e, Name) and id(e) in self.an.level_scale and e.name not in self.an.symbols

    def level_value(self, e: Name) -> int:
        return self.level_index(self.an.level_scale[id(e)], e.name)

    @staticmethod
    def compare(op: str, a: str, b: str, levels: bool) -> str:
        if op not in _COMPARISONS:  # operators come from the grammar; anything else is a bug
            raise AssertionError(f"unknown comparison {op!r}")
        if levels:
            # levels are stored as indices, most severe = 0: ">= 二级" means index <= 二级's
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        return f"{a} {op} {b}"

    # -- expressions
    def ex(self, e: Expr, scope: dict[str, str]) -> str:
        if isinstance(e, Literal):
            v = e.value
            if isinstance(v, bool):
                return "True" if v else "False"
            return self.const(v)
        if isinstance(e, ListLiteral):
            return "[" + ", ".join(self.ex(i, scope) for i in e.items) + "]"
        if isinstance(e, Name):
            if e.name in scope:
                return scope[e.name]
            sym = self.an.symbols.get(e.name)
            if sym is not None:
                return self.use(self.slot(e.name))
            if id(e) in self.an.level_scale:
                return str(self.level_value(e))
            if e.name == "case":
                return "C"
            if e.name in ("new", "history"):
                return self.use(self.slots[f"\0{e.name}"])
            if e.name == "items":
                if self.parent is not None:
                    return self.use(self.slots["\0members"])
                self.reads_items = True
                return "I"
            if e.name == "units" and self.parent is not None:
                self.reads_items = True
                return "I"
            raise AssertionError(f"unresolved name {e.name}")  # pragma: no cover
        if isinstance(e, Member):
            if self.an.type_of(e.target) == PREVIOUS_RECORD:
                return f"prior({self.use(self.slots[chr(0) + 'previous:' + e.name])}, {self.const(e.name)})"
            unit = self.unit_read(e, scope)
            if unit is not None:
                return unit
            if self.an.type_of(e.target) == ITEM_RECORD:
                self.view_fields.add(e.name)
            if self.parent is not None and self.an.type_of(e.target) == GROUP_RECORD:
                return f"{self.ex(e.target, scope)}[{self.parent.slots[e.name]}]"
            return f"{self.ex(e.target, scope)}[{self.const(e.name)}]"
        if isinstance(e, Unary):
            if e.op == "-":
                return f"(-{self.ex(e.operand, scope)})"
            return f"(not {self.ex(e.operand, scope)})"
        if isinstance(e, Binary):
            left, right = self.ex(e.left, scope), self.ex(e.right, scope)
            if e.op in ("+", "-", "*", "/", "and", "or"):
                return f"({left} {e.op} {right})"
            if e.op in ("in", "not in"):
                if isinstance(e.right, ListLiteral):
                    right = self.container(list(e.right.items))
                return f"({left} {e.op} {right})"
            levels = self.an.type_of(e.left).kind == "level" or self.an.type_of(e.right).kind == "level"
            return f"({self.compare(e.op, left, right, levels)})"
        if isinstance(e, IfExpr):
            return f"({self.ex(e.then, scope)} if {self.ex(e.condition, scope)} else {self.ex(e.otherwise, scope)})"
        if isinstance(e, Call):
            return self.call(e, scope)
        if isinstance(e, Comprehension):
            return self.comprehension(e, scope)
        raise AssertionError(f"unknown node {e!r}")  # pragma: no cover

    def unit_read(self, e: Member, scope: dict[str, str]) -> str | None:
        """`单位.指数` in an item's rule: the slot of the item's unit row, then the value's."""
        if not (isinstance(e.target, Name) and e.target.name not in scope and e.target.name not in self.an.symbols):
            return None
        cr = next((c for c in self.rollups if c.rollup.name == e.target.name), None)
        if cr is None or cr.unit_slot is None:
            return None
        return f"{self.use(cr.unit_slot)}[{cr.compiled.slots[e.name]}]"

    def call(self, e: Call, scope: dict[str, str]) -> str:
        fn = e.function
        if fn in self.tables and fn not in scope:
            name, free = self.table_function(self.tables[fn])
            args = [self.ex(a, scope) for a in e.args]
            frees = [self.use(f) for f in free] + ["C", "I"]
            if self.trace:
                return (f"traced_call(TR, L, {self.const(fn)}, {name}, ({''.join(a + ', ' for a in args)}), "
                        f"({''.join(f + ', ' for f in frees)}))")
            return self.inline_table(self.tables[fn], args) or f"{name}({', '.join(args + frees)})"
        if fn in ("sum", "weighted") and isinstance(e.args[0], Name) and e.args[0].name == "dimensions":
            parts = []
            for d in self.rs.dimensions:
                ref = self.use(self.slot(d.name))
                if fn == "weighted" and d.weight != 1:
                    ref = f"{ref} * {self.const(d.weight)}"
                parts.append(ref)
            return "(" + " + ".join(parts) + ")"
        args = [self.ex(a, scope) for a in e.args]
        if fn == "round":
            if len(e.args) == 1:
                return f"rnd({args[0]}, ONE)"
            digits = e.args[1]
            if isinstance(digits, Literal) and isinstance(digits.value, Decimal):
                # as rnd does it, without the call
                return f"({args[0]}).quantize({self.const(runtime.ONE.scaleb(-int(digits.value)))}, ROUND_HALF_UP)"
            return f"rnd({args[0]}, quantum({args[1]}))"
        simple = {"floor": "floor", "ceil": "ceil", "abs": "abs", "sum": "total", "days": "days"}
        if fn in simple:
            return f"{simple[fn]}({', '.join(args)})"
        if fn == "len":
            return f"num(len({args[0]}))"
        if fn in ("year", "month"):
            return f"num({args[0]}.{fn})"
        if fn == "mean":
            return f"average({args[0]})"
        if fn in ("min", "max"):
            if len(args) == 1:
                return f"{'smallest' if fn == 'min' else 'largest'}({args[0]})"
            return f"{fn}({', '.join(args)})"
        raise AssertionError(f"unknown function {fn}")  # pragma: no cover

    def comprehension(self, e: Comprehension, scope: dict[str, str]) -> str:
        code = self._comprehension(e, scope)
        if self.hoisting and self.same_for_every_item(e, scope):
            # e.g. mean(i.人均成本 for i in items): computed once per stage, not once per item
            name = f"h{len(self.hoisted)}"
            self.hoisted.append(f"{name} = {code}")
            return name
        return code

    def same_for_every_item(self, e: Comprehension, scope: dict[str, str]) -> bool:
        # every item (`items`), or in a rollup every unit (`units`; its `items` differ by group)
        every = "units" if self.parent is not None else "items"
        if not (isinstance(e.source, Name) and e.source.name == every and every not in scope):
            return False
        for part in (e.element, e.where):
            for node in walk(part):
                if isinstance(node, Name) and node.name != e.var and (
                        node.name in scope or node.name in self.an.symbols):
                    return False
                if isinstance(node, Call) and node.function in self.tables:
                    return False
        return True

    def _comprehension(self, e: Comprehension, scope: dict[str, str]) -> str:
        var = self.var()
        inner = {**scope, e.var: var}
        source = self.ex(e.source, scope)
        if (self.trace and self.parent is not None and isinstance(e.source, Name) and e.source.name == "items"
                and "items" not in scope):
            return self._counted(e, var, inner, source)
        where = f" if {self.ex(e.where, inner)}" if e.where is not None else ""
        if e.function == "count":
            return f"num(len([0 for {var} in {source}{where}]))"
        if e.function == "share":
            flag = self.ex(e.where, inner) if e.where is not None else "True"
            return f"share([{flag} for {var} in {source}])"
        if e.function in ("any", "all") and e.element is None:
            cond = self.ex(e.where, inner) if e.where is not None else "True"
            return f"{e.function}({cond} for {var} in {source})"
        return self._of_elements(e, inner, f"for {var} in {source}{where}")

    def _counted(self, e: Comprehension, var: str, inner: dict[str, str], group: str) -> str:
        """A rollup's aggregate in trace mode: the group's items that its `where` (or, for
        count/share/any/all without an element, its condition) lets through are recorded,
        so explain can list the items an aggregate counted."""
        self.aggregates.append(e)
        k = len(self.aggregates) - 1
        where = f" if {self.ex(e.where, inner)}" if e.where is not None else ""
        kept = f"counted(TR, {k}, [{var} for {var} in {group}{where}])"
        fn = e.function
        if fn == "count":
            return f"num(len({kept}))"
        if fn == "share":
            return f"share_of({kept}, {group})"
        if fn in ("any", "all") and e.element is None:
            return f"(len({kept}) > 0)" if fn == "any" else f"(len({kept}) == len({group}))"
        return self._of_elements(e, inner, f"for {var} in {kept}")

    def _of_elements(self, e: Comprehension, inner: dict[str, str], loop: str) -> str:
        """An aggregate of an element expression (any/all with an element, sum, mean, min,
        max) over `loop`, the comprehension's `for … in … [if …]`: the items it takes,
        whether filtered here or (trace mode) recorded by `counted` first."""
        element = self.ex(e.element, inner)  # type: ignore[arg-type]
        fn = e.function
        if fn in ("any", "all"):
            return f"{fn}({element} {loop})"
        if fn == "sum":
            return f"total({element} {loop})"
        if fn == "mean":
            return f"average([{element} {loop}])"
        return f"{'smallest' if fn == 'min' else 'largest'}([{element} {loop}])"


_LOAD = re.compile(r"v([0-9]+) = s\[([0-9]+)\]")
_STORE = re.compile(r"s\[([0-9]+)\] = (?:v([0-9]+) = )?")
_SLOT = re.compile(r"\bs\[([0-9]+)\]")


def fused_form(lines: tuple[str, ...], inputs: set[int], sanction_slot: int, size: int,
               ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A first stage's per-item lines as code that holds the item in locals instead of its
    slot list (for validation's fused loop, case.validate._filler): the input values are the
    locals `v<slot>` validation binds, a value the stage writes is a local (`v<slot>`, or
    `w<slot>` for what only the row keeps: a ranking key, a supervision line, the sanctions
    fired), and the row is laid out from them afterwards. Returns the lines and what each
    slot of the row holds; None when the lines read a slot that is neither an input nor
    written before at the top level (then the stage runs as its own loop)."""
    out = [f"w{sanction_slot} = ()"]
    row = ["None"] * size
    for slot in inputs:
        row[slot] = f"v{slot}"
    row[sanction_slot] = f"w{sanction_slot}"
    held = set(inputs) | {sanction_slot}
    for line in lines:
        load = _LOAD.fullmatch(line)
        if load is not None:
            if load[1] != load[2] or int(load[1]) not in inputs:
                return None
            continue  # validation has bound it already
        store = _STORE.match(line)
        if store is not None:
            slot = int(store[1])
            name = f"v{slot}" if store[2] == store[1] else f"w{slot}"
            if store[2] is not None and store[2] != store[1]:
                return None
            line = f"{name} = {line[store.end():]}"
        elif not line.startswith(" ") and line.startswith("s["):
            return None
        for read in _SLOT.finditer(line):
            if int(read[1]) not in held:
                return None
        line = _SLOT.sub(lambda m: row[int(m[1])], line)
        if _SLOT.search(line) or re.search(r"\bs\b", line):
            return None  # the slot list itself is read
        if store is not None:
            held.add(slot)
            row[slot] = name
        out.append(line)
    return tuple(out), tuple(row)


__all__ = ["CompiledRuleset", "children", "compile_ruleset"]
