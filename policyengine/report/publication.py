"""What the 公示 report shows for one case, as plain data for the templates.

Built from the result that `eval` gives (the same numbers as its JSON) and, for each
row's trace, from `explain` (the same text as `policyengine explain --item ID`).
Rollups and periods get sections of their own: a builder appended to SECTIONS returns
a `Section` (a template under templates/sections/ and its data) or None when the
ruleset has nothing of the kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..api import LoadedRuleset
from ..case import Case
from ..i18n import N_, _
from ..render.table import SANCTION_COLUMNS, flatten_counts
from ..render.tabular import cell, table_rows
from ..result import Result
from .figures import Bars, HeatMap, bars, heat_map, level_colour

# Above this many items the report carries no per-row trace (each is a few hundred
# bytes to a few kilobytes of text; 100k of them would make the page too large to open).
EXPLAIN_LIMIT = 2000
# Items listed under each supervisor; the count is always complete.
SUPERVISED_SHOWN = 200
# Rows on one page of the table by default: all of them for a case this small, so the
# page prints whole; a larger case pages (and a page prints as shown).
ALL_ROWS_UP_TO = 1000
PAGE_SIZE = 100


@dataclass
class Section:
    """An extra part of a case's report (rollups, periods): its template and data."""

    title: str
    template: str
    data: Any


@dataclass
class Column:
    name: str
    kind: str  # text, number, level
    label: str = ""  # the header shown: the name, or its Chinese for the fixed columns
    levels: list[str] = field(default_factory=list)  # a level column: most severe first
    colours: list[str] = field(default_factory=list)
    group: bool = False  # offered in the "filter by group" list

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label or self.name, "kind": self.kind, "levels": self.levels, "colours": self.colours,
                "group": self.group}


@dataclass
class Publication:
    """One case's report."""

    index: int
    result: Result
    ruleset: dict[str, Any]
    case: dict[str, Any]
    subject: str
    scales: list[tuple[Bars, HeatMap | None]]
    counts: list[HeatMap | Bars | dict[str, Any]]
    columns: list[Column]
    rows: list[list[str]]
    traces: list[str] | None
    page_size: int
    supervisors: list[dict[str, Any]]
    sanctions: list[dict[str, Any]] | None
    fines: list[dict[str, Any]]
    total_fines: str
    sums: dict[str, str]
    sections: list[Section] = field(default_factory=list)
    explain_limit: int = EXPLAIN_LIMIT

    def table_data(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns], "rows": self.rows, "traces": self.traces,
                "pageSize": self.page_size}


def rollup_sections(pub: Publication, rs: LoadedRuleset) -> list[Section]:
    """A table per rollup: its units as the result's table shows them (docs/rollups.md),
    under the rollup's name and key."""
    from ..model import all_rollups
    from ..render.tabular import rollup_rows

    keys = {r.name: r.by for r in all_rollups(rs.model.declarations)}
    out = []
    for name in pub.result.rollups:
        header, body = rollup_rows([pub.result], name, reading=True)
        out.append(Section(_("{name} (by {key}, {count} units)", name=name, key=keys.get(name, name), count=len(body)),
                           "table.html.j2",
                           {"header": header, "rows": body}))
    return out


# a builder gives a Section, several (a list), or None when the ruleset has nothing of the kind
SECTIONS: list[Callable[[Publication, LoadedRuleset], Section | list[Section] | None]] = [rollup_sections]


