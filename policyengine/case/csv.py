"""Reading a CSV case file: one item per row under a header row of field names."""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic
from ..i18n import _
from . import Case, load_text


def read_csv(text: str, path: Path) -> Case:
    """A CSV case: one item per row, a header row of field names (id, name, inputs).

    A rollup's units come from a companion file beside it, `<case>.units.<rollup>.csv`,
    one unit per row in the same layout (id = the unit's key value)."""
    items, nodes = _rows(text, path)
    case = Case(items=items, file=str(path))
    case._nodes = nodes
    for companion in sorted(path.parent.glob(f"{path.stem}.units.*.csv")):
        rollup = companion.name[len(path.stem) + len(".units."):-len(".csv")]
        units, unit_nodes = _rows(load_text(companion), companion)
        case.units = {**(case.units or {}), rollup: units}
        case.unit_sources = {**(case.unit_sources or {}), rollup: (str(companion), unit_nodes)}
    return case


def _rows(text: str, path: Path) -> tuple[list[dict[str, Any]], tuple[str, list[int], list[str]]]:
    """The rows of a CSV file as mappings of the header's names, and where each row is."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CaseError(Diagnostic("PE302", _("empty CSV file"), file=str(path), line=1))
    header = [h.strip() for h in rows[0]]
    items = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise CaseError(Diagnostic("PE302", _("row has {row} cells; the header has {header}",
                                                  row=len(row), header=len(header)),
                                       file=str(path), line=number))
        items.append({h: _csv_value(c) for h, c in zip(header, row, strict=True) if c.strip() != ""})
    return items, ("csv", [0, *range(2, len(rows) + 1)], header)


def _csv_value(cell: str) -> Any:
    cell = cell.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", cell):
        return Decimal(cell)
    if cell in ("true", "false"):
        return cell == "true"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        try:
            return _dt.date.fromisoformat(cell)
        except ValueError:
            return cell
    return cell
