"""Reading an XLSX case workbook (docs/spreadsheets.md has the layout).

- the first sheet holds the items: a header row of field names, one item per row;
- a sheet named `case` (optional): key and value columns for title, unit, period, ruleset;
- a `list of {…}` field comes from the sheet named after it: an `id` column naming the
  item, one column per element field, one element per row;
- a rollup's units (the case's `units:` section) come from the sheet `units.<rollup>`: one
  unit per row, `id` its key value.

Read with python-calamine (a Rust reader: 100k items in 2.2 s where openpyxl's read-only
mode took 12.4 s on the same machine, bench/README.md). A workbook holding formulas or error cells is
read with openpyxl's read-only mode instead: calamine reads a formula saved without its
value, and an error cell (#DIV/0!), as an empty cell, which would pass silently for a field
with a default. Formula cells give the value the program that saved the file calculated; a
formula saved without one is an error that says so.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic, did_you_mean
from ..i18n import _
from . import HEADER_KEYS, Case
from .cells import Problems, attach_list, cell_text, cell_value, read_grid
from .values import _plain

CASE_SHEET = "case"
UNITS_PREFIX = "units."  # the sheet `units.单位` holds rollup 单位's units
# the `previous` value that says "no earlier results" (a YAML case's `previous: []`)
NO_PREVIOUS = "[]"
CASE_KEYS = ("ruleset", "title", "unit", "period", "previous")
# a formula (<f>, <f t="shared" …/>, with or without a namespace prefix) or an error cell
# (t="e"): plain byte searches, fast on a large sheet; a false alarm (<filterColumn>) only
# costs the slower reader
_FORMULAS = (b"<f", b":f>", b":f ", b":f/")
_CALCULATED = (*_FORMULAS, b't="e"')
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row [^>]*?\br=\"(\d+)\"")
_CELL_ROW = re.compile(rb" r=\"[A-Z]{1,3}(\d+)\"")
# cell references past column Z: their literal start makes the search fast
_WIDE_COLUMN = re.compile(rb" r=\"([A-Z]{2,3})\d")
MAX_SHEET_CELLS = 50_000_000  # 1M items of 50 columns
MAX_SHEET_BYTES = 1 << 30


class OtherWorkbook(Exception):  # not an error: the caller reads the workbook another way
    """The workbook holds every sheet the caller named in `read_xlsx(…, leave=…)` (a result
    workbook, written by `eval -o x.xlsx`): told before any sheet is read."""


def read_xlsx(path: Path, leave: frozenset[str] = frozenset()) -> Case:
    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if leave and leave <= sheet_names(archive):
                raise OtherWorkbook(file)
            calculated = _survey(archive, file)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        detail = "it is not a zip archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)[:120]
        raise CaseError(Diagnostic("PE320", _("this is not a readable XLSX workbook "
                                              "({detail}); a .xls file must be saved again as "
                                              ".xlsx",
                                              detail=detail), file=file)) from None
    if not calculated:
        sheets = _calamine_sheets(path)
        if sheets is not None:
            return _read_sheets(sheets, path, None)
    return _read_with_openpyxl(path)


# A tag's attributes are read only up to the next '<' or '>' ([^<>]): with [^>] a file of
# tags left open ("<sheet <sheet …") was scanned to its end from each of them, minutes for a
# few hundred kilobytes that compress to almost nothing.
# The name in either quote XML allows (openpyxl and Excel write double quotes).
_SHEET = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sheet\b[^<>]*?\sname\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
# the sheet list: a few kilobytes in any real workbook (a thousand sheets are 100 KB)
MAX_WORKBOOK_XML_BYTES = 16 << 20


def sheet_names(archive: zipfile.ZipFile) -> frozenset[str]:
    """The workbook's sheet names, from its xl/workbook.xml (no sheet read); none if it has none."""
    import html

    try:
        info = archive.getinfo("xl/workbook.xml")
    except KeyError:
        return frozenset()
    with archive.open(info) as source:
        # read no more than the limit even if the archive understates the size
        text = source.read(MAX_WORKBOOK_XML_BYTES + 1)
    if len(text) > MAX_WORKBOOK_XML_BYTES:
        raise CaseError(Diagnostic("PE320", _("the sheet list of this workbook (xl/workbook.xml) is over "
                                              "{value} MiB of XML",
                                              value=MAX_WORKBOOK_XML_BYTES >> 20), file=archive.filename or "<xlsx>"))
    return frozenset(html.unescape((double or single).decode("utf-8", "replace"))
                     for double, single in _SHEET.findall(text))


