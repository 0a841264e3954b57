"""Reading a JSON case file: exact decimals, shared number objects, duplicate keys refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
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


def _duplicate_key_at(text: str) -> tuple[str, int]:
    """The first key given twice in one JSON object, and where its second use starts.

    Only on the error path: the text is read again by json's pure-Python scanner, whose
    object parser knows where each object starts; the key is then found in that object's
    own text (the last occurrence before its end)."""
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

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = py_make_scanner(decoder)
    decoder.decode(text)
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
            d = Decimal(text)
            if len(seen) < _SHARED_LIMIT:
                seen[text] = d
        return d

    return parse


_SHARED_LIMIT = 1 << 16
