"""Print a model as canonical DSL text (the generator of sqlglot's parse → generate).

Used by `fmt`, `convert --to dsl`, `diff` (each declaration's canonical text)
and the ruleset digest. Table columns and grade arrows are aligned by display
width, so CJK text (two terminal cells a character) lines up. Comments and
blank-line paragraphs are carried over by source line number.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal

from wcwidth import wcswidth

from .model import (
    Binary,
    Call,
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
    Ruleset,
    Sanction,
    Summary,
    Supervision,
    Test,
    TypeSpec,
    Unary,
)
from .runtime import format_number

KEYWORDS = frozenset("""
ruleset version effective extends remove source subject input dimension table let levels grade
supervision sanction summary weight number integer text bool date one of list hit first unique any
collect sum min max count in not if then else and or true false otherwise top bottom by within raise
to when matrix x every year years month months quarter quarters for where fine action warning red
orange yellow blue green
""".split())
_WORD = re.compile(r"^[^\W\d]\w*$")

# Lines are (text, source line or 0); comments are merged in by source line.
Lines = list[tuple[str, int]]


def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


# ---------------------------------------------------------------- atoms


def name(n: str) -> str:
    return n if _WORD.match(n) and n not in KEYWORDS else f"`{n}`"


def string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


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
        # a function name is never a keyword where a call can stand
        fn = e.function if _WORD.match(e.function) else f"`{e.function}`"
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


def type_spec(t: TypeSpec) -> str:
    if t.kind == "enum":
        return "one of [" + ", ".join(string(v) for v in t.values) + "]"
    if t.kind == "range":
        return f"{number(t.minimum)}..{number(t.maximum)}"  # type: ignore[arg-type]
    if t.kind == "list":
        return "list of {" + ", ".join(field(f) for f in t.fields) + "}"
    text = t.kind
    if t.minimum is not None:
        text += f" {'>' if t.min_exclusive else '>='} {number(t.minimum)}"
    if t.maximum is not None:
        text += f" {'<' if t.max_exclusive else '<='} {number(t.maximum)}"
    return text


def field(f: Field) -> str:
    text = f"{name(f.name)}: {type_spec(f.type)}"
    if f.default is not None:
        text += f" = {expr(f.default)}"
    return text


# ---------------------------------------------------------------- declarations


def declaration(d: Declaration) -> str:
    """One declaration's canonical text (what diff shows as old/new)."""
    return "\n".join(text for text, _ in _declaration(d))


def _declaration(d: Declaration) -> Lines:
    line = d.span.line
    if isinstance(d, Input):
        text = f"input {name(d.name)}: {type_spec(d.type)}"
        if d.default is not None:
            text += f" = {expr(d.default)}"
        if d.doc is not None:
            text += f" {string(d.doc)}"
        return [(text, line)]
    if isinstance(d, Dimension):
        text = f"dimension {name(d.name)}: {number(d.low)}..{number(d.high)}"
        if d.weight != 1:
            text += f" weight {number(d.weight)}"
        if d.doc is not None:
            text += f" {string(d.doc)}"
        return [(text, line)]
    if isinstance(d, Let):
        return [(f"let {name(d.name)} = {expr(d.expr)}", line)]
    if isinstance(d, GradeScale):
        levels = ", ".join(name(lv.name) + (f" {lv.color}" if lv.color else "") for lv in d.levels)
        return [(f"levels {name(d.name)} [{levels}]", line)]
    if isinstance(d, DecisionTable):
        return _table(d)
    if isinstance(d, Grade):
        return _grade(d)
    if isinstance(d, Supervision):
        return _supervision(d)
    if isinstance(d, Sanction):
        return _sanction(d)
    if isinstance(d, Summary):
        out: Lines = [("summary {", line)]
        for s in d.lines:
            if s.kind == "count":
                out.append(("  count by " + ", ".join(name(n) for n in s.names), s.span.line))
            elif s.kind == "fine":
                out.append(("  sum fine", s.span.line))
            else:
                out.append((f"  sum {name(s.names[0])}", s.span.line))
        out.append(("}", 0))
        return out
    raise AssertionError(d)  # pragma: no cover


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
    out: Lines = [(f"table {name(t.name)}{hit} {{", t.span.line)]
    out.append(("  " + texts[0], t.span.line + 1 if t.span.line else 0))
    out += [("  " + text, r.span.line) for text, r in zip(texts[1:], t.rows, strict=True)]
    out.append(("}", 0))
    return out


def _arrowed(lefts: list[tuple[str, str, int]], indent: str = "  ") -> Lines:
    """Lines `left -> right`, arrows aligned; a None right side is printed as is."""
    w = max((width(left) for left, right, _ in lefts if right is not None), default=0)
    out: Lines = []
    for left, right, line in lefts:
        out.append((f"{indent}{pad(left, w)} -> {right}" if right is not None else f"{indent}{left}", line))
    return out


def _grade(g: Grade) -> Lines:
    out: Lines = []
    if g.matrix is not None:
        m = g.matrix
        out.append((f"grade {name(g.scale)} by matrix {name(m.row_input)} x {name(m.column_input)} {{",
                    g.span.line))
        rows = [[""] + [_label(c) for c in m.columns]]
        rows += [[_label(label)] + [name(c) for c in cells] for label, cells in m.rows]
        texts = _cells(rows, None)
        out.append(("  " + texts[0], g.span.line + 1 if g.span.line else 0))
        spans = list(m.row_spans) or [None] * len(m.rows)
        out += [("  " + text, s.line if s else 0) for text, s in zip(texts[1:], spans, strict=True)]
    else:
        out.append((f"grade {name(g.scale)} {{", g.span.line))
        lines = []
        for r in g.rules:
            if r.kind == "condition":
                left = expr(r.condition)  # type: ignore[arg-type]
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
        out.append((f"  raise {target} when {expr(r.condition)}", r.span.line))
    out.append(("}", 0))
    return out


