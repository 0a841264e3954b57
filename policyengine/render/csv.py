"""Results as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
import re

from ..result import Result
from .tabular import rollup_rows, table_rows


def to_csv(result: Result | list[Result]) -> str:
    """CSV for a spreadsheet: UTF-8 with a byte-order mark (without it Excel reads the
    Chinese as GBK and shows mojibake); several results share one header, with a first
    column naming each row's case file."""
    results = result if isinstance(result, list) else [result]
    header, body = table_rows(results, case_column=len(results) > 1)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutral(c) for c in header])
    writer.writerows([neutral(c) for c in row] for row in body)
    # each rollup in a block of its own below, after a blank row, its id column headed by its name
    for name in rollup_names(results):
        header, body = rollup_rows(results, name, case_column=len(results) > 1)
        writer.writerow([])
        writer.writerow([neutral(c) for c in header])
        writer.writerows([neutral(c) for c in row] for row in body)
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
