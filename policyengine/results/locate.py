"""Where a value stands in a result file (JSON or YAML): line and column for messages.

A result file can hold a province's hundred thousand items (tens of megabytes), so the
file is not composed into a node tree as case files are (`case/locate.py`): the parser's
events are followed, keeping only the path to the current node, and reading stops at the
node sought. JSON is read by the YAML parser too (the text this tool writes is valid YAML).
Only error messages call this.
"""

from __future__ import annotations

import io
from typing import Any


def locate(file: str, path: list[Any], key: bool = False, text: str | None = None) -> tuple[int, int]:
    """Line and column (1-based) of the node at `path` (mapping keys and list indices), or of
    the nearest enclosing node found; with `key`, of the last step's key instead of its
    value (an unknown key). (0, 0) when the file cannot be read or parsed so far."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    target = [str(s) if not isinstance(s, int) else s for s in path]
    best = (0, 0)
    # one frame per open collection: [is_mapping, current key or index, expecting a key]
    frames: list[list[Any]] = []

    def here() -> list[Any]:
        return [f[1] for f in frames]

    def advance() -> None:
        if frames:
            if frames[-1][0]:
                frames[-1][2] = True
            else:
                frames[-1][1] += 1

    try:
        with open(file, encoding="utf-8-sig") if text is None else io.StringIO(text) as fh:
            for event in yaml.parse(fh, Loader=loader):
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
                if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    frames.pop()
                    advance()
                    continue
                if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                          yaml.SequenceStartEvent)):
                    continue
                if frames and frames[-1][0] and frames[-1][2]:  # a mapping key
                    if not isinstance(event, yaml.ScalarEvent):
                        return best  # a complex key: not something this tool writes
                    frames[-1][1], frames[-1][2] = event.value, False
                    if key and here() == target:
                        return position
                    continue
                steps = here()
                if steps == target:
                    return position
                if steps == target[:len(steps)]:
                    best = position
                if isinstance(event, yaml.MappingStartEvent):
                    frames.append([True, None, True])
                elif isinstance(event, yaml.SequenceStartEvent):
                    frames.append([False, 0, False])
                else:
                    advance()
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        pass
    return best
