"""Results as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io

from ..result import Result
from .tabular import table_rows


def to_csv(result: Result | list[Result]) -> str:
    """CSV for a spreadsheet: UTF-8 with a byte-order mark (without it Excel reads the
    Chinese as GBK and shows mojibake); several results share one header, with a first
    column naming each row's case file."""
    results = result if isinstance(result, list) else [result]
    header, body = table_rows(results, case_column=len(results) > 1)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue()
