"""Checking that a decoded result file has the shape of SPEC §5, and building the `Result`.

The same check serves every file format: a reader returns the decoded tree (mappings,
lists, exact decimals, text), and anything this tool would not have written is refused
with the path to the offending value, which the caller turns into a line and column.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..i18n import _
from ..result import (
    GradeResult,
    ItemResult,
    Result,
    RollupResult,
    SanctionResult,
    SupervisionResult,
)

TOP_KEYS = ("ruleset", "case", "items", "summary")
_PLAIN = frozenset({Decimal, str, bool, type(None), _dt.date})  # item values that hold no keys
# written only by some rulesets (rollups) or when asked (eval --previous, --due); read, not compared
OPTIONAL_TOP_KEYS = ("rollups", "previous", "reviews_due")
ITEM_KEYS = ("id", "name", "values", "grades", "supervision", "sanctions")
# written only when the ruleset declares notes (`note 责任部门: text`): carried, not compared
OPTIONAL_ITEM_KEYS = ("notes",)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COLORS = ("red", "orange", "yellow", "blue", "green")


class Malformed(Exception):
    """What is wrong, and where: the path of keys and indices to the value."""

    def __init__(self, path: list[Any], message: str, key: bool = False) -> None:
        super().__init__(message)
        self.path, self.message, self.key = path, message, key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (Decimal, int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return type(value).__name__


def _mapping(value: Any, path: list[Any], keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise Malformed(path, _("expected a mapping with {names}, found {found}",
                                names=', '.join(keys), found=_kind(value)))
    for k in keys:
        if k not in value:
            raise Malformed(path, _("'{k}' is missing (a result this tool wrote has {names})",
                                    k=k, names=', '.join(keys)))
    for k in value:
        if k not in keys and k not in optional:
            raise Malformed([*path, k], _("unknown key '{k}' (expected {names})",
                                          k=k, names=', '.join((*keys, *optional))), key=True)
    return value


def _text(value: Any, path: list[Any], null: bool = False) -> str | None:
    if isinstance(value, str) or (null and value is None):
        return value
    raise Malformed(path, _("expected text or null, found {found}", found=_kind(value)) if null
                    else _("expected text, found {found}", found=_kind(value)))


def _count(value: Any, path: list[Any], null: bool = False) -> int | None:
    if null and value is None:
        return None
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool) and value == int(value) and value >= 0:
        return int(value)
    raise Malformed(path, _("expected a whole number >= 0 or null, found {found}", found=_kind(value)) if null
                    else _("expected a whole number >= 0, found {found}", found=_kind(value)))


def _number(value: Any, path: list[Any], null: bool = False) -> Decimal | None:
    if null and value is None:
        return None
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise Malformed(path, _("expected a number or null, found {found}", found=_kind(value)) if null
                    else _("expected a number, found {found}", found=_kind(value)))


def _texts(value: Any, path: list[Any]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Malformed(path, _("expected a list of text, found {found}", found=_kind(value)))
    return tuple(_text(v, [*path, i]) for i, v in enumerate(value))  # type: ignore[misc]


@dataclass
class Checked:
    """A checked result, each grade scale's levels (most severe first: the summary lists
    every level of a scale in its declared order, with zero counts too), and how many
    mapping keys the tree holds (the fast JSON reader compares it with the text's)."""

    result: Result
    levels: dict[str, tuple[str, ...]]
    keys: int


def result_from_data(data: Any) -> Checked:
    """Check a decoded result (every number an exact Decimal; YAML's .inf and .nan and
    JSON's NaN and Infinity are floats, which are refused) and build it."""
    if isinstance(data, list):
        raise Malformed([], _("this file holds {count} results (one per case file of one eval run); give a file "
                              "with one result (evaluate each case with its own -o FILE)", count=len(data)))
    top = _mapping(data, [], TOP_KEYS, OPTIONAL_TOP_KEYS)
    rs = _mapping(top["ruleset"], ["ruleset"], ("id", "version", "digest"))
    rs_id = _text(rs["id"], ["ruleset", "id"])
    if not rs_id:
        raise Malformed(["ruleset", "id"], _("the ruleset id is empty"))
    version = rs["version"]
    if isinstance(version, Decimal):  # `version: 2010` in a hand-made YAML result
        version = str(version)
    version = _text(version, ["ruleset", "version"], null=True)
    digest = _text(rs["digest"], ["ruleset", "digest"], null=True)
    if digest is not None and not _DIGEST.fullmatch(digest):
        raise Malformed(["ruleset", "digest"], _("a ruleset digest is 'sha256:' and 64 hexadecimal digits"))
    case = _mapping(top["case"], ["case"], ("title", "unit", "period", "file"))
    period = case["period"]
    if isinstance(period, Decimal):
        if not period.is_finite() or period != period.to_integral_value() or abs(period) > 10**6:
            raise Malformed(["case", "period"], _("a period is a year, text or a date"))
        period = int(period)
    elif not (period is None or period.__class__ is int or isinstance(period, (str, _dt.date))):
        raise Malformed(["case", "period"], _("a period is a year, text or a date, not {found}",
                                              found=_kind(period)))
    header = {"title": _text(case["title"], ["case", "title"], null=True),
              "unit": _text(case["unit"], ["case", "unit"], null=True),
              "period": period, "file": _text(case["file"], ["case", "file"], null=True)}
    summary = _mapping(top["summary"], ["summary"], ("items", "levels", "fines"), ("counts", "sums"))
    levels = _levels(summary["levels"])
    if not isinstance(top["items"], list):
        raise Malformed(["items"], _("expected a list of items, found {found}", found=_kind(top['items'])))
    items, keys = _items(top["items"], levels)
    total = _count(summary["items"], ["summary", "items"])
    if total != len(items):
        raise Malformed(["summary", "items"], _("the summary counts {total} items but the file lists {count} "
                                                "(written with --item?): a result must list every item of its case",
                                                total=total, count=len(items)))
    out = Result(ruleset={"id": rs_id, "version": version, "digest": digest}, case=header, items=items,
                 summary={**summary, "items": total, "fines": _number(summary["fines"], ["summary", "fines"])},
                 rollups=_rollups(top.get("rollups"), levels))
    keys += len(top) + len(rs) + len(case) + _keys(summary) + sum(_keys(top[k]) for k in OPTIONAL_TOP_KEYS
                                                                     if k in top)
    return Checked(out, levels, keys)


def _rollups(raw: Any, levels: dict[str, tuple[str, ...]]) -> dict[str, RollupResult]:
    """Each rollup's units, checked as items are (rules of a later period read them by id:
    `previous.单位档次` of a unit). A problem is located under `rollups.NAME`."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Malformed(["rollups"], _("expected a mapping of rollup names to their units, found {found}",
                                       found=_kind(raw)))
    out = {}
    for name, rollup in raw.items():
        base = ["rollups", name]
        section = _mapping(rollup, base, ("units", "summary"))
        try:
            summary = _mapping(section["summary"], ["summary"], ("items", "levels", "fines"), ("counts", "sums"))
            scales = {**levels, **_levels(summary["levels"])}
            if not isinstance(section["units"], list):
                raise Malformed(["items"], _("expected a list of units, found {found}",
                                             found=_kind(section['units'])))
            units, _unit_keys = _items(section["units"], scales, tuple(_levels(summary["levels"])))
        except Malformed as exc:  # the item checks locate under `items`: here it is the units
            where = [*base, "units", *exc.path[1:]] if exc.path[:1] == ["items"] else [*base, *exc.path]
            raise Malformed(where, exc.message, exc.key) from None
        out[str(name)] = RollupResult(str(name), units, summary)
    return out


def _keys(value: Any) -> int:
    """The mapping keys in a decoded tree, nested ones included."""
    if value.__class__ is dict:
        return len(value) + sum(_keys(v) for v in value.values() if v.__class__ in (dict, list))
    if value.__class__ is list:
        return sum(_keys(v) for v in value if v.__class__ in (dict, list))
    return 0


def _levels(value: Any) -> dict[str, tuple[str, ...]]:
    path = ["summary", "levels"]
    if not isinstance(value, dict):
        raise Malformed(path, _("expected a mapping of grade scales to level counts, found {found}",
                                found=_kind(value)))
    out = {}
    for scale, counts in value.items():
        if not isinstance(counts, dict) or not counts:
            raise Malformed([*path, scale], _("expected a mapping of each level to its count"))
        for level, n in counts.items():
            _count(n, [*path, scale, level])
        out[str(scale)] = tuple(str(k) for k in counts)
    return out


def _items(raw: list[Any], levels: dict[str, tuple[str, ...]], graded: tuple[str, ...] | None = None,
           ) -> tuple[list[ItemResult], int]:
    """The items, checked; each has a grade of every scale in `graded` (default: every
    scale of `levels`), as an evaluation gives every item one. The hot path of a province-size result: what every item has in
    common (its keys, a grade seen before, a supervision line seen before) is recognised
    with one dictionary lookup; anything unusual goes through the full checks above, which
    say what is wrong."""
    grades_seen: dict[tuple[Any, ...], GradeResult] = {}
    lines_seen: dict[tuple[Any, ...], SupervisionResult] = {}
    ids: dict[str, int] = {}
    first_index = ids.setdefault
    items = []
    add = items.append
    item_keys = frozenset(ITEM_KEYS)
    noted_keys = frozenset((*ITEM_KEYS, *OPTIONAL_ITEM_KEYS))
    graded = tuple(levels) if graded is None else graded
    keys = 0
    for index, item in enumerate(raw):
        if item.__class__ is not dict or (item.keys() != item_keys and item.keys() != noted_keys):
            _mapping(item, ["items", index], ITEM_KEYS, OPTIONAL_ITEM_KEYS)
        item_id = item["id"]
        if item_id.__class__ is not str or not item_id:
            item_id = _id(item_id, index)
        if first_index(item_id, index) != index:
            raise Malformed(["items", index, "id"], _("duplicate id '{item_id}' (first used by item {value})",
                                                      item_id=item_id, value=ids[item_id] + 1))
        name = item["name"]
        if name is not None and name.__class__ is not str:
            _text(name, ["items", index, "name"], null=True)
        values = item["values"]
        if values.__class__ is not dict:
            raise Malformed(["items", index, "values"], _("expected a mapping of names to values, found {found}",
                                                          found=_kind(values)))
        keys += 6 + len(values)
        if not _PLAIN.issuperset(map(type, values.values())):  # one pass in C for the usual item
            for k, v in values.items():
                if v.__class__ is float:  # NaN or infinity: not a number this tool writes
                    raise Malformed(["items", index, "values", k], _("not an exact number"))
                keys += _keys(v)  # a multi-output table's record
        grades = item["grades"]
        if grades.__class__ is not dict:
            raise Malformed(["items", index, "grades"], _("expected a mapping of grade scales, found {found}",
                                                          found=_kind(grades)))
        if grades:
            checked = {}
            for scale, g in grades.items():
                try:
                    # the rank's class too: `true` and 1 are equal keys, and only one is a rank
                    rank = g["rank"]
                    key = (scale, g["level"], g["color"], rank, rank.__class__) if len(g) == 3 else None
                    shared = grades_seen.get(key) if key is not None else None
                except (KeyError, TypeError):
                    key = shared = None
                if shared is None:
                    shared = _grade(g, ["items", index, "grades", scale], levels)
                    if key is not None:
                        grades_seen[key] = shared
                checked[scale] = shared
            grades = checked
            keys += 4 * len(grades)  # each scale's key and its level, color, rank
        if len(grades) != len(graded):
            missing = [scale for scale in graded if scale not in grades]
            if missing:
                raise Malformed(["items", index, "grades"], _("no grade of '{scale}', which the summary lists: an "
                                                              "evaluation grades every item on every scale",
                                                              scale=missing[0]))
        supervision = item["supervision"]
        if supervision.__class__ is not list:
            raise Malformed(["items", index, "supervision"], _("expected a list, found {found}",
                                                               found=_kind(supervision)))
        if supervision:
            lines = []
            for n, s in enumerate(supervision):
                try:
                    by = s["by"]
                    key = (s["grade"], tuple(by), s["every"]) if len(s) == 3 and by.__class__ is list else None
                    line = lines_seen.get(key) if key is not None else None
                except (KeyError, TypeError):
                    key = line = None
                if line is None:
                    line = _supervision(s, ["items", index, "supervision", n], grades)
                    if key is not None:
                        lines_seen[key] = line
                elif line.grade not in grades:
                    _supervision(s, ["items", index, "supervision", n], grades)  # says why
                lines.append(line)
                keys += len(s)
            supervision = lines
        sanctions = item["sanctions"]
        if sanctions.__class__ is not list:
            raise Malformed(["items", index, "sanctions"], _("expected a list, found {found}",
                                                             found=_kind(sanctions)))
        if sanctions:
            sanctions = [_sanction(s, ["items", index, "sanctions", n]) for n, s in enumerate(sanctions)]
            keys += 4 * len(sanctions)
        notes = item.get("notes")
        if notes is not None:
            if notes.__class__ is not dict:
                raise Malformed(["items", index, "notes"], _("expected a mapping of note fields, found {found}",
                                                             found=_kind(notes)))
            keys += 1 + len(notes)  # counted like the text's keys, or the file is read again strictly
        add(ItemResult(item_id, name, values, grades, supervision, sanctions, notes=notes))
    return items, keys


def _id(value: Any, index: int) -> str:
    """An item id written as a whole number (a hand-made YAML result): its text."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool) and value == int(value):
        return str(int(value))
    raise Malformed(["items", index, "id"], _("an item id is text, found {found}", found=_kind(value)))


def _grade(g: Any, path: list[Any], levels: dict[str, tuple[str, ...]]) -> GradeResult:
    g = _mapping(g, path, ("level", "color", "rank"))
    scale = str(path[-1])
    level = _text(g["level"], [*path, "level"])
    if scale not in levels:
        raise Malformed(path, _("grade scale '{scale}' is not in the summary's levels", scale=scale))
    if level not in levels[scale]:
        raise Malformed([*path, "level"], _("'{level}' is not a level of {scale} (the summary lists {names})",
                                            level=level, scale=scale, names=', '.join(levels[scale])))
    color = _text(g["color"], [*path, "color"], null=True)
    if color is not None and color not in COLORS:
        raise Malformed([*path, "color"], _("'{color}' is not a colour ({names})",
                                            color=color, names=', '.join(COLORS)))
    return GradeResult(level, color, _count(g["rank"], [*path, "rank"], null=True))  # type: ignore[arg-type]


def _supervision(s: Any, path: list[Any], grades: dict[str, Any]) -> SupervisionResult:
    from ..period import parse_cadence

    s = _mapping(s, path, ("grade", "by", "every"), ("last_review", "next_review"))
    grade = _text(s["grade"], [*path, "grade"])
    if grade not in grades:
        raise Malformed([*path, "grade"], _("supervision of grade scale '{grade}', which the item has no grade of",
                                            grade=grade))
    for key in ("last_review", "next_review"):  # written by eval --due: dates or null
        day = s.get(key)
        if day is not None and not isinstance(day, _dt.date) and not (isinstance(day, str) and _ISO_DAY.fullmatch(day)):
            raise Malformed([*path, key], _("expected a date (YYYY-MM-DD) or null, found {found}",
                                            found=_kind(day)))
    every = _text(s["every"], [*path, "every"], null=True)
    if every is not None and parse_cadence(every) is None:
        raise Malformed([*path, "every"], _("'{every}' is not a cadence such as '1 year' or '2 quarters'",
                                            every=every))
    return SupervisionResult(grade, _texts(s["by"], [*path, "by"]), every)  # type: ignore[arg-type]


def _sanction(s: Any, path: list[Any]) -> SanctionResult:
    s = _mapping(s, path, ("rule", "actions", "fine", "warning"))
    warning = _text(s["warning"], [*path, "warning"], null=True)
    if warning is not None and warning not in COLORS:
        raise Malformed([*path, "warning"], _("'{warning}' is not a colour ({names})",
                                              warning=warning, names=', '.join(COLORS)))
    return SanctionResult(_text(s["rule"], [*path, "rule"]), _texts(s["actions"], [*path, "actions"]),  # type: ignore[arg-type]
                          _number(s["fine"], [*path, "fine"], null=True), warning)
