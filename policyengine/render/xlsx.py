"""Results (and diffs) as an XLSX workbook, the form results are published and filed in.

- `items`: one row per item (id, name, notes, inputs, values, each grade's level in a cell
  filled with the level's colour, rank, supervision, sanctions, fine), the header frozen,
  an autofilter, columns as wide as their text (CJK characters count two);
- `summary`: counts per level, each `count by` (two names: a cross-table), sums, fines;
- `result` (hidden): the result exactly as `eval -o x.json` writes it, for reading it back
  (`compare`, `eval --previous`): row 1 everything but the items, then one item a row, each
  text split over as many cells as it needs. People read the sheets above; editing them
  does not change what is read back (results/xlsx.py).

Numbers stay exact: a cell is a number only when a double holds the value exactly (and
Excel shows it as written: at most 15 significant digits); any other value is written as
its exact decimal text rather than rounded. The same result gives the same bytes: the
workbook's times and the zip entries' times are fixed.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..printable import escape
from ..result import Result
from ..runtime import format_number
from .table import _cross_table, flatten_counts
from .tabular import sanctions_text, supervision_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from ..diff import Diff

# the fill of a level's cell, by its colour: the pale tints spreadsheets use for
# conditional formatting, so the text stays readable
FILLS = {"red": "FFC7CE", "orange": "FFD8B1", "yellow": "FFEB9C", "blue": "BDD7EE", "green": "C6EFCE"}
HEADER_FILL = "D9D9D9"
MAX_WIDTH = 60
# a fixed workbook time: the same result must give the same bytes
FIXED_TIME = "2000-01-01T00:00:00Z"
_MAX_EXACT_DIGITS = 15  # what Excel displays of a double


def cell_value(value: Any) -> Any:
    """A result value as a cell: exact numbers as numbers, others as their exact text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        digits = len(value.normalize().as_tuple().digits) if value else 1
        if digits > _MAX_EXACT_DIGITS:
            return format_number(value)
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if len(str(abs(value))) <= _MAX_EXACT_DIGITS else str(value)
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(_text(v) for v in value)
    return str(value)


# the characters a workbook cell cannot hold (openpyxl refuses them: the C0 controls but
# tab and line breaks)
_UNHELD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def held(value: Any) -> Any:
    """`value` as a cell can hold it: in text, a control character a workbook cannot hold
    is written as its escape (`\\x1b`, as the terminal shows it), for the person reading
    the sheet; a result workbook's hidden `result` sheet keeps the exact text (JSON escapes
    it). Every cell this package writes goes through here: openpyxl's refusal was an
    internal error."""
    if value.__class__ is str and _UNHELD.search(value):
        return _UNHELD.sub(escape, value)
    return value


def _text(value: Any) -> str:
    from .tabular import cell

    return cell(value)


def to_xlsx(results: list[Result], inputs: list[dict[str, dict[str, Any]]] | None = None) -> bytes:
    """The workbook of one or more results (one per case file). `inputs`, per result, maps
    each item's id to its input values, shown between the notes and the values."""
    from openpyxl import Workbook

    book = Workbook()
    items_sheet = book.active
    items_sheet.title = "items"
    header, rows, fills = _item_rows(results, inputs)
    _table(items_sheet, header, rows, fills)
    summary = book.create_sheet("summary")
    _summary(summary, results)
    for n, result in enumerate(results, 1):
        _result_sheet(book.create_sheet(RESULT_SHEET if n == 1 else f"{RESULT_SHEET} {n}"), result)
    return workbook_bytes(book)


RESULT_SHEET = "result"
# the text of a cell: Excel holds at most 32767 characters in one
CELL_TEXT = 32000


def _result_sheet(ws: Worksheet, result: Result) -> None:
    """The hidden sheet a result workbook is read back from: the JSON text of the result
    (the same text as `-o x.json`) with the items cut out of row 1, one item a row."""
    import dataclasses

    from .json import JsonWriter

    ws.sheet_state = "hidden"
    writer = JsonWriter()
    head = "".join(writer.result(dataclasses.replace(result, items=[])))
    rows: Any = (head, *(writer.item(item, 2) for item in result.items))
    for r, text in enumerate(rows, 1):
        for column, start in enumerate(range(0, max(len(text), 1), CELL_TEXT), 1):
            c = ws.cell(row=r, column=column, value=text[start:start + CELL_TEXT])
            c.data_type = "s"  # a piece beginning with '=' is text, not a formula


