"""The flat table that every tabular output (CSV, the terminal table) shares: one row per item."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..i18n import _
from ..result import ItemResult, ItemResults, Result, unbuilt
from ..runtime import format_number


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def rows(result: Result, reading: bool = False) -> tuple[list[str], list[list[str]]]:
    """The flat table every tabular format shares: one row per item."""
    return table_rows([result], reading=reading)


def table_rows(results: list[Result], case_column: bool = False, reading: bool = False,
               ) -> tuple[list[str], list[list[str]]]:
    """One row per item of every result, under one header; with `case_column`, each row
    starts with the case file it came from (several cases in one spreadsheet). `reading`:
    for a person (the terminal, the report), the words inside cells in the interface's
    language; a file (CSV) keeps them as they are, the same in every language."""
    return subject_rows([(i, r.case.get("file")) for r in results for i in r.items], case_column, reading)


def rollup_rows(results: list[Result], rollup: str, case_column: bool = False, reading: bool = False,
                ) -> tuple[list[str], list[list[str]]]:
    """The same table for a rollup's units; the id column is headed by the rollup's name."""
    header, body = subject_rows([(u, r.case.get("file")) for r in results if rollup in r.rollups
                                 for u in r.rollups[rollup].units], case_column, reading)
    header[header.index("id")] = rollup
    return header, body


@dataclass(frozen=True)
class Columns:
    """What a table's columns are: the names every item of one ruleset has (its first
    item's), and for each scale whether any item has a rank (then a rank column follows
    it). `eval --jobs` workers each find them for their items; the parent puts them
    together (`joined`)."""

    notes: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    scales: tuple[str, ...] = ()
    ranked: tuple[bool, ...] = ()

    def header(self, case_column: bool) -> list[str]:
        header = (["case"] if case_column else []) + ["id", "name", *self.notes, *self.values]
        for s, ranked in zip(self.scales, self.ranked, strict=True):
            header.append(s)
            if ranked:
                header.append(f"{s}.rank")
        return [*header, "supervision", "sanctions", "fine", "warning"]


def named_by(plan: Any) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The notes, values and scales an evaluated item has, from evaluate's output plan (as
    `Columns` names them)."""
    return (tuple(n for n, _slot in plan.notes), tuple(v[0] for v in plan.values),
            tuple(g[0] for g in plan.grades))


def columns_of(items: Sequence[ItemResult]) -> Columns:
    found = unbuilt(items, 0, 1)
    if found is not None and found[1]:
        # the first item's columns from its slot list: reading items[0] would build it, and
        # a writer then writes the first few hundred items from objects (render/csv.py)
        plan, [row] = found[0], found[1]
        ranked = tuple(rank_slot is not None and row[rank_slot] is not None for _s, _slot, rank_slot in plan.grades)
        return Columns(*named_by(plan), ranked)
    first = items[0] if items else None
    if first is None:
        return Columns()
    scales = tuple(first.grades)
    if isinstance(items, ItemResults):
        # as evaluated: a ranking line ranks every item (evaluate.rank_all), so the first
        # item says whether any has a rank; asking every item would build and keep them all
        ranked = tuple(first.grades[s].rank is not None for s in scales)
    else:  # read back from a file, perhaps edited: every item
        ranked = tuple(any(i.grades[s].rank is not None for i in items) for s in scales)
    return Columns(tuple(first.notes or {}), tuple(first.values), scales, ranked)


def joined(parts: Iterable[Columns]) -> Columns | None:
    """The columns of several parts' items together; None when they name different
    columns (items of different rulesets, never one ruleset's)."""
    named = [p for p in parts if p.scales or p.values or p.notes]
    if not named:
        return Columns()
    first = named[0]
    if any((p.notes, p.values, p.scales) != (first.notes, first.values, first.scales) for p in named):
        return None
    return Columns(first.notes, first.values, first.scales,
                   tuple(any(flags) for flags in zip(*(p.ranked for p in named), strict=True)))


def subject_rows(rows: list[tuple[ItemResult, str | None]], case_column: bool, reading: bool = False,
                 ) -> tuple[list[str], list[list[str]]]:
    columns = columns_of([i for i, _ in rows])
    return columns.header(case_column), body_rows(rows, columns, case_column, reading)


def body_rows(rows: Iterable[tuple[ItemResult, str | None]], columns: Columns, case_column: bool,
              reading: bool = False, ranks: list[bool] | None = None) -> list[list[str]]:
    """The cells of each item, in the columns `columns` names. `ranks`, if given, per
    scale: set when an item has a rank in it (whether one process, seeing every item,
    would write the rank column)."""
    note_names, value_names = columns.notes, columns.values
    scales = [(s, ranked) for s, ranked in zip(columns.scales, columns.ranked, strict=True)]
    body = []
    shown: dict[Any, str] = {}  # a province has few distinct scores: each is printed once

    def text(value: Any) -> str:
        if value.__class__ is Decimal or value.__class__ is str:
            found = shown.get(value)
            if found is None:
                found = shown[value] = cell(value)
            return found
        return cell(value)

    for item, file in rows:
        notes = item.notes or {}
        row = ([file or ""] if case_column else []) + [item.id, item.name or "",
                                                       *(cell(notes.get(n)) for n in note_names),
                                                       *(text(item.values[n]) for n in value_names)]
        for k, (s, ranked) in enumerate(scales):
            grade = item.grades[s]
            row.append(grade.level)
            if ranked:
                row.append(cell(grade.rank))
            if ranks is not None and grade.rank is not None:
                ranks[k] = True
        row.append("; ".join((_supervision_words if reading else supervision_text)(sv) for sv in item.supervision))
        row.append(sanctions_text((s.rule, s.actions) for s in item.sanctions))
        row.append(cell(item.fine) if any(s.fine is not None for s in item.sanctions) else "")
        row.append(item.warning or "")
        body.append(row)
    return body


def sanctions_text(fired: Iterable[tuple[str, Sequence[str]]]) -> str:
    """Fired sanctions in one cell, each `rule: action、action` (the rule alone without actions)."""
    return "; ".join(f"{rule}: {'、'.join(actions)}" if actions else rule for rule, actions in fired)


def supervision_text(sv: Any) -> str:
    """A supervision line in a cell of a file: the same words in every language."""
    return ("、".join(sv.by) + (f" (every {sv.every})" if sv.every else "")
            + (f" next review {sv.next_review or 'now'}" if sv.dated else ""))


def _supervision_words(sv: Any) -> str:
    """A supervision line in a cell a person reads, in the interface's language."""
    text = "、".join(sv.by) + (_(" (every {period})", period=sv.every) if sv.every else "")
    if sv.dated:
        text += (_(" next review {date}", date=sv.next_review) if sv.next_review else _(" next review now"))
    return text
