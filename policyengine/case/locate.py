"""Where a value stands in its case file: line and column for error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Case


def _key_line(file: str, path: list[Any]) -> int:
    node = _node_at(file, path)
    return node.start_mark.line + 1 if node is not None else 0


def locate(case: Case, path: list[Any]) -> tuple[int, int]:
    """Line and column of `path` (keys and indices) in the case file, or (0, 0)."""
    if case.file is None:
        return 0, 0
    if case.section and path and path[0] == "items":
        path = [*case.section, *path[1:]]
    if isinstance(case._nodes, tuple) and case._nodes[0] == "csv":
        _, lines, header = case._nodes
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) and path[1] + 1 < len(lines):
            col = header.index(path[2]) + 1 if len(path) > 2 and path[2] in header else 1
            return lines[path[1] + 1], col
        return 0, 0
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
