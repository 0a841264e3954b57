"""Reading a result written as a workbook (`eval -o x.xlsx`) back in.

The workbook's visible sheets are for people; its hidden `result` sheet holds the result
as `eval -o x.json` writes it (render/xlsx.py): row 1 the text without the items (`"items":
[]`), then one item a row, each text split over as many cells as it needs. The reader
joins them into that JSON text, so that a workbook reads back exactly as the JSON file of
the same evaluation does, through the same checks. A position in that text (a line and
column the JSON checks find) is turned back into the cell it came from: `x.xlsx[result]!A7`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostic
from ..i18n import _

RESULT_SHEET = "result"
CELL_TEXT = 32000  # as render/xlsx.py writes them
_ITEMS = '\n  "items": []'


@dataclass
class ResultText:
    """The JSON text rebuilt from the `result` sheet, and where each piece came from."""

    text: str
    starts: list[int]  # the offset where each piece starts, ascending
    places: list[tuple[int, int]]  # each piece's (row, offset of the row's text at the piece start)
    line_starts: list[int]  # offset of each line of `text`

    def cell(self, line: int, column: int) -> tuple[int, int]:
        """The sheet row and column of a line and column (1-based) of the text."""
        if line < 1:
            return 1, 1
        offset = self.line_starts[min(line, len(self.line_starts)) - 1] + max(column - 1, 0)
        piece = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        row, base = self.places[piece]
        return row, (base + offset - self.starts[piece]) // CELL_TEXT + 1


def _error(file: str, message: str, row: int = 1, column: int = 1) -> Exception:
    from . import ResultFileError

    return ResultFileError(Diagnostic("PE352", message, file=file, sheet=RESULT_SHEET, line=row, column=column))


def read_result_text(path: Path) -> ResultText:
    """The result's JSON text from the workbook at `path` (PE350–PE352 when it is none)."""
    from . import ResultFileError

    file = str(path)
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(file)
        names = list(book.sheet_names)
    except Exception as exc:  # python-calamine's errors have no common base class to name
        raise ResultFileError(Diagnostic("PE351", _("this is not a readable XLSX workbook ({value})", value=str(exc)[:120]),
                                         file=file)) from None
    if RESULT_SHEET not in names:
        raise ResultFileError(Diagnostic(
            "PE352", _("not a result of policyengine eval: this workbook has no 'result' sheet (a result workbook "
                       "is written by eval -o x.xlsx; a case workbook or a diff is not one)"), file=file))
    several = [n for n in names if n.startswith(RESULT_SHEET + " ")]
    if several:
        raise _error(file, _("not a result of policyengine eval: this workbook holds {count} results (one per case "
                             "file of one eval run); give a file with one result (evaluate each case with its own "
                             "-o FILE)", count=len(several) + 1))
    try:
        rows = book.get_sheet_by_name(RESULT_SHEET).to_python(skip_empty_area=False)
    except Exception as exc:  # as above
        raise ResultFileError(Diagnostic("PE351", _("this workbook is damaged and cannot be read ({value})", value=str(exc)[:120]),
                                         file=file)) from None
    texts = []
    for number, row in enumerate(rows, 1):
        cells = list(row)
        while cells and cells[-1] in ("", None):
            cells.pop()
        if any(not isinstance(c, str) for c in cells):
            column = next(i for i, c in enumerate(cells, 1) if not isinstance(c, str))
            raise _error(file, _("not a result of policyengine eval: the result sheet holds text only"), number, column)
        texts.append("".join(cells))
    while texts and not texts[-1]:
        texts.pop()
    if not texts:
        raise _error(file, _("not a result of policyengine eval: the result sheet is empty"))
    head = texts[0]
    cut = head.find(_ITEMS)
    if cut < 0:
        raise _error(file, _("not a result of policyengine eval: row 1 of the result sheet has no '{mark}'",
                             mark='"items": []'))
    cut += len(_ITEMS) - 1  # at the ']'
    parts, starts, places = [], [], []
    offset = 0

    def add(text: str, row: int, base: int) -> None:
        nonlocal offset
        starts.append(offset)
        places.append((row, base))
        parts.append(text)
        offset += len(text)

    items = texts[1:]
    add(head[:cut] if not items else head[:cut] + "\n    ", 1, 0)
    for n, item in enumerate(items, 2):
        add(item, n, 0)
        if n - 1 < len(items):
            add(",\n    ", n, len(item))
    add(head[cut:] if not items else "\n  " + head[cut:], 1, cut)
    text = "".join(parts)
    line_starts = [0]
    find = text.find
    at = find("\n")
    while at >= 0:
        line_starts.append(at + 1)
        at = find("\n", at + 1)
    return ResultText(text, starts, places, line_starts)


# the sheets `eval -o x.xlsx` writes: a workbook with all of them is a result, not a case
RESULT_SHEETS = frozenset({"items", "summary", RESULT_SHEET})


__all__ = ["RESULT_SHEET", "RESULT_SHEETS", "ResultText", "read_result_text"]


