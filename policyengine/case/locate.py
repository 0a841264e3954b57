"""Where a value stands in its case file: line and column for error messages.

Only the error path comes here. Locating costs no more than reading the file did: a JSON
file is walked along the path with the C scanner of the json module (each sibling value is
skipped in one call), a YAML file is composed with libyaml when it is installed. What was
read is kept on the `Case` object, not in a global: two cases in two threads, or a file
edited and loaded again, each see their own text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
    """What locating needs of `file`: ("json", JsonText) or ("yaml", YamlTree). Only
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
        return ("json", JsonText(text))
    import yaml

    try:
        return ("yaml", YamlTree(yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))))
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


class JsonText:
    """A JSON case's text, and the members of each container met while locating, found
    once: up to 50 problems are located in one case, and walking an object of a hundred
    thousand keys (hostile input, or a mistaken export) from its start for each of them
    took minutes. A container's members are read only as far as a path needed."""

    def __init__(self, text: str):
        from json.scanner import make_scanner

        self.text = text
        # numbers as text: a number of 10^6 digits must not become an int
        self.scan = make_scanner(json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str))
        self.members: dict[int, tuple[dict[str | int, tuple[int, int]], Iterator[tuple[str | int, int, int]]]] = {}

    def member(self, at: int, step: Any) -> tuple[int, int] | None:
        """(where its key starts, where its value starts) of the member `step` of the
        container at `at` — an array's element by its index, an object's first member of
        that key (compared as text) — or None."""
        from .json import json_children

        if at not in self.members:
            self.members[at] = ({}, json_children(self.text, at, self.scan))
        found, rest = self.members[at]
        while True:
            if isinstance(step, int) and step in found:  # an array's index (or a key "1": below)
                return found[step]
            if str(step) in found:
                return found[str(step)]
            member = next(rest, None)  # a ValueError or IndexError: the text is broken there
            if member is None:
                return None
            found.setdefault(member[0], member[1:])


def _json_position(source: JsonText, path: list[Any]) -> tuple[int, int] | None:
    """Follow `path` through JSON text; for the last step of a mapping, the key's place."""
    from .json import SPACE

    text = source.text
    best = at = SPACE.match(text, 0).end()
    try:
        for n, step in enumerate(path):
            found = source.member(at, step)
            if found is None:
                break
            at = found[0] if n == len(path) - 1 else found[1]
            best = at
    except (ValueError, IndexError, RecursionError):
        pass
    line = text.count("\n", 0, best) + 1
    return line, best - text.rfind("\n", 0, best)


class YamlTree:
    """A YAML case's composed node tree, and each mapping's keys indexed the first time a
    path goes through it (see JsonText: one index, not a walk from the first key for each
    of up to 50 problems)."""

    def __init__(self, root: Any):
        self.root = root
        self.keys: dict[int, dict[str, tuple[Any, Any]]] = {}

    def member(self, node: Any, step: Any) -> tuple[Any, Any] | None:
        """(key node, value node) of the first member of `node` whose key reads as `step`."""
        index = self.keys.get(id(node))
        if index is None:
            index = self.keys[id(node)] = {}
            for k, v in node.value:
                index.setdefault(str(k.value), (k, v))
        return index.get(str(step))


def _yaml_node(tree: YamlTree, path: list[Any]) -> Any:
    import yaml

    best = node = tree.root
    for n, step in enumerate(path):
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            found = tree.member(node, step)
            if found is None:
                break
            node = found[0] if n == len(path) - 1 else found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        best = node
    return best
