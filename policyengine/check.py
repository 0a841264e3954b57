"""Stage 3: check a resolved ruleset — names, types, cycles, and lint.

`analyse(ruleset)` returns an `Analysis`: the symbol table, the type of every
expression, which scale each level name refers to, the dependency graph the
compiler schedules from, and the diagnostics. Errors (`severity == "error"`)
mean the ruleset cannot be evaluated; warnings are lint (`check --strict`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from .errors import CheckError, Diagnostic, did_you_mean
from .i18n import N_, _
from .model import (
    Binary,
    Call,
    Comprehension,
    DecisionTable,
    Dimension,
    Expr,
    Grade,
    GradeRule,
    GradeScale,
    IfExpr,
    Input,
    Let,
    ListLiteral,
    Literal,
    Member,
    Name,
    Rollup,
    Row,
    Ruleset,
    Sanction,
    Span,
    Supervision,
    Test,
    TypeSpec,
    Unary,
    all_rollups,
    rollup_ruleset,
)

# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class Type:
    """A static type: number, text, bool, date, level (of `scale`), list, record, any."""

    kind: str
    scale: str | None = None
    fields: tuple[tuple[str, Type], ...] = ()
    element: Type | None = None

    def __str__(self) -> str:
        """The type as messages show it, in the interface's language."""
        if self.kind == "level":
            return _("level of {scale}", scale=self.scale) if self.scale else _("level")
        if self.kind == "list":
            return _("list of {element}", element=self.element) if self.element else _("list")
        if self.kind == "record":
            return _("record {{{fields}}}", fields=", ".join(f"{n}: {t}" for n, t in self.fields))
        return _(TYPE_NAMES[self.kind]) if self.kind in TYPE_NAMES else self.kind

    def field(self, name: str) -> Type | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None


# the simple types' names as messages show them
TYPE_NAMES = {"number": N_("number"), "text": N_("text"), "bool": N_("bool"), "date": N_("date"), "any": N_("any")}

NUMBER = Type("number")
TEXT = Type("text")
BOOL = Type("bool")
DATE = Type("date")
ANY = Type("any")
CASE = Type("record", fields=(("period", ANY), ("year", NUMBER), ("unit", TEXT), ("title", TEXT)))


def type_of_spec(spec: TypeSpec) -> Type:
    if spec.kind in ("number", "integer", "range"):
        return NUMBER
    if spec.kind in ("text", "enum"):
        return TEXT
    if spec.kind == "bool":
        return BOOL
    if spec.kind == "date":
        return DATE
    if spec.kind == "list":
        record = Type("record", fields=tuple((f.name, type_of_spec(f.type)) for f in spec.fields))
        return Type("list", element=record)
    return ANY  # pragma: no cover


def _compatible(a: Type, b: Type) -> bool:
    if a.kind == "any" or b.kind == "any":
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "level":
        return a.scale is None or b.scale is None or a.scale == b.scale
    return True


def _unify(a: Type, b: Type) -> Type:
    if a.kind == "any":
        return b
    if b.kind == "any":
        return a
    if a.kind == "level" and a.scale is None:
        return b
    return a


# ---------------------------------------------------------------- symbols


@dataclass(frozen=True, slots=True)
class Symbol:
    kind: str  # input, dimension, let, table, grade, level
    name: str
    decl: object
    span: Span


BUILTINS = {
    # name: (min args, max args)
    "round": (1, 2), "floor": (1, 1), "ceil": (1, 1), "abs": (1, 1),
    "min": (1, 99), "max": (1, 99), "sum": (1, 1), "weighted": (1, 1), "len": (1, 1),
    "year": (1, 1), "month": (1, 1), "days": (2, 2), "count": (1, 1), "any": (1, 1),
    "all": (1, 1), "mean": (1, 1), "share": (1, 1),
}
SPECIAL_NAMES = ("case", "dimensions", "items")
# `items`: every item of the case, as records (for averages and counts across the case)
ITEM_RECORD = Type("record", scale="\0items")
ITEMS = Type("list", element=ITEM_RECORD)
# inside a rollup, `items` is the group's items: `i.X` reads any value or grade of an item
GROUP_RECORD = Type("record", scale="\0group")
GROUP = Type("list", element=GROUP_RECORD)
# `previous`: the item's values and grades in the latest earlier result (`eval --previous`);
# `history`: one such record per earlier result that lists the item, oldest first; `new`:
# the latest earlier result does not list the item. Names of the language only where the
# ruleset declares nothing of that name, so rulesets that already use them keep working.
PREVIOUS_RECORD = Type("record", scale="\0previous")
HISTORY_RECORD = Type("record", scale="\0history")
HISTORY = Type("list", element=HISTORY_RECORD)
PERIOD_NAMES = ("previous", "history", "new")


@dataclass
class Analysis:
    ruleset: Ruleset
    symbols: dict[str, Symbol]
    types: dict[int, Type] = field(default_factory=dict)
    # id(Name node) -> scale, for every name that denotes a level constant
    level_scale: dict[int, str] = field(default_factory=dict)
    # node key ("let:X", "table:X", "grade:S") -> keys it reads on the same item
    deps: dict[str, set[str]] = field(default_factory=dict)
    # grade key -> keys whose values across *all* items its ranking lines need
    barriers: dict[str, set[str]] = field(default_factory=dict)
    # inputs/dimensions read anywhere
    used: set[str] = field(default_factory=set)
    # tables used by bare name (their header expressions are evaluated on the item)
    bare_tables: set[str] = field(default_factory=set)
    # the type of every let, table, input and grade by name
    value_types: dict[str, Type] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # rollup name -> the analysis of its declarations (read against the items' values)
    rollups: dict[str, Analysis] = field(default_factory=dict)
    # the item-level analysis, in the analysis of a rollup
    parent: Analysis | None = None
    # values and grades read from earlier results (`previous.X`, `h.X` for h in history),
    # and where the ruleset first reads an earlier result (`previous`, `history`, `new`)
    earlier_fields: set[str] = field(default_factory=set)
    reads_earlier: Span | None = None
    # whether the rules read `history` (else matching earlier items builds no record per item)
    reads_history: bool = False

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def type_of(self, expr: Expr) -> Type:
        return self.types.get(id(expr), ANY)


def analyse(ruleset: Ruleset) -> Analysis:
    return _Checker(ruleset).run()


def check(ruleset: Ruleset) -> Analysis:
    """Analyse and raise `CheckError` on any error; warnings stay in the analysis."""
    analysis = analyse(ruleset)
    if analysis.errors:
        raise CheckError(analysis.errors)
    return analysis


# ---------------------------------------------------------------- the checker


# What other languages (and Chinese) write for a grade's catch-all line
OTHERWISE_WORDS = frozenset({"else", "default", "否则", "其他", "其它", "其余"})


