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

An earlier period may also be given as a **case file**: it is evaluated first, in the same
process, with the ruleset its own `ruleset:` line names (its own earlier files in turn), and
its result is used as if it had been written and read back. A case that names no ruleset is
PE367; a case that is, through its earlier files, an earlier period of itself is PE368.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from . import runtime
from .case import Case, case_of_text, load_case
from .errors import CaseError, Diagnostic
from .i18n import N_, _
from .period import EARLIER, Period, order, parse_period
from .results import (
    WORKBOOK_SUFFIXES,
    CaseNotResult,
    ResultFile,
    ResultFileError,
    Wanted,
    from_result,
    read_result,
)
from .results.json import ItemColumns

# Case files only: a result is never written as CSV. A workbook is a result when it has the
# sheets `eval -o x.xlsx` writes (results/xlsx.py), a case otherwise.
CASE_SUFFIXES = (".csv",)

# The case files being evaluated in this run, outermost first: an earlier period given as a
# case that is already among them would be evaluated before itself (PE368).
_RUNNING: ContextVar[tuple[Path, ...]] = ContextVar("previous_running", default=())
# how deep earlier cases may name earlier cases: a chain of a hundred years would otherwise
# run out of stack, a traceback instead of a message
MAX_EARLIER_DEPTH = 32
# The rulesets compiled in this run, by file and digest (api.load_ruleset): the earlier cases
# of a run (a year's four quarters) usually name one ruleset, often the one being evaluated,
# and compiling it costs more than evaluating a small case.
_COMPILED: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("previous_compiled", default=None)

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


def load_previous(paths: Sequence[str | Path], ruleset_id: str, case: Case, wanted: Wanted | None = None,
                  ) -> list[ResultFile]:
    """Read and check the earlier results of `case`, oldest first (an earlier case file is
    evaluated first)."""
    outer = _RUNNING.get()
    token = _RUNNING.set((*outer, Path(case.file).resolve()) if case.file else outer)
    try:
        with one_run():
            files = [_earlier(p, case, wanted) for p in paths]
    finally:
        _RUNNING.reset(token)
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


def _earlier(path: str | Path, naming: Case, wanted: Wanted | None = None) -> ResultFile:
    """An earlier period: a result file read back, or a case file evaluated now."""
    suffix = Path(path).suffix.lower()
    # each file is read once: as a case unless it is a result workbook, as a result unless it
    # is a case (then its text, and YAML's decoded tree, go on to the case reader)
    if suffix in WORKBOOK_SUFFIXES:
        from .case.xlsx import OtherWorkbook
        from .results.xlsx import RESULT_SHEETS

        try:
            case = load_case(path, leave=RESULT_SHEETS)
        except OtherWorkbook:
            return read_result(path)
        return _evaluated(path, naming, case)
    if suffix not in CASE_SUFFIXES:
        try:
            return read_result(path, cases=True, wanted=wanted)
        except CaseNotResult as not_result:
            case = case_of_text(not_result.text, Path(path), not_result.data, Path(path).stat().st_size)
        return _evaluated(path, naming, case)
    return _evaluated(path, naming, load_case(path))


def _evaluated(path: str | Path, naming: Case, case: Case) -> ResultFile:
    """Evaluate the earlier case file `path` (named by `naming`, read as `case`) with the
    ruleset its `ruleset:` line names; its own earlier files are read (or evaluated) in turn."""
    from .api import load_ruleset

    key = Path(path).resolve()
    running = _RUNNING.get()
    if key in running:
        chain = [str(p) for p in running[running.index(key):]] + [str(path)]
        where, sheet, line, column = _previous_line(naming, path)
        raise CaseError(Diagnostic(
            "PE368", _("{file} is an earlier period of itself: its earlier files lead back to it ({chain})",
                       file=str(path), chain=" -> ".join(chain)),
            file=where, sheet=sheet, line=line, column=column))
    if len(running) >= MAX_EARLIER_DEPTH:
        where, sheet, line, column = _previous_line(naming, path)
        raise CaseError(Diagnostic(
            "PE368", _("earlier periods given as case files nest more than {depth} deep here ({file}): give the "
                       "earlier ones as result files (eval -o FILE)", depth=MAX_EARLIER_DEPTH, file=str(path)),
            file=where, sheet=sheet, line=line, column=column))
    if not case.ruleset:
        raise CaseError(Diagnostic(
            "PE367", _("this case is given as an earlier period of {file}, but names no ruleset to evaluate it "
                       "with: add a 'ruleset:' line to its header, or give its result file instead",
                       file=naming.file or _("the case")),
            file=str(path), line=1, column=1))
    ruleset = load_ruleset(case.ruleset, base=Path(path).parent, compiled=_COMPILED.get())
    earlier = from_result(ruleset.evaluate(case), str(path))
    earlier.case_file = case
    return earlier


