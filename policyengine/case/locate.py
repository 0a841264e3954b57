"""Where a value stands in its case file: line and column for error messages."""

from __future__ import annotations

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
    node = _node_at(file, path)
    return node.start_mark.line + 1 if node is not None else 0


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
    node = _node_at(case.file, path)
    if node is None:
        return 0, 0
    return node.start_mark.line + 1, node.start_mark.column + 1


_COMPOSED: dict[str, Any] = {}


def _node_at(file: str, path: list[Any]) -> Any:
    import yaml

    if file not in _COMPOSED:
        try:
            with open(file, encoding="utf-8-sig") as fh:
                _COMPOSED.clear()
                _COMPOSED[file] = yaml.compose(fh, Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError, RecursionError):
            _COMPOSED[file] = None
    node = _COMPOSED[file]
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