def case_publication(index: int, rs: LoadedRuleset, case: Case, result: Result, rows: list[list[Any]],
                explain_limit: int = EXPLAIN_LIMIT) -> Publication:
    model = rs.model
    colours = {s.name: {lv.name: lv.color for lv in s.levels} for s in model.scales}
    summary = result.summary
    scales: list[tuple[Bars, HeatMap | None]] = []
    for g in model.grades:
        counts = summary["levels"].get(g.scale, {})
        matrix = _matrix(rs, g, result, rows, colours[g.scale]) if g.matrix is not None else None
        scales.append((bars(g.scale, counts, colours[g.scale]), matrix))
    columns, body = _table(rs, result, rows)
    traces = None
    if len(result.items) <= explain_limit:
        from ..explain import explain_all

        traces = [e.to_text() for e in explain_all(rs, case)]
    pub = Publication(
        index=index,
        result=result,
        ruleset={"id": model.id, "version": model.version, "title": model.title, "digest": rs.digest,
                 "file": rs.path, "effective": model.effective.isoformat() if model.effective else None},
        case={k: (cell(v) if v is not None else None) for k, v in result.case.items()},
        subject=model.subject,
        scales=scales,
        # `count by <scale>` alone is the level bars above
        counts=[_count_figure(block, colours) for block in summary.get("counts", [])
                if not (len(block["by"]) == 1 and block["by"][0] in colours)],
        columns=columns,
        rows=body,
        traces=traces,
        page_size=len(body) if len(body) <= ALL_ROWS_UP_TO else PAGE_SIZE,
        supervisors=_supervisors(result),
        sanctions=_sanctions(rs, result) if model.sanctions else None,
        fines=_fined(result) if model.sanctions else [],
        total_fines=cell(summary["fines"]),
        sums={k: cell(v) for k, v in summary.get("sums", {}).items()},
        explain_limit=explain_limit,
    )
    for build in SECTIONS:
        section = build(pub, rs)
        if isinstance(section, list):
            pub.sections += section
        elif section is not None:
            pub.sections.append(section)
    return pub


def _matrix(rs: LoadedRuleset, g: Any, result: Result, rows: list[list[Any]],
            colours: dict[str, str | None]) -> HeatMap:
    """Items per cell of a matrix grade, counted on the inputs that pick the cell; each cell
    in the colour of the level it gives (before any `raise`)."""
    mx = g.matrix
    row_labels = [cell(label.value) for label, _ in mx.rows]
    column_labels = [cell(c.value) for c in mx.columns]
    slots = rs.compiled.slots
    r_slot, c_slot = slots[mx.row_input], slots[mx.column_input]
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        r, c = cell(row[r_slot]), cell(row[c_slot])
        inner = counts.setdefault(r, {})
        inner[c] = inner.get(c, 0) + 1
    levels = {(row_labels[i], column_labels[j]): (level, level_colour(colours.get(level)))
              for i, (_, cells) in enumerate(mx.rows) for j, level in enumerate(cells)}
    return heat_map(f"{g.scale}:{mx.row_input} × {mx.column_input}", mx.row_input, mx.column_input,
                    row_labels, column_labels, counts, cell_levels=levels, kind="matrix")


def _count_figure(block: dict[str, Any], colours: dict[str, dict[str, str | None]]) -> HeatMap | Bars | dict[str, Any]:
    by = block["by"]
    counts = block["counts"]
    title = _("count by {names}", names=", ".join(by))
    if len(by) == 1:
        return bars(title, counts, colours.get(by[0], {}))
    if len(by) == 2:
        columns: list[str] = []
        for inner in counts.values():
            columns.extend(c for c in inner if c not in columns)
        fills = None
        if by[0] in colours:
            fills = {lv: level_colour(c) for lv, c in colours[by[0]].items()}
        return heat_map(title, by[0], by[1], list(counts), columns, counts, fills=fills)
    return {"title": title, "by": by, "rows": [[*k, str(v)] for k, v in flatten_counts(counts, len(by))]}