@contextmanager
def one_run(*loaded: Any) -> Iterator[None]:
    """Inside, an earlier case's ruleset is compiled once however many earlier cases name
    it; `loaded` (the command's own rulesets) are not compiled again either. Nested runs
    share the outermost one's rulesets."""
    known = _COMPILED.get()
    if known is not None:
        known.update({_key(rs): rs for rs in loaded})
        yield
        return
    token = _COMPILED.set({_key(rs): rs for rs in loaded})
    try:
        yield
    finally:
        _COMPILED.reset(token)


def _key(rs: Any) -> tuple[str, str]:
    return str(Path(rs.path).resolve()), rs.digest


def _previous_line(naming: Case, path: str | Path) -> tuple[str, str | None, int, int]:
    """Where `naming` lists its earlier files (its `previous:` line or `case` sheet row)."""
    from .case.locate import place

    return place(naming, ["previous"]) if naming.file else (str(path), None, 0, 0)


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


def attach_earlier(case: Case, rs_id: str, given: Sequence[str | Path] = (), wanted: Wanted | None = None,
                   ) -> list[ResultFile]:
    """Read and check the earlier results of `case` (given, then its `previous:` list) and
    keep them with the case for the rules that read them; oldest first. With `wanted`
    (`wanted_by`), of each earlier item only its id and what the rules read is kept."""
    paths = previous_paths(case, given)
    case.earlier = load_previous(paths, rs_id, case, wanted) if paths else []
    return case.earlier


def wanted_by(compiled: Any) -> Wanted:
    """What the rules of `compiled` read of each earlier item (besides its id, always read):
    the values and grades named by `previous.X` and `h.X`, and which of them are grades."""
    slots = compiled.earlier
    names = frozenset(slots.fields) if slots is not None else frozenset()
    return names, frozenset(g.scale for g in compiled.grades) & names


def fill_earlier(compiled: Any, case: Case, rows: list[list[Any]], ids: list[str], rollup: str | None = None,
                 ) -> None:
    """Put what the rules read of earlier results into each item's slots, matching by id (a
    rollup's units: by unit id, among the earlier results' units of that rollup)."""
    slots = compiled.earlier
    if slots is None:
        return
    if case.earlier is None:  # evaluated through the API or `test`: its `previous:` header alone
        attach_earlier(case, compiled.ruleset.id, wanted=None if rollup is not None else wanted_by(compiled))
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
    read = [_columns(compiled, f, names, rollup) for f in files]
    new, history = slots.new, slots.history
    if compiled.analysis.reads_history:
        records = [{item_id: dict(zip(names, values, strict=True))
                    for item_id, *values in zip(earlier_ids, *columns.values(), strict=True)}
                   for earlier_ids, columns in read]
        for row, item_id in zip(rows, ids, strict=True):
            row[history] = [r[item_id] for r in records if item_id in r]
    latest_ids, latest = read[-1] if read else ([], {n: [] for n in names})
    # an id listed twice: its last entry, as a dict built from the list keeps
    at = dict(zip(latest_ids, range(len(latest_ids)), strict=True))
    previous = [(slots.fields[n], latest[n]) for n in names]
    absent = runtime.ABSENT
    for row, item_id in zip(rows, ids, strict=True):
        k = at.get(item_id)
        if k is None:
            row[new] = True
            for slot, _column in previous:
                row[slot] = absent
        else:
            row[new] = False
            for slot, column in previous:
                row[slot] = column[k]


