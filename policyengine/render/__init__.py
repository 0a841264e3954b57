"""Stage 6: render results as JSON (SPEC §5), YAML, CSV or an aligned table.

One module per output format; this package's surface is what the commands use.
Numbers are printed exactly as decimals (109.2, never 109.20000000000002),
keys keep the ruleset's order, and the same result always gives the same bytes.
"""

from __future__ import annotations

from ..printable import printable
from ..result import Result
from .csv import csv_chunks, csv_lines, csv_lines_of, to_csv
from .files import write_atomically
from .json import JsonWriter, json_chunks, to_json
from .table import TableView, summary_text, to_table
from .tabular import cell, rows, table_rows
from .yaml import YamlRows, to_yaml, yaml_chunks, yaml_items

# the formats in which an item's text depends on nothing but the item (for CSV, and the
# columns): `eval --jobs` workers write their items' part (policyengine/shards.py)
SPLIT_FORMATS = ("json", "yaml", "csv")

__all__ = ["SPLIT_FORMATS", "JsonWriter", "TableView", "YamlRows", "cell", "csv_chunks", "csv_lines", "csv_lines_of", "json_chunks", "printable", "render", "rows",
           "summary_text", "table_rows", "to_csv", "to_json", "to_table", "to_yaml", "write_atomically", "yaml_chunks",
           "yaml_items"]


def render(result: Result | list[Result], fmt: str) -> str:
    """One result, or several (one per case file) as one document: JSON and YAML give a
    list, CSV one header, the table one block per case with a blank line between."""
    results = result if isinstance(result, list) else [result]
    if fmt == "json":
        return "".join(json_chunks(results))
    if fmt == "yaml":
        return "".join(yaml_chunks(results))
    if fmt == "csv":
        return to_csv(results)
    return "\n".join(to_table(r) for r in results)
