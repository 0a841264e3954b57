"""Earlier results as inputs of an evaluation (`eval --previous FILE`, a case's `previous:`).

Each earlier result must be of the ruleset being evaluated (the same ruleset id; its
version may be older) and of an earlier period than the case; several earlier results
must be of distinct periods, which orders them. Anything else (another ruleset, a later
or overlapping period, a period that cannot be placed in time) is a located error, never
a guess. The result then records which files it used and their ruleset digests.

They feed the reviews due (`reviews.py`: an item that an earlier result lists was reviewed
in that period), and the rules that read them: `previous.X` (X in the latest earlier
result), `history` (one record per earlier result listing the item, oldest first) and `new`
(the latest earlier result does not list the item). Their values are put in the items'
slots by matching ids before the compiled stages run (`fill_earlier`), never into the
generated code.

A result whose period lies inside the case's (the quarters of the year being graded) counts
as earlier too: a yearly grade is built from its quarters.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from . import runtime
from .case import Case
from .errors import CaseError, Diagnostic
from .i18n import N_, _
from .period import EARLIER, Period, order, parse_period
from .results import ResultFile, ResultFileError, read_result

PERIOD_FORMS = N_("periods are years (2010), half years (2010H1), quarters (2010Q3, 2010年第三季度), "
                   "months (2010-05) or dates")  # translated where it is shown


def previous_paths(case: Case, given: Sequence[str | Path] = ()) -> list[str]:
    """The earlier result files of a case: those given on the command line, then those its
    `previous:` header lists (relative to the case file); each once."""
    paths = [str(p) for p in given]
    if case.previous:
        base = Path(case.file).parent if case.file else Path(".")
        paths += [os.path.normpath(base / p) for p in case.previous]
    seen: set[Path] = set()
    out = []
    for p in paths:
        key = Path(p).resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def load_previous(paths: Sequence[str | Path], ruleset_id: str, case: Case) -> list[ResultFile]:
    """Read and check the earlier results of `case`, oldest first."""
    files = [read_result(p) for p in paths]
    for f in files:
        if f.ruleset["id"] != ruleset_id:
            raise f.error("PE353", _("this earlier result is of ruleset '{earlier}', not of '{id}', which evaluates "
                                     "{case}", earlier=f.ruleset["id"], id=ruleset_id, case=case.file)
                          if case.file else
                          _("this earlier result is of ruleset '{earlier}', not of '{id}', which evaluates the case",
                            earlier=f.ruleset["id"], id=ruleset_id), ["ruleset", "id"])
    if not files:
        return files
    here = parse_period(case.period) if case.period is not None else None
    if case.period is not None and here is None:
        raise _case_period_error(case, _("the case's period '{period}' cannot be placed in time, so whether the "
                                         "earlier results come before it is unknown", period=case.period))
    periods = []
    for f in files:
        raw = f.result.case.get("period")
        p = parse_period(raw)
        if p is None:
            message = (_("this earlier result records no period: its order among the periods is unknown")
                       if raw is None else
                       _("this earlier result is of period '{period}', which cannot be placed in time: its order "
                         "among the periods is unknown", period=raw))
            raise f.error("PE354", message, ["case", "period"] if raw is not None else ["case"],
                          notes=[_(PERIOD_FORMS)])
        if here is not None and order(p, here) != EARLIER and not _part_of(p, here):
            raise f.error("PE354", _("this result is of period {period}, which does not come before the case's "
                                     "period {case_period} ({file}): an earlier result must be of an earlier period "
                                     "(or a part of the case's, as the quarters of a year)", period=raw,
                                     case_period=case.period, file=case.file), ["case", "period"])
        periods.append(p)
    ranked = sorted(zip(periods, files, strict=True), key=lambda pf: (pf[0].start, pf[0].end))
    for (p, f), (q, g) in pairwise(ranked):
        if order(p, q) != EARLIER:
            values = {"period": q, "file": f.file, "other": p}
            raise g.error("PE354", _("this result's period {period} is that of {file} ({other}): earlier results "
                                     "must be of distinct periods", **values) if str(p) == str(q) else
                          _("this result's period {period} overlaps that of {file} ({other}): earlier results must "
                            "be of distinct periods", **values), ["case", "period"])
    return [f for _, f in ranked]


def _part_of(p: Period, whole: Period) -> bool:
    """A shorter period inside `whole`: 2010Q3 in 2010, not 2010 in 2010."""
    return whole.start <= p.start and p.end <= whole.end and (p.start, p.end) != (whole.start, whole.end)


def _case_period_error(case: Case, message: str) -> CaseError:
    from .case import locate

    line, column = locate(case, ["period"])
    return ResultFileError(Diagnostic("PE354", message, file=case.file, line=line, column=column,
                                      notes=[_(PERIOD_FORMS)]))


def recorded(files: Sequence[ResultFile]) -> list[dict[str, Any]]:
    """What a result records about the earlier results it used: file, ruleset, period."""
    return [f.identity() for f in files]


def attach_earlier(case: Case, rs_id: str, given: Sequence[str | Path] = ()) -> list[ResultFile]:
    """Read and check the earlier results of `case` (given, then its `previous:` list) and
    keep them with the case for the rules that read them; oldest first."""
    paths = previous_paths(case, given)
    case.earlier = load_previous(paths, rs_id, case) if paths else []
    return case.earlier


def fill_earlier(compiled: Any, case: Case, rows: list[list[Any]], ids: list[str], rollup: str | None = None,
                 ) -> None:
    """Put what the rules read of earlier results into each item's slots, matching by id (a
    rollup's units: by unit id, among the earlier results' units of that rollup)."""
    slots = compiled.earlier
    if slots is None:
        return
    if case.earlier is None:  # evaluated through the API or `test`: its `previous:` header alone
        attach_earlier(case, compiled.ruleset.id)
    files = case.earlier or []
    if not files and case.previous != []:
        span = compiled.analysis.reads_earlier
        from .case import locate

        line, column = locate(case, ["period"]) if case.file else (0, 0)
        where = f"{span.file or compiled.ruleset.id}:{span.line}:{span.column}"
        raise CaseError(Diagnostic(
            "PE366", _("ruleset '{id}' reads earlier results (at {where}), but none was given for this case: "
                       "give them with --previous FILE or a 'previous:' list in the case header ('previous: []' for "
                       "a first period, where every item is new)", id=compiled.ruleset.id, where=where),
            file=case.file or "<case>", line=line or 1, column=column))
    names = list(slots.fields)
    records = [_records(compiled, f, names, rollup) for f in files]
    latest = records[-1] if records else {}
    new, history = slots.new, slots.history
    previous = [(slots.fields[n], n) for n in names]
    absent = runtime.ABSENT
    for row, item_id in zip(rows, ids, strict=True):
        record = latest.get(item_id)
        row[new] = record is None
        for slot, name in previous:
            row[slot] = absent if record is None else record[name]
        row[history] = [r[item_id] for r in records if item_id in r]


def _records(compiled: Any, f: ResultFile, names: list[str], rollup: str | None = None) -> dict[str, dict[str, Any]]:
    """Each item (or unit of `rollup`) of an earlier result as {name: value}, in the types of
    the ruleset now: a level as its index in the current scale, a number exact, a date a date."""
    from .check import BOOL, DATE, NUMBER, TEXT

    an = compiled.analysis
    scales = {g.scale: g.levels for g in compiled.grades}
    out: dict[str, dict[str, Any]] = {}
    entries = f.result.items
    where: list[Any] = ["items"]
    if rollup is not None:
        if rollup not in f.result.rollups:
            raise f.error("PE365", _("this earlier result has no units of rollup '{rollup}', whose rules read "
                                     "earlier results (was it written by a version of the ruleset without it?)",
                                     rollup=rollup), [])
        entries = f.result.rollups[rollup].units
        where = ["rollups", rollup, "units"]
    for index, item in enumerate(entries):
        record: dict[str, Any] = {}
        for name in names:
            if name in scales:
                grade = item.grades.get(name)
                if grade is None:
                    raise f.error("PE365", _("item {id} has no grade '{name}' in this earlier result, which the "
                                             "rules read", id=item.id, name=name), [*where, index, "grades"])
                if grade.level not in scales[name]:
                    raise f.error("PE365", _("item {id}: level '{level}' of {name} in this earlier result is not a "
                                             "level of the scale now ({levels})", id=item.id, level=grade.level,
                                             name=name, levels=", ".join(scales[name])),
                                  [*where, index, "grades", name, "level"])
                record[name] = scales[name].index(grade.level)
                continue
            if name not in item.values:
                raise f.error("PE365", _("item {id} has no value '{name}' in this earlier result, which the rules "
                                         "read (was it computed by that version of the ruleset?)", id=item.id,
                                         name=name),
                              [*where, index, "values"])
            value = item.values[name]
            want = an.value_types.get(name)
            if want == NUMBER and isinstance(value, int) and not isinstance(value, bool):
                value = Decimal(value)
            elif want == DATE and isinstance(value, str):
                try:
                    value = _dt.date.fromisoformat(value)
                except ValueError:
                    value = None
            ok = {NUMBER: lambda v: isinstance(v, Decimal), TEXT: lambda v: isinstance(v, str),
                  BOOL: lambda v: isinstance(v, bool), DATE: lambda v: isinstance(v, _dt.date)}.get(want)
            if ok is not None and not ok(value):
                raise f.error("PE365", _("item {id}: value '{name}' in this earlier result is {value}, but the rules "
                                         "read it as {type}", id=item.id, name=name, value=runtime.show(value),
                                         type=want),
                              [*where, index, "values", name])
            record[name] = value
        out[item.id] = record
    return out