def _columns(compiled: Any, f: ResultFile, names: list[str], rollup: str | None = None,
             ) -> tuple[list[str], dict[str, list[Any]]]:
    """The ids of the items (or units of `rollup`) of an earlier result, and each name's
    values in them, in the types of the ruleset now: a level as its index in the current
    scale, a number exact, a date a date. Items read a column at a time (`ItemColumns`, what
    `eval --previous` reads of a JSON result) are converted a column at a time; anything
    irregular is looked at item by item, which says where."""
    an = compiled.analysis
    scales = {g.scale: g.levels for g in compiled.grades}
    entries: Any = f.result.items
    where: list[Any] = ["items"]
    if rollup is not None:
        if rollup not in f.result.rollups:
            raise f.error("PE365", _("this earlier result has no units of rollup '{rollup}', whose rules read "
                                     "earlier results (was it written by a version of the ruleset without it?)",
                                     rollup=rollup), [])
        entries = f.result.rollups[rollup].units
        where = ["rollups", rollup, "units"]
    # what each name needs, decided once (a province's items each take only lookups)
    plan = [(name, {level: i for i, level in enumerate(scales[name])} if name in scales else None,
             _accepting(an.value_types.get(name))) for name in names]
    if isinstance(entries, ItemColumns):
        columns = _converted(entries, plan)
        if columns is not None:
            return entries.ids, columns
    columns = {name: [] for name in names}
    for index, item in enumerate(entries):
        values, grades = item.values, item.grades
        for name, level_index, accept in plan:
            if level_index is not None:
                grade = grades.get(name)
                if grade is None:
                    raise f.error("PE365", _("item {id} has no grade '{name}' in this earlier result, which the "
                                             "rules read", id=item.id, name=name), [*where, index, "grades"])
                at = level_index.get(grade.level)
                if at is None:
                    raise f.error("PE365", _("item {id}: level '{level}' of {name} in this earlier result is not a "
                                             "level of the scale now ({levels})", id=item.id, level=grade.level,
                                             name=name, levels=", ".join(scales[name])),
                                  [*where, index, "grades", name, "level"])
                columns[name].append(at)
                continue
            if name not in values:
                raise f.error("PE365", _("item {id} has no value '{name}' in this earlier result, which the rules "
                                         "read (was it computed by that version of the ruleset?)", id=item.id,
                                         name=name),
                              [*where, index, "values"])
            value = accept(values[name])
            if value is _REFUSED:
                raise f.error("PE365", _("item {id}: value '{name}' in this earlier result is {value}, but the rules "
                                         "read it as {type}", id=item.id, name=name,
                                         value=runtime.show(values[name]), type=an.value_types.get(name)),
                              [*where, index, "values", name])
            columns[name].append(value)
    return [item.id for item in entries], columns


def _converted(items: ItemColumns, plan: list[tuple[str, dict[str, int] | None, Any]],
               ) -> dict[str, list[Any]] | None:
    """Each name's column converted as the rules read it, or None when some value is not
    what they read (the caller then goes item by item to say which)."""
    out: dict[str, list[Any]] = {}
    for name, level_index, accept in plan:
        if level_index is not None:
            levels = items.levels.get(name)
            if levels is None:
                return None
            column = list(map(level_index.get, levels))
            if None in column:
                return None
        else:
            values = items.values.get(name)
            if values is None:
                return None
            if accept is _number and set(map(type, values)) <= {Decimal}:
                column = values  # the usual column: already exact numbers, nothing to convert
            else:
                column = list(map(accept, values))
                if any(v is _REFUSED for v in column):
                    return None
        out[name] = column
    return out


_REFUSED = object()


def _number(v: Any) -> Any:
    if v.__class__ is Decimal:
        return v
    return Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else _REFUSED


def _accepting(want: Any) -> Any:
    """The function that takes a value read back as the rules read it (a whole number as a
    Decimal, an ISO date text as a date), or refuses it (`_REFUSED`)."""
    from .check import BOOL, DATE, NUMBER, TEXT

    if want == NUMBER:
        return _number
    if want == DATE:
        def day(v: Any) -> Any:
            if isinstance(v, _dt.date):
                return v
            try:
                return _dt.date.fromisoformat(v) if isinstance(v, str) else _REFUSED
            except ValueError:
                return _REFUSED
        return day
    if want == TEXT:
        return lambda v: v if isinstance(v, str) else _REFUSED
    if want == BOOL:
        return lambda v: v if isinstance(v, bool) else _REFUSED
    return lambda v: v  # a record, a list, or a type the checker left open
