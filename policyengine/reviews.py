"""Reviews due (`eval --due DATE`): when each item's supervisors must next review it.

A supervision line says who reviews an item and how often (`every 2 years`). The next
review is the last review plus that cadence, in calendar months (`period.add_months`: a
year is 12 months, a quarter 3; a day the target month lacks becomes its last day, so
2010-05-31 + 1 quarter = 2010-08-31 and 2011-11-30 + 1 quarter = 2012-02-29).

The last review of an item is the latest of what is known:
- its last-review field (`--last-review-field 上次检查日期`): a date in the case file; the
  ruleset need not declare the field (it is taken out of the items before they are
  validated), and when it does it must be a `date` input;
- the last day of the latest earlier result (`--previous`) that lists the item: the
  assessment of period 2010 counts as a review on 2010-12-31.
An item with neither was never reviewed as far as is known: it is due at once (its next
review is empty). A supervision line without a cadence gives no review date.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .case import MAX_ERRORS, Case, locate
from .errors import CaseError, Diagnostic
from .i18n import _
from .period import add_cadence, parse_cadence, parse_period
from .result import Result, SupervisionResult

if TYPE_CHECKING:
    from .api import LoadedRuleset
    from .results import ResultFile


def last_review_field(rs: LoadedRuleset, case: Case, name: str) -> tuple[Case, list[_dt.date | None]]:
    """Each item's last-review date from field `name`, and the case to evaluate: without the
    field when the ruleset does not declare it (it is then not an input, only a date)."""
    declared = {i.name: i for i in rs.model.inputs}
    if name in declared and declared[name].type.kind != "date":
        decl = declared[name]
        from .check import type_of_spec

        raise CaseError(Diagnostic.at("PE356", _("--last-review-field {name}: the ruleset declares '{name}' as "
                                                 "{type}, not as a date", name=name, type=type_of_spec(decl.type)),
                                      decl.span))
    from .case import _Invalid, converter
    from .model import TypeSpec

    as_date = converter(TypeSpec("date"))  # the date rule of every case field: YYYY-MM-DD
    dates: list[_dt.date | None] = []
    problems: list[Diagnostic] = []
    for index, item in enumerate(case.items):
        value = item.get(name) if isinstance(item, dict) else None
        day = None
        if value is not None:
            try:
                day = as_date(value)
            except _Invalid as bad:
                if len(problems) < MAX_ERRORS:
                    line, column = locate(case, ["items", index, name])
                    problems.append(Diagnostic("PE356", _("field '{name}' (the last review) {problem}", name=name,
                                                          problem=bad.message), file=case.file,
                                               line=line, column=column, item=str(item.get("id"))))
        dates.append(day)
    if problems:
        raise CaseError(problems)
    if name not in declared:
        items = [{k: v for k, v in item.items() if k != name} if isinstance(item, dict) else item
                 for item in case.items]
        case = dataclasses.replace(case, items=items)
    return case, dates


def schedule(result: Result, due: _dt.date, field_dates: Sequence[_dt.date | None] | None = None,
             previous: Sequence[ResultFile] = ()) -> None:
    """Date every supervision entry of `result` (last and next review) and list the items
    due on or before `due` by supervisor, in `result.reviews_due`."""
    reviewed: dict[str, _dt.date] = {}  # item id -> last day of the latest earlier period listing it
    for f in previous:  # oldest first: a later period overwrites
        period = parse_period(f.result.case.get("period"))
        if period is None:
            continue
        for item in f.result.items:
            reviewed[item.id] = period.last_day
    by: dict[str, list[dict[str, Any]]] = {}
    due_ids: set[str] = set()
    cadences: dict[str, tuple[int, str] | None] = {}
    # most items share a last review (the end of the previous period): one addition each
    following_of: dict[tuple[_dt.date, tuple[int, str]], _dt.date | None] = {}
    for index, item in enumerate(result.items):
        last = reviewed.get(item.id)
        if field_dates is not None and field_dates[index] is not None and (last is None or field_dates[index] > last):
            last = field_dates[index]
        if not item.supervision:
            continue
        dated = []
        for s in item.supervision:
            if s.every is None:
                dated.append(s)
                continue
            every = cadences.get(s.every, ())
            if every == ():
                every = cadences[s.every] = parse_cadence(s.every)
            if every is None:
                dated.append(s)
                continue
            following = None
            if last is not None:
                key = (last, every)
                if key in following_of:
                    following = following_of[key]
                else:
                    try:
                        following = add_cadence(last, every)
                    except OverflowError:  # past the year 9999: never due in any date one can give
                        following = _dt.date.max
                    following_of[key] = following
            dated.append(SupervisionResult(s.grade, s.by, s.every, s.line, last, following, True))
            if following is None or following <= due:
                due_ids.add(item.id)
                entry = {"id": item.id, "name": item.name, "grade": s.grade, "level": item.grades[s.grade].level,
                         "every": s.every, "last_review": last, "next_review": following}
                for supervisor in s.by:
                    by.setdefault(supervisor, []).append(entry)
        item.supervision = dated
    for entries in by.values():
        # the never reviewed first, then by date; items keep their case order within a date
        entries.sort(key=lambda e: (e["next_review"] is not None, e["next_review"] or due))
    result.reviews_due = {"date": due, "items": len(due_ids), "by": by}


def reviews_lines(reviews: dict[str, Any]) -> list[str]:
    """The reviews due as text under a result table: per supervisor, each item due."""
    out = [_("reviews due by {date}: {count} item(s)", date=reviews["date"], count=reviews["items"])]
    for supervisor, entries in reviews["by"].items():
        out.append(_("  {supervisor} ({count}):", supervisor=supervisor, count=len(entries)))
        for e in entries:
            when = _("due {date}", date=e["next_review"]) if e["next_review"] else _("due now")
            last = _("last reviewed {date}", date=e["last_review"]) if e["last_review"] else _("never reviewed")
            name = f" {e['name']}" if e["name"] else ""
            out.append(_("    {id}{name} · {scale} {level} · every {every} · {last} · {when}", id=e["id"], name=name,
                         scale=e["grade"], level=e["level"], every=e["every"], last=last, when=when))
    return out