class _Checker:
    def __init__(self, ruleset: Ruleset, parent: _Checker | None = None):
        self.rs = ruleset
        self.parent = parent
        self.symbols: dict[str, Symbol] = {}
        self.scales: dict[str, GradeScale] = {s.name: s for s in ruleset.scales}
        self.level_names: dict[str, list[str]] = {}
        self.an = Analysis(ruleset, self.symbols, parent=parent.an if parent else None)
        self.decl_types: dict[str, Type] = {}
        self.in_progress: set[str] = set()
        self.current: str | None = None  # node key whose expressions are being checked
        self.rollups_in_progress: set[str] = set()

    # -- diagnostics
    def error(self, code: str, message: str, span: Span | None, **kw: object) -> None:
        self.an.diagnostics.append(Diagnostic.at(code, message, span, **kw))

    def warn(self, code: str, message: str, span: Span | None) -> None:
        self.an.diagnostics.append(Diagnostic.at(code, message, span, severity="warning"))

    # -- driver
    def run(self) -> Analysis:
        self.declare()
        for rm in self.rs.removes:
            # resolution consumes the removes of a file that extends another; one left here
            # sits in a file without a parent, where it would silently do nothing
            self.error("PE109", _("remove {kind} '{name}': this ruleset has no 'extends' "
                                  "parent to remove it from",
                                  kind=rm.kind, name=rm.name), rm.span)
        bare = self.bare_table_uses()
        self.an.bare_tables = bare
        for decl in self.rs.declarations:
            if isinstance(decl, Input) and decl.default is not None:
                self.check_default(decl.default, decl.type, decl.span)
            if isinstance(decl, Input) and decl.type.kind == "list":
                for f in decl.type.fields:
                    if f.default is not None:
                        self.check_default(f.default, f.type, f.span)
            elif isinstance(decl, Let):
                self.type_of_name(decl.name)
            elif isinstance(decl, DecisionTable):
                self.type_of_name(decl.name)
            elif isinstance(decl, Grade):
                self.check_grade(decl)
            elif isinstance(decl, Supervision):
                self.check_supervision(decl)
            elif isinstance(decl, Sanction):
                self.check_sanction(decl)
        if self.rs.summary is not None:
            self.check_summary()
        for rollup in self.rs.rollups:
            self.check_rollup(rollup)
        if self.parent is None:
            self.check_rollup_names()
        self.find_cycles()
        self.lint_unused()
        self.an.value_types = dict(self.decl_types)
        self.an.diagnostics.sort(key=lambda d: (d.severity != "error", d.file or "", d.line, d.column))
        return self.an

    def declare(self) -> None:
        # a rollup's conditions name the items' levels too (`i.风险等级 == 高风险`), and item
        # rules the units' (`单位.单位档次 == 较差`)
        outer = self.parent.rs.scales if self.parent is not None else []
        inner = [d for r in self.rs.rollups for d in r.declarations if isinstance(d, GradeScale)]
        for scale in [*self.rs.scales, *outer, *inner]:
            for lv in scale.levels:
                self.level_names.setdefault(lv.name, []).append(scale.name)
        for decl in self.rs.declarations:
            kind = {Input: "input", Dimension: "dimension", Let: "let", DecisionTable: "table",
                    Grade: "grade"}.get(type(decl))
            if kind is None:
                continue
            name = decl.scale if isinstance(decl, Grade) else decl.name  # type: ignore[attr-defined]
            special = (*SPECIAL_NAMES, "units") if self.parent is not None else SPECIAL_NAMES
            # a table named `round` would make `round(x)` mean two things
            if name in special or name in BUILTINS:
                self.error("PE102", _("'{name}' is a built-in name; choose another", name=name), decl.span)
            prior = self.symbols.get(name)
            if prior is not None:
                self.error("PE102", _("'{name}' is declared as both {kind} (line {line}) and "
                                      "{kind2}",
                                      name=name, kind=prior.kind, line=prior.span.line, kind2=kind), decl.span)
                continue
            if name in self.level_names and kind != "grade":
                self.error("PE102", _("'{name}' is both a level and a {kind}", name=name, kind=kind), decl.span)
            self.symbols[name] = Symbol(kind, name, decl, decl.span)
        for grade in self.rs.grades:
            if grade.scale not in self.scales:
                self.error("PE110", _("grade '{scale}' has no 'levels {scale} […]' declaration",
                                      scale=grade.scale) + did_you_mean(grade.scale, self.scales), grade.span)

    def bare_table_uses(self) -> set[str]:
        """Tables evaluated by name on each item (their value is published with the item's
        values): those used by name, and those used nowhere whose header reads the item."""
        tables = {t.name for t in self.rs.tables}
        bare: set[str] = set()
        called: set[str] = set()
        for expr in self.all_expressions():
            for node in walk(expr):
                if isinstance(node, Name) and node.name in tables:
                    bare.add(node.name)
                elif isinstance(node, Call) and node.function in tables:
                    called.add(node.function)
        # names that are not expressions but still read each item's value: summary lines
        # (`sum T`) and matrix axes
        named = [n for line in (self.rs.summary.lines if self.rs.summary else ()) for n in line.names]
        named += [a for g in self.rs.grades if g.matrix for a in (g.matrix.row_input, g.matrix.column_input)]
        bare.update(n for n in named if n in tables)
        for t in self.rs.tables:
            if t.name in bare or t.name in called:
                continue
            # A table nobody names or calls is still part of the method: a policy officer who
            # declares `table 处置 { | 风险 || 措施 | … }` expects each item's 措施 in the result.
            # Its header can only be evaluated when it reads the item's own names.
            names = {n.name for h in t.inputs for n in walk(h) if isinstance(n, Name)}
            if names and all(n in self.symbols or n in SPECIAL_NAMES for n in names):
                bare.add(t.name)
            else:
                self.warn("PE201", _("table '{name}' is never used (named or called)", name=t.name), t.span)
        return bare

    def all_expressions(self) -> Iterator[Expr]:
        for decl in self.rs.declarations:
            yield from declaration_expressions(decl, header=False)

    # -- names and their types (memoised; cycles are reported by find_cycles)
    def type_of_name(self, name: str) -> Type:
        if name in self.decl_types:
            return self.decl_types[name]
        sym = self.symbols.get(name)
        if sym is None:
            return ANY
        if name in self.in_progress:
            return ANY
        self.in_progress.add(name)
        saved = self.current
        try:
            t = self.compute_decl_type(sym)
        finally:
            self.current = saved
            self.in_progress.discard(name)
        self.decl_types[name] = t
        return t

    def compute_decl_type(self, sym: Symbol) -> Type:
        decl = sym.decl
        if isinstance(decl, Input):
            return type_of_spec(decl.type)
        if isinstance(decl, Dimension):
            return NUMBER
        if isinstance(decl, Let):
            self.current = f"let:{decl.name}"
            self.an.deps.setdefault(self.current, set())
            return self.expr(decl.expr, {})
        if isinstance(decl, DecisionTable):
            self.current = f"table:{decl.name}"
            self.an.deps.setdefault(self.current, set())
            return self.check_table(decl)
        if isinstance(decl, Grade):
            return Type("level", scale=decl.scale)
        return ANY

    def reference(self, node: Name, scope: dict[str, Type]) -> Type:
        name = node.name
        if name in scope:
            return scope[name]
        sym = self.symbols.get(name)
        if sym is not None:
            if sym.kind in ("input", "dimension"):
                self.an.used.add(name)
                return self.type_of_name(name)
            key = f"{sym.kind}:{name}"
            if self.current is not None:
                self.an.deps.setdefault(self.current, set()).add(key)
            return self.type_of_name(name)
        if name in self.level_names:
            scales = self.level_names[name]
            if len(scales) == 1:
                self.an.level_scale[id(node)] = scales[0]
                return Type("level", scale=scales[0])
            return Type("level", scale=None)
        if name == "case":
            return CASE
        if name in PERIOD_NAMES:
            return self.period_name(node)
        if name == "items":
            return GROUP if self.parent is not None else ITEMS
        if name == "units" and self.parent is not None:
            # every unit of this rollup, as `items` is every item at the item level
            return ITEMS
        if name == "dimensions":
            self.error("PE104", _("'dimensions' is only meaningful in sum(dimensions) or "
                                  "weighted(dimensions)"), node.span)
            return ANY
        rollup = self.rollup_named(name)
        if rollup is not None:
            self.check_rollup(rollup)  # (once) to name one of its values in the message
            if self.parent is None:
                message = _("'{name}' is a rollup: an item reads its unit's values as "
                            "{name}.NAME (e.g. {name}.{value})", name=name, value=self.some_unit_value(name))
            else:  # a rollup nested in this one, whose units group this rollup's units
                message = _("'{name}' is a rollup: a unit of {subject} reads the values of the "
                            "{name} it belongs to as {name}.NAME (e.g. {name}.{value})",
                            name=name, subject=self.rs.subject, value=self.some_unit_value(name))
            self.error("PE131", message, node.span)
            return ANY
        candidates = [*self.symbols, *self.level_names, *scope, "case", "items", *PERIOD_NAMES,
                      *(["units"] if self.parent is not None else [])]
        if name in OTHERWISE_WORDS:
            hint = _(" (to cover every other case, write 'otherwise')")
        else:
            # `otherwise` is a keyword, not a name: offered too, for `otherwize -> 低`
            hint = (self.text_hint(name, node.span) or self.level_hint(name)
                    or did_you_mean(name, [*candidates, "otherwise"]))
        self.error("PE101", _("unknown name '{name}'", name=name) + hint, node.span)
        return ANY

    def period_name(self, node: Name, member: bool = False) -> Type:
        """`previous`, `history` or `new`: what earlier results say of this item (in a rollup's
        rules, of this unit, matched by its id in the earlier results' rollup of that name)."""
        if self.an.reads_earlier is None:
            self.an.reads_earlier = node.span
        if node.name == "previous":
            if not member:
                self.error("PE160", _("'previous' is read one value at a time: previous.NAME, e.g. "
                                      "previous.{name}", name=self.some_value()), node.span)
                return ANY
            return PREVIOUS_RECORD
        if node.name == "history":
            self.an.reads_history = True
            return HISTORY
        return BOOL

    def some_value(self) -> str:
        return next((n for n, v in self.symbols.items() if v.kind in ("let", "grade")), "NAME")

    def earlier_field(self, e: Member) -> Type:
        """`previous.X` or `h.X`: X as an earlier result recorded it, so X is a value (a let or
        a table) or a grade of this ruleset, and has the type it has now."""
        sym = self.value_symbol(self.symbols, e, _("earlier results have no value '{name}'", name=e.name))
        if sym is None:
            return ANY
        if sym.kind in ("input", "dimension"):
            self.error("PE160", (_("'{name}' is an input: a result records the values and grades the rules computed, "
                                   "not the case's inputs (read a let that copies it, e.g. let {name}2 = {name})",
                                   name=e.name) if sym.kind == "input" else
                                 _("'{name}' is a dimension: a result records the values and grades the rules "
                                   "computed, not the case's inputs (read a let that copies it, e.g. let {name}2 = "
                                   "{name})", name=e.name)), e.span)
            return ANY
        if sym.kind == "table":
            self.an.bare_tables.add(e.name)  # recorded with the item's values, so published now too
        self.an.earlier_fields.add(e.name)
        return self.type_of_name(e.name)

    def level_hint(self, name: str) -> str:
        """A name of the other level: an item value inside a rollup, a unit value outside."""
        if self.parent is not None and name in self.parent.symbols:
            return _(" ('{name}' is a value of each {subject}: in rollup '{rollup}' read it through the group's "
                     "items, e.g. sum(i.{name} for i in items))", name=name, subject=self.parent.rs.subject,
                     rollup=self.rs.subject)
        for r in self.rs.rollups:
            # read from the declarations: the rollup may not be checked yet
            values = {d.scale if isinstance(d, Grade) else getattr(d, "name", None) for d in r.declarations
                      if isinstance(d, (Input, Dimension, Let, DecisionTable, Grade))}
            if name in values:
                if self.parent is None:
                    return _(" ('{name}' is a value of rollup '{rollup}': an item reads its unit's as "
                             "{rollup}.{name})", name=name, rollup=r.name)
                return _(" ('{name}' is a value of rollup '{rollup}': a unit of {subject} reads its unit's as "
                         "{rollup}.{name})", name=name, rollup=r.name, subject=self.rs.subject)
        return ""

    def rollup_named(self, name: str) -> Rollup | None:
        """The rollup declared at this level named `name` (inside a rollup: one nested in
        it, whose units group this rollup's units), unless a value of this level has that name."""
        if name in self.symbols:
            return None
        return next((r for r in self.rs.rollups if r.name == name), None)

    def some_unit_value(self, name: str) -> str:
        child = self.an.rollups.get(name)
        values = [n for n, v in child.symbols.items() if v.kind != "level"] if child else []
        return values[0] if values else "NAME"

    def unit_field(self, e: Member, r: Rollup) -> Type:
        """`单位.指数` in an item's rule: the value of the item's unit. The rollup must run
        before this rule, so the rule depends on the rollup (a cycle when the rollup reads
        this rule's value from its items)."""
        child = self.check_rollup(r)
        if self.current is not None:
            self.an.deps.setdefault(self.current, set()).add(f"rollup:{r.name}")
        if child is None:  # being checked: a cycle, reported by find_cycles
            return ANY
        sym = self.value_symbol(child.symbols, e, _("rollup '{rollup}' has no value '{name}'", rollup=r.name,
                                                    name=e.name))
        if sym is None:
            return ANY
        if sym.kind in ("input", "dimension"):
            child.used.add(e.name)
        return child.value_types.get(e.name, ANY)

    def text_hint(self, name: str, span: Span | None) -> str:
        """When an unknown name is a value of a `one of` input, the author meant that text
        (`财务` for `"财务"`, easy to write in a YAML table row): say how to write it."""
        quoted = f'"{name}"'
        if span is not None and (span.file or "").endswith((".yaml", ".yml")):
            quoted = f"'{quoted}'"  # the quotes must survive YAML's own
        for sym in self.symbols.values():
            decl = sym.decl
            if isinstance(decl, Input):
                specs = [(decl.name, decl.type)] + [(f"{decl.name}.{f.name}", f.type) for f in decl.type.fields]
                for owner, spec in specs:
                    if spec.kind == "enum" and name in spec.values:
                        return _(" ('{name}' is one of the values of {owner}: as text it is written in double "
                                 "quotes, {quoted})", name=name, owner=owner, quoted=quoted)
        return ""

    # -- expressions
    def expr(self, e: Expr, scope: dict[str, Type]) -> Type:
        t = self._expr(e, scope)
        self.an.types[id(e)] = t
        return t

    def expect(self, e: Expr, want: Type, scope: dict[str, Type], what: str) -> Type:
        t = self.expr(e, scope)
        if not _compatible(t, want):
            self.error("PE104", _("{what} must be {want}, not {t}", what=what, want=want, t=t), e.span)
        return t

    def _expr(self, e: Expr, scope: dict[str, Type]) -> Type:
        if isinstance(e, Literal):
            v = e.value
            if isinstance(v, bool):
                return BOOL
            if isinstance(v, Decimal):
                return NUMBER
            if isinstance(v, str):
                return TEXT
            return DATE
        if isinstance(e, ListLiteral):
            element = ANY
            for item in e.items:
                t = self.expr(item, scope)
                if not _compatible(element, t):
                    self.error("PE104", _("list mixes {element} and {t}", element=element, t=t), item.span)
                element = _unify(element, t)
            return Type("list", element=element)
        if isinstance(e, Name):
            return self.reference(e, scope)
        if isinstance(e, Member):
            return self.member(e, scope)
        if isinstance(e, Unary):
            if e.op == "-":
                return self.expect(e.operand, NUMBER, scope, _("the operand of '-'"))
            self.expect(e.operand, BOOL, scope, _("the operand of 'not'"))
            return BOOL
        if isinstance(e, Binary):
            return self.binary(e, scope)
        if isinstance(e, IfExpr):
            self.expect(e.condition, BOOL, scope, _("an 'if' condition"))
            a = self.expr(e.then, scope)
            b = self.expr(e.otherwise, scope)
            if not _compatible(a, b):
                self.error("PE104", _("'then' gives {a} but 'else' gives {b}", a=a, b=b), e.span)
            if a.kind == "level" and b.kind == "level":
                self.pin_level(e.then, b.scale)
                self.pin_level(e.otherwise, a.scale)
            return _unify(a, b)
        if isinstance(e, Call):
            return self.call(e, scope)
        if isinstance(e, Comprehension):
            return self.comprehension(e, scope)
        raise AssertionError(f"unknown node {e!r}")  # pragma: no cover

    def member(self, e: Member, scope: dict[str, Type]) -> Type:
        if (isinstance(e.target, Name) and e.target.name == "previous" and "previous" not in scope
                and "previous" not in self.symbols):
            record = self.an.types[id(e.target)] = self.period_name(e.target, member=True)
            return ANY if record == ANY else self.earlier_field(e)
        if isinstance(e.target, Name) and e.target.name not in scope:
            rollup = self.rollup_named(e.target.name)
            if rollup is not None:
                return self.unit_field(e, rollup)
        target = self.expr(e.target, scope)
        if target.kind == "any":
            return ANY
        if target is ITEM_RECORD or target == ITEM_RECORD:
            return self.item_field(e)
        if target == PREVIOUS_RECORD or target == HISTORY_RECORD:
            return self.earlier_field(e)
        if target == GROUP_RECORD and self.parent is not None:
            return self.group_field(e)
        if target.kind != "record":
            self.error("PE104", _("'.{name}' needs a record, but this is {target}",
                                  name=e.name, target=target), e.span)
            return ANY
        t = target.field(e.name)
        if t is None:
            names = [n for n, _type in target.fields]
            self.error("PE101", _("no field '{name}'", name=e.name) + did_you_mean(e.name, names)
                       + _(" (fields: {value})", value=', '.join(names)), e.span)
            return ANY
        return t

    def item_field(self, e: Member) -> Type:
        """`i.X` for `i` in `items`: X of another item, so X must be known for every item
        first — a barrier, like ranking (the compiler puts this node in a later stage)."""
        sym = self.value_symbol(self.symbols, e, _("items have no value '{name}'", name=e.name))
        if sym is None:
            return ANY
        if sym.kind in ("input", "dimension"):
            self.an.used.add(e.name)
        elif self.current is not None:
            key = f"{sym.kind}:{e.name}"
            self.an.barriers.setdefault(self.current, set()).add(key)
            self.an.deps.setdefault(self.current, set()).add(key)
        return self.type_of_name(e.name)

    def value_symbol(self, symbols: dict[str, Symbol], e: Member, unknown: str) -> Symbol | None:
        """The value or grade `.NAME` names among another subject's `symbols` (other items,
        the group's items, the item's unit), or None after a PE101 (`unknown`, whole) with a
        did-you-mean."""
        sym = symbols.get(e.name)
        if sym is None or sym.kind == "level":
            self.error("PE101", unknown
                       + did_you_mean(e.name, [n for n, v in symbols.items() if v.kind != "level"]), e.span)
            return None
        return sym

    def group_field(self, e: Member) -> Type:
        """`i.X` for `i` in a rollup's `items`: any value or grade of an item, known once
        every item is evaluated (the rollup runs after the items)."""
        outer = self.parent
        assert outer is not None
        sym = self.value_symbol(outer.symbols, e, _("the items ({subject}) have no value '{name}'",
                                                    subject=outer.rs.subject, name=e.name))
        if sym is None:
            return ANY
        if sym.kind in ("input", "dimension"):
            outer.an.used.add(e.name)
        else:
            if sym.kind == "table":
                outer.an.bare_tables.add(e.name)
            # the rollup needs this value of every item: it runs after it (compile.py)
            outer.an.deps.setdefault(f"rollup:{self.rs.subject}", set()).add(f"{sym.kind}:{e.name}")
        return outer.type_of_name(e.name)

    def check_rollup(self, r: Rollup) -> Analysis | None:
        """A rollup is checked as a ruleset of its own whose `items` are the group's items.
        Once: item rules that read its values check it first; None while it is being
        checked (an item value it reads reads it back: a cycle)."""
        if r.name in self.an.rollups:
            return self.an.rollups[r.name]
        if r.name in self.rollups_in_progress:
            return None
        self.rollups_in_progress.add(r.name)
        saved, self.current = self.current, f"rollup:{r.name}"
        self.an.deps.setdefault(self.current, set())
        key = self.symbols.get(r.by)
        if key is None or key.kind == "level":
            self.error("PE101", _("rollup '{name}' by '{by}': the items have no value '{by}'",
                                  name=r.name, by=r.by)
                       + did_you_mean(r.by, [n for n, v in self.symbols.items() if v.kind != "level"]), r.span)
        else:
            if key.kind in ("input", "dimension"):
                self.an.used.add(r.by)
            t = self.type_of_name(r.by)
            if t.kind not in ("text", "any"):
                self.error("PE130", _("rollup '{name}' groups the items by '{by}', which is "
                                      "{t}: a rollup's key is text (a unit's or a person's "
                                      "name)",
                                      name=r.name, by=r.by, t=t), r.span)
            if key.kind in ("let", "table", "grade"):
                self.an.deps[f"rollup:{r.name}"].add(f"{key.kind}:{r.by}")
        if r.name in self.symbols or r.name in SPECIAL_NAMES or r.name in self.level_names:
            self.error("PE102", _("'{name}' names both a rollup and another declaration or "
                                  "built-in name", name=r.name), r.span)
        child = _Checker(rollup_ruleset(self.rs, r), parent=self).run()
        self.an.diagnostics.extend(child.diagnostics)
        self.an.rollups[r.name] = child
        self.rollups_in_progress.discard(r.name)
        self.current = saved
        return child

    def check_rollup_names(self) -> None:
        """Results, `units:` sections and `--unit` name rollups alone: one name, one rollup,
        nested ones included."""
        seen: dict[str, Rollup] = {}
        for r in all_rollups(self.rs.declarations):
            first = seen.setdefault(r.name, r)
            if first is not r:
                self.error("PE102", _("rollup '{name}' is declared twice (first at line "
                                      "{line}); a rollup inside another one needs a name of "
                                      "its own",
                                      name=r.name, line=first.span.line), r.span)

    def pin_level(self, e: Expr, scale: str | None) -> None:
        """Resolve a level name that several scales share, from the other operand."""
        if scale is None:
            return
        if isinstance(e, Name) and e.name in self.level_names and id(e) not in self.an.level_scale:
            if scale in self.level_names[e.name]:
                self.an.level_scale[id(e)] = scale
                self.an.types[id(e)] = Type("level", scale=scale)
            else:
                self.error("PE103", _("'{name}' is not a level of {scale}",
                                      name=e.name, scale=scale), e.span)

    def binary(self, e: Binary, scope: dict[str, Type]) -> Type:
        op = e.op
        if op in ("and", "or"):
            self.expect(e.left, BOOL, scope, _("the left side of '{op}'", op=op))
            self.expect(e.right, BOOL, scope, _("the right side of '{op}'", op=op))
            return BOOL
        if op in ("+", "-", "*", "/"):
            self.expect(e.left, NUMBER, scope, _("the left side of '{op}'", op=op))
            self.expect(e.right, NUMBER, scope, _("the right side of '{op}'", op=op))
            return NUMBER
        if op in ("in", "not in"):
            left = self.expr(e.left, scope)
            right = self.expr(e.right, scope)
            if right.kind not in ("list", "any"):
                self.error("PE104", _("'{op}' needs a list on its right, not {right}",
                                      op=op, right=right), e.right.span)
            elif right.element is not None and not _compatible(left, right.element):
                self.error("PE104", _("cannot look for {left} in a list of {element}",
                                      left=left, element=right.element), e.span)
            if left.kind == "level" and isinstance(e.right, ListLiteral):
                for item in e.right.items:
                    self.pin_level(item, left.scale)
            return BOOL
        left = self.expr(e.left, scope)
        right = self.expr(e.right, scope)
        if not _compatible(left, right):
            hint = ""
            for level_side, other in ((left, e.right), (right, e.left)):
                # `风险等级 == "三级"`: the level written as text
                if (level_side.kind == "level" and isinstance(other, Literal) and isinstance(other.value, str)
                        and other.value in self.scale_levels(level_side.scale or "")):
                    hint = _(" (write the level without quotes: {level})", level=other.value)
            self.error("PE104", _("cannot compare {left} with {right}{hint}",
                                  left=left, right=right, hint=hint), e.span)
        elif op not in ("==", "!=") and _unify(left, right).kind not in ("number", "date", "level", "text", "any"):
            self.error("PE104", _("'{op}' needs numbers, dates or levels, not {left}",
                                  op=op, left=left), e.span)
        if op in ("<", "<=", ">", ">=") and left.kind == "level" and right.kind == "level":
            self.lint_level_order(e, op, left.scale or right.scale)
        if left.kind == "level" or right.kind == "level":
            self.pin_level(e.left, right.scale)
            self.pin_level(e.right, left.scale)
            for side in (e.left, e.right):
                t = self.an.type_of(side)
                if t.kind == "level" and t.scale is None:
                    self.error("PE103", _("level '{side}' belongs to several scales; compare "
                                          "it with a grade",
                                          side=getattr(side, 'name', '?')), side.span)
        return BOOL

    def call(self, e: Call, scope: dict[str, Type]) -> Type:
        fn = e.function
        table = self.symbols.get(fn)
        if table is not None and table.kind == "table" and fn not in scope:
            decl = table.decl
            assert isinstance(decl, DecisionTable)
            if len(e.args) != len(decl.inputs):
                self.error("PE106", _("table '{fn}' has {inputs} input column(s) but is called "
                                      "with {args}",
                                      fn=fn, inputs=len(decl.inputs), args=len(e.args)), e.span)
            for arg in e.args:
                self.expr(arg, scope)
            if self.current is not None:
                self.an.deps.setdefault(self.current, set()).add(f"table:{fn}")
            return self.type_of_name(fn)
        if fn not in BUILTINS:
            tables = [s for s, v in self.symbols.items() if v.kind == "table"]
            self.error("PE106", _("unknown function '{fn}'", fn=fn) + did_you_mean(fn, [*BUILTINS, *tables]),
                       e.span)
            for arg in e.args:
                self.expr(arg, scope)
            return ANY
        low, high = BUILTINS[fn]
        if not low <= len(e.args) <= high:
            self.error("PE106", _("{fn}() takes {value} argument(s), not {args}",
                                  fn=fn, value=low if low == high else str(low) + ".." + str(high), args=len(e.args)), e.span)
            return ANY
        if fn in ("sum", "weighted"):
            arg = e.args[0]
            if isinstance(arg, Name) and arg.name == "dimensions":
                if not self.rs.dimensions:
                    self.error("PE101", _("the ruleset declares no dimensions"), arg.span)
                for d in self.rs.dimensions:
                    self.an.used.add(d.name)
                self.an.types[id(arg)] = Type("list", element=NUMBER)
                return NUMBER
            if fn == "weighted":
                self.error("PE104", _("weighted() takes 'dimensions'"), arg.span)
                return ANY
            t = self.expr(arg, scope)
            if t.kind not in ("list", "any") or (t.element and t.element.kind not in ("number", "any")):
                self.error("PE104", _("sum() needs a list of numbers or a 'for' comprehension, "
                                      "not {t}", t=t),
                           arg.span)
            return NUMBER
        if fn in ("count", "any", "all"):
            self.error("PE104", _("{fn}() takes 'v in LIST where condition'", fn=fn), e.span)
            return ANY
        if fn == "len":
            t = self.expr(e.args[0], scope)
            if t.kind not in ("list", "any", "text"):
                self.error("PE104", _("len() needs a list, not {t}", t=t), e.span)
            return NUMBER
        if fn in ("year", "month"):
            self.expect(e.args[0], DATE, scope, _("the argument of {fn}()", fn=fn))
            return NUMBER
        if fn == "days":
            self.expect(e.args[0], DATE, scope, _("the first argument of days()"))
            self.expect(e.args[1], DATE, scope, _("the second argument of days()"))
            return NUMBER
        if fn == "mean":
            t = self.expr(e.args[0], scope)
            if t.kind not in ("list", "any") or (t.element and t.element.kind not in ("number", "any")):
                self.error("PE104", _("mean() needs a list of numbers or a 'for' "
                                      "comprehension, not {t}",
                                      t=t),
                           e.args[0].span)
            return NUMBER
        if fn in ("min", "max"):
            if len(e.args) == 1:
                t = self.expr(e.args[0], scope)
                if t.kind == "list":
                    return t.element or ANY
                self.error("PE104", _("{fn}() of one value needs a list or a 'for' "
                                      "comprehension", fn=fn),
                           e.span)
                return ANY
            first = ANY
            for arg in e.args:
                t = self.expr(arg, scope)
                if t.kind not in ("number", "date", "any"):
                    self.error("PE104", _("{fn}() compares numbers or dates, not {t}", fn=fn, t=t), arg.span)
                if not _compatible(first, t):
                    self.error("PE104", _("{fn}() mixes {first} and {t}", fn=fn, first=first, t=t), arg.span)
                first = _unify(first, t)
            return first
        if fn == "round" and len(e.args) == 2:
            self.expect(e.args[1], NUMBER, scope, _("the digits of round()"))
            digits = e.args[1]
            if isinstance(digits, Literal) and isinstance(digits.value, Decimal):
                if digits.value != digits.value.to_integral_value() or not -10 <= digits.value <= 20:
                    self.error("PE112", _("round() keeps a whole number of digits from -10 to "
                                          "20"),
                               digits.span)
        self.expect(e.args[0], NUMBER, scope, _("the argument of {fn}()", fn=fn))
        return NUMBER

    def comprehension(self, e: Comprehension, scope: dict[str, Type]) -> Type:
        source = self.expr(e.source, scope)
        if source.kind not in ("list", "any"):
            self.error("PE104", _("'{var} in …' needs a list, not {source}",
                                  var=e.var, source=source), e.source.span)
        inner = {**scope, e.var: (source.element or ANY) if source.kind == "list" else ANY}
        if e.where is not None:
            self.expect(e.where, BOOL, inner, _("a 'where' condition"))
        if e.function in ("count", "share"):
            if e.element is not None:
                self.error("PE104", _("{function}() takes 'v in LIST where …', not 'for'",
                                      function=e.function), e.span)
            return NUMBER
        if e.function in ("any", "all"):
            if e.element is not None:
                self.expect(e.element, BOOL, inner, _("the element of {fn}()", fn=e.function))
            elif e.where is None:
                self.error("PE104", _("{function}() needs a 'where' condition", function=e.function), e.span)
            return BOOL
        if e.function in ("sum", "min", "max", "mean"):
            if e.element is None:
                self.error("PE104", _("{function}() takes 'x for v in LIST', not 'v in LIST'",
                                      function=e.function), e.span)
                return ANY
            t = self.expr(e.element, inner)
            if e.function in ("sum", "mean"):
                if not _compatible(t, NUMBER):
                    self.error("PE104", _("{function}() adds numbers, not {t}",
                                          function=e.function, t=t), e.element.span)
                return NUMBER
            if t.kind not in ("number", "date", "any"):
                self.error("PE104", _("{function}() compares numbers or dates, not {t}",
                                      function=e.function, t=t), e.element.span)
            return t
        self.error("PE106", _("{function}() does not take a comprehension", function=e.function)
                   + did_you_mean(e.function, ["count", "share", "sum", "any", "all", "min", "max", "mean"]), e.span)
        return ANY

    def check_default(self, e: Expr, spec: TypeSpec, span: Span) -> None:
        want = type_of_spec(spec)
        saved, self.current = self.current, None
        t = self.expr(e, {})
        self.current = saved
        if not isinstance(e, (Literal, ListLiteral)):
            self.error("PE104", _("a default is a literal value"), e.span)
        elif not _compatible(t, want):
            hint = ""
            if spec.kind == "enum" and isinstance(e, Literal) and not isinstance(e.value, (str, bool)):
                # `one of [1, 2, 3]` lists text labels: the default is written as one of them
                hint = _(": write it as the text \"{text}\", like the values of 'one of'", text=e.text or e.value)
            self.error("PE104", _("default must be {want}, not {t}{hint}",
                                  want=want, t=t, hint=hint), e.span)
        elif isinstance(e, Literal) and spec.kind != "list":
            # the default fills an item that leaves the field out, unvalidated: it must itself
            # be a value the case file could give (in range, a whole number, one of the values)
            from .case import _Invalid, converter

            try:
                converter(spec)(e.value)
            except _Invalid as exc:
                self.error("PE104" if spec.kind == "enum" else "PE112", _("default {message}",
                                                                          message=exc.message), e.span)

    # -- tables
    def check_table(self, t: DecisionTable) -> Type:
        bare = t.name in self.an.bare_tables
        column_types: list[Type] = []
        for h in t.inputs:
            column_types.append(self.expr(h, {}) if bare else ANY)
        if len(set(t.outputs)) != len(t.outputs):
            self.error("PE102", _("table '{name}' repeats an output column", name=t.name), t.span)
        if t.hit == "collect" and t.aggregate in ("sum", "min", "max") and len(t.outputs) != 1:
            self.error("PE107", _("'collect {aggregate}' needs exactly one output column",
                                  aggregate=t.aggregate), t.span)
        out_types: list[Type] = [ANY] * len(t.outputs)
        for row in t.rows:
            for i, (test, col) in enumerate(zip(row.tests, column_types, strict=False)):
                self.check_test(test, col, t, i)
            for i, cell in enumerate(row.outputs):
                ct = self.expr(cell, {})
                if not _compatible(out_types[i], ct):
                    self.error("PE104", _("column '{value}' mixes {value2} and {ct}",
                                          value=t.outputs[i], value2=out_types[i], ct=ct),
                               cell.span)
                out_types[i] = _unify(out_types[i], ct)
            if t.hit == "collect" and t.aggregate in ("sum", "min", "max"):
                for cell in row.outputs:
                    if not _compatible(self.an.type_of(cell), NUMBER):
                        self.error("PE104", _("'collect {aggregate}' needs numbers",
                                              aggregate=t.aggregate), cell.span)
        self.lint_table(t, column_types)
        if t.hit == "collect":
            return NUMBER
        if len(t.outputs) == 1:
            return out_types[0]
        return Type("record", fields=tuple(zip(t.outputs, out_types, strict=True)))

    def check_test(self, test: Test, column: Type, table: DecisionTable, index: int) -> None:
        for v in test.values:
            vt = self.expr(v, {})
            if column.kind == "level":
                self.pin_level(v, column.scale)
                vt = self.an.type_of(v)
            if not _compatible(column, vt):
                self.error("PE104", _("column {value} of '{name}' is {column}; this cell tests "
                                      "{vt}",
                                      value=index + 1, name=table.name, column=column, vt=vt), v.span)
            # `!= x` is an equality test, meaningful for every type (text, bool, …); only
            # ordering needs values that have an order
            ordering = test.kind == "range" or (test.kind == "compare" and test.op != "!=")
            if ordering and vt.kind not in ("number", "date", "level", "any"):
                self.error("PE104", _("'{value}' needs numbers, dates or levels, not {vt}",
                                      value=test.op or 'range', vt=vt),
                           v.span)

    def lint_table(self, t: DecisionTable, columns: list[Type]) -> None:
        self.lint_unreachable_rows(t)
        if t.hit == "first":
            gaps = _find_gaps(t, self.symbols)
            if isinstance(gaps, str):
                self.warn("PE230", _("first table '{table}' has no catch-all row ('-') and no row for {gaps}: "
                                     "such an item stops the evaluation", table=t.name, gaps=gaps), t.span)
        if t.hit not in ("unique", "any"):
            return
        for a, b in _overlapping_rows(t.rows):
            if t.hit == "any" and a.outputs == b.outputs:
                continue
            self.warn("PE202", _("rows at lines {line} and {line2} of {hit} table '{name}' can "
                                 "both match",
                                 line=a.span.line, line2=b.span.line, hit=t.hit, name=t.name), b.span)
        gaps = _coverage_gaps(t, self.symbols)
        if gaps:
            self.warn("PE204", _("{hit} table '{name}' has no row for {gaps}",
                                 hit=t.hit, name=t.name, gaps=gaps), t.span)

    def lint_unreachable_rows(self, t: DecisionTable) -> None:
        if t.hit != "first":
            return
        for i, row in enumerate(t.rows):
            if all(test.kind == "any" for test in row.tests) and i + 1 < len(t.rows):
                self.warn("PE203", _("rows after line {line} of table '{name}' can never match "
                                     "(that row matches everything)",
                                     line=row.span.line, name=t.name), t.rows[i + 1].span)
                return

    # -- grades
    def scale_levels(self, scale: str) -> list[str]:
        s = self.scales.get(scale)
        return [lv.name for lv in s.levels] if s else []

    def check_level(self, scale: str, level: str, span: Span) -> None:
        names = self.scale_levels(scale)
        if scale in self.scales and level not in names:
            self.error("PE103", _("'{level}' is not a level of {scale}", level=level, scale=scale) + did_you_mean(level, names)
                       + _(" (levels: {value})", value=', '.join(names)), span)

    def check_grade(self, g: Grade) -> None:
        self.current = f"grade:{g.scale}"
        self.an.deps.setdefault(self.current, set())
        barrier: set[str] = set()
        assigned: set[str] = set()
        seen_otherwise: GradeRule | None = None  # type: ignore[name-defined]
        for rule in g.rules:
            if seen_otherwise is not None:
                self.warn("PE203", _("this line can never apply: 'otherwise' at line {line} "
                                     "comes first",
                                     line=seen_otherwise.span.line), rule.span)
            self.check_level(g.scale, rule.level, rule.span)
            assigned.add(rule.level)
            if rule.kind == "condition":
                self.expect(rule.condition, BOOL, {}, _("a grade condition"))
            elif rule.kind == "otherwise":
                seen_otherwise = rule
            else:
                before = set(self.an.deps[self.current])
                t = self.expr(rule.by, {})
                if t.kind not in ("number", "date", "any"):
                    self.error("PE104", _("'{kind} … by' ranks numbers or dates, not {t}",
                                          kind=rule.kind, t=t),
                               rule.by.span)
                if rule.within is not None:
                    wt = self.expr(rule.within, {})
                    if wt.kind in ("list", "record"):
                        self.error("PE104", _("'within' groups by a simple value, not {wt}", wt=wt),
                                   rule.within.span)
                added = self.an.deps[self.current] - before
                barrier |= added | _name_keys(rule.by, self.symbols) | (
                    _name_keys(rule.within, self.symbols) if rule.within else set())
                if rule.count is not None and (rule.count <= 0 or (
                        not rule.percent and rule.count != rule.count.to_integral_value())):
                    self.error("PE112", _("top/bottom N needs a whole number >= 1 (or a "
                                          "percentage)"),
                               rule.span)
                if rule.percent and rule.count is not None and rule.count > 100:
                    self.error("PE112", _("a percentage above 100%"), rule.span)
        if g.matrix is not None:
            self.check_matrix(g)
            for _label, cells in g.matrix.rows:
                assigned.update(cells)
        if not g.rules and g.matrix is None:
            self.error("PE110", _("grade '{scale}' has no lines", scale=g.scale), g.span)
        self.lint_grade_catch_all(g)
        for r in g.raises:
            self.expect(r.condition, BOOL, {}, _("a 'raise' condition"))
            if r.to_level is not None:
                self.check_level(g.scale, r.to_level, r.span)
                assigned.add(r.to_level)
            elif self.scale_levels(g.scale):
                assigned.add(self.scale_levels(g.scale)[0])
        self.an.barriers.setdefault(self.current, set()).update(barrier)
        # barrier keys are also ordinary dependencies (for cycles); keep both
        self.an.deps[self.current] |= barrier
        scale = self.scales.get(g.scale)
        if scale is not None and not g.raises:
            for lv in scale.levels:
                if lv.name not in assigned:
                    self.warn("PE205", _("level '{name}' of {scale} is never assigned",
                                         name=lv.name, scale=g.scale), lv.span)
        self.current = None

    def lint_level_order(self, e: Binary, op: str, scale: str | None) -> None:
        """`风险等级 >= 二级` compares by severity (the first level listed is the most severe),
        which an officer reading 一级/二级 as numbers reads backwards: say which levels it
        means, as the `in [...]` that reads the same to everyone."""
        from .dsl import expr as expression_text

        if any(isinstance(side, Member) and self.an.types.get(id(side.target)) in (PREVIOUS_RECORD, HISTORY_RECORD)
               for side in (e.left, e.right)):
            return  # a level against its own earlier value (风险档次 > previous.风险档次): the change in
            # severity, which no `in [...]` can say
        levels = self.scale_levels(scale or "")
        if isinstance(e.left, Name) and isinstance(e.right, Name) and e.right.name in levels:
            at = levels.index(e.right.name)
            chosen = {">=": levels[:at + 1], ">": levels[:at], "<=": levels[at:], "<": levels[at + 1:]}[op]
            self.warn("PE232", _("levels compare by severity, the first listed ({first}) the most severe: "
                                 "{text} means {name} in [{levels}]; write that, which reads the same to "
                                 "everyone", first=levels[0], text=expression_text(e), name=e.left.name,
                                 levels=", ".join(chosen)), e.span)
        else:
            self.warn("PE232", _("levels compare by severity ('{op}'), the first listed the most severe, not "
                                 "by the numbers in their names: compare with == or in [...] instead",
                                 op=op), e.span)

    def lint_grade_catch_all(self, g: Grade) -> None:
        """A grade of condition lines with no `otherwise`: an item that none of them matches
        stops the evaluation (PE408). When the lines test one input of a known domain, the
        values they miss are named; a grade whose lines provably cover it is left alone."""
        if g.matrix is not None or not g.rules or any(r.kind != "condition" for r in g.rules):
            return
        tests = [_condition_as_test(r.condition) for r in g.rules]
        names = {t[0] for t in tests if t is not None}
        gaps: object = _UNKNOWN
        if all(t is not None for t in tests) and len(names) == 1:
            name = names.pop()
            table = DecisionTable(g.scale, (Name(name),), (), tuple(Row((t[1],), ()) for t in tests if t))
            gaps = _find_gaps(table, self.symbols)
        if gaps is None:
            return
        if isinstance(gaps, str):
            self.warn("PE231", _("grade '{scale}' has no 'otherwise' line and no line for {gaps}: such an item "
                                 "stops the evaluation (add 'otherwise -> LEVEL')", scale=g.scale, gaps=gaps),
                      g.span)
        else:
            self.warn("PE231", _("grade '{scale}' has no 'otherwise' line: an item that matches none of its "
                                 "lines stops the evaluation (add 'otherwise -> LEVEL')", scale=g.scale), g.span)

    def check_matrix(self, g: Grade) -> None:
        m = g.matrix
        assert m is not None
        types = []
        for axis in (m.row_input, m.column_input):
            node = Name(axis, g.span)
            types.append(self.reference(node, {}))
        for i, (label, cells) in enumerate(m.rows):
            self.check_label(label, types[0], m.row_input)
            for cell in cells:
                self.check_level(g.scale, cell, m.row_spans[i] if m.row_spans else g.span)
        for label in m.columns:
            self.check_label(label, types[1], m.column_input)
        for axis, labels in ((m.row_input, [r[0] for r in m.rows]), (m.column_input, m.columns)):
            values = [lb.value for lb in labels]
            if len(set(values)) != len(values):
                self.error("PE111", _("matrix lists a value of '{axis}' twice", axis=axis), g.span)
            sym = self.symbols.get(axis)
            expected: list[str] | tuple[str, ...] | None = None
            if sym is not None and isinstance(sym.decl, Input) and sym.decl.type.kind == "enum":
                expected = sym.decl.type.values
            elif sym is not None and sym.kind == "grade":
                expected = self.scale_levels(axis)
            if expected is not None:
                missing = [v for v in expected if v not in values]
                if missing:
                    self.warn("PE204", _("matrix has no {value} for {axis} = {value2}",
                                         value='row' if axis == m.row_input else 'column', axis=axis, value2=', '.join(missing)), g.span)

    def check_label(self, label: Literal, axis: Type, name: str) -> None:
        if axis.kind == "level" and axis.scale:
            # a grade can be an axis (e.g. 风险等级 x 倾向性): its labels are level names
            names = self.scale_levels(axis.scale)
            if str(label.value) not in names:
                self.error("PE111", _("'{value}' is not a level of {scale}",
                                      value=label.value, scale=axis.scale)
                           + did_you_mean(str(label.value), names), label.span)
            return
        lt = self.expr(label, {})
        if not _compatible(axis, lt):
            self.error("PE111", _("matrix label {value!s} is {lt} but '{name}' is {axis}",
                                  value=label.value, lt=lt, name=name, axis=axis),
                       label.span)
        sym = self.symbols.get(name)
        if sym is not None and isinstance(sym.decl, Input) and sym.decl.type.kind == "enum":
            if str(label.value) not in sym.decl.type.values:
                self.error("PE111", _("'{value}' is not a value of {name}",
                                      value=label.value, name=name)
                           + did_you_mean(str(label.value), sym.decl.type.values), label.span)

    # -- supervision, sanctions, summary
    def check_supervision(self, s: Supervision) -> None:
        if s.scale not in self.scales:
            self.error("PE110", _("supervision of unknown scale '{scale}'", scale=s.scale)
                       + did_you_mean(s.scale, self.scales), s.span)
        elif f"grade:{s.scale}" not in {f"grade:{g.scale}" for g in self.rs.grades}:
            self.error("PE110", _("supervision of '{scale}', which no grade block assigns",
                                  scale=s.scale), s.span)
        self.current = f"supervision:{s.scale}"
        self.an.deps[self.current] = {f"grade:{s.scale}"}
        seen_otherwise = None
        for line in s.lines:
            if seen_otherwise is not None:
                self.warn("PE203", _("this line can never apply: 'otherwise' at line {line} "
                                     "comes first",
                                     line=seen_otherwise.span.line), line.span)
            if line.level is not None:
                self.check_level(s.scale, line.level, line.span)
            elif line.when is None:
                seen_otherwise = line
            if line.when is not None:
                self.expect(line.when, BOOL, {}, _("a 'when' condition"))
        self.current = None

    def check_sanction(self, s: Sanction) -> None:
        self.current = f"sanction:{s.name}"
        self.an.deps[self.current] = set()
        scope: dict[str, Type] = {}
        if s.source is not None:
            t = self.expr(s.source, {})
            if t.kind not in ("list", "any"):
                self.error("PE104", _("'for {var} in …' needs a list, not {t}", var=s.var, t=t), s.source.span)
            scope = {s.var: (t.element or ANY) if t.kind == "list" else ANY}  # type: ignore[dict-item]
            if s.where is not None:
                self.expect(s.where, BOOL, scope, _("a 'where' condition"))
        if s.when is not None:
            self.expect(s.when, BOOL, scope, _("a 'when' condition"))
        if s.fine is not None:
            self.expect(s.fine, NUMBER, scope, _("a fine"))
        if s.warning_of is not None:
            if s.warning_of not in {g.scale for g in self.rs.grades}:
                self.error("PE110", _("'warning {warning_of}': not a color (red, orange, "
                                      "yellow, blue, green), and no grade assigns a scale of "
                                      "that name",
                                      warning_of=s.warning_of)
                           + did_you_mean(s.warning_of, [*(g.scale for g in self.rs.grades), "red",
                                                         "orange", "yellow", "blue", "green"]), s.span)
            else:
                self.an.deps[self.current].add(f"grade:{s.warning_of}")
        if s.fine is None and not s.actions and s.warning is None and s.warning_of is None:
            self.warn("PE206", _("sanction '{name}' has no fine, action or warning", name=s.name), s.span)
        self.current = None

    def check_summary(self) -> None:
        summary = self.rs.summary
        assert summary is not None
        self.current = "summary"
        self.an.deps[self.current] = set()
        for line in summary.lines:
            for name in line.names:
                t = self.reference(Name(name, line.span), {})
                if line.kind == "count" and t.kind in ("list", "record"):
                    self.error("PE104", _("cannot count by {name}: it is {t}", name=name, t=t), line.span)
                if line.kind == "sum" and not _compatible(t, NUMBER):
                    self.error("PE104", _("cannot sum {name}: it is {t}", name=name, t=t), line.span)
        self.current = None

    # -- graph-wide checks
    def find_cycles(self) -> None:
        graph = self.an.deps
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(start: str) -> None:
            # iterative DFS so a long chain of lets cannot overflow the stack
            path: list[str] = []
            stack: list[tuple[str, Iterator[str]]] = []
            state[start] = 1
            path.append(start)
            stack.append((start, iter(sorted(graph.get(start, ())))))
            while stack:
                node, children = stack[-1]
                for child in children:
                    if state.get(child) == 1:
                        cycle = [*path[path.index(child):], child]
                        key = frozenset(cycle)
                        if key not in reported:
                            reported.add(key)
                            decl_span = self.span_of(child)
                            steps = [_("rollup {name}", name=k[7:]) if k.startswith("rollup:") else k.split(":", 1)[1]
                                     for k in cycle]
                            self.error("PE105", _("dependency cycle: {cycle}", cycle=" -> ".join(steps)), decl_span)
                    elif child not in state:
                        state[child] = 1
                        path.append(child)
                        stack.append((child, iter(sorted(graph.get(child, ())))))
                        break
                else:
                    state[node] = 2
                    path.pop()
                    stack.pop()

        for key in sorted(graph):
            if key not in state:
                visit(key)

    def span_of(self, key: str) -> Span | None:
        _kind, name = key.split(":", 1)
        if _kind == "rollup":
            return next((r.span for r in self.rs.rollups if r.name == name), None)
        sym = self.symbols.get(name)
        return sym.span if sym else None

    def lint_unused(self) -> None:
        for decl in self.rs.inputs:
            if decl.carried and decl.name in self.an.used:
                self.warn("PE210", _("note '{name}' is used by a rule: declare it as an input "
                                     "(a note is optional and only carried to the output)",
                                     name=decl.name), decl.span)
            elif decl.name not in self.an.used and not decl.carried:  # a note is there to be carried
                self.warn("PE201", _("input '{name}' is never used", name=decl.name), decl.span)
        for decl in self.rs.dimensions:
            if decl.name not in self.an.used:
                self.warn("PE201", _("dimension '{name}' is never used", name=decl.name), decl.span)


