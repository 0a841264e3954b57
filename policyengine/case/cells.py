"""Spreadsheet cells as case values: one set of conversions for CSV and XLSX case files.

The readers turn a cell into what it unambiguously is (a number cell into its exact
decimal, a date cell into a date, a text cell into stripped text). What a text cell
means can depend on the field it stands in: "5,000" is a number only where a number
is declared, "是" a bool only where a bool is; so those conversions are made by
validation, which knows the declared types (see `validate.converter(spec, cells=True)`),
through the functions here.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import CaseError, Diagnostic, did_you_mean
from ..i18n import _
from .locate import Grid
from .values import MAX_ERRORS

# what Excel, WPS and LibreOffice write for a bool, and what officers type
TRUE_WORDS = frozenset(["true", "TRUE", "True", "是", "√", "✓", "✔", "Y", "y", "yes", "Yes", "YES"])
FALSE_WORDS = frozenset(["false", "FALSE", "False", "否", "×", "✗", "✘", "N", "n", "no", "No", "NO"])

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_DATE_DASHED = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
# full-width digits and signs, as an IME in full-width mode types them
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％", "0123456789.,-+%")


def number_cell(value: float | int) -> Decimal:
    """A number cell's value as the exact decimal of its shortest representation: the cell
    showing 0.1 is 0.1, never 0.1000000000000000055511151231257827 (the double's value)."""
    if isinstance(value, int):
        return Decimal(value)
    if value.is_integer() and abs(value) < 1e17:
        return Decimal(int(value))
    return Decimal(repr(value))


def text_number(text: str) -> Decimal | None:
    """A number typed as text: `12`, ` 3.5 `, `5,000`, `１２`, `15%` (= 0.15); None if it is not one."""
    text = text.strip().translate(_FULL_WIDTH)
    percent = text.endswith("%")
    if percent:
        text = text[:-1].rstrip()
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only valid decimals
        return None
    return number.scaleb(-2) if percent else number


def text_bool(text: str) -> bool | None:
    """A bool typed as text: TRUE/FALSE, true/false, 是/否, √/×; None if it is not one."""
    text = text.strip()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def text_date(text: str) -> _dt.date | None:
    """A date typed as text: `2013-03-02`, `2013/3/2`, `2013.3.2`, `2013年3月2日`; None if
    it is not one (or names no real day: 2013-02-30)."""
    text = text.strip().translate(_FULL_WIDTH)
    found = _DATE_DASHED.fullmatch(text) or _DATE_CHINESE.fullmatch(text)
    if found is None:
        # a date-and-time text, as a CSV export of a date cell may give: the day is meant
        head = text.split(" ", 1)[0].split("T", 1)[0]
        found = _DATE_DASHED.fullmatch(head) if head != text else None
        if found is None:
            return None
    try:
        return _dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def cell_text(value: Any) -> str | None:
    """A cell as text where text is declared (an id typed as 2013 is the text "2013")."""
    from ..runtime import format_number

    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal) and value.is_finite() and abs(value) < Decimal(10) ** 30:
        return format_number(value)
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    return None


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA: a column as spreadsheets name it."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def decode_text(raw: bytes) -> str | None:
    """A CSV file's text: UTF-8 (with or without a byte-order mark), else GBK/GB18030, what
    Excel on a Chinese Windows saves "CSV (逗号分隔)" as; None when it is neither."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------- grids of cells as items


class Problems:
    """The problems a spreadsheet reader finds, all reported together (up to the limit)."""

    def __init__(self) -> None:
        self.found: list[Diagnostic] = []

    def add(self, code: str, message: str, file: str, sheet: str | None, row: int, column: int) -> None:
        if len(self.found) < MAX_ERRORS:
            self.found.append(Diagnostic(code, message, file=file, sheet=sheet, line=row, column=column))

    def raise_any(self) -> None:
        if self.found:
            if len(self.found) >= MAX_ERRORS:
                self.found[-1].notes.append(_("stopped after {MAX_ERRORS} problems",
                                              MAX_ERRORS=MAX_ERRORS))
            raise CaseError(self.found)


def cell_value(value: Any) -> Any:
    """A cell as a case value, before the declared type is known: stripped text, the exact
    decimal of a number cell, the day of a date cell; None for an empty cell."""
    cls = value.__class__
    if cls is str:
        return value.strip() or None
    if cls is float or cls is int:
        return number_cell(value)
    if cls is _dt.datetime:
        # a date cell is a datetime at midnight; a time of day is kept for validation to refuse
        return value.date() if value.time() == _dt.time() else value
    return value


def read_grid(rows: Iterable[tuple[int, Sequence[Any]]], file: str, sheet: str | None,
              problems: Problems) -> tuple[Grid, list[dict[str, Any]]]:
    """Items from rows of cells: the first row with any cell filled names the fields, each
    later row with any cell filled is one item (or list element). Empty cells are left out
    of the item, as a field not written in a YAML case is; columns with no name are ignored
    while they are empty."""
    grid: Grid | None = None
    names: list[str | None] = []
    items: list[dict[str, Any]] = []
    for number, raw in rows:
        cells = [cell_value(v) for v in raw]
        if grid is None:
            if all(c is None for c in cells):
                continue
            names = [None if c is None else cell_text(c) or str(c) for c in cells]
            while names and names[-1] is None:
                names.pop()
            seen: dict[str, int] = {}
            for column, name in enumerate(names, 1):
                if name is not None and seen.setdefault(name, column) != column:
                    problems.add("PE321", _("column '{name}' appears twice in the header row (also column "
                                            "{column})", name=name, column=column_letter(seen[name])),
                                 file, sheet, number, column)
            grid = Grid(file, sheet, [n or "" for n in names], [], header_row=number)
            continue
        item: dict[str, Any] = {}
        for column, value in enumerate(cells, 1):
            if value is None:
                continue
            name = names[column - 1] if column <= len(names) else None
            if name is None:
                problems.add("PE321", _("a value in a column with no name in the header row"),
                             file, sheet, number, column)
            else:
                item[name] = value
        if item:
            items.append(item)
            grid.rows.append(number)
    if grid is None:
        problems.add("PE321", _("no header row: the first row names the fields (id, name, the ruleset's "
                                "inputs)"), file, sheet, 1, 1)
        grid = Grid(file, sheet, [], [])
    return grid, items


def attach_list(field_name: str, items: list[dict[str, Any]], grid: Grid, elements: list[dict[str, Any]],
                inner: Grid, problems: Problems) -> None:
    """Give each item the list elements whose `id` names it (rows of another sheet, or of a
    companion CSV file), in the order they are written."""
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        key = _id_text(item.get("id"))
        if key is not None:
            index.setdefault(key, i)
        if field_name in item:
            problems.add("PE322", _("'{name}' is given both as a column here and as its own sheet",
                                    name=field_name) if inner.sheet else
                         _("'{name}' is given both as a column here and as its own file", name=field_name),
                         grid.file, grid.sheet, grid.rows[i],
                         grid.column(field_name))
    if "id" not in inner.header and elements:
        problems.add("PE322", _("the elements of '{name}' need an 'id' column naming their item", name=field_name),
                     inner.file, inner.sheet, inner.header_row, 1)
        return
    for element, row in zip(elements, inner.rows, strict=True):
        owner = _id_text(element.pop("id", None))
        if owner is None:
            problems.add("PE322", _("this row names no item in its 'id' column"), inner.file, inner.sheet, row,
                         inner.column("id"))
            continue
        at = index.get(owner)
        if at is None:
            problems.add("PE322", _("no item '{id}' in the items", id=owner) + did_you_mean(owner, index),
                         inner.file, inner.sheet, row, inner.column("id"))
            continue
        value = items[at].setdefault(field_name, [])
        if isinstance(value, list):
            value.append(element)
            inner.elements.setdefault(at, []).append(row)
    grid.lists[field_name] = inner


def _id_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    return cell_text(value) if value is not None else None