def _label(lit: Literal) -> str:
    if isinstance(lit.value, str) and _WORD.match(lit.value) and lit.value not in KEYWORDS:
        return lit.value
    return literal(lit)


def _supervision(s: Supervision) -> Lines:
    lines = []
    for line in s.lines:
        left = name(line.level) if line.level is not None else "otherwise"
        if line.when is not None:
            left += f" when {expr(line.when)}"
        right = ", ".join(string(b) for b in line.by)
        if line.every is not None:
            n, unit = line.every
            right += f" every {n} {unit}{'s' if n != 1 else ''}"
        lines.append((left, right, line.span.line))
    return [(f"supervision {name(s.scale)} {{", s.span.line), *_arrowed(lines), ("}", 0)]


def _sanction(s: Sanction) -> Lines:
    head = f"sanction {name(s.name)}"
    if s.source is not None:
        head += f" for {name(s.var)} in {expr(s.source)}"  # type: ignore[arg-type]
        if s.where is not None:
            head += f" where {expr(s.where)}"
    elif s.when is not None:
        head += f" when {expr(s.when)}"
    out: Lines = [(head + " {", s.span.line)]
    if s.fine is not None:
        out.append((f"  fine {expr(s.fine)}", s.fine.span.line))
    if s.actions:
        out.append(("  action " + ", ".join(string(a) for a in s.actions), 0))
    if s.warning is not None:
        out.append((f"  warning {s.warning}", 0))
    elif s.warning_of is not None:
        out.append((f"  warning {name(s.warning_of)}", 0))
    out.append(("}", 0))
    return out


# ---------------------------------------------------------------- whole files


def _header(rs: Ruleset) -> Lines:
    spans = rs.header_spans
    out: Lines = []

    def at(key: str) -> int:
        return spans[key].line if key in spans else 0

    out.append((f"ruleset {name(rs.id)}" + (f" {string(rs.title)}" if rs.title else ""), at("ruleset")))
    if rs.version is not None:
        out.append((f"version {string(rs.version)}", at("version")))
    if rs.effective is not None:
        out.append((f"effective {rs.effective.isoformat()}", at("effective")))
    if rs.extends is not None:
        out.append((f"extends {string(rs.extends)}", at("extends")))
    for i, rm in enumerate(rs.removes):
        out.append((f"remove {rm.kind} {name(rm.name)}", at(f"remove#{i}") or rm.span.line))
    for i, src in enumerate(rs.sources):
        out.append((f"source {string(src)}", at(f"source#{i}")))
    if rs.subject != "item" or "subject" in spans:
        out.append((f"subject {name(rs.subject)}", at("subject")))
    return out


def to_dsl(rs: Ruleset, comments: bool = True) -> str:
    """The whole ruleset as canonical DSL text."""
    blocks: list[Lines] = [_header(rs)]
    for d in rs.declarations:
        blocks.append(_declaration(d))
    lines: Lines = []
    for i, block in enumerate(blocks):
        if i > 0:
            previous = blocks[i - 1]
            previous_kind = type(rs.declarations[i - 2]) if i >= 2 else None
            separate = len(block) > 1 or len(previous) > 1 or previous_kind is not type(rs.declarations[i - 1])
            if separate or (comments and block[0][1] and _blank_before(rs, block[0][1])):
                lines.append(("", -1))
        lines.extend(block)
    if comments:
        lines = _merge_comments(lines, rs)
    text = "\n".join(t.rstrip() for t, _ in lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n"


def _blank_before(rs: Ruleset, line: int) -> bool:
    """Whether the author left a blank line before `line` (skipping the comments just above it)."""
    own = {c.line for c in rs.comments if c.own_line}
    n = line - 1
    while n in own:
        n -= 1
    return n in rs.blank_lines


def _merge_comments(lines: Lines, rs: Ruleset) -> Lines:
    pending = sorted(rs.comments, key=lambda c: c.line)
    trailing = {c.line: c.text for c in pending if not c.own_line}
    own = [c for c in pending if c.own_line]
    out: Lines = []
    used_trailing: set[int] = set()
    k = 0
    for text, line in lines:
        if line > 0:
            block: list[tuple[str, int]] = []
            while k < len(own) and own[k].line < line:
                indent = "  " if text.startswith("  ") else ""
                block.append((indent + own[k].text, own[k].line))
                k += 1
            if block:
                # keep a blank line the author left between a comment paragraph and the code
                if out and out[-1][0] != "" and block[0][1] - 1 in rs.blank_lines:
                    out.append(("", -1))
                for j, entry in enumerate(block):
                    if j and entry[1] - 1 in rs.blank_lines:
                        out.append(("", -1))
                    out.append(entry)
                if line - 1 in rs.blank_lines and block[-1][1] < line - 1:
                    out.append(("", -1))
            if line in trailing and line not in used_trailing:
                text = f"{text}  {trailing[line]}"
                used_trailing.add(line)
        out.append((text, line))
    while k < len(own):
        if own[k].line - 1 in rs.blank_lines:
            out.append(("", -1))
        out.append((own[k].text, own[k].line))
        k += 1
    # trailing comments whose line printed nothing of its own (e.g. on a closing brace)
    for line, text in sorted(trailing.items()):
        if line not in used_trailing:
            out.append((text, line))
    return out
