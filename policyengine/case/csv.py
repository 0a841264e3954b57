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
from . import Case
from .cells import Problems, attach_list, decode_text, read_grid


def read_csv(raw: bytes, path: Path) -> Case:
    """A CSV case: one item per row, a header row of field names (id, name, inputs)."""
    problems = Problems()
    grid, items = _read_table(raw, path, problems)
    # companions: `台账.csv` has its `事件` list in `台账.事件.csv`
    for companion in sorted(path.parent.glob(f"{_glob_escape(path.stem)}.*.csv")):
        field_name = companion.name[len(path.stem) + 1:-len(".csv")]
        if not field_name or "." in field_name:
            continue
        try:
            companion_raw = companion.read_bytes()
        except OSError as exc:
            raise CaseError(Diagnostic("PE301", f"cannot read case file: {exc.strerror}",
                                       file=str(companion))) from None
        inner, elements = _read_table(companion_raw, companion, problems)
        attach_list(field_name, items, grid, elements, inner, problems)
    problems.raise_any()
    case = Case(items=items, file=str(path), cells=True)
    case._nodes = grid
    return case


def _read_table(raw: bytes, path: Path, problems: Problems) -> tuple[object, list[dict[str, object]]]:
    text = decode_text(raw)
    if text is None:
        raise CaseError(Diagnostic("PE320", "this CSV file is neither UTF-8 nor GBK/GB18030 text: save it "
                                   "again as CSV UTF-8", file=str(path)))
    if "\0" in text:
        raise CaseError(Diagnostic("PE320", "this is not a CSV text file (it holds NUL bytes; an .xlsx "
                                   "workbook renamed .csv?)", file=str(path)))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # csv counts physical lines: a quoted cell may span several
        rows = ((reader.line_num, row) for row in reader)
        return read_grid(rows, str(path), None, problems)
    except csv.Error as exc:
        raise CaseError(Diagnostic("PE320", f"this CSV file cannot be read: {exc}", file=str(path),
                                   line=reader.line_num)) from None


def _glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)