# ---------------------------------------------------------------- helpers shared with compile


def walk(e: Expr | None) -> Iterator[Expr]:
    """Every node of an expression, iteratively (depth is bounded by the parser anyway)."""
    if e is None:
        return
    stack: list[Expr] = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, ListLiteral):
        return e.items
    if isinstance(e, Member):
        return (e.target,)
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, IfExpr):
        return (e.condition, e.then, e.otherwise)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Comprehension):
        return tuple(x for x in (e.source, e.element, e.where) if x is not None)
    return ()


def declaration_expressions(decl: object, header: bool = True) -> Iterator[Expr]:
    """The expressions a declaration contains (table headers only when `header`)."""
    if isinstance(decl, Input):
        if decl.default is not None:
            yield decl.default
    elif isinstance(decl, Let):
        yield decl.expr
    elif isinstance(decl, DecisionTable):
        if header:
            yield from decl.inputs
        for row in decl.rows:
            for test in row.tests:
                yield from test.values
            yield from row.outputs
    elif isinstance(decl, Grade):
        for rule in decl.rules:
            yield from (x for x in (rule.condition, rule.by, rule.within) if x is not None)
        for r in decl.raises:
            yield r.condition
    elif isinstance(decl, Supervision):
        yield from (line.when for line in decl.lines if line.when is not None)
    elif isinstance(decl, Sanction):
        yield from (x for x in (decl.source, decl.where, decl.when, decl.fine) if x is not None)


