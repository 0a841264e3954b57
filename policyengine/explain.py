"""Why an item got its values, grades, supervision and sanctions (`policyengine explain`).

The case is evaluated once more with the ruleset compiled in trace mode (see
docs/architecture.md, "Trace mode"); every item still takes part, because
ranking needs them all. The explanation of one item is then read off its slot
list and trace dict: nothing is re-evaluated here, so what it shows is exactly
what `eval` computed. The structure (documented in docs/explain.md) is built
first as plain data; the text and JSON renderers only print it.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import dsl, runtime
from .api import LoadedRuleset, load_ruleset
from .case import Case, load_case, locate, place_text
from .check import Type, children, walk
from .compile import CompiledRuleset
from .errors import CaseError, Diagnostic, did_you_mean
from .evaluate import Units, build_item, every_rollup, run
from .i18n import _
from .model import (
    Comprehension,
    DecisionTable,
    Dimension,
    Expr,
    Grade,
    GradeRule,
    Let,
    Member,
    Name,
    Raise,
    Ruleset,
    Sanction,
    Span,
    Supervision,
    SupervisionLine,
    rollup_ruleset,
)
from .render import cell, to_json

FORMAT = "policyengine-explain/1"


@dataclass
class Explanation:
    """The explanation of one item, as data (its keys are documented in docs/explain.md)."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def to_json(self) -> str:
        return to_json(self.data)

    def to_text(self) -> str:
        return render_text(self.data)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def find(self, section: str, name: str) -> dict[str, Any]:
        """The entry called `name` in a section: `ex.find("lets", "综合得分")["value"]`."""
        key = "scale" if section in ("grades", "supervision") else "name"
        for entry in self.data[section]:
            if entry[key] == name:
                return entry
        raise KeyError(name)


def explain(rs: LoadedRuleset | str | Path, case: Case | str | Path, item_id: str) -> Explanation:
    """Explain item `item_id` of `case` under ruleset `rs` (a LoadedRuleset, a path or a shipped name)."""
    loaded = rs if isinstance(rs, LoadedRuleset) else load_ruleset(rs)
    if not isinstance(case, Case):
        case = load_case(case)
    traced = loaded.traced()
    rows, ids, names = run(traced, case)
    if item_id not in ids:
        raise CaseError(Diagnostic("PE304", _("no item '{item_id}'", item_id=item_id) + did_you_mean(item_id, ids),
                                   file=case.file or "<case>"))
    index = ids.index(item_id)
    return Explanation(_Explainer(loaded.model, loaded.path, traced, case, rows[index], index,
                                  names[index]).build(item_id))


def explain_unit(rs: LoadedRuleset | str | Path, case: Case | str | Path, unit: str) -> Explanation:
    """Explain one unit of a rollup: `unit` is its id (the items' key value), or
    `ROLLUP:ID` when several rollups have a unit of that id. Its aggregates list the
    items they counted."""
    loaded = rs if isinstance(rs, LoadedRuleset) else load_ruleset(rs)
    if not isinstance(case, Case):
        case = load_case(case)
    traced = loaded.traced()
    done: Units = {}  # the rollups item rules read run with the items: not again below
    rows, ids, _names = run(traced, case, units=done)
    wanted_rollup, _sep, wanted = unit.rpartition(":") if ":" in unit else ("", "", unit)
    found = []
    known: list[str] = []
    # what each rollup groups: (the ruleset it is declared in, the case and rows of what it
    # groups, their ids); every_rollup lists a nested rollup after the one it groups
    grouping = {id(cr): (loaded.model, case, rows, ids) for cr in traced.rollups}
    for cr, (unit_rows, unit_ids, unit_names, section) in every_rollup(traced, case, rows, ids, done):
        owner, below, below_rows, below_ids = grouping[id(cr)]
        inner = rollup_ruleset(owner, cr.rollup)
        grouping.update((id(nested), (inner, section, unit_rows, unit_ids)) for nested in cr.compiled.rollups)
        if wanted_rollup and cr.rollup.name != wanted_rollup:
            continue
        known += [f"{cr.rollup.name}:{u}" for u in unit_ids]
        if wanted in unit_ids:
            found.append((cr, inner, below, below_rows, below_ids, unit_rows, unit_ids, unit_names, section))
    if len(found) != 1:
        message = _("units of several rollups have the id '{id}': write ROLLUP:ID, one of {choices}", id=wanted,
                    choices=", ".join(f"{f[0].rollup.name}:{wanted}" for f in found)) if found else (
            _("no unit '{unit}'", unit=unit) + did_you_mean(unit, known + [k.split(":", 1)[1] for k in known])
            if traced.rollups else _("this ruleset has no rollups (no units to explain)"))
        raise CaseError(Diagnostic("PE345", message, file=case.file or "<case>"))
    cr, inner, below, below_rows, below_ids, unit_rows, unit_ids, unit_names, section = found[0]
    index = unit_ids.index(wanted)
    item_ids = {id(row): (i, item_id) for i, (row, item_id) in enumerate(zip(below_rows, below_ids, strict=True))}
    explainer = _Explainer(inner, loaded.path, cr.compiled, section,
                           unit_rows[index], index, unit_names[index], (below, item_ids))
    data = explainer.build(wanted)
    data["rollup"] = {"name": cr.rollup.name, "by": cr.rollup.by, "at": at(cr.rollup.span)}
    return Explanation(data)


