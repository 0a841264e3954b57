"""Reading a result written as JSON (`eval --format json -o FILE`).

A result can be a hundred thousand items (50 MB), so the usual read is the fast one:
`json.loads` with every number an exact decimal and no hook per object (a hook is a
Python call for each of the half million objects). A key given twice would then go
unnoticed, so the reader also counts the keys the text holds (`":`, the way this tool
writes them) for `read_result` to compare with the keys the decoded tree holds: when the
counts differ, or the text writes keys another way, the file is read again by the case
reader's strict parser, which refuses a key given twice at its line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import Any, overload

from ..errors import CaseError, Diagnostic
from ..i18n import _
from ..result import GradeResult, ItemResult, LazyItems

_SPACED_KEY = re.compile(r'"[ \t\r\n]+:')


def read_json(text: str, path: Path) -> tuple[Any, int | None]:
    """The decoded tree, and the number of keys the text writes (None: not known)."""
    from . import ResultFileError

    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise ResultFileError(Diagnostic("PE351", _("invalid JSON: {msg}", msg=exc.msg), file=str(path),
                                         line=exc.lineno,
                                         column=exc.colno)) from None
    except RecursionError:
        raise ResultFileError(Diagnostic("PE351", _("JSON nested too deeply"), file=str(path))) from None
    keys = None if _SPACED_KEY.search(text) else text.count('":')
    return data, keys


def read_json_strictly(text: str, path: Path) -> Any:
    """The case reader's parser: every number an exact decimal, a key given twice refused."""
    from ..case.json import read_json as read_case_json
    from . import as_result_error

    try:
        return read_case_json(text, path)
    except CaseError as exc:
        raise as_result_error(exc) from None


# The layout `eval -o x.json` writes (render/json.py): two spaces a level, each item's keys
# on lines of their own. A raw line break never occurs inside a JSON string, so these marks
# can only be the layout itself. Searched in the file's bytes (UTF-8): no text as large as
# the file is made.
_ITEMS_OPEN = b'\n  "items": ['
_ITEMS_CLOSE = b'\n  ],\n  "summary": '
_ITEM_SEP = b'\n    },\n    {\n'
_SEPARATORS = re.compile(re.escape(_ITEM_SEP))
_STRING = rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # unrolled: no alternation tried at each character
_ID = re.compile(rb'\n    \{\n      "id": (' + _STRING + rb'),\n')


def read_json_fields(raw: bytes, fields: frozenset[str], scales: frozenset[str]) -> Any:
    """A result in the layout this tool writes, read for what `eval --previous` needs: the
    header, summary and rollups in full (checked as `read_result` checks them), and of each
    item only its id, the values named in `fields` and the levels of the grades in `scales`
    (the names the rules read as `previous.X` and `h.X`), found by searching the bytes rather
    than decoding every item, which is what made `--previous` cost more than evaluating.

    Returns the `Checked` result (its items holding only those), or None when the file is
    not exactly that layout (written by hand, or edited): the caller then reads it in full,
    which says what is wrong and where."""
    from .shape import Malformed, result_from_data

    if raw.startswith(b"\xef\xbb\xbf"):
        return None
    start = raw.find(_ITEMS_OPEN)
    if start < 0:
        return None
    body = start + len(_ITEMS_OPEN)
    end = raw.find(_ITEMS_CLOSE, body)
    if end < 0 or not raw.startswith(b"\n    {\n", body) or not raw.endswith(b"\n    }", body, end):
        return None
    found = _ID.findall(raw, body, end)
    count = raw.count(_ITEM_SEP, body, end) + 1
    if len(found) != count:
        return None
    try:
        data = json.loads(raw[:start] + b'\n  "items": [],\n  "summary": ' + raw[end + len(_ITEMS_CLOSE):],
                          parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError):  # not JSON, or not UTF-8
        return None
    if data.__class__ is not dict or data.get("items") != [] or data.get("summary").__class__ is not dict:
        return None
    if data["summary"].get("items") != count:
        return None
    data["summary"]["items"] = Decimal(0)
    try:
        checked = result_from_data(data)
        ids = _column(found)
    except (Malformed, ValueError):
        return None
    checked.result.summary["items"] = count
    if len(set(ids)) != count or not all(ids):
        return None
    columns: dict[str, list[Any]] = {}
    # where each item's text starts and stops, to count each name's lines in every item
    seps = [m.start() for m in _SEPARATORS.finditer(raw, body, end)]
    starts = [body, *(at + len(_ITEM_SEP) for at in seps)]
    stops = [*seps, end + 1]
    for name in fields:
        key = json.dumps(name, ensure_ascii=False).encode("utf-8")
        line = b"\n        " + key + (b': {\n          "level": ' if name in scales else b": ")
        # exactly one such line in every item (a count over the file alone would miss a
        # value missing from one item and given twice in another); then the lines in file
        # order are the items' values in item order
        if list(map(raw.count, repeat(line), starts, stops)).count(1) != count:
            return None  # missing in some item, or given twice: the full reader says which
        value = rb"(" + _STRING + rb"),(?=\n)" if name in scales else rb"([^\n]*?),?(?=\n)"
        texts = re.compile(re.escape(line) + value).findall(raw, body, end + 1)
        if len(texts) != count:
            return None
        try:
            columns[name] = _column(texts)
        except ValueError:  # a record or list: read in full
            return None
    levels = checked.levels
    value_names = [n for n in columns if n not in scales]
    scale_names = [n for n in columns if n in scales]
    for scale in scale_names:
        if scale not in levels or not set(columns[scale]) <= set(levels[scale]):
            return None
    items = ItemColumns(ids, {n: columns[n] for n in value_names}, {n: columns[n] for n in scale_names})
    checked.result.items = items
    return checked