def _survey(archive: zipfile.ZipFile, file: str) -> bool:
    """Check each sheet's size and extent before any reader builds it; return whether any
    sheet holds a formula or an error cell (byte searches of its XML).

    Both readers lay a sheet out as a rectangle from A1 to its farthest cell: one stray
    cell at XFD200000 would make that 3 billion cells (python-calamine aborts the process
    trying to allocate them). And python-calamine reads a formula with no saved value, and
    an error cell (#DIV/0!), as an empty cell: such workbooks are read with openpyxl
    instead, which tells them apart."""
    calculated = False
    for info in archive.infolist():
        name = info.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        if info.file_size > MAX_SHEET_BYTES:
            raise CaseError(Diagnostic("PE320", _("a sheet of this workbook is {value} MiB of "
                                                  "XML (limit {value2} MiB)",
                                                  value=info.file_size >> 20, value2=MAX_SHEET_BYTES >> 20), file=file))
        with archive.open(name) as source:
            data = source.read(MAX_SHEET_BYTES + 1)
        # rows are numbered on <row r="…">, or (when a writer leaves that out) on the last cells
        # rows come in order: the last ones hold the largest number
        tail = data[-8192:]
        rows = max((int(r) for r in [*_ROW_NUMBER.findall(tail), *_CELL_ROW.findall(tail)]), default=0)
        columns = 26
        if _WIDE_COLUMN.search(data):  # past column Z: rare in a register, then every cell is looked at
            columns = max(_column_number(c) for c in _WIDE_COLUMN.findall(data))
        if rows * columns > MAX_SHEET_CELLS:
            from .cells import column_letter

            raise CaseError(Diagnostic("PE320", _("a sheet of this workbook reaches row {rows} "
                                                  "and column {columns}: {value:,} cells from "
                                                  "A1 (limit {MAX_SHEET_CELLS:,}); a stray "
                                                  "cell far from the table? Delete the rows "
                                                  "and columns past the table and save again",
                                                  rows=rows, columns=column_letter(columns), value=rows * columns, MAX_SHEET_CELLS=MAX_SHEET_CELLS), file=file))
        calculated = calculated or any(mark in data for mark in _CALCULATED)
    return calculated


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _calamine_sheets(path: Path) -> list[tuple[str, Any]] | None:
    """The sheets as (title, rows), read by python-calamine (Rust: several times faster
    than openpyxl on a large register, see bench/README.md); None when it is not installed
    or cannot read the file (openpyxl then gives the error)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - a dependency; openpyxl alone also works
        return None
    try:
        book = CalamineWorkbook.from_path(str(path))
        # skip_empty_area=False: rows from A1, so that row and column numbers are the sheet's
        return [(name, enumerate(book.get_sheet_by_name(name).to_python(skip_empty_area=False), 1))
                for name in book.sheet_names]
    except Exception:  # python-calamine's errors have no common base class to name
        return None


def _read_with_openpyxl(path: Path) -> Case:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    file = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError,
            SyntaxError) as exc:  # SyntaxError: XML that is not well-formed (ElementTree's, lxml's)
        raise CaseError(Diagnostic("PE320", _("this is not a readable XLSX workbook ({value})",
                                              value=str(exc)[:120]),
                                   file=file)) from None
    try:
        sheets = [(ws.title, enumerate(ws.iter_rows(values_only=True), 1)) for ws in book.worksheets]
        return _read_sheets(sheets, path, book)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError) as exc:
        # a damaged part inside the archive: openpyxl reads sheets only as they are iterated
        raise CaseError(Diagnostic("PE320", _("this workbook is damaged and cannot be read "
                                              "({value})",
                                              value=str(exc)[:120]),
                                   file=file)) from None
    finally:
        book.close()


def _read_sheets(sheets: list[tuple[str, Any]], path: Path, book: Any) -> Case:
    """The case from its sheets' rows; `book` (openpyxl) is given when the workbook holds
    formulas, to check that each has its saved value."""
    file = str(path)
    problems = Problems()
    items_sheets = [(title, rows) for title, rows in sheets if title != CASE_SHEET]
    if not items_sheets:
        raise CaseError(Diagnostic("PE321", _("the workbook has no sheet of items"), file=file))
    (title, rows), *lists = items_sheets
    grid, items = read_grid(rows, file, title, problems)
    units: dict[str, Any] = {}
    unit_sources: dict[str, tuple[str, Any]] = {}
    for inner_title, inner_rows in lists:
        inner, elements = read_grid(inner_rows, file, inner_title, problems)
        if inner_title.startswith(UNITS_PREFIX):  # a rollup's units, as a case's `units:` section
            units[inner_title[len(UNITS_PREFIX):]] = elements
            unit_sources[inner_title[len(UNITS_PREFIX):]] = (file, inner)
        else:
            attach_list(inner_title, items, grid, elements, inner, problems)
    if book is not None:
        for ws in book.worksheets:
            _no_lost_formulas(book, path, ws, problems)
    header = next((_case_sheet(rows, file, problems) for title, rows in sheets if title == CASE_SHEET), {})
    problems.raise_any()
    text = {key: cell_text(value) or value for key, value in header.items() if key != "previous"}
    previous = header.get("previous")
    case = Case(items=items, file=file, cells=True, title=text.get("title"), unit=text.get("unit"),
                period=_plain(header.get("period")), ruleset=text.get("ruleset"), units=units or None,
                unit_sources=unit_sources or None,
                previous=None if previous is None else [p for p, _row in previous if p != NO_PREVIOUS],
                header_cells={"previous": (CASE_SHEET, previous[0][1], 1)} if previous else None)
    case._nodes = grid
    return case


def _case_sheet(rows: Any, file: str, problems: Problems) -> dict[str, Any]:
    """The `case` sheet: key in column A, value in column B (a `key | value` header row may
    stand above them)."""
    header: dict[str, Any] = {}
    for number, row in rows:
        cells = [cell_value(v) for v in row[:2]] + [None] * (2 - len(row[:2]))
        key, value = cells
        if key is None or (number == 1 and key == "key"):
            continue
        key = cell_text(key) or str(key)
        if key not in CASE_KEYS:
            known = [k for k in HEADER_KEYS if k in CASE_KEYS]
            problems.add("PE321", _("unknown case key '{key}'", key=key) + did_you_mean(key, known), file, CASE_SHEET,
                         number, 1)
        elif key == "previous" and value is not None:  # one earlier file a row; `[]` alone: a first period
            header.setdefault("previous", []).append((value, number))
        elif value is not None:
            header[key] = value
    if "previous" in header:
        header["previous"] = _previous_rows(header["previous"], file, problems)
    return header


def _previous_rows(rows: list[tuple[Any, int]], file: str, problems: Problems) -> list[tuple[str, int]]:
    """The `previous` rows of the `case` sheet: each a file name (text), or `[]` alone."""
    good = []
    for value, number in rows:
        name = value if isinstance(value, str) else None  # a number or date cell names no file
        if not name or (name == NO_PREVIOUS and len(rows) > 1):
            problems.add("PE355", _("'previous' names one earlier result or case file a row (several rows for "
                                    "several files), or '{none}' alone for a first period, where every item is "
                                    "new", none=NO_PREVIOUS), file, CASE_SHEET, number, 2)
            continue
        good.append((name, number))
    return good


def _no_lost_formulas(book: Any, path: Path, ws: Any, problems: Problems) -> None:
    """A formula saved without its value (a file written by a program that does not
    calculate) reads as an empty cell: say so instead of reporting a missing field.

    Only when the sheet holds formulas at all (a byte search) is it read a second time
    with the formulas, to find the cells whose value is missing."""
    import openpyxl

    with book._archive.open(ws._worksheet_path) as source:  # the sheet's XML, for a byte search
        data = source.read()
    if not any(mark in data for mark in _FORMULAS):
        return
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        values = book[ws.title].iter_rows(values_only=True)
        for number, (cached, written) in enumerate(zip(values, formulas[ws.title].iter_rows(values_only=True),
                                                       strict=False), 1):
            for column, (value, formula) in enumerate(zip(cached, written, strict=False), 1):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    problems.add("PE323", _("the formula {formula} has no saved value (the file was written by a "
                                            "program that does not calculate): open it in Excel, WPS or "
                                            "LibreOffice and save it again", formula=formula[:40]),
                                 str(path), ws.title, number, column)
                elif value is None and formula is not None and not isinstance(formula, str):
                    problems.add("PE323", _("an array formula with no saved value: open the file in Excel, "
                                            "WPS or LibreOffice and save it again"), str(path), ws.title, number,
                                 column)
    finally:
        formulas.close()
