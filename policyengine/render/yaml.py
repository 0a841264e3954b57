"""Results as YAML: the JSON shape, in block style, with no anchors or aliases."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

from ..result import ItemResult, Result, passing, unbuilt
from ..runtime import format_number


@cache
def _dumper() -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        # Items share result objects (a table's value, a grade's level): without this,
        # PyYAML would print them as anchors and aliases (&id001 … *id001), which a
        # published table must not contain.
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def decimal(dumper: Any, d: Decimal) -> Any:
        text = format_number(d)
        tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
        return dumper.represent_scalar(tag, text)

    Dumper.add_representer(Decimal, decimal)
    Dumper.add_representer(tuple, lambda d, t: d.represent_list(list(t)))
    Dumper.add_representer(_Placeholder, lambda d, p: d.represent_scalar("tag:yaml.org,2002:str", p.text))
    return Dumper


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=False, default_flow_style=False)


def yaml_chunks(results: list[Result], written: Sequence[list[str] | None] | None = None) -> Iterator[str]:
    """The YAML of one result, or of a list of results, in pieces: `to_yaml` of their
    `to_dict()`, without ever holding every item's dict or text at once. `written`, per
    result, its items' text already made (`yaml_items`, by `eval --jobs` workers) in runs
    of consecutive items in case order, or None (then it is made here, a few hundred items
    at a time). The rest of the document is dumped whole, each list of items standing in
    as a placeholder that is then replaced by the items' text: a block list's entries do
    not depend on each other, so the bytes are those of one dump."""
    made = list(written) if written is not None else [None] * len(results)
    several = len(results) > 1
    token = secrets.token_hex(16)  # no header text can hold it (and be taken for the items)
    shapes = []
    for n, r in enumerate(results):
        shape = replace(r, items=[]).to_dict()
        if r.items or made[n]:
            shape["items"] = _Placeholder(f"pe-items-{n}-{token}")
        shapes.append(shape)
    text = to_yaml(shapes[0] if not several else shapes)
    for n, (r, w) in enumerate(zip(results, made, strict=True)):
        if not (r.items or w):
            continue
        before, after = text.split(f"items: pe-items-{n}-{token}\n", 1)
        yield before + "items:\n"
        if w is not None:
            yield from w
        else:
            rows = YamlRows(several)
            for start in range(0, len(r.items), 256):
                yield rows.items_of(r.items, start, start + 256)
        text = after
    yield text


def yaml_items(items: Iterable[ItemResult], several: bool) -> str:
    """The YAML lines of these items as they stand in a result's `items` list (`several`:
    in a list of results, two columns further in)."""
    text = to_yaml([{"items": [i.to_dict() for i in items]}] if several else {"items": [i.to_dict() for i in items]})
    return text[text.index("\n") + 1:]  # without the `items:` line


class YamlRows:
    """`yaml_items` of evaluated items not built yet, made from their slot lists: 100k
    items took PyYAML's emitter 44 s, one item at a time.

    Every piece of text still comes from PyYAML: each line or block an item can hold (a
    key with its value, a grade with its rank, the supervision lines, a sanction's rule and
    actions) is dumped once, inside a one-item list shaped as the real one (same keys above
    it, same indentation), and cut out; items then share those pieces. A value whose text
    does not depend on where it stands, a number or a word PyYAML prints bare (`_bare`), is
    put after its key's dumped prefix without dumping it.
    """

    def __init__(self, several: bool) -> None:
        self.several = several
        self.plans: dict[int, Callable[[list[Any], str, str | None], str]] = {}

    def items_of(self, items: Sequence[ItemResult], start: int, stop: int) -> str:
        found = unbuilt(items, start, stop)
        if found is None:
            return yaml_items(passing(items, start, stop), self.several)
        plan, *slots = found
        text = self.plans.get(id(plan))
        if text is None:
            text = self.plans[id(plan)] = _item_text(plan, self.several)
        return "".join(map(text, *slots))


# the words PyYAML prints bare, without quotes, in block style, wherever they stand: no
# spaces (so never folded), no indicator or special character, printable with
# allow_unicode; and not read back as another type (checked with PyYAML's own resolvers)
_BARE = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff_.\-]*\Z")
_CAPPED = 20_000  # distinct values whose dumped text is remembered, per place


def _bare(v: Any) -> str | None:
    """The text PyYAML gives `v` as a block value wherever it stands, or None when it
    may depend on the place (or cannot be known without dumping it)."""
    cls = v.__class__
    if cls is Decimal:
        return format_number(v)  # tagged int or float (_dumper), which resolve back: bare
    if cls is str:
        if _BARE.match(v) is None:
            return None
        return None if any(regexp.match(v) for _tag, regexp in _resolvers().get(v[0], ())) else v
    if v is None:
        return "null"
    if cls is bool:
        return "true" if v else "false"
    return None


@cache
def _resolvers() -> dict[str, list[tuple[str, Any]]]:
    import yaml

    return yaml.resolver.Resolver.yaml_implicit_resolvers


def _item_text(plan: Any, several: bool) -> Callable[[list[Any], str, str | None], str]:
    """`text(row, item_id, name)`: the item's lines, as `yaml_items` writes its ItemResult
    (`plan`: evaluate's output plan, what is where in a slot list)."""

    def lines(entry: dict[str, Any]) -> list[str]:
        """The entry's lines in a result's item list (`yaml_items` of one item as a dict)."""
        text = to_yaml([{"items": [entry]}] if several else {"items": [entry]})
        return text[text.index("\n") + 1:].splitlines(keepends=True)

    def after(header: int, entry: dict[str, Any]) -> str:
        """The lines of `entry` after its first `header` lines (the item's id line, and
        the keys above the place)."""
        return "".join(lines(entry)[header:])

    def field(head: Callable[[Any], dict[str, Any]], header: int) -> Callable[[Any], str]:
        """The text of one value at one place (`head(v)` puts it there, after `header`
        lines): its key's prefix and the bare text, or the dumped lines (remembered, up to
        _CAPPED values)."""
        sample = after(header, head(Decimal(0)))
        # the key's text up to its value (a value last on its line), or None: then every
        # value is dumped in place
        prefix = sample[:-2] if sample.endswith(" 0\n") else None
        dumped: dict[tuple[type, Any], str] = {}

        def text(v: Any) -> str:
            bare = _bare(v) if prefix is not None else None
            if bare is not None:
                return prefix + bare + "\n"
            key = (v.__class__, v)
            try:
                found = dumped.get(key)
            except TypeError:  # a list or a mapping: dumped each time
                return after(header, head(v))
            if found is None:
                found = after(header, head(v))
                if len(dumped) < _CAPPED:
                    dumped[key] = found
            return found

        return text

    first_prefix = lines({"id": "x"})[0][:-2]  # "- id: "

    def id_text(item_id: Any) -> str:
        bare = _bare(item_id) if item_id.__class__ is str else None
        return first_prefix + bare + "\n" if bare is not None else "".join(lines({"id": item_id}))

    name_text = field(lambda v: {"id": "x", "name": v}, 1)
    notes = [(slot, field(lambda v, k=k: {"id": "x", "notes": {k: v}}, 2)) for k, slot in plan.notes]
    notes_head = lines({"id": "x", "notes": {"k": 0}})[1] if plan.notes else ""
    values = [(slot, levels, field(lambda v, k=k: {"id": "x", "values": {k: v}}, 2))
              for k, slot, levels in plan.values]
    values_head = lines({"id": "x", "values": {"k": 0} if plan.values else {}})[1]
    grades = [(index, scale, slot, rank_slot, {}) for index, (scale, slot, rank_slot) in enumerate(plan.grades)]
    grades_head = lines({"id": "x", "grades": {"k": 0} if plan.grades else {}})[1]
    supervised: dict[tuple[tuple[int, int], ...], str] = {}
    watch = [(i, s.slot) for i, s in enumerate(plan.supervision_outs)]
    no_supervision = after(1, {"id": "x", "supervision": []})

    def grade_text(index: int, scale: str, k: Any) -> str:
        return after(2, {"id": "x", "grades": {scale: plan.grade_of(index, k).to_dict()}})

    def supervision_text(watched: tuple[tuple[int, int], ...]) -> str:
        shown = [plan.supervision_of(i, x).to_dict() for i, x in watched]
        return after(1, {"id": "x", "supervision": shown})

    # a sanction's lines: its rule and actions (dumped once for each pair), its fine, its warning
    def sanction(fine: Any, warning: Any = ...) -> dict[str, Any]:
        entry = {"rule": "r", "actions": [], "fine": fine}
        if warning is not ...:
            entry["warning"] = warning
        return {"id": "x", "sanctions": [entry]}

    fine_text = field(sanction, 4)
    warning_text = field(lambda v: sanction(Decimal(0), v), 5)
    sanctions_head = lines({"id": "x", "sanctions": [{}]})[1]
    no_sanctions = after(1, {"id": "x", "sanctions": []})
    ending = fine_text(Decimal(0)) + warning_text(None)  # what follows a rule and its actions
    heads: dict[tuple[str, tuple[str, ...]], str] = {}

    def sanctions_text(fired: Any, graded: dict[str, Any]) -> str:
        out = [sanctions_head]
        for s in plan.sanctions(fired, graded):
            head = heads.get((s.rule, s.actions))
            if head is None:
                text = after(2, {"id": "x", "sanctions": [{"rule": s.rule, "actions": list(s.actions),
                                                            "fine": Decimal(0), "warning": None}]})
                # "" when the rule and actions cannot be told from the rest: dumped whole below
                head = heads[(s.rule, s.actions)] = text[:-len(ending)] if text.endswith(ending) else ""
            if head:
                out += [head, fine_text(s.fine), warning_text(s.warning)]
            else:
                out.append(after(2, {"id": "x", "sanctions": [s.to_dict()]}))
        return "".join(out)

    sanction_slot = plan.sanction_slot

    def text(row: list[Any], item_id: str, name: str | None) -> str:
        out = [id_text(item_id), name_text(name)]
        if notes:
            out.append(notes_head)
            out += [note(row[slot]) for slot, note in notes]
        out.append(values_head)
        for slot, levels, value in values:
            v = row[slot]
            out.append(value(v if levels is None or not isinstance(v, int) else levels[v]))
        out.append(grades_head)
        keys = []
        for index, scale, slot, rank_slot, made in grades:
            k = row[slot] if rank_slot is None else (row[slot], row[rank_slot])
            keys.append(k)
            found = made.get(k)
            if found is None:
                found = made[k] = grade_text(index, scale, k)
            out.append(found)
        watched = tuple((i, x) for i, slot in watch if (x := row[slot]) is not None and x >= 0)
        if watched:
            found = supervised.get(watched)
            if found is None:
                found = supervised[watched] = supervision_text(watched)
            out.append(found)
        else:
            out.append(no_supervision)
        fired = row[sanction_slot]
        if fired:
            out.append(sanctions_text(fired, {scale: plan.grade_of(index, k)
                                              for (index, scale, _s, _r, _m), k in zip(grades, keys, strict=True)}))
        else:
            out.append(no_sanctions)
        return "".join(out)

    return text


class _Placeholder:
    """Where a result's items go, as a plain word in the dumped YAML."""

    def __init__(self, text: str) -> None:
        self.text = text