class ItemColumns(LazyItems):
    """The items of a result read a column at a time (`read_json_fields`): their ids, and of
    each name read, its values (or its levels) in item order. `eval --previous` matches
    these columns by id into the items' slots (previous.py) and never needs an object per
    earlier item: building a hundred thousand ItemResults and their dicts, and the collector
    then walking them for the rest of the run, was most of what reading cost. A reader that
    walks the items (reviews due, explain) gets ItemResults, built at its first read and
    kept, with only what was read: an item's supervision and sanctions are empty."""

    __slots__ = ("_built", "ids", "levels", "values")

    def __init__(self, ids: list[str], values: dict[str, list[Any]], levels: dict[str, list[str]]):
        self.ids = ids
        self.values = values  # name -> its value in each item
        self.levels = levels  # grade scale -> the item's level in each item
        self._built: list[ItemResult] | None = None

    def _items(self) -> list[ItemResult]:
        if self._built is None:
            value_names, scale_names = list(self.values), list(self.levels)
            rows = zip(*self.values.values(), strict=True)
            values = ([dict(zip(value_names, row, strict=True)) for row in rows] if value_names
                      else [{} for _ in self.ids])
            # one GradeResult per level, shared by the items at that level
            grade_columns = [list(map({level: GradeResult(level, None, None) for level in set(column)}.__getitem__,
                                      column)) for column in self.levels.values()]
            rows = zip(*grade_columns, strict=True)
            grades = ([dict(zip(scale_names, row, strict=True)) for row in rows] if scale_names
                      else [{} for _ in self.ids])
            none: list[Any] = []  # one shared empty list
            self._built = list(map(ItemResult, self.ids, repeat(None), values, grades, repeat(none), repeat(none)))
        return self._built

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> ItemResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[ItemResult]: ...

    def __getitem__(self, index: int | slice) -> ItemResult | list[ItemResult]:
        return self._items()[index]

    def __iter__(self) -> Iterator[ItemResult]:
        return iter(self._items())


_SCALARS = {Decimal, str, bool, type(None)}


def _column(texts: list[bytes]) -> list[Any]:
    """The scalars of one name in every item, decoded together (one decoding, no Python
    call per item but the Decimal of a number).

    As one JSON array: when it holds exactly one scalar a text, each text was exactly that
    scalar (a text holding two would leave another holding none, an empty element, which
    is not JSON), and a scalar decodes as it does alone. Anything else — a
    record, a list, NaN, `01`, a raw control character in a text — is not what this tool
    writes: ValueError, and the caller reads the file in full, which refuses exactly what
    the JSON standard refuses and says where (a fast read must accept no more than that)."""
    try:
        together = json.loads(b"[" + b",".join(texts) + b"]", parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError):
        raise ValueError("not one JSON scalar a text") from None
    if len(together) != len(texts) or not set(map(type, together)) <= _SCALARS:
        raise ValueError("not one JSON scalar a text")
    return together