def _name_keys(e: Expr | None, symbols: dict[str, Symbol]) -> set[str]:
    keys = set()
    for node in walk(e):
        if isinstance(node, Name):
            sym = symbols.get(node.name)
            if sym is not None and sym.kind in ("let", "table", "grade"):
                keys.add(f"{sym.kind}:{node.name}")
    return keys


# ---------------------------------------------------------------- table lint


def _static(e: Expr) -> object | None:
    if isinstance(e, Literal):
        return e.value
    return None


_MISSING = object()


def _interval(test: Test) -> tuple | None:
    """(low, low_closed, high, high_closed) for number tests, None when not an interval."""
    if test.kind == "range":
        lo, hi = (_static(v) for v in test.values)
        if isinstance(lo, Decimal) and isinstance(hi, Decimal):
            return (lo, test.low_closed, hi, test.high_closed)
        return None
    if test.kind == "compare":
        v = _static(test.values[0])
        if not isinstance(v, Decimal):
            return None
        return {
            "<": (None, False, v, False), "<=": (None, False, v, True),
            ">": (v, False, None, False), ">=": (v, True, None, False),
        }.get(test.op)
    if test.kind == "equal":
        v = _static(test.values[0])
        if isinstance(v, Decimal):
            return (v, True, v, True)
    return None


