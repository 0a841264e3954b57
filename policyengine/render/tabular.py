"""The flat table that every tabular output (CSV, the terminal table) shares: one row per item."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..i18n import _
from ..result import ItemResult, Result
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


def subject_rows(rows: list[tuple[ItemResult, str | None]], case_column: bool, reading: bool = False,
                 ) -> tuple[list[str], list[list[str]]]:
    items = [i for i, _ in rows]
    first = items[0] if items else None
    value_names = list(first.values) if first else []
    note_names = list(first.notes or {}) if first else []
    scales = list(first.grades) if first else []
    has_rank = {s: any(i.grades[s].rank is not None for i in items) for s in scales}
    header = (["case"] if case_column else []) + ["id", "name", *note_names, *value_names]
    for s in scales:
        header.append(s)
        if has_rank[s]:
            header.append(f"{s}.rank")
    header += ["supervision", "sanctions", "fine", "warning"]
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
        for s in scales:
            row.append(item.grades[s].level)
            if has_rank[s]:
                row.append(cell(item.grades[s].rank))
        row.append("; ".join((_supervision_words if reading else supervision_text)(sv) for sv in item.supervision))
        row.append(sanctions_text((s.rule, s.actions) for s in item.sanctions))
        row.append(cell(item.fine) if any(s.fine is not None for s in item.sanctions) else "")
        row.append(item.warning or "")
        body.append(row)
    return header, body


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
