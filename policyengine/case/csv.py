"""Reading a CSV case file: one item per row under a header row of field names.

The cells are read as a spreadsheet's (case/cells.py): text stays text until validation
converts it to the declared type. A `list of {…}` field comes from a companion file
`<case>.<field>.csv` next to it: an `id` column naming the item, one column per element
field, one element per row. UTF-8 (with or without a byte-order mark) and GBK/GB18030, what
Excel on a Chinese Windows saves, are both read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import CaseError, Diagnostic
from ..i18n import _
from . import Case, read_bytes
from .cells import Problems, attach_list, decode_text, read_grid


def read_csv(raw: bytes, path: Path) -> Case:
    """A CSV case: one item per row, a header row of field names (id, name, inputs).

    Companion files beside it, named after it: `<case>.<field>.csv` holds a list field
    (`台账.csv` has its `事件` in `台账.事件.csv`); `<case>.units.<rollup>.csv` a rollup's
    units, one unit per row in the same layout (id = the unit's key value)."""
    problems = Problems()
    grid, items = _read_table(raw, path, problems)
    case = Case(items=items, file=str(path), cells=True)
    case._nodes = grid
    stem = _glob_escape(path.stem)
    for companion in sorted(path.parent.glob(f"{stem}.*.csv")):
        field_name = companion.name[len(path.stem) + 1:-len(".csv")]
        if not field_name or "." in field_name:
            continue
        inner, elements = _read_table(read_bytes(companion), companion, problems)
        attach_list(field_name, items, grid, elements, inner, problems)
    for companion in sorted(path.parent.glob(f"{stem}.units.*.csv")):
        rollup = companion.name[len(path.stem) + len(".units."):-len(".csv")]
        unit_grid, units = _read_table(read_bytes(companion), companion, problems)
        case.units = {**(case.units or {}), rollup: units}
        case.unit_sources = {**(case.unit_sources or {}), rollup: (str(companion), unit_grid)}
    problems.raise_any()
    return case


def _read_table(raw: bytes, path: Path, problems: Problems) -> tuple[object, list[dict[str, object]]]:
    text = decode_text(raw)
    if text is None:
        raise CaseError(Diagnostic("PE320", _("this CSV file is neither UTF-8 nor GBK/GB18030 "
                                              "text: save it again as CSV UTF-8"), file=str(path)))
    if "\0" in text:
        raise CaseError(Diagnostic("PE320", _("this is not a CSV text file (it holds NUL "
                                              "bytes; an .xlsx workbook renamed .csv?)"), file=str(path)))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # csv counts physical lines: a quoted cell may span several
        rows = ((reader.line_num, row) for row in reader)
        return read_grid(rows, str(path), None, problems)
    except csv.Error as exc:
        raise CaseError(Diagnostic("PE320", _("this CSV file cannot be read: {exc}", exc=exc), file=str(path),
                                   line=reader.line_num)) from None


def _glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)
