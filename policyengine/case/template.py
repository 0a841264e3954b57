"""Case files made from a ruleset: an empty workbook (or CSV) for officers to fill in, or a
case's items written in that layout (`policyengine template RULESET [--from CASE]`).

The workbook is the layout case/xlsx.py reads (docs/spreadsheets.md): the items sheet
(named after the ruleset's subject) with a header per input, note and dimension, its doc
as a cell comment and data validation for what the ruleset declares (drop-down lists for
`one of` and bool, number ranges for bounds and dimensions, date cells); a sheet per
`list of {…}` field; and a `case` sheet for the header, its `ruleset` already filled in.
Filled in, it evaluates with no other step.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Dimension, Input, Ruleset, TypeSpec
from .cells import column_letter
from .validate import input_type
from .xlsx import CASE_KEYS, CASE_SHEET, NO_PREVIOUS, UNITS_PREFIX

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from . import Case

# rows of the empty template that carry data validation (Excel applies it per range)
TEMPLATE_ROWS = 1000
BOOL_CHOICES = "是,否"
_LIST_FORMULA_LIMIT = 255  # Excel's limit on a drop-down list written in the rule itself


def fields_of(model: Ruleset) -> list[Input | Dimension]:
    """The columns of the items sheet after id and name: inputs, notes and dimensions, as
    declared; `list of {…}` inputs have their own sheets."""
    return [d for d in model.declarations if isinstance(d, (Input, Dimension))
            and not (isinstance(d, Input) and d.type.kind == "list")]


def list_fields(model: Ruleset) -> list[Input]:
    return [d for d in model.inputs if d.type.kind == "list"]


def item_sheet_name(model: Ruleset) -> str:
    """The items sheet is named after what the ruleset assesses (`subject 风险点`)."""
    name = model.subject if model.subject and model.subject != "item" else "items"
    return name if name != CASE_SHEET and name not in {d.name for d in list_fields(model)} else "items"


def case_workbook(model: Ruleset, ruleset_ref: str | None, case: Case | None = None,
                  folder: Path | None = None) -> bytes:
    """The case workbook of `model`: empty, or holding `case`'s items and header. `folder`, the
    workbook's: the case's earlier files are named relative to it, as the workbook reads them."""
    from openpyxl import Workbook

    from ..render.xlsx import workbook_bytes

    book = Workbook()
    ws = book.active
    ws.title = item_sheet_name(model)
    columns = fields_of(model)
    items = case.items if case is not None else []
    extra = _extra_columns(items, {"id", "name", *(d.name for d in model.inputs), *(d.name for d in columns)})
    header: list[tuple[str, TypeSpec | None, str | None]] = [
        ("id", None, "每行一项:编号,同一文件中不重复 (unique in the file)"), ("name", None, "名称 (optional)"),
        *((d.name, input_type(d), _doc(d)) for d in columns), *((name, None, None) for name in extra)]
    _header(ws, header, len(items))
    for r, item in enumerate(items, 2):
        for c, (name, _spec, _doc_text) in enumerate(header, 1):
            _put(ws, r, c, item.get(name) if isinstance(item, dict) else None)
    for decl in list_fields(model):
        sheet = _sheet_for(book, decl.name, decl.name, decl.span)
        inner = [("id", None, "所属项目的编号 (the id of the item this row belongs to)"),
                 *((f.name, f.type, _field_doc(f.type, f.default)) for f in decl.type.fields)]
        rows = [(item.get("id"), element) for item in items if isinstance(item, dict)
                for element in (item.get(decl.name) or []) if isinstance(element, dict)]
        _header(sheet, inner, len(rows))
        for r, (owner, element) in enumerate(rows, 2):
            _put(sheet, r, 1, owner)
            for c, (name, _spec, _doc_text) in enumerate(inner[1:], 2):
                _put(sheet, r, c, element.get(name))
    for rollup, units in _units(model, case).items():
        sheet = _sheet_for(book, f"{UNITS_PREFIX}{rollup}"[:31], rollup,
                           next((r.span for r in model.rollups if r.name == rollup), None))
        names = _unit_columns(model, rollup, units)
        _header(sheet, [(n, None, None) for n in names], len(units))
        for r, unit in enumerate(units, 2):
            for c, name in enumerate(names, 1):
                _put(sheet, r, c, unit.get(name) if isinstance(unit, dict) else None)
    info = book.create_sheet(CASE_SHEET)
    info.append(["key", "value"])
    values = {"ruleset": ruleset_ref}
    if case is not None:
        values.update(case.header())
    for key in CASE_KEYS:
        if key != "previous":
            info.append([key, _plain_cell(values.get(key))])
    # the earlier results (or earlier cases), one a row as case/xlsx.py reads them; left empty
    # in a blank template: a ruleset that reads earlier results then says none was given
    previous = case.previous if case is not None else None
    if previous and folder is not None and case is not None and case.file:
        here = Path(case.file).resolve().parent
        previous = [os.path.relpath(here / p, folder.resolve()).replace(os.sep, "/") for p in previous]
    for name in [NO_PREVIOUS] if previous == [] else previous or [None]:
        info.append(["previous", name])
    from ..render.xlsx import fit_columns

    fit_columns(info, [["key", "value"], *info.iter_rows(min_row=2, values_only=True)])
    return workbook_bytes(book)


def case_csv(model: Ruleset, case: Case | None = None) -> dict[str | None, str]:
    """The case as CSV text: {None: the items file, field: its companion file's text}, UTF-8
    with a byte-order mark (Excel then reads the Chinese right)."""
    import csv

    items = case.items if case is not None else []
    columns = ["id", "name", *(d.name for d in fields_of(model))]
    columns += _extra_columns(items, {*columns, *(d.name for d in model.inputs)})

    def text(rows: Iterable[list[Any]]) -> str:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
        return buffer.getvalue()

    files: dict[str | None, str] = {None: text([columns, *([item.get(c) for c in columns] for item in items)])}
    for decl in list_fields(model):
        inner = ["id", *(f.name for f in decl.type.fields)]
        rows = [[item.get("id"), *(element.get(f) for f in inner[1:])] for item in items
                for element in (item.get(decl.name) or []) if isinstance(element, dict)]
        files[decl.name] = text([inner, *rows])
    for rollup, units in _units(model, case).items():
        names = _unit_columns(model, rollup, units)
        files[f"{UNITS_PREFIX}{rollup}"] = text([names, *([u.get(n) for n in names] for u in units
                                                           if isinstance(u, dict))])
    return files


def _units(model: Ruleset, case: Case | None) -> dict[str, list[Any]]:
    """Each rollup with inputs and its units (none in an empty template): the case's
    `units:` section, a sheet or companion file of its own in a spreadsheet."""
    from ..model import all_rollups

    given = (case.units or {}) if case is not None else {}
    out = {r.name: list(given.get(r.name) or []) for r in all_rollups(model.declarations)
           if any(isinstance(d, (Input, Dimension)) for d in r.declarations)}
    out.update({name: list(units or []) for name, units in given.items() if name not in out})
    return out


def _unit_columns(model: Ruleset, rollup: str, units: list[Any]) -> list[str]:
    from ..model import all_rollups

    declared = [d.name for r in all_rollups(model.declarations) if r.name == rollup
                for d in r.declarations if isinstance(d, (Input, Dimension))]
    names = ["id", "name", *declared]
    return names + _extra_columns(units, set(names))


def _extra_columns(items: list[Any], known: set[str]) -> list[str]:
    """Fields a case gives that the ruleset does not declare: kept, so that converting a
    case never hides what validation would report."""
    extra: list[str] = []
    for item in items:
        if isinstance(item, dict):
            extra.extend(str(k) for k in item if k not in known and str(k) not in extra)
    return extra


def _csv_cell(value: Any) -> str:
    from ..render.tabular import cell

    return cell(value)


def _sheet_for(book: Any, title: str, name: str, span: Any) -> Any:
    """A sheet named after a list field or a rollup (`name`, declared at `span`); a name a
    sheet cannot have (it holds one of \\ / ? * [ ] :) is said there, not an internal error."""
    from ..errors import Diagnostic, PolicyError
    from ..i18n import _

    try:
        return book.create_sheet(title)
    except ValueError:
        raise PolicyError(Diagnostic.at("PE324", _("a workbook cannot have a sheet named '{name}' (a sheet name "
                                                   "holds none of \\ / ? * [ ] :): write the template as .csv",
                                                   name=name), span)) from None


def _plain_cell(value: Any) -> Any:
    from ..render.xlsx import cell_value, held

    return held(cell_value(value))


def _put(ws: Worksheet, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    c = ws.cell(row=row, column=column, value=_plain_cell(value))
    if isinstance(value, _dt.date):
        c.number_format = "yyyy-mm-dd"


def _doc(decl: Input | Dimension) -> str:
    parts = [decl.doc] if decl.doc else []
    if isinstance(decl, Dimension):
        parts.append(f"评分 {_number(decl.low)}..{_number(decl.high)}" +
                     (f", 权重 {_number(decl.weight)}" if decl.weight != 1 else ""))
    else:
        parts.append(_field_doc(decl.type, decl.default))
        if decl.carried:
            parts.append("note: 说明性字段,可不填 (optional, carried to the results)")
    return "\n".join(p for p in parts if p)


def _field_doc(spec: TypeSpec, default: Any) -> str:
    from ..dsl import expr, type_spec

    text = type_spec(spec)
    if default is not None:
        text += f" = {expr(default)} (可不填 / optional)"
    return text


def _number(d: Decimal) -> str:
    from ..runtime import format_number

    return format_number(d)


def _header(ws: Worksheet, header: list[tuple[str, TypeSpec | None, str | None]], filled: int) -> None:
    """The header row (bold, frozen, commented) and the columns' data validation."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    from ..render.xlsx import HEADER_FILL, fit_columns, held

    bold, shade = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    last = max(TEMPLATE_ROWS, filled + 1)
    for c, (name, spec, doc) in enumerate(header, 1):
        cell = ws.cell(row=1, column=c, value=held(name))
        cell.font, cell.fill = bold, shade
        if doc:
            cell.comment = Comment(held(doc), "policyengine", width=320, height=120)
        if spec is not None:
            _validation(ws, spec, f"{column_letter(c)}2:{column_letter(c)}{last}", name)
    ws.freeze_panes = "A2"
    fit_columns(ws, [[name for name, _s, _d in header]])
    for c in range(1, len(header) + 1):  # room to type in, even under a short header
        dimension = ws.column_dimensions[column_letter(c)]
        dimension.width = max(dimension.width or 0, 12)


def _validation(ws: Worksheet, spec: TypeSpec, cells: str, name: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..render.xlsx import held

    rule: DataValidation | None = None
    if spec.kind == "enum":
        choices = ",".join(spec.values)
        # a value the list cannot spell (a comma, a quote, a control character a workbook
        # cannot hold) leaves the column without a drop-down
        if len(choices) + 2 <= _LIST_FORMULA_LIMIT and all("," not in v and '"' not in v and held(v) == v
                                                            for v in spec.values):
            rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            rule.error = f"{name}: " + " / ".join(spec.values)
    elif spec.kind == "bool":
        rule = DataValidation(type="list", formula1=f'"{BOOL_CHOICES}"', allow_blank=True)
        rule.error = f"{name}: 是 / 否"
    elif spec.kind in ("number", "integer", "range"):
        kind = "whole" if spec.kind == "integer" else "decimal"
        low, high = spec.minimum, spec.maximum
        if low is not None and high is not None:
            rule = DataValidation(type=kind, operator="between", formula1=_number(low), formula2=_number(high),
                                  allow_blank=True)
            rule.error = f"{name}: {_number(low)}..{_number(high)}"
        elif low is not None:
            rule = DataValidation(type=kind, operator="greaterThan" if spec.min_exclusive else "greaterThanOrEqual",
                                  formula1=_number(low), allow_blank=True)
            rule.error = f"{name}: {'>' if spec.min_exclusive else '>='} {_number(low)}"
        elif high is not None:
            rule = DataValidation(type=kind, operator="lessThan" if spec.max_exclusive else "lessThanOrEqual",
                                  formula1=_number(high), allow_blank=True)
            rule.error = f"{name}: {'<' if spec.max_exclusive else '<='} {_number(high)}"
        else:
            rule = DataValidation(type=kind, allow_blank=True, operator="between",
                                  formula1="-1E+18", formula2="1E+18")
            rule.error = f"{name}: a number"
    elif spec.kind == "date":
        # dates from 1900-01-01 on, as date cells shown yyyy-mm-dd
        rule = DataValidation(type="date", operator="greaterThanOrEqual", formula1="1", allow_blank=True)
        rule.error = f"{name}: a date (2013-03-02)"
        column = cells.split(":")[0].rstrip("0123456789")
        ws.column_dimensions[column].number_format = "yyyy-mm-dd"
    if rule is not None:
        rule.error = held(rule.error)
        rule.showErrorMessage = True
        ws.add_data_validation(rule)
        rule.add(cells)
