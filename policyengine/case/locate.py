"""Where a value stands in its case file: line and column for error messages.

Only the error path comes here. Locating costs no more than reading the file did: a JSON
file is walked along the path with the C scanner of the json module (each sibling value is
skipped in one call), a YAML file is composed with libyaml when it is installed. What was
read is kept on the `Case` object, not in a global: two cases in two threads, or a file
edited and loaded again, each see their own text.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Case

_SPACE = re.compile(r"[ \t\n\r]*")


def _key_line(file: str, path: list[Any]) -> int:
    """The line of `path` in `file`, read afresh (for errors found before a Case exists)."""
    found = _position(_source(file), path)
    return found[0] if found else 0


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
    if case._nodes is None:
        case._nodes = _source(case.file)
    return _position(case._nodes, path) or (0, 0)


def _source(file: str) -> Any:
    """What locating needs of `file`: ("json", text) or ("yaml", composed node tree)."""
    from . import MAX_CASE_BYTES

    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_CASE_BYTES + 1)
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
    from json.decoder import scanstring
    from json.scanner import make_scanner

    # numbers as text: a number of 10^6 digits must not become an int
    scan = make_scanner(json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str))
    best = at = _SPACE.match(text, 0).end()
    try:
        for n, step in enumerate(path):
            last = n == len(path) - 1
            if text[at] == "{":
                at = _SPACE.match(text, at + 1).end()
                found = None
                while text[at] != "}":
                    key_at = at
                    key, at = scanstring(text, at + 1)
                    at = _SPACE.match(text, at).end() + 1  # past ':'
                    at = _SPACE.match(text, at).end()
                    if key == str(step):
                        found = key_at if last else at
                        break
                    _, at = scan(text, at)
                    at = _SPACE.match(text, at).end()
                    if text[at] == ",":
                        at = _SPACE.match(text, at + 1).end()
                if found is None:
                    break
                at = found
            elif text[at] == "[" and isinstance(step, int):
                at = _SPACE.match(text, at + 1).end()
                for _ in range(step):
                    _, at = scan(text, at)
                    at = _SPACE.match(text, at).end()
                    if text[at] != ",":
                        raise ValueError("fewer elements than the index")
                    at = _SPACE.match(text, at + 1).end()
            else:
                break
            best = at
    except (ValueError, IndexError, StopIteration, RecursionError):
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
