"""Where a value stands in its case file: line and column for error messages.

Only the error path comes here. Locating costs no more than reading the file did: a JSON
file is walked along the path with the C scanner of the json module (each sibling value is
skipped in one call), a YAML file is composed with libyaml when it is installed. What was
read is kept on the `Case` object, not in a global: two cases in two threads, or a file
edited and loaded again, each see their own text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Case

@dataclass
class Grid:
    """Where a spreadsheet case's items stand: file, sheet (None for CSV), the header row's
    field names and, per item, its row number; per `list of {…}` field, the grid its
    elements come from (another sheet, or a companion CSV file) with their rows per item."""

    file: str
    sheet: str | None
    header: list[str]
    rows: list[int]
    header_row: int = 1
    lists: dict[str, Grid] = field(default_factory=dict)
    # for a list grid: item index -> the rows of its elements, in order
    elements: dict[int, list[int]] = field(default_factory=dict)

    def column(self, name: str) -> int:
        return self.header.index(name) + 1 if name in self.header else 1


def place(case: Case, path: list[Any]) -> tuple[str, str | None, int, int]:
    """File, sheet (or None), line or row, and column of `path` in the case file."""
    grid = case._nodes
    if not isinstance(grid, Grid):
        line, column = locate(case, path)
        return case.file or "<case>", None, line, column
    if path and path[0] in (case.header_cells or {}):  # a key of the `case` sheet
        sheet, row, column = case.header_cells[path[0]]  # type: ignore[index]
        return grid.file, sheet, row, column
    if path[:1] == ["header"]:
        inner = grid.lists.get(str(path[1]))
        if inner is not None:
            return inner.file, inner.sheet, inner.header_row, 1
        return grid.file, grid.sheet, grid.header_row, grid.column(str(path[1]))
    if len(path) < 2 or path[0] != "items" or not isinstance(path[1], int) or path[1] >= len(grid.rows):
        return grid.file, grid.sheet, 0, 0
    index = path[1]
    if len(path) > 3 and path[2] in grid.lists and isinstance(path[3], int):
        inner = grid.lists[path[2]]
        rows = inner.elements.get(index, [])
        if path[3] < len(rows):
            return (inner.file, inner.sheet, rows[path[3]],
                    inner.column(str(path[4])) if len(path) > 4 else inner.column("id"))
    return grid.file, grid.sheet, grid.rows[index], grid.column(str(path[2])) if len(path) > 2 else 1


def _key_line(file: str, path: list[Any]) -> int:
    """The line of `path` in `file`, read afresh (for errors found before a Case exists)."""
    found = _position(_source(file), path)
    return found[0] if found else 0


def place_text(case: Case, path: list[Any]) -> str | None:
    """Where `path` stands, as a message names it: `file:line`, or `file[sheet]!A7` in a
    workbook; None when unknown."""
    from ..errors import Diagnostic

    file, sheet, line, column = place(case, path)
    if not line:
        return None
    return Diagnostic("", "", file=file, line=line, column=column if sheet else 0, sheet=sheet).location()


def locate(case: Case, path: list[Any]) -> tuple[int, int]:
    """Line and column of `path` (keys and indices) in the case file, or (0, 0)."""
    if case.file is None:
        return 0, 0
    if case.section and path and path[0] == "items":
        path = [*case.section, *path[1:]]
    if isinstance(case._nodes, Grid):
        _file, _sheet, line, column = place(case, path)
        return line, column
    if case._nodes is None:
        case._nodes = _source(case.file)
    return _position(case._nodes, path) or (0, 0)


def _source(file: str) -> Any:
    """What locating needs of `file`: ("json", text) or ("yaml", composed node tree). Only
    a case that was read already, within the size its caller allowed, is located: it is
    read whole again (a fixed limit here would lose every location in a case its caller
    allowed to be larger)."""
    try:
        with open(file, "rb") as fh:
            data = fh.read()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ("none", None)
    if file.lower().endswith(".json"):
        return ("json", text)
    import yaml

    try:
        return ("yaml", yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (yaml.YAMLError, RecursionError):
        return ("none", None)


def _position(source: Any, path: list[Any]) -> tuple[int, int] | None:
    kind, data = source
    if kind == "json":
        return _json_position(data, path)
    if kind == "yaml":
        node = _yaml_node(data, path)
        return (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else None
    return None


def _json_position(text: str, path: list[Any]) -> tuple[int, int] | None:
    """Follow `path` through JSON text; for the last step of a mapping, the key's place."""
    from json.scanner import make_scanner

    from .json import SPACE, json_children

    # numbers as text: a number of 10^6 digits must not become an int
    scan = make_scanner(json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str))
    best = at = SPACE.match(text, 0).end()
    try:
        for n, step in enumerate(path):
            last = n == len(path) - 1
            for key, key_at, value_at in json_children(text, at, scan):
                if key == step if isinstance(key, int) else key == str(step):
                    at = key_at if last else value_at
                    break
            else:
                break
            best = at
    except (ValueError, IndexError, RecursionError):
        pass
    line = text.count("\n", 0, best) + 1
    return line, best - text.rfind("\n", 0, best)


def _yaml_node(node: Any, path: list[Any]) -> Any:
    import yaml

    best = node
    for step in path:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if str(k.value) == str(step):
                    found = v if step is not path[-1] else k
                    break
            if found is None:
                break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        best = node
    return best
