"""Results as YAML: the JSON shape, in block style, with no anchors or aliases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..runtime import format_number


def to_yaml(data: Any) -> str:
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
    return yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False)