def _item_rows(results: list[Result], inputs: list[dict[str, dict[str, Any]]] | None,
               ) -> tuple[list[str], list[list[Any]], list[list[str | None]]]:
    items = [i for r in results for i in r.items]
    first = items[0] if items else None
    several = len(results) > 1
    notes = list(first.notes or {}) if first else []
    values = list(first.values) if first else []
    scales = list(first.grades) if first else []
    ranked = {s: any(i.grades[s].rank is not None for i in items) for s in scales}
    input_names: list[str] = []
    for per_result in inputs or []:
        for row in per_result.values():
            input_names.extend(n for n in row if n not in input_names)
    header = (["case"] if several else []) + ["id", "name", *notes, *input_names, *values]
    for s in scales:
        header += [s, f"{s}.rank"] if ranked[s] else [s]
    header += ["supervision", "sanctions", "fine", "warning"]
    rows: list[list[Any]] = []
    fills: list[list[str | None]] = []
    for n, result in enumerate(results):
        given = inputs[n] if inputs and n < len(inputs) else {}
        for item in result.items:
            item_inputs = given.get(item.id, {})
            row = ([result.case.get("file") or ""] if several else []) + [item.id, item.name]
            row += [cell_value((item.notes or {}).get(name)) for name in notes]
            row += [cell_value(item_inputs.get(name)) for name in input_names]
            row += [cell_value(item.values[name]) for name in values]
            fill: list[str | None] = [None] * len(row)
            for s in scales:
                grade = item.grades[s]
                row.append(grade.level)
                fill.append(FILLS.get(grade.color or ""))
                if ranked[s]:
                    row.append(grade.rank)
                    fill.append(None)
            row.append("; ".join(supervision_text(sv) for sv in item.supervision) or None)
            row.append(sanctions_text((s.rule, s.actions) for s in item.sanctions) or None)
            row.append(cell_value(item.fine) if any(s.fine is not None for s in item.sanctions) else None)
            row.append(item.warning)
            fill += [None] * 4
            rows.append(row)
            fills.append(fill)
    return header, rows, fills


def _table(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[Any]],
           fills: Sequence[Sequence[str | None]] | None = None, top: int = 1) -> None:
    """A header row (bold, shaded, frozen, with an autofilter) and rows under it."""
    from openpyxl.styles import Font, PatternFill

    bold, shade = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    for column, name in enumerate(header, 1):
        c = ws.cell(row=top, column=column, value=held(name))
        c.font, c.fill = bold, shade
    patterns: dict[str, PatternFill] = {}
    for r, row in enumerate(rows, top + 1):
        for column, value in enumerate(row, 1):
            if value is None:
                continue
            c = ws.cell(row=r, column=column, value=held(value))
            if isinstance(value, _dt.date):
                c.number_format = "yyyy-mm-dd"
            colour = fills[r - top - 1][column - 1] if fills else None
            if colour:
                c.fill = patterns.get(colour) or patterns.setdefault(colour, PatternFill("solid", fgColor=colour))
    if top == 1:
        ws.freeze_panes = "A2"
        if header:
            from openpyxl.utils import get_column_letter

            ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(rows) + 1, 2)}"
    fit_columns(ws, [list(header), *rows])


def fit_columns(ws: Worksheet, rows: Sequence[Sequence[Any]]) -> None:
    """Column widths that fit the text: display width, CJK characters counting two."""
    from openpyxl.utils import get_column_letter
    from wcwidth import wcswidth

    widths: dict[int, int] = {}
    for row in rows:
        for column, value in enumerate(row, 1):
            if value is None:
                continue
            text = value.isoformat() if isinstance(value, _dt.date) else str(value)
            width = wcswidth(text)
            if width < 0:  # a control character: count characters
                width = len(text)
            if width > widths.get(column, 0):
                widths[column] = width
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(width + 2, MAX_WIDTH)


