"""Assessment periods: what a case file's `period:` means as dates, how two periods are
ordered, and calendar arithmetic by months, quarters and years.

A period is a span of days, `[start, end)`. The forms a case header may use:

| written | span |
|---|---|
| `2010`, `"2010"`, `2010年`, `2010年度` | the year |
| `2010H1`, `2010-H2`, `2010年上半年`, `2010年下半年` | a half year |
| `2010Q3`, `2010-Q3`, `2010年第三季度`, `2010年第3季度`, `2010年3季度` | a quarter |
| `2010-05`, `2010年5月` | a month |
| `2010-05-31` (a date) | that day |

Anything else (`第一轮`) is a period that cannot be placed in time: results of such periods
can only be compared or used as previous results when the reader says the order is known.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(\d{4})(?:年度?)?"), "year"),
    (re.compile(r"(\d{4})-?[Hh]([12])"), "half"),
    (re.compile(r"(\d{4})年([上下])半年"), "half"),
    (re.compile(r"(\d{4})-?[Qq]([1-4])"), "quarter"),
    (re.compile(r"(\d{4})年第?([1-4一二三四])季度?"), "quarter"),
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})年(\d{1,2})月份?"), "month"),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "day"),
]
_MONTHS = {"year": 12, "half": 6, "quarter": 3, "month": 1}


@dataclass(frozen=True, slots=True)
class Period:
    """A span of days `[start, end)` and the period as it was written."""

    start: _dt.date
    end: _dt.date
    written: Any

    @property
    def last_day(self) -> _dt.date:
        return self.end - _dt.timedelta(days=1)

    def __str__(self) -> str:
        return str(self.written)


def parse_period(value: Any) -> Period | None:
    """The span a `period:` value stands for, or None when it is not a form above (or absent)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return Period(value, value + _dt.timedelta(days=1), value)
    text = str(value).strip()
    for pattern, kind in _FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year = int(m.group(1))
        if not 1 <= year <= 9998:
            return None
        if kind == "day":
            try:
                day = _dt.date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
            return Period(day, day + _dt.timedelta(days=1), value)
        index = 1
        if kind != "year":
            part = m.group(2)
            index = {"上": 1, "下": 2}.get(part) or _CHINESE_DIGITS.get(part) or int(part)
        if kind == "month" and not 1 <= index <= 12:
            return None
        start = _dt.date(year, 1 + (index - 1) * _MONTHS[kind], 1)
        return Period(start, add_months(start, _MONTHS[kind]), value)
    return None


EARLIER, SAME, LATER, OVERLAPPING = "earlier", "same", "later", "overlapping"


def order(a: Period, b: Period) -> str:
    """How `a` stands to `b`: `earlier` (a ends on or before b starts), `same` (the same span),
    `later`, or `overlapping` (neither: 2010 and 2010Q3)."""
    if a.start == b.start and a.end == b.end:
        return SAME
    if a.end <= b.start:
        return EARLIER
    if b.end <= a.start:
        return LATER
    return OVERLAPPING


def add_months(day: _dt.date, months: int) -> _dt.date:
    """`day` moved by whole calendar months; a day the target month lacks becomes its last day
    (2010-05-31 + 3 months = 2010-08-31; 2010-11-30 + 3 months = 2011-02-28; 2012-02-29 + 12
    months = 2013-02-28). Always one step from `day`, so adding 2 months once can differ from
    adding 1 month twice (01-31 → 03-31, but 01-31 → 02-28 → 03-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError(f"{day} + {months} months is outside the calendar")
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_cadence(day: _dt.date, every: tuple[int, str]) -> _dt.date:
    """`day` + a supervision cadence such as (2, "year") or (1, "quarter")."""
    n, unit = every
    return add_months(day, n * _MONTHS[unit])


_CADENCE = re.compile(r"([1-9][0-9]{0,3}) (year|quarter|month)s?")


def parse_cadence(text: str) -> tuple[int, str] | None:
    """A result's `every` text ("1 year", "2 quarters") as (n, unit), or None."""
    m = _CADENCE.fullmatch(text)
    return (int(m.group(1)), m.group(2)) if m else None