def _values(test: Test) -> list | None:
    vals = [_static(v) for v in test.values]
    if any(v is None for v in vals):
        return None
    return vals


def _satisfies(value: object, test: Test) -> bool | None:
    if test.kind == "any":
        return True
    vals = _values(test)
    if vals is None:
        return None
    if test.kind == "equal":
        return value == vals[0]
    if test.kind == "in":
        return value in vals
    if test.kind == "not in":
        return value not in vals
    if test.kind == "compare" and test.op == "!=":
        return value != vals[0]
    iv = _interval(test)
    if iv is None or not isinstance(value, Decimal):
        return None
    return _in_interval(value, iv)


def _in_interval(v: Decimal, iv: tuple) -> bool:
    lo, lc, hi, hc = iv
    if lo is not None and (v < lo or (v == lo and not lc)):
        return False
    return not (hi is not None and (v > hi or (v == hi and not hc)))


# pairs of rows the overlap lint compares at most: past it, a huge table is not linted further
_MAX_ROW_PAIRS = 200_000


def _overlapping_rows(rows: list[Row]) -> Iterator[tuple[Row, Row]]:
    """Pairs of rows (in order) whose tests can all hold at once. A table of thousands of
    rows is a lookup of literal values in some column: rows are grouped by that value, and
    only rows in one group, or rows whose cell there is not a literal, are compared — not
    every pair (8 000 rows were 32 million comparisons)."""
    if not rows:
        return

    def literal(test: Test) -> tuple[str, object] | None:
        if test.kind == "equal" and len(test.values) == 1 and isinstance(test.values[0], Literal):
            return (type(test.values[0].value).__name__, test.values[0].value)
        return None

    width = len(rows[0].tests)
    key = max(range(width), key=lambda k: sum(literal(r.tests[k]) is not None for r in rows)) if width else 0
    groups: dict[tuple[str, object], list[int]] = {}
    loose: list[int] = []  # rows whose cell in the key column can match many values
    for i, row in enumerate(rows):
        value = literal(row.tests[key]) if width else None
        if value is None:
            loose.append(i)
        else:
            groups.setdefault(value, []).append(i)
    candidates: set[tuple[int, int]] = set()
    budget = _MAX_ROW_PAIRS
    for members in [*groups.values()]:
        for n, i in enumerate(members):
            for j in members[n + 1:]:
                candidates.add((i, j))
                budget -= 1
                if budget < 0:
                    break
    for i in loose:
        for j in range(len(rows)):
            if j != i:
                candidates.add((min(i, j), max(i, j)))
                budget -= 1
        if budget < 0:
            break
    for i, j in sorted(candidates):
        if all(_tests_overlap(x, y) for x, y in zip(rows[i].tests, rows[j].tests, strict=True)):
            yield rows[i], rows[j]