def explain_all(rs: LoadedRuleset, case: Case, limit: int | None = None) -> list[Explanation]:
    """The explanation of every item of `case` (the first `limit` ones), from one traced
    evaluation: what `explain` gives for each id, without evaluating the case once per item
    (the HTML report expands each row of its table into this)."""
    traced = rs.traced()
    rows, ids, names = run(traced, case)
    count = len(ids) if limit is None else min(limit, len(ids))
    return [Explanation(_Explainer(rs.model, rs.path, traced, case, rows[i], i, names[i]).build(ids[i]))
            for i in range(count)]


# ---------------------------------------------------------------- building the data


def at(span: Span) -> str:
    return f"{span.file}:{span.line}"


class _Explainer:
    def __init__(self, rs: Ruleset, path: str, traced: CompiledRuleset, case: Case, row: list[Any],
                 index: int, name: str | None,
                 items: tuple[Case, dict[int, tuple[int, str]]] | None = None):
        self.path = path
        self.rs = rs
        # for a unit: the case its items come from, and each item row's index and id
        self.items = items
        self.an = traced.analysis
        self.traced = traced
        self.case = case
        self.row = row
        self.index = index
        self.name = name
        self.trace: dict[str, Any] = row[traced.trace_slot]  # type: ignore[index]
        outer = traced.analysis.parent.ruleset.scales if traced.analysis.parent is not None else []
        inner = [s for cr in traced.rollups for s in cr.compiled.ruleset.scales]
        self.levels = {s.name: s.levels for s in [*outer, *self.rs.scales, *inner]}
        # rollups whose values this item's rules read (`单位.指数`), by name
        self.units = {cr.rollup.name: cr for cr in traced.rollups if cr.unit_slot is not None}
        self.tables = {t.name: t for t in self.rs.tables}
        self.calls: dict[str, list[dict[str, Any]]] = {}
        for table, hit, value, args, marker in self.trace.get("calls", []):
            key = traced.markers[marker].key
            self.calls.setdefault(key, []).append(self.call(table, hit, value, args))

    def build(self, item_id: str) -> dict[str, Any]:
        item = build_item(self.traced, self.row, item_id, self.name)
        rs = self.rs
        return {
            "format": FORMAT,
            "ruleset": {"id": rs.id, "version": rs.version, "title": rs.title, "file": self.path},
            "case": {"file": self.case.file, "title": self.case.title, "unit": self.case.unit,
                     "period": self.case.period},
            "subject": rs.subject,
            "item": {"id": item_id, "name": self.name,
                     "at": place_text(self.case, ["items", self.index])},
            "inputs": self.inputs(),
            # the computed values in the ruleset's order, as in the result's "values"
            "values": [self.let_(d) if isinstance(d, Let) else self.table(d) for d in rs.declarations
                       if isinstance(d, Let) or (isinstance(d, DecisionTable) and d.name in self.an.bare_tables)],
            "grades": [self.grade(g) for g in rs.grades],
            "supervision": [self.supervision(s) for s in rs.supervisions],
            "sanctions": self.sanctions(item.sanctions),
            "not_fired": self.not_fired(),
            "fine": item.fine,
            # only for a ruleset that reads earlier results: the files and periods its values came from
            **({"previous": self.earlier_files(item_id)} if self.traced.earlier is not None else {}),
        }

    # -- values as the user wrote them (levels by name, not by index)
    def public(self, value: Any, t: Type | None) -> Any:
        if t is None:
            return value
        if t.kind == "level" and t.scale in self.levels and isinstance(value, int) and not isinstance(value, bool):
            return self.levels[t.scale][value].name
        if t.kind == "record" and isinstance(value, dict):
            return {k: self.public(v, t.field(k)) for k, v in value.items()}
        if t.kind == "list" and isinstance(value, (list, tuple)):
            return [self.public(v, t.element) for v in value]
        return value

    def value_of(self, name: str) -> Any:
        return self.public(self.row[self.traced.slots[name]], self.an.value_types.get(name))

    def operands(self, *exprs: Expr | None, bound: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The values of the names the expressions read, in reading order."""
        found: dict[str, Any] = {}
        header = self.case.header()

        def visit(e: Expr | None, bound: frozenset[str]) -> None:
            if e is None:
                return
            earlier = self.traced.earlier
            if earlier is not None:
                if (isinstance(e, Name) and e.name in ("new", "history") and e.name not in bound
                        and e.name not in self.an.symbols):
                    found.setdefault(e.name, self.earlier_value(e.name))
                    return
                if (isinstance(e, Member) and isinstance(e.target, Name) and e.target.name == "previous"
                        and "previous" not in bound and "previous" not in self.an.symbols):
                    found.setdefault(f"previous.{e.name}", self.earlier_value(e.name, previous=True))
                    return
            if isinstance(e, Name):
                if e.name in bound:
                    return
                if e.name == "dimensions" and e.name not in self.an.symbols:
                    for d in self.rs.dimensions:
                        found.setdefault(d.name, self.value_of(d.name))
                    return
                sym = self.an.symbols.get(e.name)
                if sym is not None and sym.kind in ("input", "dimension", "let", "table", "grade"):
                    found.setdefault(e.name, self.value_of(e.name))
                return
            if (isinstance(e, Member) and isinstance(e.target, Name) and e.target.name == "case"
                    and "case" not in bound and "case" not in self.an.symbols):
                found.setdefault(f"case.{e.name}", header.get(e.name))
                return
            if isinstance(e, Member) and isinstance(e.target, Name) and e.target.name in self.units:
                cr = self.units[e.target.name]
                unit = self.row[cr.unit_slot]  # type: ignore[index]
                value = unit[cr.compiled.slots[e.name]] if unit is not None else None
                graded = any(g.scale == e.name for g in cr.compiled.grades)
                t = Type("level", scale=e.name) if graded else cr.compiled.analysis.value_types.get(e.name)
                found.setdefault(f"{e.target.name}.{e.name}", self.public(value, t))
                return
            if isinstance(e, Comprehension):
                visit(e.source, bound)
                inner = bound | {e.var}
                visit(e.element, inner)
                visit(e.where, inner)
                return
            for child in children(e):
                visit(child, bound)

        for e in exprs:
            visit(e, bound)
        return found

    # -- earlier results (`previous.X`, `new`, `history`)
    def earlier_value(self, name: str, previous: bool = False) -> Any:
        """What the item read of its earlier results, levels by name; `previous.X` of a new
        item is none."""
        slots = self.traced.earlier
        assert slots is not None
        if previous:
            value = self.row[slots.fields[name]]
            return None if value is runtime.ABSENT else self.public(value, self.an.value_types.get(name))
        value = self.row[getattr(slots, name)]
        if name == "new":
            return value
        return [{k: self.public(v, self.an.value_types.get(k)) for k, v in record.items()} for record in value]

    def earlier_files(self, item_id: str) -> list[dict[str, Any]]:
        """Where the earlier values came from: each earlier result, oldest first, and whether it
        lists this item."""
        def entries(f: Any) -> list[Any]:  # a unit is matched among that rollup's units
            if self.an.parent is None:
                return f.result.items
            rollup = f.result.rollups.get(self.rs.subject)
            return rollup.units if rollup is not None else []

        return [{**f.identity(), "lists": any(i.id == item_id for i in entries(f))}
                for f in self.case.earlier or []]

    # -- inputs
    def inputs(self) -> list[dict[str, Any]]:
        raw = self.case.items[self.index]
        out = []
        for decl in self.traced.inputs:
            entry: dict[str, Any] = {"name": decl.name, "kind": "input", "value": self.value_of(decl.name),
                                     "given": decl.name in raw}
            if isinstance(decl, Dimension):
                entry.update(kind="dimension", range=[decl.low, decl.high], weight=decl.weight)
            entry["at"] = at(decl.span)
            out.append(entry)
        return out

    # -- tables
    def matched_rows(self, t: DecisionTable, hit: int | list[int]) -> list[dict[str, Any]]:
        hits = hit if isinstance(hit, list) else [hit]
        out = []
        for i in hits:
            row = t.rows[i]
            out.append({"row": i + 1, "tests": [dsl.test(x) for x in row.tests],
                        "outputs": [dsl.expr(o) for o in row.outputs], "at": at(row.span)})
        return out

    def hit_policy(self, t: DecisionTable) -> str:
        return f"collect {t.aggregate}" if t.hit == "collect" else t.hit

    def table_value(self, t: DecisionTable, value: Any) -> Any:
        if t.hit == "collect" or not t.rows:
            return value
        types = [self.an.type_of(o) for o in t.rows[0].outputs]
        if len(t.outputs) == 1:
            return self.public(value, types[0])
        return self.public(value, Type("record", fields=tuple(zip(t.outputs, types, strict=True))))

    def table(self, t: DecisionTable) -> dict[str, Any]:
        args = self.trace.get(f"args:{t.name}", ())
        return {
            "kind": "table",
            "name": t.name,
            "hit": self.hit_policy(t),
            "inputs": [{"header": dsl.expr(h), "value": self.public(a, self.an.type_of(h))}
                       for h, a in zip(t.inputs, args, strict=True)],
            "rows": self.matched_rows(t, self.trace[f"table:{t.name}"]),
            "value": self.value_of(t.name),
            "at": at(t.span),
            "calls": self.calls.get(f"table:{t.name}", []),
        }

    def call(self, table: str, hit: int | list[int], value: Any, args: tuple) -> dict[str, Any]:
        t = self.tables[table]
        return {"table": table, "args": list(args), "hit": self.hit_policy(t),
                "rows": self.matched_rows(t, hit), "value": self.table_value(t, value), "at": at(t.span)}

    # -- lets
    def let_(self, decl: Let) -> dict[str, Any]:
        out = {"kind": "let", "name": decl.name, "expr": dsl.expr(decl.expr), "operands": self.operands(decl.expr),
               "value": self.value_of(decl.name), "at": at(decl.span),
               "calls": self.calls.get(f"let:{decl.name}", [])}
        if self.items is not None:
            out["aggregates"] = self.aggregates(decl.expr)
        return out

    def aggregates(self, *exprs: Expr | None) -> list[dict[str, Any]]:
        """A unit's aggregates in `e` (comprehensions over its items), each with the items it
        counted (kept by its `where`) and where they stand in the case file."""
        assert self.items is not None
        case, index_of = self.items
        out = []
        for k, comp in enumerate(self.traced.aggregates):
            if not any(node is comp for e in exprs for node in walk(e)):
                continue
            kept = []
            for row in self.trace.get(("agg", k), []):
                index, item_id = index_of[id(row)]
                line, _column = locate(case, ["items", index])
                kept.append({"id": item_id, "at": f"{case.file}:{line}" if line else None})
            out.append({"expr": dsl.expr(comp), "counted": kept, "of": len(self.row[self.traced.slots["\0members"]]),
                        "at": at(comp.span)})
        return out

    # -- grades
    def level_name(self, scale: str, index: int) -> str:
        return self.levels[scale][index].name

    def grade(self, g: Grade) -> dict[str, Any]:
        decided = self.trace.get(f"line:{g.scale}")
        base = self.trace[f"base:{g.scale}"]
        final = self.row[self.traced.slots[g.scale]]
        display = self.traced.slots.get(f"\0display-rank:{g.scale}")
        lines = []
        if decided != "matrix":
            for j, rule in enumerate(g.rules[: decided + 1]):  # lines after the deciding one are never tried
                lines.append(self.grade_line(g, j, rule, held=j == decided))
        calls = [c for key, found in self.calls.items()
                 if key == f"grade:{g.scale}" or key.startswith(f"rank:{g.scale}:") for c in found]
        level = self.levels[g.scale][final]
        return {
            "scale": g.scale,
            "level": level.name,
            "color": level.color,
            "base": self.level_name(g.scale, base),
            "rank": self.row[display] if display is not None else None,
            "lines": lines,
            "matrix": self.matrix(g, base) if g.matrix is not None else None,
            "raises": self.raises(g, base),
            "at": at(g.span),
            "calls": calls,
        }

    def grade_line(self, g: Grade, j: int, rule: GradeRule, held: bool) -> dict[str, Any]:
        text = _inner_line(Grade(g.scale, rules=(rule,)))
        entry: dict[str, Any] = {"line": j + 1, "kind": rule.kind, "text": text, "level": rule.level,
                                 "held": held, "at": at(rule.span)}
        if rule.kind == "condition":
            entry["operands"] = self.operands(rule.condition)
        elif rule.kind in ("top", "bottom"):
            entry["ranking"] = self.ranking(g, j, rule)
        return entry

    def ranking(self, g: Grade, j: int, rule: GradeRule) -> dict[str, Any]:
        slots, row = self.traced.slots, self.row
        size = row[slots[f"\0rank-size:{g.scale}:{j}"]]
        count = rule.count
        assert count is not None
        if rule.percent:
            with decimal.localcontext(runtime.CONTEXT):
                edge = count * size / 100
        else:
            edge = count
        group = None
        if rule.within is not None:
            group = self.public(row[slots[f"\0rank-group:{g.scale}:{j}"]], self.an.type_of(rule.within))
        return {
            "direction": rule.kind,
            "by": dsl.expr(rule.by),  # type: ignore[arg-type]
            "value": self.public(row[slots[f"\0rank-key:{g.scale}:{j}"]], self.an.type_of(rule.by)),  # type: ignore[arg-type]
            "rank": row[slots[f"\0rank:{g.scale}:{j}"]],
            "within": dsl.expr(rule.within) if rule.within is not None else None,
            "group": group,
            "size": size,
            "count": count,
            "percent": rule.percent,
            "edge": edge,
        }

    def matrix(self, g: Grade, base: int) -> dict[str, Any]:
        mx = g.matrix
        assert mx is not None
        row_value = self.value_of(mx.row_input)
        column_value = self.value_of(mx.column_input)
        where = g.span
        for k, (label, _cells) in enumerate(mx.rows):
            if label.value == row_value and k < len(mx.row_spans):
                where = mx.row_spans[k]
        return {"row": mx.row_input, "row_value": row_value, "column": mx.column_input,
                "column_value": column_value, "cell": self.level_name(g.scale, base), "at": at(where)}

    def raises(self, g: Grade, base: int) -> list[dict[str, Any]]:
        applied = set(self.trace.get(f"raises:{g.scale}", []))
        level = base
        out = []
        for j, r in enumerate(g.raises):
            if j in applied:
                level = _raised(self.levels[g.scale], level, r)
            out.append({"line": j + 1, "text": _inner_line(Grade(g.scale, raises=(r,))),
                        "applied": j in applied, "level": self.level_name(g.scale, level),
                        "operands": self.operands(r.condition), "at": at(r.span)})
        return out

    # -- supervision
    def supervision(self, s: Supervision) -> dict[str, Any]:
        index = self.row[self.traced.slots[f"\0supervision:{s.scale}"]]
        if index is None or index < 0:
            # every key present, in the documented order, even when no line applied
            return {"scale": s.scale, "line": None, "text": None, "level": None, "when": None, "operands": {},
                    "by": [], "every": None, "at": at(s.span), "calls": []}
        line: SupervisionLine = s.lines[index]
        every = None
        if line.every is not None:
            n, unit = line.every
            every = f"{n} {unit}{'s' if n != 1 else ''}"
        return {"scale": s.scale, "line": index + 1, "text": _inner_line(Supervision(s.scale, (line,))),
                "level": line.level, "when": dsl.expr(line.when) if line.when is not None else None,
                "operands": self.operands(line.when), "by": list(line.by), "every": every, "at": at(line.span),
                "calls": self.calls.get(f"supervision:{s.scale}", [])}

    # -- sanctions
    def sanctions(self, results: list[Any]) -> list[dict[str, Any]]:
        fired = sorted(self.row[self.traced.sanction_slot], key=lambda f: f[0])
        by_firing = {(r.rule, r.element): r for r in results}
        out = []
        for index, fine, element in fired:
            decl: Sanction = self.traced.sanctions[index]
            result = by_firing[(decl.name, element)]
            entry: dict[str, Any] = {"name": decl.name, "rule": _sanction_head(decl), "element": None,
                                     "fields": None}
            if element is not None:
                entry["element"] = element + 1
                source = self.source_list(decl)
                if source is not None and element < len(source):
                    entry["fields"] = source[element]
            # the list a `for` sanction walks is among the inputs; its element is in "fields"
            bound = frozenset([decl.var]) if decl.var else frozenset()
            entry.update(operands=self.operands(decl.when, decl.where, decl.fine, bound=bound),
                         fine_expr=dsl.expr(decl.fine) if decl.fine is not None else None, fine=fine,
                         actions=list(result.actions), warning=result.warning, at=at(decl.span),
                         calls=self.calls.get(f"sanction:{decl.name}", []))
            if self.items is not None:
                entry["aggregates"] = self.aggregates(decl.source, decl.where, decl.when, decl.fine)
            out.append(entry)
        return out

    def source_list(self, decl: Sanction) -> list[Any] | None:
        if isinstance(decl.source, Name) and decl.source.name in self.traced.slots:
            return self.value_of(decl.source.name)
        return None

    def not_fired(self) -> list[dict[str, Any]]:
        fired = {f[0] for f in self.row[self.traced.sanction_slot]}
        return [{"name": s.name, "rule": _sanction_head(s), "at": at(s.span)}
                for i, s in enumerate(self.traced.sanctions) if i not in fired]


def _inner_line(decl: Grade | Supervision) -> str:
    """The canonical text of a one-line grade or supervision block's only line."""
    return dsl.declaration(decl).splitlines()[1].strip()


def _sanction_head(s: Sanction) -> str:
    head = dsl.declaration(s).splitlines()[0]
    return head[: -len(" {")] if head.endswith(" {") else head


def _raised(levels: tuple[Any, ...], level: int, r: Raise) -> int:
    """The level after a raise that applied (mirrors the compiled arithmetic: never lowers)."""
    if r.to_level is not None:
        to = next(i for i, lv in enumerate(levels) if lv.name == r.to_level)
        return min(level, to)
    return max(level - (r.steps or 0), 0)


# ---------------------------------------------------------------- text


def show(value: Any) -> str:
    """A value in plain words: exact numbers, texts unquoted, records as {field: value}."""
    if value is None:
        return _("none")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return cell(value)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {show(v)}" for k, v in values.items())


def _rows_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return _("no row")
    return ", ".join(_("row {row} [{tests}]", row=r["row"], tests=" | ".join(r["tests"])) for r in rows)


def _calls_text(calls: list[dict[str, Any]], pad: str) -> list[str]:
    return [pad + _("call {table}({args}) → {rows} → {value}   [{at}]", table=c["table"],
                    args=", ".join(show(a) for a in c["args"]), rows=_rows_text(c["rows"]), value=show(c["value"]),
                    at=", ".join(r["at"] for r in c["rows"]) or c["at"]) for c in calls]


def _ranking_text(r: dict[str, Any]) -> str:
    held = r["rank"] * 100 <= r["count"] * r["size"] if r["percent"] else r["rank"] <= r["count"]
    if r["percent"]:
        # the percent sign travels in the value: "20% of" in a message reads to gettext tools as
        # a printf conversion ("% o") and the catalog would not compile cleanly
        edge = _("{percent} of {size} = {edge}", percent=show(r["count"]) + "%", size=r["size"],
                 edge=show(r["edge"]))
    else:
        edge = show(r["edge"])
    values = {"value": show(r["value"]), "rank": r["rank"], "size": r["size"], "sign": "≤" if held else ">",
              "edge": edge}
    # four whole sentences: the word order of "rank 3 from the bottom of 12 in X" differs by language
    if r["within"] is None:
        if r["direction"] == "top":
            return _("{value} is rank {rank} of {size} ({sign} {edge})", **values)
        return _("{value} is rank {rank} from the bottom of {size} ({sign} {edge})", **values)
    if r["direction"] == "top":
        return _("{value} is rank {rank} of {size} in {group} ({sign} {edge})", group=show(r["group"]), **values)
    return _("{value} is rank {rank} from the bottom of {size} in {group} ({sign} {edge})",
             group=show(r["group"]), **values)


def _aggregates_text(aggregates: list[dict[str, Any]]) -> list[str]:
    out = []
    for a in aggregates:
        ids = ", ".join(f"{i['id']} [{i['at']}]" if i["at"] else i["id"] for i in a["counted"])
        if ids:
            out.append(_("      {expr}: {counted} of {of} items: {ids}", expr=a["expr"], counted=len(a["counted"]),
                         of=a["of"], ids=ids))
        else:
            out.append(_("      {expr}: {counted} of {of} items", expr=a["expr"], counted=len(a["counted"]),
                         of=a["of"]))
    return out


def render_text(data: dict[str, Any]) -> str:
    item = data["item"]
    rs = data["ruleset"]
    # `item` is the subject a ruleset gets when it names none: the interface's word for it
    head = (_("item {id}", id=item["id"]) if data["subject"] == "item" else f"{data['subject']} {item['id']}") + (
        f" {item['name']}" if item["name"] else "")
    if "rollup" in data:
        head += _(" (rollup {name} by {by}   [{at}])", name=data["rollup"]["name"], by=data["rollup"]["by"],
                  at=data["rollup"]["at"])
    out = [head]
    source = (_("ruleset {id} {version} ({file})", id=rs["id"], version=rs["version"], file=rs["file"])
              if rs["version"] else _("ruleset {id} ({file})", id=rs["id"], file=rs["file"]))
    where = item["at"] or data["case"]["file"]  # neither for a case built in memory (pe.Case)
    out.append(f"  {source}" + (_(" · case {file}", file=where) if where else ""))
    inputs = [i for i in data["inputs"] if i["kind"] == "input"]
    dims = [i for i in data["inputs"] if i["kind"] == "dimension"]
    if data.get("previous") is not None:
        # each piece translated first: Babel's extractor does not see a _() inside another's arguments
        earlier = [_("{file} (period {period})", file=p["file"], period=p["period"]) if p["lists"]
                   else _("{file} (period {period}, not listed: new)", file=p["file"], period=p["period"])
                   for p in data["previous"]]
        out.append(_("  earlier results: {results}",
                     results=", ".join(earlier) or _("none (a first period: every item is new)")))
    if inputs:
        # left out: a default took its place, or (a note, an optional input) nothing did
        given = [f"{i['name']} = {show(i['value'])}" + ("" if i["given"] else _(" (not given)")
                                                        if i["value"] is None else _(" (default)")) for i in inputs]
        out.append(_("  inputs: {inputs}", inputs=", ".join(given)))
    if dims:
        weighed = [f"{d['name']} = {show(d['value'])}"
                   + (_(" (weight {weight})", weight=show(d["weight"])) if d["weight"] != 1 else "") for d in dims]
        out.append(_("  dimensions: {dimensions}", dimensions=", ".join(weighed)))
    for x in data["values"]:
        name = x["name"]
        if x["kind"] == "table":
            t = x
            inputs_text = ", ".join(f"{i['header']} = {show(i['value'])}" for i in t["inputs"])
            values = {"name": name, "inputs": inputs_text, "rows": _rows_text(t["rows"]), "value": show(t["value"]),
                      "at": ", ".join(r["at"] for r in t["rows"]) or t["at"]}
            if t["hit"] == "first":
                out.append(_("  table {name}: {inputs} → {rows} → {value}   [{at}]", **values))
            else:
                out.append(_("  table {name} (hit {hit}): {inputs} → {rows} → {value}   [{at}]", hit=t["hit"],
                             **values))
            out += _calls_text(t["calls"], "      ")
        else:
            out.append(_("  let {name} = {expr} = {value}   [{at}]", name=name, expr=x["expr"], value=show(x["value"]),
                         at=x["at"]))
            if x["operands"]:
                out.append(f"      {_pairs(x['operands'])}")
            out += _aggregates_text(x.get("aggregates", []))
            out += _calls_text(x["calls"], "      ")
    for g in data["grades"]:
        if g["color"]:
            out.append(_("  grade {scale} = {level} ({color})   [{at}]", scale=g["scale"], level=g["level"],
                         color=g["color"], at=g["at"]))
        else:
            out.append(_("  grade {scale} = {level}   [{at}]", scale=g["scale"], level=g["level"], at=g["at"]))
        for line in g["lines"]:
            verdict = f" → {line['level']}" if line["held"] else _(": does not apply")
            test = line["text"].rsplit(" -> ", 1)[0]
            if "ranking" in line:
                why = _(": {ranking}", ranking=_ranking_text(line["ranking"]))
            elif line.get("operands"):
                why = _(" ({operands})", operands=_pairs(line["operands"]))
            else:
                why = ""
            out.append(_("      line {line}: {test}{why}{verdict}   [{at}]", line=line["line"], test=test, why=why,
                         verdict=verdict, at=line["at"]))
        if g["matrix"] is not None:
            m = g["matrix"]
            out.append(_("      matrix: {row} = {row_value}, {column} = {column_value} → {cell}   [{at}]",
                         row=m["row"], row_value=show(m["row_value"]), column=m["column"],
                         column_value=show(m["column_value"]), cell=m["cell"], at=m["at"]))
        for r in g["raises"]:
            verdict = _("applies → {level}", level=r["level"]) if r["applied"] else _("does not apply")
            operands = _(" ({operands})", operands=_pairs(r["operands"])) if r["operands"] else ""
            out.append(f"      {r['text']}{operands}: {verdict}   [{r['at']}]")
        out += _calls_text(g["calls"], "      ")
    for s in data["supervision"]:
        if s["line"] is None:
            out.append(_("  supervision {scale}: no line applies   [{at}]", scale=s["scale"], at=s["at"]))
            continue
        every = _(" every {period}", period=s["every"]) if s["every"] else ""
        test = s["level"] if s["level"] is not None else _("otherwise")
        if s["when"] is not None:
            test += _(" when {condition}", condition=s["when"]) + (
                _(" ({operands})", operands=_pairs(s["operands"])) if s["operands"] else "")
        out.append(_("  supervision {scale}: line {line}: {test} → {by}{every}   [{at}]", scale=s["scale"],
                     line=s["line"], test=test, by="、".join(s["by"]), every=every, at=s["at"]))
    for f in data["sanctions"]:
        element = ""
        if f["element"] is not None:
            element = _(" for element {element}", element=f["element"]) + (
                _(": {fields}", fields=show(f["fields"])) if f["fields"] is not None else "")
        out.append(_("  sanction {name} fired{element}   [{at}]", name=f["name"], element=element, at=f["at"]))
        condition = f["rule"].removeprefix(f"sanction {dsl.name(f['name'])}").strip()
        if condition:
            out.append(f"      {condition}"
                       + (_(" ({operands})", operands=_pairs(f["operands"])) if f["operands"] else ""))
        out += _aggregates_text(f.get("aggregates", []))
        parts = []
        if f["fine_expr"] is not None:
            # `fine 1000`, not `fine 1000 = 1000`: a computed fine shows its expression and value
            value = show(f["fine"])
            parts.append(_("fine {value}", value=value) if f["fine_expr"] == value
                         else _("fine {expr} = {value}", expr=f["fine_expr"], value=value))
        if f["actions"]:
            parts.append(_("actions {actions}", actions="、".join(f["actions"])))
        if f["warning"]:
            parts.append(_("warning {color}", color=f["warning"]))
        if parts:
            out.append("      " + "; ".join(parts))
        out += _calls_text(f["calls"], "      ")
    for n in data["not_fired"]:
        out.append(_("  sanction {name} did not fire   [{at}]", name=n["name"], at=n["at"]))
    if data["sanctions"]:
        out.append(_("  total fine {fine}", fine=show(data["fine"])))
    return "\n".join(out) + "\n"
