"""Reading an XLSX case workbook (docs/spreadsheets.md has the layout).

- the first sheet holds the items: a header row of field names, one item per row;
- a sheet named `case` (optional): key and value columns for title, unit, period, ruleset;
- a `list of {…}` field comes from the sheet named after it: an `id` column naming the
  item, one column per element field, one element per row.

Read with python-calamine (a Rust reader: 100k items in about 1.5 s where openpyxl's
read-only mode takes 12 s, bench/README.md). A workbook holding formulas or error cells is
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
from . import HEADER_KEYS, Case
from .cells import Problems, attach_list, cell_text, cell_value, read_grid
from .values import _plain

CASE_SHEET = "case"
CASE_KEYS = ("ruleset", "title", "unit", "period")
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c [^>]*t=\"e\"")


def read_xlsx(path: Path) -> Case:
    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            calculated = _calculated_cells(archive)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        detail = "it is not a zip archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)[:120]
        raise CaseError(Diagnostic("PE320", f"this is not a readable XLSX workbook ({detail}); a .xls "
                                   "file must be saved again as .xlsx", file=file)) from None
    if not calculated:
        sheets = _calamine_sheets(path)
        if sheets is not None:
            return _read_sheets(sheets, path, None)
    return _read_with_openpyxl(path)


def _calculated_cells(archive: zipfile.ZipFile) -> bool:
    """Whether any sheet holds a formula or an error cell (a byte search of its XML).

    python-calamine reads a formula with no saved value, and an error cell (#DIV/0!), as an
    empty cell: such workbooks are read with openpyxl instead, which tells them apart."""
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            with archive.open(name) as source:
                data = source.read()
            if _FORMULA.search(data) or _ERROR_CELL.search(data):
                return True
    return False


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
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError) as exc:
        raise CaseError(Diagnostic("PE320", f"this is not a readable XLSX workbook ({str(exc)[:120]})",
                                   file=file)) from None
    try:
        sheets = [(ws.title, enumerate(ws.iter_rows(values_only=True), 1)) for ws in book.worksheets]
        return _read_sheets(sheets, path, book)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        # a damaged part inside the archive: openpyxl reads sheets only as they are iterated
        raise CaseError(Diagnostic("PE320", f"this workbook is damaged and cannot be read ({str(exc)[:120]})",
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
        raise CaseError(Diagnostic("PE321", "the workbook has no sheet of items", file=file))
    (title, rows), *lists = items_sheets
    grid, items = read_grid(rows, file, title, problems)
    for inner_title, inner_rows in lists:
        inner, elements = read_grid(inner_rows, file, inner_title, problems)
        attach_list(inner_title, items, grid, elements, inner, problems)
    if book is not None:
        for ws in book.worksheets:
            _no_lost_formulas(book, path, ws, problems)
    header = next((_case_sheet(rows, file, problems) for title, rows in sheets if title == CASE_SHEET), {})
    problems.raise_any()
    text = {key: cell_text(value) or value for key, value in header.items()}
    case = Case(items=items, file=file, cells=True, title=text.get("title"), unit=text.get("unit"),
                period=_plain(header.get("period")), ruleset=text.get("ruleset"))
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
            problems.add("PE321", f"unknown case key '{key}'" + did_you_mean(key, known), file, CASE_SHEET,
                         number, 1)
        elif value is not None:
            header[key] = value
    return header


def _no_lost_formulas(book: Any, path: Path, ws: Any, problems: Problems) -> None:
    """A formula saved without its value (a file written by a program that does not
    calculate) reads as an empty cell: say so instead of reporting a missing field.

    Only when the sheet holds formulas at all (a byte search) is it read a second time
    with the formulas, to find the cells whose value is missing."""
    import openpyxl

    with book._archive.open(ws._worksheet_path) as source:  # the sheet's XML, for a byte search
        if _FORMULA.search(source.read()) is None:
            return
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        values = book[ws.title].iter_rows(values_only=True)
        for number, (cached, written) in enumerate(zip(values, formulas[ws.title].iter_rows(values_only=True),
                                                       strict=False), 1):
            for column, (value, formula) in enumerate(zip(cached, written, strict=False), 1):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    problems.add("PE323", f"the formula {formula[:40]} has no saved value (the file was "
                                 "written by a program that does not calculate): open it in Excel, WPS or "
                                 "LibreOffice and save it again", str(path), ws.title, number, column)
                elif value is None and formula is not None and not isinstance(formula, str):
                    problems.add("PE323", "an array formula with no saved value: open the file in Excel, "
                                 "WPS or LibreOffice and save it again", str(path), ws.title, number, column)
    finally:
        formulas.close()
