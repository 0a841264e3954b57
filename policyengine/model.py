"""The ruleset model: the one data structure every pipeline stage shares.

parse (DSL or YAML) builds it, resolve merges `extends` chains of it, check reads
it, compile turns it into Python code, and fmt/convert/diff print it back. Nodes
are immutable dataclasses; each keeps the `Span` of the text it came from so that
any later stage can point at the source line.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal

# ---------------------------------------------------------------- source spans


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node came from: file, 1-based line and column, and where it ends."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<builtin>", 0, 0)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Literal:
    value: Decimal | str | bool | _dt.date
    span: Span = field(default=NOWHERE, compare=False)
    # How the literal was written (e.g. "15%"), so printing keeps the author's form.
    text: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Expr, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    target: Expr
    name: str
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / == != < <= > >= and or in "not in"
    left: Expr
    right: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class IfExpr:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple[Expr, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Comprehension:
    """`count(e in L where c)`, `sum(e.x for e in L where c)`, `any(…)`, `all(…)`, `max/min(…)`.

    `element` is None for the `e in L` form (count, any, all), where each element
    itself is what the function looks at.
    """

    function: str
    var: str
    source: Expr
    element: Expr | None = None
    where: Expr | None = None
    span: Span = field(default=NOWHERE, compare=False)


Expr = Literal | ListLiteral | Name | Member | Unary | Binary | IfExpr | Call | Comprehension


# ---------------------------------------------------------------- unary tests (table cells)


@dataclass(frozen=True, slots=True)
class Test:
    """One input cell of a decision table.

    kind: "any" (-), "equal" (x), "compare" (op x), "range", "in", "not in".
    For ranges `values` is (low, high) and the closed flags say which ends count.
    """

    kind: str
    values: tuple[Expr, ...] = ()
    op: str = ""
    low_closed: bool = True
    high_closed: bool = True
    span: Span = field(default=NOWHERE, compare=False)


# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """The declared type of an input or a record field.

    kind: number, integer, text, bool, date, enum (`one of`), range (`a..b`), list.
    `minimum`/`maximum` hold range ends or a bound such as `>= 0`.
    """

    kind: str
    values: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    fields: tuple[Field, ...] = ()
    # How the minimum and maximum were written (`100%`, `1.50`), so printing keeps the
    # author's form; like Literal.text, not part of the meaning.
    spelling: tuple[str | None, str | None] = field(default=(None, None), compare=False)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: TypeSpec
    default: Expr | None = None
    span: Span = field(default=NOWHERE, compare=False)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Input:
    """An input of every item; with `carried`, a descriptive field (`note 责任部门: text`):
    validated for its type, used by no rule, carried to every output, optional."""

    name: str
    type: TypeSpec
    default: Expr | None = None
    doc: str | None = None
    span: Span = field(default=NOWHERE, compare=False)
    carried: bool = False


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    low: Decimal
    high: Decimal
    weight: Decimal = Decimal(1)
    doc: str | None = None
    span: Span = field(default=NOWHERE, compare=False)
    # how low, high and weight were written (see TypeSpec.spelling)
    spelling: tuple[str | None, str | None, str | None] = field(default=(None, None, None), compare=False)


@dataclass(frozen=True, slots=True)
class Row:
    tests: tuple[Test, ...]
    outputs: tuple[Expr, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class DecisionTable:
    name: str
    inputs: tuple[Expr, ...]
    outputs: tuple[str, ...]
    rows: tuple[Row, ...]
    hit: str = "first"  # first, unique, any, collect
    aggregate: str | None = None  # with collect: sum, min, max, count
    span: Span = field(default=NOWHERE, compare=False)
    # the header row's source line, so fmt keeps a comment above the header there
    header_line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    expr: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    color: str | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class GradeScale:
    """A `levels` declaration: level names, most severe first."""

    name: str
    levels: tuple[Level, ...]
    span: Span = field(default=NOWHERE, compare=False)

    def index(self, level: str) -> int:
        for i, lv in enumerate(self.levels):
            if lv.name == level:
                return i
        raise KeyError(level)


@dataclass(frozen=True, slots=True)
class GradeRule:
    """One line of a grade block.

    kind: "condition" (expr -> level), "otherwise", "top", "bottom".
    For rank lines: `count` (N, or P when `percent`), `by`, `within`.
    """

    kind: str
    level: str
    condition: Expr | None = None
    count: Decimal | None = None
    percent: bool = False
    by: Expr | None = None
    within: Expr | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Raise:
    """`raise to L when c` (to_level set) or `raise N when c` (steps set)."""

    condition: Expr
    to_level: str | None = None
    steps: int | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Matrix:
    """`by matrix A x B`: rows are values of A, columns values of B, cells levels."""

    row_input: str
    column_input: str
    columns: tuple[Literal, ...]
    rows: tuple[tuple[Literal, tuple[str, ...]], ...]
    row_spans: tuple[Span, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Grade:
    scale: str
    rules: tuple[GradeRule, ...] = ()
    raises: tuple[Raise, ...] = ()
    matrix: Matrix | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class SupervisionLine:
    level: str | None  # None: otherwise
    by: tuple[str, ...]
    when: Expr | None = None
    every: tuple[int, str] | None = None  # (1, "year")
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Supervision:
    scale: str
    lines: tuple[SupervisionLine, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Sanction:
    """Fires once per matching element (`for v in source where c`), or at most once (`when c`).

    Without either it fires once for every item."""

    name: str
    var: str | None = None
    source: Expr | None = None
    where: Expr | None = None
    when: Expr | None = None
    fine: Expr | None = None
    actions: tuple[str, ...] = ()
    warning: str | None = None
    # `warning 风险等级`: the warning takes the color of the item's level on that scale
    warning_of: str | None = None
    span: Span = field(default=NOWHERE, compare=False)
    # source line of each body line ("fine", "action", "warning"), so fmt keeps their comments
    body_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class SummaryLine:
    kind: str  # "count" (by names), "fine", "sum" (of a value)
    names: tuple[str, ...] = ()
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Summary:
    lines: tuple[SummaryLine, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Remove:
    kind: str
    name: str
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment, kept so fmt and convert never lose an author's note."""

    text: str
    line: int
    own_line: bool  # True: the comment stands alone on its line
    # a YAML comment that starts its line (column 0) belongs to the top level: above a
    # section key, not inside the section; None where the form has no sections (the DSL)
    top_level: bool | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Rollup:
    """`rollup 单位 by 所属单位 { … }`: a further subject, one per distinct value of the
    items' `by` value, with its own declarations (inputs given in the case's `units:`
    section, lets, tables, grades, supervision, sanctions, summary). Inside it `items`
    is the group's items, read as `i.NAME` for any item value or grade."""

    name: str
    by: str
    declarations: tuple[Declaration, ...]
    span: Span = field(default=NOWHERE, compare=False)
    by_span: Span = field(default=NOWHERE, compare=False)


