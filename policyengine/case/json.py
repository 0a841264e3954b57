"""Reading a JSON case file: exact decimals, shared number objects, duplicate keys refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
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
    from json.decoder import scanstring
    from json.scanner import make_scanner

    space = re.compile(r"[ \t\n\r]*")
    scan = make_scanner(json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str,
                                         object_pairs_hook=_unique_object))
    def after(end: int) -> int:  # past spaces and one comma
        end = space.match(text, end).end()
        return space.match(text, end + 1).end() if text[end] == "," else end

    def past(at: int) -> int:  # past the value at `at`; raises _Suspect when it holds the duplicate
        try:
            return after(scan(text, at)[1])
        except _DuplicateKey:
            raise _Suspect(at) from None

    at = space.match(text, 0).end()
    if text[at] != "{":
        return 0
    at = space.match(text, at + 1).end()
    try:
        while text[at] == '"':
            _text, at = scanstring(text, at + 1)
            at = space.match(text, space.match(text, at).end() + 1).end()
            if text[at] != "[":
                at = past(at)
                continue
            at = space.match(text, at + 1).end()  # a list: its elements one by one
            while text[at] != "]":
                at = past(at)
            at = after(at + 1)
    except _Suspect as suspect:
        return suspect.start
    return 0


class _Suspect(Exception):
    def __init__(self, start: int):
        self.start = start


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