def _table(rs: LoadedRuleset, result: Result, rows: list[list[Any]]) -> tuple[list[Column], list[list[str]]]:
    """The 公示 table: `eval`'s table (the CSV's columns) with the ruleset's `one of` inputs
    after the name (they are what people filter by); fine and warning only when the
    ruleset has sanctions."""
    header, body = table_rows([result], reading=True)
    model = rs.model
    scales = {s.name: s for s in model.scales}
    groups = [i.name for i in model.inputs if i.type.kind == "enum"]
    slots = rs.compiled.slots
    if not model.sanctions:
        header, body = header[:-SANCTION_COLUMNS], [r[:-SANCTION_COLUMNS] for r in body]
    columns: list[Column] = [Column("id", "text", _("ID")), Column("name", "text", _("Name"))]
    columns += [Column(n, "text", n, group=True) for n in groups]
    for k, name in enumerate(header[2:], start=2):
        if name in scales:
            s = scales[name]
            columns.append(Column(name, "level", name, [lv.name for lv in s.levels],
                                  [level_colour(lv.color) for lv in s.levels]))
        else:
            numeric = all(map(_NUMBER, {r[k] for r in body} - {""}))  # each distinct text once
            label = (_(LABELS[name]) if name in LABELS else
                     _("{scale}.rank", scale=name[:-5]) if name.endswith(".rank") else name)
            columns.append(Column(name, "number" if numeric else "text", label,
                                  group=name in ("supervision", "warning")))
    group_slots = [slots[n] for n in groups]
    if not group_slots:
        return columns, body
    # `one of` inputs hold text: the cell is the text itself
    out = [[line[0], line[1], *(raw[s] if raw[s].__class__ is str else cell(raw[s]) for s in group_slots),
            *line[2:]] for line, raw in zip(body, rows, strict=True)]
    return columns, out


_NUMBER = re.compile(r"-?\d+(\.\d+)?").fullmatch  # as the terminal table right-aligns


# the table's fixed columns, as the page shows them
LABELS = {"supervision": N_("Supervision"), "sanctions": N_("Sanctions"), "fine": N_("Fine"), "warning": N_("Warning")}


def _supervisors(result: Result) -> list[dict[str, Any]]:
    """Each supervisor with the items it watches and how often, in order of first mention."""
    found: dict[str, dict[str, Any]] = {}
    for item in result.items:
        for sv in item.supervision:
            level = item.grades[sv.grade].level if sv.grade in item.grades else ""
            for who in sv.by:
                entry = found.setdefault(who, {"name": who, "count": 0, "items": [], "cadence": {}})
                entry["count"] += 1
                every = sv.every or _("no set cadence")
                entry["cadence"][every] = entry["cadence"].get(every, 0) + 1
                if len(entry["items"]) < SUPERVISED_SHOWN:
                    entry["items"].append({"id": item.id, "name": item.name or "", "scale": sv.grade,
                                           "level": level, "every": sv.every or ""})
    for entry in found.values():
        entry["more"] = entry["count"] - len(entry["items"])
        cadences = [_("{every} {count} items", every=every, count=n) for every, n in entry["cadence"].items()]
        entry["summary"] = _(": {count} items ({cadences})", count=entry["count"], cadences="; ".join(cadences))
    return list(found.values())


def _sanctions(rs: LoadedRuleset, result: Result) -> list[dict[str, Any]]:
    from .. import dsl

    fired: dict[str, dict[str, Any]] = {}
    for s in rs.model.sanctions:
        fired[s.name] = {"name": s.name, "rule": dsl.declaration(s).splitlines()[0].removesuffix(" {"),
                         "actions": "、".join(s.actions), "warning": s.warning or s.warning_of or "",
                         "count": 0, "items": 0, "fine": Decimal(0)}
    for item in result.items:
        seen = set()
        for s in item.sanctions:
            entry = fired.get(s.rule)
            if entry is None:
                continue
            entry["count"] += 1
            if s.rule not in seen:
                entry["items"] += 1
                seen.add(s.rule)
            if s.fine is not None:
                entry["fine"] += s.fine
    for entry in fired.values():
        entry["fine"] = cell(entry["fine"])
    return list(fired.values())


def _fined(result: Result) -> list[dict[str, Any]]:
    """Items with a fine, the largest first (then by id, so the order is stable)."""
    fined = [i for i in result.items if any(s.fine is not None for s in i.sanctions)]
    fined.sort(key=lambda i: (-i.fine, i.id))
    return [{"id": i.id, "name": i.name or "", "fine": cell(i.fine),
             "rules": "、".join(s.rule for s in i.sanctions if s.fine is not None),
             "warning": i.warning or ""} for i in fined[:SUPERVISED_SHOWN]]
