"""Results as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from ..result import ItemResult, Result, passing, unbuilt
from .tabular import Columns, body_rows, cell, columns_of, joined, named_by, rollup_rows


def to_csv(result: Result | list[Result], written: Sequence[Written | None] | None = None) -> str:
    """CSV for a spreadsheet: UTF-8 with a byte-order mark (without it Excel reads the
    Chinese as GBK and shows mojibake); several results share one header, with a first
    column naming each row's case file. `written`, per result: its item lines already made
    (by `eval --jobs` workers, policyengine/shards.py) with the columns they were made in,
    or None."""
    return "".join(csv_chunks(result if isinstance(result, list) else [result], written))


# a result's item lines made elsewhere (`csv_lines`), in runs of consecutive items in case
# order, and the columns they were made in
Written = tuple[list[str], Columns]


def csv_chunks(results: list[Result], written: Sequence[Written | None] | None = None) -> Iterator[str]:
    """`to_csv` in pieces (a few hundred items each), written as they are made."""
    made = list(written) if written is not None else [None] * len(results)
    several = len(results) > 1
    columns = joined(w[1] if w is not None else columns_of(r.items) for r, w in zip(results, made, strict=True))
    if columns is None or any(w is not None and w[1] != columns for w in made):
        # never for results of one ruleset: their items have the same names, and a ranking
        # line ranks every item (eval --jobs checks its workers' items agree)
        raise ValueError("results written in different columns")
    yield "\ufeff" + csv_lines([], columns, several, header=True)
    for r, w in zip(results, made, strict=True):
        if w is not None:
            yield from w[0]
            continue
        file = r.case.get("file")
        for start in range(0, len(r.items), 256):
            yield csv_lines_of(r.items, start, start + 256, columns, several, file)
    # each rollup in a block of its own below, after a blank row, its id column headed by its name
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for name in rollup_names(results):
        header, body = rollup_rows(results, name, case_column=several)
        writer.writerow([])
        writer.writerow([neutral(c) for c in header])
        writer.writerows([neutral(c) for c in row] for row in body)
    yield buffer.getvalue()


def csv_lines(items: Iterable[ItemResult], columns: Columns, case_column: bool, file: str | None = None,
              header: bool = False, ranks: list[bool] | None = None) -> str:
    """The CSV lines of these items (of the case `file`) in `columns`; with `header`, the
    header line first. An item's line depends on nothing but the item and the columns, so
    lines made in separate processes join into the lines one process makes. `ranks`: see
    `body_rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow([neutral(c) for c in columns.header(case_column)])
    writer.writerows([neutral(c) for c in row] for row in body_rows(((i, file) for i in items), columns, case_column,
                                                                    ranks=ranks))
    return buffer.getvalue()


def csv_lines_of(items: Sequence[ItemResult], start: int, stop: int, columns: Columns, case_column: bool,
                 file: str | None = None, ranks: list[bool] | None = None) -> str:
    """`csv_lines` of items start..stop; of evaluated items not built yet, their cells made
    from their slot lists (render/json.py does the same for JSON). An item with a
    supervision line or a sanction is built and written as before."""
    found = unbuilt(items, start, stop)
    if found is None or (columns.notes, columns.values, columns.scales) != named_by(found[0]):
        return csv_lines(passing(items, start, stop), columns, case_column, file, ranks=ranks)
    plan, *slots = found
    shown: dict[Any, str] = {}  # a province has few distinct scores: each is printed once
    values = [(slot, levels) for _name, slot, levels in plan.values]
    grades = [(g.levels, slot, rank_slot, ranked)
              for g, (_scale, slot, rank_slot), ranked in zip(plan.outs, plan.grades, columns.ranked, strict=True)]
    watched = [s.slot for s in plan.supervision_outs]
    lead = [file or ""] if case_column else []
    body: list[list[str]] = []
    for row, item_id, name in zip(*slots, strict=True):
        if row[plan.sanction_slot] or any((x := row[slot]) is not None and x >= 0 for slot in watched):
            body += body_rows([(plan.build(row, item_id, name), file)], columns, case_column, ranks=ranks)
            continue
        cells = [*lead, item_id, name or "", *(cell(row[slot]) for _n, slot in plan.notes)]
        for slot, levels in values:
            v = row[slot]
            if levels is not None and isinstance(v, int):
                v = levels[v]
            text = shown.get(v) if v.__class__ is Decimal or v.__class__ is str else None
            if text is None:
                text = cell(v)
                if v.__class__ is Decimal or v.__class__ is str:
                    shown[v] = text
            cells.append(text)
        for k, (levels, slot, rank_slot, ranked) in enumerate(grades):
            cells.append(levels[row[slot]])
            rank = row[rank_slot] if rank_slot is not None else None
            if ranked:
                cells.append(cell(rank))
            if ranks is not None and rank is not None:
                ranks[k] = True
        cells += ["", "", "", ""]  # supervision, sanctions, fine, warning: none
        body.append(cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([neutral(c) for c in row] for row in body)
    return buffer.getvalue()


def rollup_names(results: list[Result]) -> list[str]:
    names: list[str] = []
    for r in results:
        names += [n for n in r.rollups if n not in names]
    return names


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutral(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs: text starting with = + - @ (or a tab
    or CR, which some spreadsheets skip first) would be a formula (`=HYPERLINK(…)` in an item
    name), so it gets a leading ' — numbers (-5) stay numbers."""
    if cell[:1] in _FORMULA_START and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


_FORMULA_START = frozenset("=+-@\t\r")
