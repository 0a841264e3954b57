"""Results as YAML: the JSON shape, in block style, with no anchors or aliases."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from ..result import ItemResult, Result
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
    """The YAML of one result, or of a list of results; `written`, per result, its items'
    text already made (`yaml_items`, by `eval --jobs` workers) in runs of consecutive
    items in case order, or None. The rest of the document is dumped as one process dumps
    it, each made list of items standing in as a placeholder that is then replaced by
    the text: a block list's entries do not depend on each other, so the bytes are the
    same."""
    made = list(written) if written is not None else [None] * len(results)
    if all(w is None for w in made):
        yield to_yaml(results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results])
        return
    token = secrets.token_hex(16)  # no header text can hold it (and be taken for the items)
    shapes = []
    for n, (r, w) in enumerate(zip(results, made, strict=True)):
        shape = r.to_dict()
        if w is not None:
            shape["items"] = _Placeholder(f"pe-items-{n}-{token}")
        shapes.append(shape)
    text = to_yaml(shapes[0] if len(results) == 1 else shapes)
    for n, w in enumerate(made):
        if w is None:
            continue
        before, after = text.split(f"items: pe-items-{n}-{token}\n", 1)
        yield before + "items:\n"
        yield from w
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

