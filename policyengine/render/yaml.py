"""Results as YAML: the JSON shape, in block style, with no anchors or aliases."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

from ..result import ItemResult, Result, passing
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
            for start in range(0, len(r.items), 256):
                yield yaml_items(passing(r.items, start, start + 256), several)
        text = after
    yield text


def yaml_items(items: Iterable[ItemResult], several: bool) -> str:
    """The YAML lines of these items as they stand in a result's `items` list (`several`:
    in a list of results, two columns further in)."""
    text = to_yaml([{"items": [i.to_dict() for i in items]}] if several else {"items": [i.to_dict() for i in items]})
    return text[text.index("\n") + 1:]  # without the `items:` line


class _Placeholder:
    """Where a result's items go, as a plain word in the dumped YAML."""

    def __init__(self, text: str) -> None:
        self.text = text