def _tests_overlap(a: Test, b: Test) -> bool:
    """Whether some value can satisfy both tests (True when unsure, so lint never misses)."""
    if a.kind == "any" or b.kind == "any":
        return True
    for x, y in ((a, b), (b, a)):
        if x.kind in ("equal", "in"):
            vals = _values(x)
            if vals is None:
                return False  # an expression cell: not statically known; do not claim overlap
            results = [_satisfies(v, y) for v in vals]
            if any(r is None for r in results):
                return False
            return any(results)
    ia, ib = _interval(a), _interval(b)
    if ia is not None and ib is not None:
        lo_a, lca, hi_a, hca = ia
        lo_b, lcb, hi_b, hcb = ib
        # the intersection's low end is the larger low, its high end the smaller high
        if lo_a is None or (lo_b is not None and lo_b > lo_a):
            lo, lc = lo_b, lcb
        elif lo_b is None or lo_a > lo_b:
            lo, lc = lo_a, lca
        else:
            lo, lc = lo_a, lca and lcb
        if hi_a is None or (hi_b is not None and hi_b < hi_a):
            hi, hc = hi_b, hcb
        elif hi_b is None or hi_a < hi_b:
            hi, hc = hi_a, hca
        else:
            hi, hc = hi_a, hca and hcb
        if lo is None or hi is None:
            return True
        return lo < hi or (lo == hi and lc and hc)
    return a.kind == "not in" or b.kind == "not in"


