"""Which items `eval` shows and in what order (--item, --level, --sort), and the table view
its options ask for (--columns, --width, --color).

Works on the result and the items' slot lists together, so a column or an order can come
from an input as well as from a computed value; the summary is never touched: it still
counts every item of the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .api import LoadedRuleset
from .errors import Diagnostic, PolicyError, did_you_mean
from .i18n import _
from .render.table import TableView, columns_of
from .render.tabular import cell
from .result import ItemResult, Result

COMMAND_LINE = "<command line>"


def select_items(rs: LoadedRuleset, result: Result, rows: list[list[Any]], ids: Sequence[str],
                 levels: Sequence[str], sort_by: str | None) -> tuple[list[ItemResult], list[list[Any]]]:
    if not ids and not levels and not sort_by:
        return result.items, rows  # the common case: nothing to copy
    pairs = list(zip(result.items, rows, strict=True))
    if ids:
        pairs = [(i, r) for i, r in pairs if i.id in ids]
    if levels:
        wanted = [_level(rs, text) for text in levels]
        pairs = [(i, r) for i, r in pairs
                 if any(i.grades[scale].level == level for scale, level in wanted if scale in i.grades)]
    if sort_by:
        reverse = sort_by.startswith("-") and len(sort_by) > 1
        key = _sort_key(rs, result, sort_by[1:] if reverse else sort_by)
        # missing values (None) last whichever the direction; ties keep the case's order
        present = [p for p in pairs if key(*p) is not None]
        missing = [p for p in pairs if key(*p) is None]
        present.sort(key=lambda p: key(*p), reverse=reverse)
        pairs = present + missing
    return [i for i, _row in pairs], [r for _item, r in pairs]


def _level(rs: LoadedRuleset, text: str) -> tuple[str, str]:
    """`--level 高风险` or `--level 风险档次=高风险`: the (scale, level) it names."""
    scales = {s.name: [lv.name for lv in s.levels] for s in rs.model.scales}
    if "=" in text:
        scale, level = (part.strip() for part in text.split("=", 1))
        if scale not in scales:
            raise PolicyError(Diagnostic("PE741", _("--level {text}: no grade scale '{scale}'",
                                                    text=text, scale=scale)
                                         + did_you_mean(scale, list(scales)), file=COMMAND_LINE))
        if level not in scales[scale]:
            raise PolicyError(Diagnostic("PE741", _("--level {text}: scale '{scale}' has no "
                                                    "level '{level}'",
                                                    text=text, scale=scale, level=level)
                                         + did_you_mean(level, scales[scale]), file=COMMAND_LINE))
        return scale, level
    found = [(scale, text) for scale, names in scales.items() if text in names]
    if len(found) > 1:
        raise PolicyError(Diagnostic("PE741", _("--level {text}: several scales have this "
                                                "level; write ",
                                                text=text)
                                     + " or ".join(f"{s}={text}" for s, _level in found), file=COMMAND_LINE))
    if not found:
        every = [n for names in scales.values() for n in names]
        raise PolicyError(Diagnostic("PE741", _("--level {text}: no grade scale has this level",
                                                text=text)
                                     + did_you_mean(text, every)
                                     + (_(" (levels: {value})", value=', '.join(every)) if every else ""), file=COMMAND_LINE))
    return found[0]


def _sort_key(rs: LoadedRuleset, result: Result, name: str) -> Any:
    """A key on (item, slot list) giving a comparable value, or None when the item has none."""
    scales = {s.name: [lv.name for lv in s.levels] for s in rs.model.scales}
    inputs = {i.name for i in rs.compiled.inputs}
    values = list(result.items[0].values) if result.items else []
    if name == "id":
        return lambda item, row: item.id
    if name == "name":
        return lambda item, row: item.name
    if name == "fine":
        return lambda item, row: item.fine
    if name in scales:
        order = scales[name]
        return lambda item, row: order.index(item.grades[name].level)
    if name.endswith(".rank") and name[:-5] in scales:
        scale = name[:-5]
        return lambda item, row: item.grades[scale].rank
    if name in values:
        return lambda item, row: _comparable(item.values[name])
    if name in inputs:
        slot = rs.compiled.slots[name]
        return lambda item, row: _comparable(row[slot])
    known = ["id", "name", *values, *scales, *(f"{s}.rank" for s in scales), *sorted(inputs), "fine"]
    raise PolicyError(Diagnostic("PE742", _("--sort {name}: no such value, input or grade",
                                            name=name)
                                 + did_you_mean(name, known), file=COMMAND_LINE))


def _comparable(value: Any) -> Any:
    """Numbers by size, everything else (text, dates, true/false, lists) by its text."""
    if value is None:
        return None
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return (0, value)
    return (1, cell(value))


def table_view(rs: LoadedRuleset, result: Result, rows: list[list[Any]], columns: str | None,
               width: int | None, colour: bool) -> TableView:
    sanctions = bool(rs.model.sanctions)
    chosen = None
    inputs: dict[str, list[str]] = {}
    if columns is not None:
        names = [c.strip() for c in columns.split(",") if c.strip()]
        input_names = [i.name for i in rs.compiled.inputs]
        known = columns_of(result, input_names, sanctions) if result.items else ["id", "name"]
        for name in names:
            if name not in known:
                raise PolicyError(Diagnostic("PE740", _("--columns: no column '{name}'", name=name) + did_you_mean(name, known)
                                             + _(" (columns: {value})", value=', '.join(known)), file=COMMAND_LINE))
        if not names:
            raise PolicyError(Diagnostic("PE740", _("--columns: give at least one column"), file=COMMAND_LINE))
        chosen = tuple(names)
        shown = set(columns_of(result, [], sanctions)) if result.items else set()
        for name in names:
            if name in input_names and name not in shown:
                slot = rs.compiled.slots[name]
                inputs[name] = [cell(row[slot]) for row in rows]
    return TableView(columns=chosen, inputs=inputs, sanctions=sanctions, width=width, colour=colour)