# The declaration kinds, in canonical order (also the order diff reports in).
KINDS = (
    "input",
    "dimension",
    "table",
    "let",
    "levels",
    "grade",
    "supervision",
    "sanction",
    "summary",
    "rollup",
)

Declaration = (
    Input | Dimension | DecisionTable | Let | GradeScale | Grade | Supervision | Sanction | Summary
    | Rollup
)


def declaration_kind(decl: Declaration) -> str:
    return _KIND_OF[type(decl)]


def declaration_name(decl: Declaration) -> str:
    if isinstance(decl, (Grade, Supervision)):
        return decl.scale
    if isinstance(decl, Summary):
        return "summary"
    return decl.name


_KIND_OF: dict[type, str] = {
    Input: "input",
    Dimension: "dimension",
    DecisionTable: "table",
    Let: "let",
    GradeScale: "levels",
    Grade: "grade",
    Supervision: "supervision",
    Sanction: "sanction",
    Summary: "summary",
    Rollup: "rollup",
}


@dataclass(slots=True)
class Ruleset:
    """A whole ruleset file (before or after `extends` is resolved).

    `declarations` keeps source order; names are unique per kind. After
    resolution `extends` is None and `removes` is empty.
    """

    id: str
    file: str
    title: str | None = None
    version: str | None = None
    effective: _dt.date | None = None
    extends: str | None = None
    sources: tuple[str, ...] = ()
    subject: str = "item"
    removes: tuple[Remove, ...] = ()
    declarations: list[Declaration] = field(default_factory=list)
    comments: tuple[Comment, ...] = ()
    # source lines that were blank, so fmt keeps the author's paragraphs
    blank_lines: frozenset[int] = frozenset()
    span: Span = NOWHERE
    # Header statement spans, for error messages (extends not found, …).
    header_spans: dict[str, Span] = field(default_factory=dict)
    # The files this ruleset was resolved from, parent first.
    lineage: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[Declaration]:
        return [d for d in self.declarations if declaration_kind(d) == kind]

    def find(self, kind: str, name: str) -> Declaration | None:
        for d in self.declarations:
            if declaration_kind(d) == kind and declaration_name(d) == name:
                return d
        return None

    @property
    def inputs(self) -> list[Input]:
        return self.of_kind("input")  # type: ignore[return-value]

    @property
    def dimensions(self) -> list[Dimension]:
        return self.of_kind("dimension")  # type: ignore[return-value]

    @property
    def tables(self) -> list[DecisionTable]:
        return self.of_kind("table")  # type: ignore[return-value]

    @property
    def lets(self) -> list[Let]:
        return self.of_kind("let")  # type: ignore[return-value]

    @property
    def scales(self) -> list[GradeScale]:
        return self.of_kind("levels")  # type: ignore[return-value]

    @property
    def grades(self) -> list[Grade]:
        return self.of_kind("grade")  # type: ignore[return-value]

    @property
    def supervisions(self) -> list[Supervision]:
        return self.of_kind("supervision")  # type: ignore[return-value]

    @property
    def sanctions(self) -> list[Sanction]:
        return self.of_kind("sanction")  # type: ignore[return-value]

    @property
    def rollups(self) -> list[Rollup]:
        return self.of_kind("rollup")  # type: ignore[return-value]

    @property
    def summary(self) -> Summary | None:
        found = self.of_kind("summary")
        return found[0] if found else None  # type: ignore[return-value]


def rollup_ruleset(parent: Ruleset, rollup: Rollup) -> Ruleset:
    """A rollup's declarations as a ruleset of their own (subject: the rollup), so that
    check, compile and evaluate treat a unit as they treat an item."""
    return Ruleset(id=parent.id, file=parent.file, title=parent.title, version=parent.version,
                   subject=rollup.name, declarations=list(rollup.declarations), span=rollup.span)


def all_rollups(declarations: list[Declaration] | tuple[Declaration, ...]) -> list[Rollup]:
    """Every rollup, nested ones (a rollup of a rollup's units) after the one they are in."""
    out: list[Rollup] = []
    for d in declarations:
        if isinstance(d, Rollup):
            out.append(d)
            out += all_rollups(d.declarations)
    return out