_UNKNOWN = object()  # a table or grade whose coverage cannot be worked out


def _condition_as_test(condition: Expr | None) -> tuple[str, Test] | None:
    """`分 >= 60` (or `60 <= 分`, `类别 == "执法权"`) as the table cell it amounts to, with the
    name it tests; None for any other condition."""
    if not isinstance(condition, Binary) or condition.op not in ("==", "<", "<=", ">", ">="):
        return None
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}
    left, right, op = condition.left, condition.right, condition.op
    if isinstance(left, Literal) and isinstance(right, Name):
        left, right, op = right, left, flipped[op]
    if not (isinstance(left, Name) and isinstance(right, Literal)):
        return None
    if op == "==":
        return left.name, Test("equal", (right,))
    return left.name, Test("compare", (right,), op=op)


def _coverage_gaps(t: DecisionTable, symbols: dict[str, Symbol]) -> str | None:
    gaps = _find_gaps(t, symbols)
    return gaps if isinstance(gaps, str) else None


def _find_gaps(t: DecisionTable, symbols: dict[str, Symbol]) -> str | object | None:
    """For tables (and grades read as one) whose input columns are inputs or dimensions of a
    known domain
    (`one of`, bool, numbers with their bounds): the values no row matches, or None.

    Every column's domain is cut into pieces on which no row's test changes its answer (the
    enum values; for numbers, each cell's boundary value and the open spans between them),
    and every combination of pieces is tried against the rows. _UNKNOWN when a column's
    domain or a cell cannot be reasoned about."""
    if any(all(test.kind == "any" for test in row.tests) for row in t.rows):
        return None
    columns = []
    for i, header in enumerate(t.inputs):
        column = _column_pieces(header, [row.tests[i] for row in t.rows], symbols)
        if column is None:
            return _UNKNOWN
        columns.append(column)
    combinations = 1
    for _column, pieces in columns:
        combinations *= len(pieces)
    # each combination is tried against the rows: bound the work, not only the combinations
    if combinations > _MAX_COMBINATIONS or combinations * len(t.rows) > _MAX_ROW_PAIRS:
        return _UNKNOWN
    missing: list[tuple] = []
    for combo in itertools.product(*(pieces for _column, pieces in columns)):
        matched = False
        for row in t.rows:
            results = [_satisfies(piece[0], test) for piece, test in zip(combo, row.tests, strict=True)]
            if any(r is None for r in results):
                return _UNKNOWN
            if all(results):
                matched = True
                break
        if not matched:
            missing.append(combo)
    if not missing:
        return None
    if len(columns) == 1 and missing[0][0][1] is None:  # one `one of` or bool column
        return f"{columns[0][0]} = " + ", ".join(_show_value(piece[0]) for (piece,) in missing)
    shown = [", ".join(text for (name, _pieces), piece in zip(columns, combo, strict=True)
                       if (text := _describe(name, piece)))
             for combo in _merge_number_pieces(missing, columns)]
    more = _(" (and {count} more)", count=len(shown) - 3) if len(shown) > 3 else ""
    return "; ".join(shown[:3]) + more


