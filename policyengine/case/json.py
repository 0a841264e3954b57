"""Reading a JSON case file: exact decimals, shared number objects, duplicate keys refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic
from ..i18n import _


class _DuplicateKey(Exception):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON readers keep the last of two equal keys without a word: an item with 运行次数
    # twice would silently lose a value (as in YAML, see unique_mapping)
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


def read_json(text: str, path: Path) -> Any:
    number = _shared_decimals()
    try:
        return json.loads(text, parse_float=number, parse_int=number, object_pairs_hook=_unique_object)
    except _DuplicateKey:
        key, index = _duplicate_key_at(text)
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise CaseError(Diagnostic("PE302", _("key '{key}' given twice in the same object "
                                              "(JSON readers would keep only the last)",
                                              key=key), file=str(path), line=line,
                                   column=column)) from None
    except json.JSONDecodeError as exc:
        raise CaseError(Diagnostic("PE302", _("invalid JSON: {msg}", msg=exc.msg), file=str(path), line=exc.lineno,
                                   column=exc.colno)) from None
    except RecursionError:
        raise CaseError(Diagnostic("PE302", _("JSON nested too deeply"), file=str(path))) from None
    except _Unreadable as exc:
        number = str(exc)
        at = max(text.find(number), 0)
        shown = number if len(number) <= 24 else number[:20] + "…"
        raise CaseError(Diagnostic("PE302", _("number {shown} is too large or too small to read",
                                              shown=shown),
                                   file=str(path), line=text.count("\n", 0, at) + 1,
                                   column=at - text.rfind("\n", 0, at))) from None


class _Unreadable(Exception):
    """A JSON number Decimal cannot hold."""


def _duplicate_key_at(text: str) -> tuple[str, int]:
    """The first key given twice in one JSON object, and where its second use starts.

    Only on the error path. The item holding it is found with the C scanner (each item
    scanned on its own), then only that item is read again by json's pure-Python scanner,
    whose object parser knows where each object starts; the key is then found in that
    object's own text (the last occurrence before its end). The text may also have a syntax
    error after the duplicate: then the place is only approximate, never a crash."""
    try:
        return _duplicate_in(text, _suspect_start(text))
    except (ValueError, RecursionError, IndexError):
        return ("?", 0)


def _suspect_start(text: str) -> int:
    """Where the top-level value holding the duplicate starts: an element of a top-level
    list (items) or a top-level member's value; 0 when it is the top-level object itself."""
    from json.scanner import make_scanner

    scan = make_scanner(json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str,
                                         object_pairs_hook=_unique_object))
    at = SPACE.match(text, 0).end()
    if text[at] != "{":
        return 0
    suspect = 0
    try:
        # each value is scanned as the walk moves past it: the one that raises holds the duplicate
        for _key, _key_at, value_at in json_children(text, at, scan):
            suspect = value_at
            if text[value_at] == "[":  # a list: its elements one by one
                for _index, element_at, _same in json_children(text, value_at, scan):
                    suspect = element_at
                suspect = value_at
    except _DuplicateKey:
        return suspect
    return 0


SPACE = re.compile(r"[ \t\n\r]*")
Scanner = Callable[[str, int], tuple[Any, int]]


def json_children(text: str, at: int, scan: Scanner) -> Iterator[tuple[str | int, int, int]]:
    """The members of the JSON object, or the elements of the array, whose text starts at
    `at` (nothing for any other value): (key, or index, where the member's key starts (an
    element's: its value), where its value starts). A value is skipped with `scan` (a
    json.scanner) only when the next one is asked for, so a walk that stops at a value never
    scans it. The one walker of JSON text (locating a case error, finding a duplicate key)."""
    at = SPACE.match(text, at).end()
    if text[at] == "{":
        at = SPACE.match(text, at + 1).end()
        while text[at] != "}":
            key_at = at
            key, at = scanstring(text, at + 1)
            at = SPACE.match(text, SPACE.match(text, at).end() + 1).end()  # past ':'
            yield key, key_at, at
            at = _past(text, scan, at)
    elif text[at] == "[":
        at = SPACE.match(text, at + 1).end()
        index = 0
        while text[at] != "]":
            yield index, at, at
            at = _past(text, scan, at)
            index += 1


def _past(text: str, scan: Scanner, at: int) -> int:
    """Past the value at `at`, the spaces after it and one comma."""
    try:
        end = scan(text, at)[1]
    except StopIteration:  # no value there (inside a generator it would become a RuntimeError)
        raise ValueError(f"no JSON value at {at}") from None
    end = SPACE.match(text, end).end()
    return SPACE.match(text, end + 1).end() if text[end] == "," else end


def _duplicate_in(text: str, start: int) -> tuple[str, int]:
    from json.decoder import JSONObject
    from json.scanner import py_make_scanner

    found: list[tuple[str, int]] = []

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                     object_pairs_hook: Any, memo: Any = None) -> tuple[Any, int]:
        start = s_and_end[1]
        pairs, end = JSONObject(s_and_end, strict, scan_once, None, list, memo)
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen and not found:
                quoted = json.dumps(key, ensure_ascii=False)
                spans = [m.start() for m in re.finditer(re.escape(quoted) + r"\s*:", text[start:end])]
                found.append((key, start + (spans[-1] if spans else 0)))
            seen.add(key)
        return dict(pairs), end

    decoder = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = py_make_scanner(decoder)
    try:
        decoder.scan_once(text, start)
    except StopIteration:
        pass
    except ValueError:  # a syntax error after the duplicate
        pass
    return found[0] if found else ("?", 0)


def _shared_decimals() -> Callable[[str], Decimal]:
    """A number parser that returns one shared Decimal per distinct number text.

    Ratings and counts repeat across thousands of items: sharing them saves memory
    (a 1M-item file holds a handful of rating objects, not 4 million) and lets the
    validators recognise a number they have already checked by identity.
    """
    seen: dict[str, Decimal] = {}

    def parse(text: str) -> Decimal:
        d = seen.get(text)
        if d is None:
            try:
                d = Decimal(text)
            except InvalidOperation:  # an exponent past what Decimal holds: 1e-111…1
                raise _Unreadable(text) from None
            if len(seen) < _SHARED_LIMIT:
                seen[text] = d
        return d

    return parse


_SHARED_LIMIT = 1 << 16
