"""Results as JSON (SPEC §5): exact decimals, the ruleset's key order, written in pieces."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from ..result import ItemResult, Result, passing
from ..runtime import format_number


class JsonWriter:
    """JSON text in the layout of `json.dumps(indent=2, ensure_ascii=False)`, with Decimals
    printed as exact numbers (json's own encoder can only print them through float).

    One writer serves one rendering: results shared between items (a grade's level and
    colour, a supervision line) are the same objects, so their text is made once and
    reused; a province-size case then costs one pass over its values, not two.
    """

    def __init__(self) -> None:
        from json.encoder import encode_basestring

        self.quote = encode_basestring  # the C version where available
        self.numbers: dict[Decimal, str] = {}
        self.shared: dict[int, str] = {}
        self.keys: dict[str, str] = {}  # a value's name, quoted, with its colon
        self.pads: dict[int, tuple[str, str, str]] = {}  # line breaks at depth, +1, +2

    def value(self, v: Any, depth: int = 0) -> str:
        t = type(v)
        if t is str:
            return self.quote(v)
        if t is Decimal:
            text = self.numbers.get(v)
            if text is None:
                text = self.numbers[v] = format_number(v)
            return text
        if v is None:
            return "null"
        if t is bool:
            return "true" if v else "false"
        if t is dict:
            if not v:
                return "{}"
            pad = "\n" + "  " * (depth + 1)
            quote, value = self.quote, self.value
            return ("{" + pad + ("," + pad).join(f"{quote(str(k))}: {value(x, depth + 1)}" for k, x in v.items())
                    + "\n" + "  " * depth + "}")
        if t is list or t is tuple:
            if not v:
                return "[]"
            pad = "\n" + "  " * (depth + 1)
            value = self.value
            return "[" + pad + ("," + pad).join(value(x, depth + 1) for x in v) + "\n" + "  " * depth + "]"
        if isinstance(v, int):  # bool was handled above: it has no subclasses
            return int.__repr__(v)
        if isinstance(v, str):
            return self.quote(str(v))
        if isinstance(v, Decimal):
            return format_number(v)
        if isinstance(v, _dt.date):
            return self.quote(v.isoformat())
        if isinstance(v, dict):
            return self.value(dict(v), depth)
        if isinstance(v, (list, tuple)):
            return self.value(list(v), depth)
        raise TypeError(f"cannot write a {type(v).__name__} as JSON")

    def key(self, k: Any) -> str:
        text = self.keys[k] = self.quote(str(k)) + ": "
        return text

    def once(self, shared: Any, depth: int) -> str:
        """The text of a result object that many items share (same object, same depth)."""
        text = self.shared.get(id(shared))
        if text is None:
            text = self.shared[id(shared)] = self.value(shared.to_dict(), depth)
        return text

    def item(self, item: ItemResult, depth: int) -> str:
        """One item of SPEC §5, equal to `value(item.to_dict(), depth)`; the hot path of a
        large result, so the common cases (a number, an empty list) are written inline."""
        pad = self.pads.get(depth)
        if pad is None:
            pad = self.pads[depth] = tuple("\n" + "  " * (depth + k) for k in range(3))
        close, pad, inner = pad
        keys, numbers, value, once = self.keys, self.numbers, self.value, self.once
        parts = []
        for k, v in item.values.items():
            key = keys.get(k) or self.key(k)
            if v.__class__ is Decimal:
                text = numbers.get(v)
                if text is None:
                    text = numbers[v] = format_number(v)
            else:
                text = value(v, depth + 2)
            parts.append(key + text)
        values = "{" + inner + ("," + inner).join(parts) + pad + "}" if parts else "{}"
        grades = ("{" + inner + ("," + inner).join((keys.get(k) or self.key(k)) + once(g, depth + 2)
                                                  for k, g in item.grades.items())
                  + pad + "}") if item.grades else "{}"
        supervision = ("[" + inner + ("," + inner).join(once(s, depth + 2) for s in item.supervision)
                       + pad + "]") if item.supervision else "[]"
        sanctions = value([s.to_dict() for s in item.sanctions], depth + 1) if item.sanctions else "[]"
        notes = "" if item.notes is None else pad + '"notes": ' + value(item.notes, depth + 1) + ","
        return ("{" + pad + '"id": ' + value(item.id) + "," + pad + '"name": ' + value(item.name) + "," + notes
                + pad + '"values": ' + values + "," + pad + '"grades": ' + grades + ","
                + pad + '"supervision": ' + supervision + "," + pad + '"sanctions": ' + sanctions
                + close + "}")

    def items(self, items: Iterable[ItemResult], depth: int) -> str:
        """Consecutive items of a result's list at `depth`, joined as the list joins them."""
        return ("," + "\n" + "  " * depth).join([self.item(i, depth) for i in items])

    def result(self, result: Result, depth: int = 0, written: list[str] | None = None) -> Iterator[str]:
        """A whole result in pieces (a few items each), so output can be written as it is
        made instead of first building one string as large as the file. `written`: its
        items' text already made (by `eval --jobs` workers, policyengine/shards.py), in
        runs of consecutive items joined as here, in case order."""
        pad = "\n" + "  " * (depth + 1)
        yield ("{" + pad + f'"ruleset": {self.value(result.ruleset, depth + 1)},'
               + pad + f'"case": {self.value(result.case, depth + 1)},' + pad + '"items": ')
        if written is not None:
            item_pad = "\n" + "  " * (depth + 2)
            for n, run in enumerate(written):  # one at a time: no copy of them all
                yield ("[" if n == 0 else ",") + item_pad
                yield run  # text, or a stretch of a worker's file (render.files.Spooled): never joined here
            yield "\n" + "  " * (depth + 1) + "]" if written else "[]"
        elif not result.items:
            yield "[]"
        else:
            item_pad = "\n" + "  " * (depth + 2)
            items = result.items
            for start in range(0, len(items), 256):  # built only to be written, not kept
                yield ("[" if start == 0 else ",") + item_pad + self.items(passing(items, start, start + 256), depth + 2)
            yield "\n" + "  " * (depth + 1) + "]"
        yield "," + pad + f'"summary": {self.value(result.summary, depth + 1)}'
        if result.rollups:
            # one section per rollup, its units shaped like items (docs/rollups.md)
            inner = "\n" + "  " * (depth + 2)
            unit_pad = "\n" + "  " * (depth + 4)
            yield "," + pad + '"rollups": {'
            for n, (name, rollup) in enumerate(result.rollups.items()):
                units = ("[" + unit_pad + ("," + unit_pad).join(self.item(u, depth + 4) for u in rollup.units)
                         + "\n" + "  " * (depth + 3) + "]") if rollup.units else "[]"
                yield (("," if n else "") + inner + self.quote(name) + ": {" + "\n" + "  " * (depth + 3)
                       + '"units": ' + units + "," + "\n" + "  " * (depth + 3) + '"summary": '
                       + self.value(rollup.summary, depth + 3) + inner + "}")
            yield pad + "}"
        for key, extra in (("previous", result.previous), ("reviews_due", result.reviews_due)):
            if extra is not None:  # only when asked (eval --previous, --due): SPEC §5 stays as it was
                yield "," + pad + f'"{key}": {self.value(extra, depth + 1)}'
        yield "\n" + "  " * depth + "}"


def to_json(data: Any) -> str:
    """Any JSON-ready data (dicts, lists, Decimals, dates) as indented JSON text."""
    return JsonWriter().value(data) + "\n"


def json_chunks(results: list[Result], written: list[list[str] | None] | None = None) -> Iterator[str]:
    """The JSON of one result, or of a list of results, in pieces; `written`, per result,
    its items' text already made (see JsonWriter.result), or None."""
    writer = JsonWriter()
    made = written if written is not None else [None] * len(results)
    if len(results) == 1:
        yield from writer.result(results[0], 0, made[0])
    else:
        yield "[" if results else "[]"
        for n, result in enumerate(results):
            yield ("\n  " if n == 0 else ",\n  ")
            yield from writer.result(result, 1, made[n])
        if results:
            yield "\n]"
    yield "\n"
