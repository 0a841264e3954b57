"""Reading a YAML case file: exact decimals, duplicate keys refused, alias bombs stopped."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic, invalid_yaml
from ..i18n import _
from .values import ALIAS_EXPANSION, ALIAS_GROWTH, MAX_NODES


def _yaml_loader() -> type:
    import yaml
    import yaml.constructor

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def decimal_float(loader: Any, node: Any) -> Any:
        text = str(node.value).replace("_", "")
        if ":" in text:  # YAML 1.1's base 60 (190:20:30.5): a time or a code, kept as written
            return str(node.value)
        try:
            return Decimal(text)
        except InvalidOperation:
            if text[-1:].isdigit():  # 1e-111…1: an exponent Decimal cannot hold (float would say 0)
                return str(node.value)
            return loader.construct_yaml_float(node)  # .inf, .nan

    def decimal_int(loader: Any, node: Any) -> Any:
        text = str(node.value).replace("_", "")
        if ":" in text:  # YAML 1.1 reads 190:20:30 as 685230 (base 60): keep the text
            return str(node.value)
        if len(text) > _PLAIN_INT_DIGITS:
            # Python refuses to turn a number of more than 4300 digits into an int; a plain
            # decimal numeral of any length is still a Decimal, which validation then rejects
            # as too large (other huge forms, like hex, stay text and are rejected as such)
            return Decimal(text) if _DECIMAL_INT.fullmatch(text) else text
        return Decimal(loader.construct_yaml_int(node))

    def unique_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        # YAML keeps the last of two equal keys without a word: an item with `运行次数`
        # twice would silently lose a value. A merge key (`<<`) replaces node.value with
        # a new list, and its overridden keys are legitimate, so only a plain mapping
        # whose result has fewer keys than it lists holds a duplicate.
        listed = node.value
        mapping = base.construct_mapping(loader, node, deep)
        if node.value is listed and len(mapping) != len(listed):
            seen: set[Any] = set()
            for key_node, _value in listed:
                key = loader.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' given twice in the same mapping (YAML would keep "
                        "only the last)", key_node.start_mark)
                seen.add(key)
        return mapping

    def checked_timestamp(loader: Any, node: Any) -> Any:
        # YAML's date pattern admits 2012-03-41 or 2012-02-30, and constructing them raises
        # ValueError out of the parser; kept as the text written, validation then reports the
        # field, with its place in the file, as not a date
        try:
            return loader.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return str(node.value)

    Loader.add_constructor("tag:yaml.org,2002:float", decimal_float)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", checked_timestamp)
    Loader.add_constructor("tag:yaml.org,2002:int", decimal_int)
    Loader.construct_mapping = unique_mapping
    return Loader


_PLAIN_INT_DIGITS = 1000
_DECIMAL_INT = re.compile(r"[-+]?[0-9]+")


_LOADER: type | None = None


def read_yaml(text: str, path: Path) -> Any:
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _yaml_loader()
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise CaseError(invalid_yaml("PE302", exc, text, str(path))) from None
    except yaml.YAMLError as exc:
        raise CaseError(Diagnostic("PE302", _("invalid YAML: {exc}", exc=exc), file=str(path))) from None
    except RecursionError:
        raise CaseError(Diagnostic("PE302", _("YAML nested too deeply"), file=str(path))) from None
    if "*" in text:  # only aliases (*name) can make a small file expand
        _guard_expansion(data, str(path))
    return data


def _guard_expansion(data: Any, file: str) -> None:
    """Reject YAML whose aliases expand to a huge tree (a "billion laughs" file).

    Aliases share objects, so the expanded size is computed per distinct object. Besides
    the absolute bound, aliases may not multiply a file by more than ALIAS_GROWTH once it
    expands past ALIAS_EXPANSION values: 150 KB of items that each alias one 10000-element
    list expand to 20 million values and took 40 seconds to validate.
    """
    sizes: dict[int, int] = {}
    written = 0  # values as written in the file (an alias counts once)
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (list, dict)) or (not done and id(obj) in sizes):
            continue
        kids = list(obj.values()) if isinstance(obj, dict) else obj
        if not done:
            written += 1 + len(kids)
        if done:
            total = 1
            for k in kids:
                total += sizes.get(id(k), 1) if isinstance(k, (list, dict)) else 1
                if total > MAX_NODES:
                    raise CaseError(Diagnostic(
                        "PE306", _("YAML aliases expand to more than 50 million values (an "
                                   "alias bomb?)"),
                        file=file))
            sizes[id(obj)] = total
        else:
            sizes[id(obj)] = 0  # placeholder: being visited (YAML can't make cycles safely)
            stack.append((obj, True))
            stack.extend((k, False) for k in kids if isinstance(k, (list, dict)) and id(k) not in sizes)
    expanded = sizes.get(id(data), 1)
    if expanded > ALIAS_EXPANSION and expanded > ALIAS_GROWTH * written:
        raise CaseError(Diagnostic(
            "PE306", _("YAML aliases expand {written} values into {expanded} (an alias bomb?)",
                       written=written, expanded=expanded), file=file))
