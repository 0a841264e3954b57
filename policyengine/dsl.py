"""Print a model as canonical DSL text (the generator of sqlglot's parse → generate).

Used by `fmt`, `convert --to dsl`, `diff` (each declaration's canonical text)
and the ruleset digest. Table columns and grade arrows are aligned by display
width, so CJK text (two terminal cells a character) lines up. Comments and
blank-line paragraphs are carried over by source line number.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import re
from decimal import Decimal
from typing import NamedTuple

from wcwidth import wcswidth

from .model import (
    Binary,
    Call,
    Comment,
    Comprehension,
    DecisionTable,
    Declaration,
    Dimension,
    Expr,
    Field,
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
    Summary,
    Supervision,
    Test,
    TypeSpec,
    Unary,
)
from .printable import u_escaped
from .runtime import format_number

# The words that need backticks when used as a name: those the grammar reads as a keyword
# at a place where a name may also stand. The lexer is contextual, so most keywords
# (`year`, `x`, `weight`, `first`, `by`) are plain names everywhere.
# An expression may start with if/not/true/false and a table cell with in/not. A line
# inside a block may start with any block's first word (Lark shares the `_NL+` state
# between blocks), so a grade or supervision line cannot start with top, bottom,
# otherwise, raise, fine, action, warning, count or sum; `sum fine` is the fines total.
# tests/test_fmt.py checks every grammar keyword in every place a name can stand.
KEYWORDS = frozenset("""
if not true false in otherwise top bottom raise fine action warning count sum
""".split())
_WORD = re.compile(r"^[^\W\d]\w*$")
_NOT_CALLS = frozenset({"not", "true", "false", "if", "in"})

def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


# ---------------------------------------------------------------- atoms


def name(n: str) -> str:
    return n if _WORD.match(n) and n not in KEYWORDS else f"`{n}`"


def string(s: str) -> str:
    """A string literal. A character that would act on a terminal (an escape sequence's
    ESC, a bidirectional override: printable.py) is written as its `\\uXXXX`
    escape: the text stays the same when read back, and `fmt`, `convert` or a pipe show
    it instead of obeying it (click strips what looks like a colour code from a pipe)."""
    return '"' + u_escaped(s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")) + '"'


def number(d: Decimal) -> str:
    return format_number(d)


def literal(lit: Literal) -> str:
    v = lit.value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return lit.text if lit.text else number(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    raise AssertionError(v)  # pragma: no cover


# ---------------------------------------------------------------- expressions

_PREC = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
         "not in": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def precedence(e: Expr) -> int:
    if isinstance(e, IfExpr):
        return 0
    if isinstance(e, Binary):
        return _PREC[e.op]
    if isinstance(e, Unary):
        return 3 if e.op == "not" else 7
    if isinstance(e, Literal) and isinstance(e.value, Decimal) and e.value < 0:
        return 7
    return 9


def expr(e: Expr) -> str:
    if isinstance(e, Literal):
        return literal(e)
    if isinstance(e, Name):
        return name(e.name)
    if isinstance(e, ListLiteral):
        return "[" + ", ".join(expr(i) for i in e.items) + "]"
    if isinstance(e, Member):
        return f"{_wrap(e.target, 8)}.{name(e.name)}"
    if isinstance(e, Unary):
        if e.op == "not":
            return f"not {_wrap(e.operand, 3)}"
        return f"-{_wrap(e.operand, 7)}"
    if isinstance(e, Binary):
        p = _PREC[e.op]
        if p == 4:  # comparisons do not chain: parenthesise equal precedence on both sides
            return f"{_wrap(e.left, p + 1)} {e.op} {_wrap(e.right, p + 1)}"
        return f"{_wrap(e.left, p)} {e.op} {_wrap(e.right, p + 1)}"
    if isinstance(e, IfExpr):
        return f"if {expr(e.condition)} then {expr(e.then)} else {expr(e.otherwise)}"
    if isinstance(e, Call):
        # most keywords cannot stand before `(`, but `not (x)` and `true` would read otherwise
        fn = e.function if _WORD.match(e.function) and e.function not in _NOT_CALLS else f"`{e.function}`"
        return f"{fn}({', '.join(expr(a) for a in e.args)})"
    if isinstance(e, Comprehension):
        where = f" where {expr(e.where)}" if e.where is not None else ""
        if e.element is None:
            return f"{e.function}({name(e.var)} in {_wrap(e.source, 5)}{where})"
        return f"{e.function}({expr(e.element)} for {name(e.var)} in {_wrap(e.source, 5)}{where})"
    raise AssertionError(e)  # pragma: no cover


def _wrap(e: Expr, minimum: int) -> str:
    text = expr(e)
    return f"({text})" if precedence(e) < minimum else text


def test(t: Test) -> str:
    if t.kind == "any":
        return "-"
    if t.kind == "equal":
        return expr(t.values[0])
    if t.kind == "compare":
        return f"{t.op} {expr(t.values[0])}"
    if t.kind == "range":
        lo, hi = t.values
        return f"{'[' if t.low_closed else '('}{expr(lo)}..{expr(hi)}{']' if t.high_closed else ')'}"
    items = ", ".join(expr(v) for v in t.values)
    return f"{t.kind} [{items}]"


# ---------------------------------------------------------------- types


def spelled(value: Decimal, text: str | None) -> str:
    """A declared number as its author wrote it (`100%`, `1.50`), else in canonical form."""
    return text if text is not None else number(value)


def type_spec(t: TypeSpec) -> str:
    if t.kind == "enum":
        return "one of [" + ", ".join(string(v) for v in t.values) + "]"
    low = spelled(t.minimum, t.spelling[0]) if t.minimum is not None else None
    high = spelled(t.maximum, t.spelling[1]) if t.maximum is not None else None
    if t.kind == "range":
        text = f"{low}..{high}"
        # an exclusive end is written as a bound after the range (`0..1 > 0`)
        if t.min_exclusive:
            text += f" > {low}"
        if t.max_exclusive:
            text += f" < {high}"
        return text
    if t.kind == "list":
        return "list of {" + ", ".join(field(f) for f in t.fields) + "}"
    text = t.kind
    if low is not None:
        text += f" {'>' if t.min_exclusive else '>='} {low}"
    if high is not None:
        text += f" {'<' if t.max_exclusive else '<='} {high}"
    return text


def field(f: Field) -> str:
    text = f"{name(f.name)}: {type_spec(f.type)}"
    if f.default is not None:
        text += f" = {expr(f.default)}"
    return text


# ---------------------------------------------------------------- printed lines


class Line(NamedTuple):
    """One printed line and where it came from, so comments can follow it.

    `anchor` is the source line it was printed from (0: none, -1: a blank line).
    `doc` is a trailing doc string; `head` the length of a leading `input NAME:`,
    docs and what follows heads are aligned across runs of such lines. `indent` is
    how far a comment placed above this line is indented (a closing brace takes
    its block's indentation). `keep_blank`: a blank line the author left above
    this line is kept. `comment` is a trailing comment.
    """

    text: str
    anchor: int = 0
    doc: str | None = None
    indent: str | None = None
    keep_blank: bool = True
    comment: str | None = None
    head: int = 0  # `input NAME:` is text[:head]; the rest is aligned after it in a run of such lines


BLANK = Line("", -1)
Lines = list[Line]
MAX_WIDTH = 100  # wrap `one of` lists and record types wider than this
# a line wider than this does not push its neighbours' docs (or types) to the right
DOC_COLUMN_CAP = 64
HEAD_COLUMN_CAP = 32


def render(lines: Lines) -> str:
    """Lines as text: in runs of input/dimension lines the types and docs are aligned
    (by display width); trailing comments sit two spaces after their line."""
    out = [_with_comment(line.text + (f" {line.doc}" if line.doc is not None else ""), line.comment)
           for line in lines]
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].head:
            j += 1
        if j - i > 1:
            _align(lines, out, range(i, j))
        i = max(j, i + 1)
    text = "\n".join(t.rstrip() for t in out)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def _align(lines: Lines, out: list[str], run: range) -> None:
    heads = {i: width(lines[i].text[: lines[i].head]) for i in run}
    head_column = max((w for w in heads.values() if w <= HEAD_COLUMN_CAP), default=0)
    texts = {}
    for i in run:
        line = lines[i]
        if heads[i] <= head_column:
            texts[i] = pad(line.text[: line.head], head_column) + line.text[line.head:]
        else:
            texts[i] = line.text
    fitting = [width(texts[i]) for i in run if lines[i].doc is not None and width(texts[i]) <= DOC_COLUMN_CAP]
    doc_column = max(fitting, default=0)
    for i in run:
        line = lines[i]
        text = texts[i]
        if line.doc is not None:
            text = f"{pad(text, doc_column)} {line.doc}"
        out[i] = _with_comment(text, line.comment)


def _with_comment(text: str, comment: str | None) -> str:
    return f"{text}  {comment}" if comment else text


# ---------------------------------------------------------------- declarations


def declaration(d: Declaration) -> str:
    """One declaration's canonical text (what diff shows as old/new)."""
    return "\n".join(line.text + (f" {line.doc}" if line.doc is not None else "")
                     for line in _declaration(d))


def _declaration(d: Declaration, blank_lines: frozenset[int] = frozenset()) -> Lines:
    line = d.span.line
    if isinstance(d, Rollup):
        out = [Line(f"rollup {name(d.name)} by {name(d.by)} {{", line)]
        for inner in _body(list(d.declarations), blank_lines):
            indent = "  " + inner.indent if inner.indent is not None else None
            out.append(inner._replace(text="  " + inner.text if inner.text else "", indent=indent,
                                      head=inner.head + 2 if inner.head else 0))
        out.append(_closing())
        return out
    if isinstance(d, Input):
        head = f"{'note' if d.carried else 'input'} {name(d.name)}:"
        text = f"{head} {type_spec(d.type)}"
        default = f" = {expr(d.default)}" if d.default is not None else ""
        doc = string(d.doc) if d.doc is not None else None
        if width(text + default) > MAX_WIDTH and d.type.kind in ("enum", "list"):
            return _wrapped(f"{head} ", d.type, default, doc, line)
        return [Line(text + default, line, doc, head=len(head))]
    if isinstance(d, Dimension):
        head = f"dimension {name(d.name)}:"
        text = f"{head} {spelled(d.low, d.spelling[0])}..{spelled(d.high, d.spelling[1])}"
        if d.weight != 1:
            text += f" weight {spelled(d.weight, d.spelling[2])}"
        return [Line(text, line, string(d.doc) if d.doc is not None else None, head=len(head))]
    if isinstance(d, Let):
        return [Line(f"let {name(d.name)} = {expr(d.expr)}", line)]
    if isinstance(d, GradeScale):
        levels = ", ".join(name(lv.name) + (f" {lv.color}" if lv.color else "") for lv in d.levels)
        return [Line(f"levels {name(d.name)} [{levels}]", line)]
    if isinstance(d, DecisionTable):
        return _table(d)
    if isinstance(d, Grade):
        return _grade(d)
    if isinstance(d, Supervision):
        return _supervision(d)
    if isinstance(d, Sanction):
        return _sanction(d)
    if isinstance(d, Summary):
        out: Lines = [Line("summary {", line)]
        for s in d.lines:
            if s.kind == "count":
                out.append(Line("  count by " + ", ".join(name(n) for n in s.names), s.span.line))
            elif s.kind == "fine":
                out.append(Line("  sum fine", s.span.line))
            else:
                out.append(Line(f"  sum {name(s.names[0])}", s.span.line))
        out.append(_closing())
        return out
    raise AssertionError(d)  # pragma: no cover


def _closing(anchor: int = 0) -> Line:
    return Line("}", anchor, indent="  ", keep_blank=False)


def _wrapped(head: str, t: TypeSpec, default: str, doc: str | None, line: int) -> Lines:
    """A long `one of [...]` or `list of {...}` over several lines (newlines inside brackets are free)."""
    if t.kind == "enum":
        opener, closer, parts = "one of [", "]", [string(v) + "," for v in t.values]
    else:
        opener, closer, parts = "list of {", "}", [field(f) + "," for f in t.fields]
    out: Lines = [Line(head + opener, line)]
    current = ""
    for part in parts:
        if current and (t.kind == "list" or width(current) + 1 + width(part) > MAX_WIDTH - 2):
            out.append(Line("  " + current))
            current = part
        else:
            current = f"{current} {part}" if current else part
    out.append(Line("  " + current))
    out.append(Line(closer + default, 0, doc))
    return out


def _cells(rows: list[list[str]], split: int | None) -> list[str]:
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        parts = []
        for i, cell in enumerate(r):
            sep = "||" if split is not None and i == split else "|"
            parts.append(f"{sep} {pad(cell, widths[i])} ")
        out.append("".join(parts) + "|")
    return out


def _table(t: DecisionTable) -> Lines:
    hit = ""
    if t.hit == "collect":
        hit = f" hit collect {t.aggregate}"
    elif t.hit != "first":
        hit = f" hit {t.hit}"
    rows = [[expr(h) for h in t.inputs] + [name(o) for o in t.outputs]]
    rows += [[test(x) for x in r.tests] + [expr(o) for o in r.outputs] for r in t.rows]
    texts = _cells(rows, len(t.inputs))
    header_line = t.header_line or (t.span.line + 1 if t.span.line else 0)
    out: Lines = [Line(f"table {name(t.name)}{hit} {{", t.span.line)]
    out.append(Line("  " + texts[0], header_line, keep_blank=False))
    out += [Line("  " + text, r.span.line) for text, r in zip(texts[1:], t.rows, strict=True)]
    out.append(_closing())
    return out


def _arrowed(lefts: list[tuple[str, str, int]], indent: str = "  ") -> Lines:
    """Lines `left -> right`, arrows aligned by display width."""
    w = max((width(left) for left, _, _ in lefts), default=0)
    return [Line(f"{indent}{pad(left, w)} -> {right}", line) for left, right, line in lefts]


def _grade(g: Grade) -> Lines:
    out: Lines = []
    if g.matrix is not None:
        m = g.matrix
        out.append(Line(f"grade {name(g.scale)} by matrix {name(m.row_input)} x {name(m.column_input)} {{",
                        g.span.line))
        rows = [[""] + [_label(c) for c in m.columns]]
        rows += [[_label(label)] + [name(c) for c in cells] for label, cells in m.rows]
        texts = _cells(rows, None)
        spans = list(m.row_spans) or [None] * len(m.rows)
        first = spans[0].line if spans and spans[0] is not None else 0
        # the header row's line is its labels' line; guessed only for a model built in code
        header_line = (m.columns[0].span.line if m.columns and m.columns[0].span.line else
                       first - 1 if first - 1 > g.span.line else (g.span.line + 1 if g.span.line else 0))
        out.append(Line("  " + texts[0], header_line, keep_blank=False))
        out += [Line("  " + text, s.line if s else 0) for text, s in zip(texts[1:], spans, strict=True)]
    else:
        out.append(Line(f"grade {name(g.scale)} {{", g.span.line))
        lines = []
        for r in g.rules:
            if r.kind == "condition":
                left = expr(r.condition)  # type: ignore[arg-type]
                if left.startswith(("count(", "sum(")):
                    # at the start of a grade line `count`/`sum` read as summary words
                    left = f"({left})"
            elif r.kind == "otherwise":
                left = "otherwise"
            else:
                count = f"{number(r.count)}%" if r.percent else number(r.count)  # type: ignore[arg-type]
                left = f"{r.kind} {count} by {expr(r.by)}"  # type: ignore[arg-type]
                if r.within is not None:
                    left += f" within {expr(r.within)}"
            lines.append((left, name(r.level), r.span.line))
        out += _arrowed(lines)
    for r in g.raises:
        target = f"to {name(r.to_level)}" if r.to_level is not None else str(r.steps)
        out.append(Line(f"  raise {target} when {expr(r.condition)}", r.span.line))
    if len(out) > 1:
        out[1] = out[1]._replace(keep_blank=False)
    out.append(_closing())
    return out


def _label(lit: Literal) -> str:
    if isinstance(lit.value, str) and _WORD.match(lit.value) and lit.value not in KEYWORDS:
        return lit.value
    return literal(lit)


def _supervision(s: Supervision) -> Lines:
    lines = []
    supervisors = [", ".join(string(b) for b in line.by) for line in s.lines]
    w = max((width(b) for b, line in zip(supervisors, s.lines, strict=True) if line.every), default=0)
    for line, by in zip(s.lines, supervisors, strict=True):
        left = name(line.level) if line.level is not None else "otherwise"
        if line.when is not None:
            left += f" when {expr(line.when)}"
        right = by
        if line.every is not None:
            n, unit = line.every
            right = f"{pad(by, w)} every {n} {unit}{'s' if n != 1 else ''}"
        lines.append((left, right, line.span.line))
    out = [Line(f"supervision {name(s.scale)} {{", s.span.line), *_arrowed(lines), _closing()]
    if len(out) > 2:
        out[1] = out[1]._replace(keep_blank=False)
    return out


def _sanction(s: Sanction) -> Lines:
    head = f"sanction {name(s.name)}"
    if s.source is not None:
        head += f" for {name(s.var)} in {expr(s.source)}"  # type: ignore[arg-type]
        if s.where is not None:
            head += f" where {expr(s.where)}"
    elif s.when is not None:
        head += f" when {expr(s.when)}"
    at = dict(s.body_lines)
    out: Lines = [Line(head + " {", s.span.line)]
    if s.fine is not None:
        out.append(Line(f"  fine {expr(s.fine)}", at.get("fine", s.fine.span.line)))
    if s.actions:
        out.append(Line("  action " + ", ".join(string(a) for a in s.actions), at.get("action", 0)))
    if s.warning is not None:
        out.append(Line(f"  warning {s.warning}", at.get("warning", 0)))
    elif s.warning_of is not None:
        out.append(Line(f"  warning {name(s.warning_of)}", at.get("warning", 0)))
    if len(out) > 1:
        out[1] = out[1]._replace(keep_blank=False)
    out.append(_closing())
    return out


# ---------------------------------------------------------------- whole files


def _header(rs: Ruleset) -> Lines:
    spans = rs.header_spans

    def at(key: str) -> int:
        return spans[key].line if key in spans else 0

    out: Lines = []
    # A file without a `ruleset` line takes its id from the file name, or, when it
    # extends another, from its parent: writing the line would change that.
    if "ruleset" in spans or rs.title is not None:
        title = f" {string(rs.title)}" if rs.title is not None else ""
        out.append(Line(f"ruleset {name(rs.id)}{title}", at("ruleset")))
    if rs.version is not None:
        out.append(Line(f"version {string(rs.version)}", at("version")))
    if rs.effective is not None:
        out.append(Line(f"effective {rs.effective.isoformat()}", at("effective")))
    if rs.extends is not None:
        out.append(Line(f"extends {string(rs.extends)}", at("extends")))
    for i, rm in enumerate(rs.removes):
        out.append(Line(f"remove {rm.kind} {name(rm.name)}", at(f"remove#{i}") or rm.span.line))
    for i, src in enumerate(rs.sources):
        out.append(Line(f"source {string(src)}", at(f"source#{i}")))
    if rs.subject != "item" or "subject" in spans:
        out.append(Line(f"subject {name(rs.subject)}", at("subject")))
    return out


_BRACED = (DecisionTable, Grade, Supervision, Sanction, Summary, Rollup)


def closing_line(span: Span, blank_lines: frozenset[int]) -> int:
    """The last source line of a declaration (its `}`): a span ends after the newlines that follow."""
    if span.end_line <= span.line:
        return span.line
    last = span.end_line - 1
    while last > span.line and last in blank_lines:
        last -= 1
    return last


def to_dsl(rs: Ruleset, comments: bool = True) -> str:
    """The whole ruleset as canonical DSL text."""
    lines: Lines = _header(rs)
    body = _body(rs.declarations, rs.blank_lines)
    if lines and body:
        lines.append(BLANK)
    lines += body
    if comments:
        lines = with_comments(lines, rs.comments, rs.blank_lines, declaration_ranges(rs))
    return render(lines)


def declaration_ranges(rs: Ruleset) -> list[tuple[int, int]]:
    """Source lines of each declaration, those inside a rollup before the rollup itself
    (a comment inside a rollup's grade belongs to the grade)."""
    ranges = []
    for d in rs.declarations:
        if isinstance(d, Rollup):
            ranges += [(x.span.line, closing_line(x.span, rs.blank_lines)) for x in d.declarations if x.span.line]
        if d.span.line:
            ranges.append((d.span.line, closing_line(d.span, rs.blank_lines)))
    return ranges


def _body(declarations: list[Declaration], blank_lines: frozenset[int]) -> Lines:
    """Declarations in paragraphs: blocks `{ … }` and each change of kind stand apart."""
    lines: Lines = []
    for i, d in enumerate(declarations):
        block = _declaration(d, blank_lines)
        if len(block) > 1 and block[-1].text == "}" and d.span.line:
            block[-1] = block[-1]._replace(anchor=closing_line(d.span, blank_lines))
        if i > 0:
            kind, previous = type(d), type(declarations[i - 1])
            if kind in _BRACED or previous in _BRACED or previous is not kind:
                lines.append(BLANK)
        lines.extend(block)
    return lines


def with_comments(lines: Lines, comments: tuple[Comment, ...], blank_lines: frozenset[int],
                  ranges: list[tuple[int, int]]) -> Lines:
    """Merge source comments and blank-line paragraphs into printed lines, by source line.

    An own-line comment goes above the printed line that comes next in the
    source; one at the end of a block whose closing line is not printed (the
    YAML form has no `}`) goes below the block's last printed line. A trailing
    comment stays on its line, or, when that line was not printed on its own
    (a list spread over lines), joins the nearest earlier printed line of its
    statement. Works for any printed form (DSL or YAML) whose lines carry
    source line anchors.
    """
    first: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.anchor > 0:
            first.setdefault(line.anchor, i)
    anchors = sorted(first)
    above: dict[int, list[Comment]] = {}
    below: dict[int, list[Comment]] = {}
    trailing: dict[int, list[str]] = {}
    at_end: list[Comment] = []
    for c in sorted(comments, key=lambda c: (c.line, not c.own_line)):
        if not c.own_line:
            if c.line in first:
                trailing.setdefault(first[c.line], []).append(c.text)
                continue
            start = next((a for a, b in ranges if a <= c.line <= b), None)
            earlier = [a for a in anchors[:bisect.bisect_left(anchors, c.line)] if start is not None and a >= start]
            if earlier:
                trailing.setdefault(first[earlier[-1]], []).append(c.text)
                continue
        # (left: a closing `}` printed for a YAML block is anchored at the block's last line,
        # which may be this very comment; the comment then goes above it)
        k = bisect.bisect_left(anchors, c.line)
        inside = next((a for a, b in ranges if a < c.line <= b), None)
        if inside is not None and inside in first and (k == len(anchors) or not anchors[k] <= _end(ranges, inside)):
            body = [a for a in anchors[:k] if a > inside]
            if body:  # after the last printed line of the block, which is printed over lines
                below.setdefault(_last_of(lines, first[body[-1]]), []).append(c)
            else:  # a note inside a statement printed on fewer lines goes above the statement
                above.setdefault(first[inside], []).append(c)
        elif k < len(anchors):
            above.setdefault(_section_start(lines, first[anchors[k]]) if c.top_level else first[anchors[k]],
                             []).append(c)
        else:
            at_end.append(c)
    out: Lines = []
    for i, line in enumerate(lines):
        group = above.get(i, [])
        indent = line.indent if line.indent is not None else line.text[: len(line.text) - len(line.text.lstrip())]
        for j, c in enumerate(group):
            if c.line - 1 in blank_lines and (j or line.keep_blank):
                out.append(BLANK)
            out.append(Line(indent + c.text, c.line))
        if (line.keep_blank and line.anchor > 0 and line.anchor - 1 in blank_lines
                and (not group or group[-1].line < line.anchor - 1)):
            out.append(BLANK)
        if i in trailing:
            line = line._replace(comment="  ".join(trailing[i]))
        out.append(line)
        for c in below.get(i, []):
            if c.line - 1 in blank_lines:
                out.append(BLANK)
            out.append(Line(indent + c.text, c.line))
    for c in at_end:
        if c.line - 1 in blank_lines:
            out.append(BLANK)
        out.append(Line(c.text, c.line))
    return out


def _section_start(lines: Lines, i: int) -> int:
    """Line i, or the section key printed just above it (`levels:`, unanchored, not
    indented) when line i opens that section: a top-level comment written above a YAML
    section key stays above it instead of moving into the section."""
    while i > 0 and lines[i - 1].anchor == 0 and lines[i - 1].text.strip() and not lines[i - 1].text[0].isspace():
        i -= 1
    return i


def _last_of(lines: Lines, i: int) -> int:
    """Line i and the unanchored lines after it that are indented deeper (its continuation)."""
    depth = len(lines[i].text) - len(lines[i].text.lstrip())
    while (i + 1 < len(lines) and lines[i + 1].anchor == 0 and lines[i + 1].text.strip()
           and len(lines[i + 1].text) - len(lines[i + 1].text.lstrip()) > depth):
        i += 1
    return i


def _end(ranges: list[tuple[int, int]], start: int) -> int:
    return next(b for a, b in ranges if a == start)
