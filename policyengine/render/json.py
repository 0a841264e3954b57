"""Results as JSON (SPEC §5): exact decimals, the ruleset's key order, written in pieces."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import partial
from json.encoder import encode_basestring
from typing import Any

from ..printable import u_escaped
from ..result import ItemResult, Result, passing, unbuilt
from ..runtime import format_number, load_generated


def _quote(text: str) -> str:
    """A JSON string; a control character json leaves raw (C1, DEL) or a bidirectional
    override written `\\uXXXX`, as json writes the others: the same string read back, and
    a terminal shows it rather than obeys it (printable.py). Most text is printable
    and costs one C check more."""
    quoted = encode_basestring(text)  # the C version where available
    return quoted if quoted.isprintable() else u_escaped(quoted)


class JsonWriter:
    """JSON text in the layout of `json.dumps(indent=2, ensure_ascii=False)`, with Decimals
    printed as exact numbers (json's own encoder can only print them through float).

    One writer serves one rendering: results shared between items (a grade's level and
    colour, a supervision line) are the same objects, so their text is made once and
    reused; a province-size case then costs one pass over its values, not two.
    """

    def __init__(self) -> None:
        self.quote = _quote
        self.numbers: dict[Decimal, str] = {}
        self.shared: dict[int, str] = {}
        self.keys: dict[str, str] = {}  # a value's name, quoted, with its colon
        self.pads: dict[int, tuple[str, str, str]] = {}  # line breaks at depth, +1, +2
        # per output plan and depth: the function writing items' text from their slot lists
        self.row_texts: dict[tuple[int, int], Callable[[list, list, list], list[str]]] = {}

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

    def items_of(self, items: Sequence[ItemResult], start: int, stop: int, depth: int) -> str:
        """`items(items[start:stop], depth)`; of evaluated items not built yet, made from
        their slot lists without building an object per item (the hot path of `eval`)."""
        found = unbuilt(items, start, stop)
        if found is None:
            return self.items(passing(items, start, stop), depth)
        plan, *slots = found
        texts = self.row_texts.get((id(plan), depth))
        if texts is None:
            texts = self.row_texts[(id(plan), depth)] = _row_texts(self, plan, depth)
        return ("," + "\n" + "  " * depth).join(texts(*slots))

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
                yield ("[" if start == 0 else ",") + item_pad + self.items_of(items, start, start + 256, depth + 2)
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


def _row_texts(writer: JsonWriter, plan: Any, depth: int) -> Callable[[list, list, list], list[str]]:
    """Generate `texts(rows, ids, names)`: each item's text at `depth`, the same as
    `writer.item(plan.build(row, id, name), depth)`, made from its slot list. An item with
    sanctions goes that way (it is a few in a hundred); the rest are one concatenation of
    texts that depend on nothing but the ruleset (made here), of numbers (memo shared with
    the writer) and of the grade and supervision results, which items share (each made
    once). Names and texts reach the source as default arguments, never as source text."""
    close, pad, inner = ("\n" + "  " * (depth + k) for k in range(3))
    env: dict[str, Any] = {"DEC": Decimal, "Q": writer.quote, "N": writer.numbers}
    keys = writer.keys

    def key(k: str) -> str:
        return keys.get(k) or writer.key(k)

    def value_text(v: Any) -> str:  # a value at depth + 2, as `item` writes it
        if v.__class__ is Decimal:
            text = writer.numbers[v] = format_number(v)
            return text
        return writer.value(v, depth + 2)

    def slow(row: list[Any], item_id: str, name: str | None) -> str:
        return writer.item(plan.build(row, item_id, name), depth)

    def grade_text(index: int, texts: dict[Any, str], k: Any) -> str:
        text = texts[k] = writer.once(plan.grade_of(index, k), depth + 2)
        return text

    def supervision_text(index: int, texts: dict[Any, str], x: int) -> str:
        text = texts[x] = writer.once(plan.supervision_of(index, x), depth + 2)
        return text

    env.update(X=value_text, SLOW=slow, GRADE=grade_text, SUP=supervision_text)
    # the item's text as a sum of constant pieces (p<k>) and made ones
    pieces: list[str] = []
    constant = ["{" + pad + '"id": ']
    body = [f"        if row[{plan.sanction_slot}]:",
            "            add(SLOW(row, item_id, name))",
            "            continue"]

    def made(expr: str) -> None:
        env[f"p{len(pieces)}"] = "".join(constant)
        pieces.append(f"p{len(pieces)}")
        pieces.append(expr)
        constant.clear()

    made("(Q(item_id) if item_id.__class__ is str else V1(item_id))")
    constant.append("," + pad + '"name": ')
    made("('null' if name is None else Q(name) if name.__class__ is str else V1(name))")
    env["V1"] = partial(writer.value, depth=depth + 1)
    constant.append(",")
    if plan.notes:
        constant.append(pad + '"notes": ')
        for i, (note_name, _slot) in enumerate(plan.notes):
            env[f"nn{i}"] = note_name
        made("V1({" + ", ".join(f"nn{i}: row[{slot}]" for i, (_n, slot) in enumerate(plan.notes)) + "})")
        constant.append(",")
    constant.append(pad + '"values": ')
    if not plan.values:
        constant.append("{}")
    for i, (value_name, slot, levels) in enumerate(plan.values):
        constant.append(("{" if i == 0 else ",") + inner + key(value_name))
        if levels is None:
            made(f"(t if (v := row[{slot}]).__class__ is DEC and (t := N.get(v)) is not None else X(v))")
        else:
            env[f"lv{i}"] = levels
            made(f"X(lv{i}[v] if isinstance(v := row[{slot}], int) else v)")
    if plan.values:
        constant.append(pad + "}")
    constant.append("," + pad + '"grades": ')
    if not plan.grades:
        constant.append("{}")
    for i, (scale, slot, rank_slot) in enumerate(plan.grades):
        env[f"gt{i}"] = {}
        constant.append(("{" if i == 0 else ",") + inner + key(scale))
        k = f"row[{slot}]" if rank_slot is None else f"(row[{slot}], row[{rank_slot}])"
        made(f"(gt{i}.get(k := {k}) or GRADE({i}, gt{i}, k))")
    if plan.grades:
        constant.append(pad + "}")
    constant.append("," + pad + '"supervision": ')
    if plan.supervision_outs:
        body.append("        lines = []")
        for i, s in enumerate(plan.supervision_outs):
            env[f"st{i}"] = {}
            body += [f"        if (x := row[{s.slot}]) is not None and x >= 0:",
                     f"            lines.append(st{i}.get(x) or SUP({i}, st{i}, x))"]
        env["SEP"] = "," + inner
        env["OPEN"], env["SHUT"] = "[" + inner, pad + "]"
        made("(OPEN + SEP.join(lines) + SHUT if lines else '[]')")
    else:
        constant.append("[]")
    constant.append("," + pad + '"sanctions": []' + close + "}")
    made("''")
    source = ("def texts(rows, ids, names, " + ", ".join(f"{k}={k}" for k in env) + "):\n"
              "    out = []\n"
              "    add = out.append\n"
              "    for row, item_id, name in zip(rows, ids, names):\n"
              + "".join(line + "\n" for line in body)
              + "        add(" + " + ".join(pieces) + ")\n"
              "    return out\n")
    return load_generated(source, "<policyengine:json>", env, ("zip", "isinstance", "int", "str"))["texts"]


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