_MAX_COMBINATIONS = 4096

# A piece of a column's domain: (a value in it, its interval or None for an enum/bool value).
# An interval is (low, low_closed, high, high_closed), None for an unbounded end.
Piece = tuple[object, "tuple | None"]


def _column_pieces(header: Expr, tests: list[Test], symbols: dict[str, Symbol]) -> tuple[str, list] | None:
    if not isinstance(header, Name):
        return None
    sym = symbols.get(header.name)
    decl = sym.decl if sym is not None else None
    if isinstance(decl, Dimension):
        return header.name, _number_pieces(tests, (decl.low, True, decl.high, True), integer=False)
    if not isinstance(decl, Input):
        return None
    spec = decl.type
    if spec.kind == "enum":
        return header.name, [(v, None) for v in spec.values]
    if spec.kind == "bool":
        return header.name, [(True, None), (False, None)]
    if spec.kind in ("number", "integer", "range"):
        domain = (spec.minimum, not spec.min_exclusive, spec.maximum, not spec.max_exclusive)
        pieces = _number_pieces(tests, domain, integer=spec.kind == "integer")
        return (header.name, pieces) if pieces is not None else None
    return None


def _number_pieces(tests: list[Test], domain: tuple, integer: bool) -> list | None:
    cuts: set[Decimal] = set()
    for test in tests:
        if test.kind == "any":
            continue
        values = _values(test)
        if values is None or not all(isinstance(v, Decimal) for v in values):
            return None
        cuts.update(values)
    lo, lo_closed, hi, hi_closed = domain
    cuts.update(x for x in (lo, hi) if x is not None)
    points = sorted(cuts)
    spans: list[tuple] = []
    previous = None
    for p in points:
        spans.append((previous, False, p, False))  # the open span below p
        spans.append((p, True, p, True))
        previous = p
    spans.append((previous, False, None, False))
    pieces = []
    for span in spans:
        a, _a, b, _b = span
        if (lo is not None and b is not None and (b < lo or (b == lo and not (lo_closed and span[3])))) or \
                (hi is not None and a is not None and (a > hi or (a == hi and not (hi_closed and span[1])))):
            continue  # outside the input's domain
        value = _point_in(span, integer)
        if value is not None:
            pieces.append((value, span))
    return pieces


def _point_in(span: tuple, integer: bool) -> Decimal | None:
    a, _a, b, _b = span
    if a is not None and a == b:
        return a if not integer or a == a.to_integral_value() else None
    if integer:
        if a is None and b is None:
            return Decimal(0)
        v = (a.to_integral_value(ROUND_FLOOR) + 1) if a is not None else (b.to_integral_value(ROUND_CEILING) - 1)
        return v if b is None or v < b else None
    if a is None and b is None:
        return Decimal(0)  # a column no row tests and no bound limits: any value will do
    if a is None:
        return b - 1
    if b is None:
        return a + 1
    return (a + b) / 2


def _merge_number_pieces(missing: list[tuple], columns: list) -> list[tuple]:
    """Join missing pieces of a number column that touch, all else equal ([5] and (5..10)
    read as [5..10)), one number column after another; a number column missing over its
    whole domain is left out."""
    numeric = [i for i, (_name, pieces) in enumerate(columns) if pieces and pieces[0][1] is not None]
    # a number cell becomes (value, first piece, last piece), positions in its column
    cells = [tuple((piece[0], columns[i][1].index(piece), columns[i][1].index(piece)) if i in numeric
                   else piece for i, piece in enumerate(combo)) for combo in missing]
    for k in numeric:
        groups: dict[tuple, list] = {}
        for combo in cells:
            groups.setdefault(combo[:k] + combo[k + 1:], []).append(combo)
        merged = []
        for group in groups.values():
            group.sort(key=lambda c: c[k][1])
            run = group[0]
            for combo in group[1:]:
                if combo[k][1] == run[k][2] + 1:
                    run = (*run[:k], (run[k][0], run[k][1], combo[k][2]), *run[k + 1:])
                else:
                    merged.append(run)
                    run = combo
            merged.append(run)
        cells = merged
    out = []
    for combo in cells:
        row: list = []
        for i, cell in enumerate(combo):
            if i not in numeric:
                row.append(cell)
                continue
            pieces = columns[i][1]
            _kind, first, last = cell
            if first == 0 and last == len(pieces) - 1 and len(columns) > 1:
                row.append(None)  # every value of this number: leave it out
            else:
                lo, hi = pieces[first][1], pieces[last][1]
                row.append((cell[0], (lo[0], lo[1], hi[2], hi[3])))
        out.append(tuple(row))
    return out


def _show_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _describe(name: str, piece: Piece | None) -> str:
    if piece is None:
        return ""
    value, span = piece
    if span is None:
        return f"{name} = {_show_value(value)}"
    a, ac, b, bc = span
    from .dsl import number

    if a is not None and a == b:
        return f"{name} = {number(a)}"
    if a is None and b is None:
        return _("{name} anything", name=name)
    if a is None:
        return f"{name} {'<=' if bc else '<'} {number(b)}"
    if b is None:
        return f"{name} {'>=' if ac else '>'} {number(a)}"
    return f"{name} in {'[' if ac else '('}{number(a)}..{number(b)}{']' if bc else ')'}"


def keys_of(names: Iterable[str], symbols: dict[str, Symbol]) -> set[str]:
    out = set()
    for n in names:
        sym = symbols.get(n)
        if sym is not None and sym.kind in ("let", "table", "grade"):
            out.add(f"{sym.kind}:{n}")
    return out