def _summary(ws: Worksheet, results: list[Result]) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    lines: list[list[Any]] = []
    heads: list[int] = []

    def head(*cells: Any) -> None:
        lines.append(list(cells))
        heads.append(len(lines))

    for result in results:
        s = result.summary
        if len(results) > 1:
            head("case", result.case.get("file"))
        lines.append(["items", s["items"]])
        for scale, counts in s["levels"].items():
            lines.append([])
            head(scale, "count")
            lines.extend([level, n] for level, n in counts.items())
        for block in s.get("counts", []):
            by = block["by"]
            lines.append([])
            if len(by) == 2:
                header, body = _cross_table(by, block["counts"])
                head(*header)
                lines.extend([row[0], *(int(x) for x in row[1:])] for row in body)
            else:
                head(*by, "count")
                lines.extend([*k, v] for k, v in flatten_counts(block["counts"], len(by)))
        if s.get("sums"):
            lines.append([])
            head("sum", "total")
            lines.extend([name, cell_value(total)] for name, total in s["sums"].items())
        lines.append([])
        lines.append(["fines", cell_value(s["fines"])])
        lines.append([])
    for r, row in enumerate(lines, 1):
        for column, value in enumerate(row, 1):
            c = ws.cell(row=r, column=column, value=held(value))
            if r in heads:
                c.font = bold
    fit_columns(ws, lines)


def diff_xlsx(diff: Diff) -> bytes:
    """`diff -o diff.xlsx`: the changed declarations, the changed items, and per grade
    scale its migration matrix (old level down, new level across) with the verdict."""
    from openpyxl import Workbook

    book = Workbook()
    changes = book.active
    changes.title = "changes"
    _table(changes, ["kind", "name", "change", "old", "new"],
           [[c.kind, c.name, c.change, c.old, c.new] for c in diff.changes])
    impact = diff.impact
    if impact is not None:
        scales = sorted({s for i in impact.items_changed for s in i.grades})
        value_names = sorted({v for i in impact.items_changed for v in i.values})
        # a changed fine or action changes what happens to an item as much as a grade does
        fired = any(i.sanctions is not None for i in impact.items_changed)
        header = ["case", "id", "name"]
        for s in scales:
            header += [f"{s} (old)", f"{s} (new)"]
        for v in value_names:
            header += [f"{v} (old)", f"{v} (new)"]
        if fired:
            header += ["sanctions (old)", "sanctions (new)", "fine (old)", "fine (new)"]
        body = []
        for change in impact.items_changed:
            row = [change.case, change.id, change.name]
            for s in scales:
                row += list(change.grades.get(s, (None, None)))
            for v in value_names:
                old, new = change.values.get(v, (None, None))
                row += [cell_value(old), cell_value(new)]
            if fired:
                if change.sanctions is None:
                    row += [None, None, None, None]
                else:
                    row += [sanctions_text((s["rule"], s["actions"]) for s in side) or None
                            for side in change.sanctions]
                    row += [cell_value(_fine(side)) for side in change.sanctions]
            body.append(row)
        _table(book.create_sheet("items"), header, body)
        for scale in impact.scales:
            ws = book.create_sheet(_sheet_name(f"migration {scale.scale}", book.sheetnames))
            matrix = scale.migration
            rows = [[old, *(matrix.get(old, {}).get(new, 0) for new in scale.new_levels),
                     sum(matrix.get(old, {}).values())] for old in scale.old_levels]
            totals = [sum(matrix.get(old, {}).get(new, 0) for old in scale.old_levels) for new in scale.new_levels]
            rows.append(["total", *totals, sum(totals)])
            rows += [[], ["verdict", scale.verdict], ["fines (old)", cell_value(impact.fines_old)],
                     ["fines (new)", cell_value(impact.fines_new)]]
            _table(ws, [f"{scale.scale}: old \\ new", *scale.new_levels, "total"], rows)
    return workbook_bytes(book)


def _fine(fired: list[dict[str, Any]]) -> Any:
    """The fines of the fired sanctions added up (None: none of them fines)."""
    fines = [s["fine"] for s in fired if s["fine"] is not None]
    return sum(fines, Decimal(0)) if fines else None


def _sheet_name(name: str, taken: list[str]) -> str:
    """A valid, unused sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    return candidate


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook's file, the same bytes for the same content: openpyxl stamps the
    document with the time of saving and zip entries with the time of writing; both are
    set to a fixed time."""
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>"
                              + FIXED_TIME.encode() + rb"\g<3>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, data)
    return out.getvalue()
