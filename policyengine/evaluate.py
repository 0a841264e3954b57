"""Stage 5: evaluate a compiled ruleset on a case.

Validate every item first (nothing is evaluated from an invalid case), then run
the compiled stages in order, ranking between stages, and assemble the result
and its summary. All arithmetic runs in one exact decimal context.
"""

from __future__ import annotations

import decimal
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import Any

from . import runtime
from .case import (
    PROGRESS_CHUNK,
    Case,
    ItemsDone,
    Layout,
    gc_paused,
    layout,
    locate,
    place_text,
    validate,
)
from .case.validate import FirstStage
from .case.values import MAX_ERRORS
from .compile import STAGE_BUILTINS, CompiledRollup, CompiledRuleset, RankSpec, fused_form
from .errors import CaseError, Diagnostic, EvaluationError, did_you_mean
from .i18n import N_, _
from .model import Input
from .result import (
    GradeResult,
    ItemResult,
    ItemResults,
    Result,
    RollupResult,
    SanctionResult,
    SupervisionResult,
)
from .runtime import load_generated


def item_layout(compiled: CompiledRuleset) -> Layout:
    plan = getattr(compiled, "_layout", None)
    if plan is None:
        plan = layout(compiled.inputs, compiled.slots, compiled.size, compiled.sanction_slot,
                      compiled.trace_slot)
        compiled._layout = plan  # type: ignore[attr-defined]
    return plan


def work(compiled: CompiledRuleset, items: int) -> int:
    """How many steps `evaluate` reports to `progress` for a case of this many items: each
    item is validated, passes every stage, and becomes a result."""
    return items * (len(compiled.stages) + 2)


Units = dict[str, tuple[list[list[Any]], list[str], list[str | None], Case]]


def run(compiled: CompiledRuleset, case: Case, progress: ItemsDone | None = None, units: Units | None = None,
        ) -> tuple[list[list[Any]], list[str], list[str | None]]:
    """Validate and evaluate; return the raw slot lists (used by result and explain). The
    rollups whose values item rules read run between the item stages; `units`, if given,
    receives what they made (see run_rollup)."""
    first = _fused_stage(compiled) if not case.cells else None
    if first is None:
        rows, ids, names = validate(case, item_layout(compiled), progress)
        _check_unit_sections(compiled, case)
        if compiled.earlier is not None:
            from .previous import fill_earlier

            fill_earlier(compiled, case, rows, ids)
        _run_stages(compiled, case, rows, ids, progress, units)
        return rows, ids, names
    # the fused loop: the first stage runs on each item as validation lays it out, while its
    # values are at hand, instead of a second pass over every slot list
    pending: list[list[Any]] = []
    with decimal.localcontext(runtime.CONTEXT):
        rows, ids, names = validate(case, item_layout(compiled), progress, first, pending)
    _check_unit_sections(compiled, case)
    if progress is not None:  # the first stage's steps, told as its own pass tells them
        for start in range(0, len(rows), PROGRESS_CHUNK):
            progress(min(PROGRESS_CHUNK, len(rows) - start))
    if pending:  # items laid out slowly, or whose first stage failed: the stage function runs them
        stage = compiled.stages[0]
        for row in pending:  # a failed run may have fired sanctions before it failed
            row[compiled.sanction_slot] = ()
        with decimal.localcontext(runtime.CONTEXT):
            failures = _run_stage(stage, pending, case.header(), None, None)
        if failures:
            raise _evaluation_errors(compiled, case, rows, ids, failures)
    _run_stages(compiled, case, rows, ids, progress, units, start=1)
    return rows, ids, names


# a private switch: False runs validation and every stage as separate passes (the path the
# fused loop is checked against, tests/test_fused.py)
_FUSED = True


def _fused_stage(compiled: CompiledRuleset) -> FirstStage | None:
    """The first stage as code for validation to run on each row, when it can: it reads only
    the item and the case header (no ranking, rollup, earlier result or value of every item
    comes before it) and records no trace."""
    if not _FUSED or not compiled.stages or compiled.earlier is not None or compiled.trace_slot is not None:
        return None
    stage = compiled.stages[0]
    if stage.per_item is None or stage.rankings or stage.rollups or stage.view is not None:
        return None
    first = getattr(compiled, "_first_stage", False)
    if first is False:
        inputs = {slot for _name, slot, _convert, _default in item_layout(compiled).fields}
        form = fused_form(stage.per_item, inputs, compiled.sanction_slot, compiled.size)
        first = None if form is None else FirstStage(form[0], form[1], stage.run.__globals__, STAGE_BUILTINS)
        compiled._first_stage = first  # type: ignore[attr-defined]
    return first


def _check_unit_sections(compiled: CompiledRuleset, case: Case) -> None:
    """Every list under `units:` is a rollup's: a misspelt rollup name would otherwise leave
    its units unread (and, for a rollup without inputs, unnoticed)."""
    names = [cr.rollup.name for cr in all_compiled_rollups(compiled)]
    unknown = [k for k in (case.units or {}) if k not in names]
    if unknown:
        raise CaseError([Diagnostic("PE346", _("units.{k}: the ruleset has no rollup '{k}'", k=k)
                                    + (did_you_mean(k, names) + _(" (rollups: {value})",
                                                                  value=', '.join(names)) if names
                                       else _(" (it declares no rollups)")),
                                    file=case.file or "<case>", line=line, column=column)
                         for k in unknown for line, column in [locate(case, ["units", k])]])


def _run_stages(compiled: CompiledRuleset, case: Case, rows: list[list[Any]], ids: list[str],
                progress: ItemsDone | None = None, units: Units | None = None, start: int = 0) -> None:
    """Run the stages from `start` on (the first may have run in validation's fused loop)."""
    header = case.header()
    with decimal.localcontext(runtime.CONTEXT):
        for stage in compiled.stages[start:]:
            rank_all(rows, stage.rankings)
            for k in stage.rollups:
                made = run_rollup(compiled.rollups[k], case, rows, ids, units)
                if units is not None:
                    units[compiled.rollups[k].rollup.name] = made
            view = [{name: row[slot] for name, slot in stage.view} for row in rows] if stage.view is not None else None
            failures = _run_stage(stage, rows, header, view, progress)
            if failures:
                raise _evaluation_errors(compiled, case, rows, ids, failures)


def _run_stage(stage: Any, rows: list[list[Any]], header: Any, view: Any,
               progress: ItemsDone | None) -> list[runtime.StageFailure]:
    """Run one stage over every item; an item that fails is recorded and the stage goes on
    with the next item, so that one run shows every item's error (up to MAX_ERRORS), as
    case validation does, rather than one division by zero per run. Stages treat items one
    by one, so a stage can resume after the failed item (and run a chunk at a time)."""
    failures: list[runtime.StageFailure] = []
    chunk = PROGRESS_CHUNK if progress is not None else max(len(rows), 1)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        at = 0
        while at < len(part):
            try:
                stage.run(part[at:] if at else part, header, view)
                break
            except runtime.StageFailure as failure:
                failures.append(failure)
                index = next((i for i in range(at, len(part)) if part[i] is failure.slots), None)
                if index is None or len(failures) >= MAX_ERRORS:
                    return failures  # not an item's failure, or enough to mend first
                at = index + 1
        if progress is not None:
            progress(len(part))
    return failures


def _evaluation_errors(compiled: CompiledRuleset, case: Case, rows: list[list[Any]], ids: list[str],
                       failures: list[runtime.StageFailure]) -> EvaluationError:
    """One error with a diagnostic per failed item, grouped by the expression that failed
    (in declaration order), items in case order within a group."""
    order = {id(row): i for i, row in enumerate(rows)}
    failures = sorted(failures, key=lambda f: (f.marker, order.get(id(f.slots), -1)))
    diagnostics = [d for f in failures for d in _evaluation_error(compiled, case, rows, ids, f).diagnostics]
    if len(failures) >= MAX_ERRORS:
        diagnostics[-1].notes.append(_("stopped after {count} problems", count=MAX_ERRORS))
    return EvaluationError(diagnostics)


# ---------------------------------------------------------------- rollups


def all_compiled_rollups(compiled: CompiledRuleset) -> list[CompiledRollup]:
    """Every compiled rollup, a rollup of a rollup's units after the one it groups."""
    out = []
    for cr in compiled.rollups:
        out.append(cr)
        out += all_compiled_rollups(cr.compiled)
    return out


def run_rollup(compiled: CompiledRollup, case: Case, rows: list[list[Any]], ids: list[str],
               units: Units | None = None) -> tuple[list[list[Any]], list[str], list[str | None], Case]:
    """The units of one rollup, evaluated: group the evaluated items by the rollup's key,
    lay out each unit (its own inputs from the case's `units:` section), run the rollup's
    stages. Returns the unit rows, ids, names and the case view that locates them; `units`,
    if given, receives the nested rollups its rules read (rollup names are unique)."""
    r = compiled.rollup
    groups: dict[Any, list[list[Any]]] = {}
    first: dict[Any, int] = {}
    key = compiled.key_slot
    for index, row in enumerate(rows):
        k = row[key]
        members = groups.get(k)
        if members is None:
            groups[k] = members = []
            first[k] = index
        members.append(row)
    _check_keys(r, case, first, ids)
    given = (case.units or {}).get(r.name)
    section = Case(items=given if given is not None else [{"id": k} for k in groups if isinstance(k, str)],
                   file=case.file, section=("units", r.name), title=case.title, unit=case.unit,
                   period=case.period, units=case.units, cells=case.cells)
    section._nodes = case._nodes
    if r.name in (case.unit_sources or {}):  # its units are a file of their own: locate there
        section.file, section._nodes = case.unit_sources[r.name]  # type: ignore[index]
        section.section = ()
    inner = compiled.compiled
    needs_inputs = bool(inner.inputs)
    if given is None and needs_inputs:
        raise CaseError(Diagnostic("PE341", _("rollup '{name}' has inputs ({value}): the case "
                                              "needs a 'units:' section with '{name}:', a list "
                                              "of its units (each with an 'id' and those "
                                              "fields)",
                                              name=r.name, value=', '.join(d.name for d in inner.inputs)), file=case.file or "<case>",
                                   line=locate(case, ["units"])[0] or 1))
    try:
        unit_rows, unit_ids, unit_names = validate(section, item_layout(inner), units=True)
    except CaseError as exc:
        for d in exc.diagnostics:  # the same checks as for items, said of units
            d.message = (_("unit {id} of units.{name}: {message}", id=d.item, name=r.name, message=d.message)
                         if d.item else _("units.{name}: {message}", name=r.name, message=d.message))
            d.item = None
        raise
    problems = []
    known = set(unit_ids)
    # a misspelt key shows on both sides: suggest only among the keys the other side lacks
    unmatched_units = [u for u in unit_ids if u not in groups]
    unmatched_keys = [str(k) for k in groups if k not in known]
    for k, index in first.items():
        if k not in known:
            line, column = locate(case, ["items", index, r.by])
            # what is grouped: items, or (a rollup of a rollup) the units of the rollup below
            whose = (_("{unit}: ", unit=_("unit {id} of units.{name}", id=ids[index], name=case.section[1]))
                     if case.section else "")
            problems.append(Diagnostic("PE342", _("{whose}{by} '{k}' has no unit in "
                                                  "units.{name}",
                                                  whose=whose, by=r.by, k=k, name=r.name)
                                       + did_you_mean(str(k), unmatched_units), file=case.file or "<case>", line=line,
                                       column=column, item=None if case.section else ids[index]))
    for index, unit_id in enumerate(unit_ids):
        if unit_id not in groups:
            line, column = locate(section, ["items", index, "id"])
            problems.append(Diagnostic("PE343", _("unit '{unit_id}' of units.{name}: no item "
                                                  "has {by} = '{unit_id}'",
                                                  unit_id=unit_id, name=r.name, by=r.by) + did_you_mean(unit_id, unmatched_keys),
                                       file=case.file or "<case>", line=line, column=column))
    if problems:
        raise CaseError(problems[:20])
    members_slot = compiled.members_slot
    for row, unit_id in zip(unit_rows, unit_ids, strict=True):
        row[members_slot] = groups[unit_id]
    if compiled.unit_slot is not None:  # item rules read their unit's values: point them at it
        for row, unit_id in zip(unit_rows, unit_ids, strict=True):
            for item in groups[unit_id]:
                item[compiled.unit_slot] = row
    if inner.earlier is not None:
        from .previous import fill_earlier

        fill_earlier(inner, case, unit_rows, unit_ids, rollup=r.name)
    # the units' rules read earlier results by unit id: what they read is the case's (explain shows it)
    section.earlier, section.previous = case.earlier, case.previous
    try:
        _run_stages(inner, section, unit_rows, unit_ids, None, units)
    except EvaluationError as exc:
        _said_of_units(exc, compiled, case, section, unit_rows, unit_ids, first, given is not None)
        raise
    return unit_rows, unit_ids, unit_names, section


def _check_keys(r: Any, case: Case, first: dict[Any, int], ids: list[str]) -> None:
    """Every item (or unit below) must name its unit: one whose key is empty would belong
    to no unit, and a rollup that silently left it out would under-count its unit."""
    problems = []
    for k, index in first.items():
        if k is None or (isinstance(k, str) and not k.strip()):
            line, column = locate(case, ["items", index, r.by])
            if not line:
                line, column = locate(case, ["items", index])
            whose = (_("unit {id} of units.{name}", id=ids[index], name=case.section[1]) if case.section
                     else _("item {id}", id=ids[index]))
            problems.append(Diagnostic("PE370", _("{whose}: {by} is empty, so it belongs to no unit of rollup "
                                                  "'{name}': every one grouped by a rollup names its unit",
                                                  whose=whose, by=r.by, name=r.name),
                                       file=case.file or "<case>", line=line or 1, column=column))
    if problems:
        raise CaseError(problems)


def _said_of_units(exc: EvaluationError, compiled: CompiledRollup, case: Case, section: Case,
                   unit_rows: list[list[Any]], unit_ids: list[str], first: dict[Any, int], listed: bool) -> None:
    """A rule that failed on a unit is said of the unit and its rollup, and located where
    the unit is: its entry under `units:`, or (a rollup without a list) its first item."""
    name, by = compiled.rollup.name, compiled.rollup.by
    index = {u: i for i, u in enumerate(unit_ids)}
    for d in exc.diagnostics:
        if d.item not in index:
            continue
        unit, at = d.item, index[d.item]
        d.item = None
        d.message = _("unit {unit} of rollup {name}: ", unit=unit, name=name) + d.message
        stale = _("item {item_id} is at {where}", item_id=unit, where=place_text(section, ["items", at]))
        d.notes = [n for n in d.notes if n != stale]
        where = place_text(section, ["items", at]) if listed else None
        if where:
            d.notes.append(_("unit {unit} is at {where}", unit=unit, where=where))
        elif unit in first and (where := place_text(case, ["items", first[unit]])):
            d.notes.append(_("unit {unit} is the {by} of its items, the first at {where}",
                             unit=unit, by=by, where=where))
        if d.code == "PE405":
            count = len(unit_rows[at][compiled.members_slot])
            d.notes.append(_("the aggregate took none of the unit's items ({count} in all): to give such a "
                             "unit a value, guard it, e.g. `if count(i in items where C) > 0 then mean(i.X for i "
                             "in items where C) else 0`", count=count))


def every_rollup(compiled: CompiledRuleset, case: Case, rows: list[list[Any]], ids: list[str],
                 done: Units) -> list[tuple[CompiledRollup, tuple[list[list[Any]], list[str], list[str | None], Case]]]:
    """Every rollup with its units evaluated (as run_rollup returns them), a nested rollup
    right after the one whose units it groups; `done` holds what `run` already made."""
    out = []
    for cr in compiled.rollups:
        made = done.get(cr.rollup.name)
        if made is None:
            made = run_rollup(cr, case, rows, ids, done)
        out.append((cr, made))
        if cr.compiled.rollups:  # rollups of these units: their units are grouped in turn
            unit_rows, unit_ids, _names, section = made
            out += every_rollup(cr.compiled, section, unit_rows, unit_ids, done)
    return out


def _rollup_results(compiled: CompiledRuleset, case: Case, rows: list[list[Any]], ids: list[str],
                    done: Units) -> dict[str, RollupResult]:
    out = {}
    for cr, (unit_rows, unit_ids, unit_names, _section) in every_rollup(compiled, case, rows, ids, done):
        build = _output_plan(cr.compiled).build
        units = list(map(build, unit_rows, unit_ids, unit_names))
        with decimal.localcontext(runtime.CONTEXT):
            summary = summarise(cr.compiled, unit_rows)
        out[cr.rollup.name] = RollupResult(cr.rollup.name, units, summary)
    return out


def evaluate(compiled: CompiledRuleset, case: Case, digest: str | None = None,
             progress: ItemsDone | None = None) -> Result:
    """`progress(n)`, if given, is called as chunks of items get done: `work(compiled,
    len(case.items))` steps in all."""
    return evaluate_with_rows(compiled, case, digest, progress)[0]


def evaluate_with_rows(compiled: CompiledRuleset, case: Case, digest: str | None = None,
                       progress: ItemsDone | None = None) -> tuple[Result, list[list[Any]]]:
    """`evaluate`, also giving each item's slot list (its inputs at `compiled.slots`): the
    report reads the matrix coordinates of each item there instead of evaluating twice."""
    with gc_paused():
        done: Units = {}
        rows, ids, names = run(compiled, case, progress, done)
        rollups = _rollup_results(compiled, case, rows, ids, done) if compiled.rollups else {}
        # each item's result is built when it is read (ItemResults)
        plan = _output_plan(compiled)
        items = ItemResults(rows, ids, names, plan.build, plan)
        if progress is not None:  # the step the results were built in, told as before
            for start in range(0, len(rows), PROGRESS_CHUNK):
                progress(min(PROGRESS_CHUNK, len(rows) - start))
        rs = compiled.ruleset
        # totals in the same exact context as the rules (the caller's context may round to
        # 28 digits, half-even, or less)
        with decimal.localcontext(runtime.CONTEXT):
            summary = summarise(compiled, rows)
        return Result.of_case(rs, case, digest, items, summary, rollups), rows


def rank(rows: list[list[Any]], spec: RankSpec) -> None:
    """Competition ranking (1, 2, 2, 4) of `spec.key` within groups of equal `spec.group`."""
    rank_all(rows, [spec])


def rank_all(rows: list[list[Any]], specs: list[RankSpec]) -> None:
    """Rank for every spec; specs on the same key and group share one partition and one sort
    (a grade's top and bottom lines and its published rank all rank the same value)."""
    by_key: dict[tuple[int, int | None], list[RankSpec]] = {}
    for spec in specs:
        by_key.setdefault((spec.key, spec.group), []).append(spec)
    partitions: dict[int | None, Any] = {}
    for (key, group), same in by_key.items():
        if group not in partitions:
            partitions[group] = [rows] if group is None else _partition(rows, group)
        place = _placer(key, same)
        for members in partitions[group]:
            _rank_members(members, key, place)


def _partition(rows: list[list[Any]], group: int) -> list[list[list[Any]]]:
    """The rows of each value of `group`, groups in the order they first appear."""
    members: dict[Any, list[list[Any]]] = defaultdict(list)
    for row in rows:
        members[row[group]].append(row)
    return list(members.values())


def _rank_members(members: list[list[Any]], key: int, place: Callable[[list[list[Any]], int], None]) -> None:
    """Competition ranks of one group: sort its rows by the value once and let `place`
    walk them (descending, a rank is 1 + the rows before the block of equal values;
    ascending, 1 + the rows after it)."""
    if members:
        place(sorted(members, key=itemgetter(key), reverse=True), len(members))


_PLACERS: dict[tuple[int, tuple[tuple[int, int, bool], ...]], Callable[[list[list[Any]], int], None]] = {}


def _placer(key: int, specs: list[RankSpec]) -> Callable[[list[list[Any]], int], None]:
    """A generated loop over a group's rows in descending order of `key` writing every
    spec's rank and the group's size into each row in one pass (a grade's top and bottom
    lines and its published rank): a loop over the specs inside the loop over the rows, as
    before, cost more than the sort. An ascending rank is known only at the end of its
    block of equal values, so a block's rows get it then. The source holds only slot
    numbers."""
    shape = (key, tuple((s.rank, s.size, s.descending) for s in specs))
    place = _PLACERS.get(shape)
    if place is None:
        down = " = ".join(f"s[{s.rank}]" for s in specs if s.descending)
        up = " = ".join(f"t[{s.rank}]" for s in specs if not s.descending)
        lines = ["def place(ordered, n):",
                 "    start = i = 0",
                 f"    value = ordered[0][{key}]",
                 "    for s in ordered:",
                 f"        v = s[{key}]",
                 "        if not v == value:  # == as ranking's ties are, not !=",
                 "            value = v"]
        if up:
            lines += ["            for t in ordered[start:i]:",
                      f"                {up} = n - i + 1"]
        lines += ["            start = i",
                  f"        {' = '.join(f's[{s.size}]' for s in specs)} = n"]
        if down:
            lines.append(f"        {down} = start + 1")
        lines.append("        i += 1")
        if up:
            lines += ["    for t in ordered[start:]:", f"        {up} = 1"]
        source = "".join(line + "\n" for line in lines)
        place = _PLACERS[shape] = load_generated(source, "<policyengine:rank>", {}, ())["place"]
    return place


def build_item(compiled: CompiledRuleset, row: list[Any], item_id: str, name: str | None) -> ItemResult:
    return _output_plan(compiled).build(row, item_id, name)


class OutputPlan:
    """Everything about turning a slot list into an ItemResult that does not depend on the
    item, worked out once per compiled ruleset. The JSON and YAML writers read it too
    (`ItemResults.plan`): where each value, grade, rank, supervision line and the fired
    sanctions are in a slot list, and the shared grade and supervision results.

    Grade and supervision results are immutable and take few distinct values (a level
    and a rank), so items share them instead of each building its own. `build` is
    generated for the ruleset (one dict display for the values, no loops over
    declarations); names and results reach it as default arguments, never as source text.
    """

    def __init__(self, compiled: CompiledRuleset):
        scales = {s.name: tuple(lv.name for lv in s.levels) for s in compiled.ruleset.scales}
        self.values: list[tuple[str, int, tuple[str, ...] | None]] = []
        for value_name in compiled.value_names:
            t = compiled.analysis.value_types.get(value_name)
            levels = scales.get(t.scale) if t is not None and t.kind == "level" and t.scale else None
            self.values.append((value_name, compiled.slots[value_name], levels))
        self.grades = [(g.scale, g.slot, g.rank_slot) for g in compiled.grades]
        self.outs = compiled.grades
        self.grade_results: list[dict[Any, GradeResult]] = [{} for _grade in compiled.grades]
        self.supervision_outs = compiled.supervisions
        self.supervision_results: list[dict[int, SupervisionResult]] = [{} for _line in compiled.supervisions]
        self.sanction_slot = compiled.sanction_slot
        self.sanction_decls = compiled.sanctions
        self.notes = [(d.name, compiled.slots[d.name]) for d in compiled.inputs
                      if isinstance(d, Input) and d.carried]
        self.build: Callable[[list[Any], str, str | None], ItemResult] = self._generate()

    def _generate(self) -> Callable[[list[Any], str, str | None], ItemResult]:
        env: dict[str, Any] = {"IR": ItemResult, "plan": self}
        body = []
        values = []
        for i, (value_name, slot, levels) in enumerate(self.values):
            env[f"n{i}"] = value_name
            if levels is None:
                values.append(f"n{i}: row[{slot}]")
            else:
                env[f"lv{i}"] = levels
                values.append(f"n{i}: (lv{i}[v] if isinstance(v := row[{slot}], int) else v)")
        grades = []
        for i, (scale, slot, rank_slot) in enumerate(self.grades):
            env[f"g{i}"] = scale
            env[f"gc{i}"] = self.grade_results[i]
            if rank_slot is None:  # the level alone is the key: no tuple to build per item
                body += [f"r{i} = gc{i}.get(k := row[{slot}])",
                         f"if r{i} is None:",
                         f"    r{i} = plan.grade_result({i}, k, None)"]
            else:
                body += [f"r{i} = gc{i}.get(k := (row[{slot}], row[{rank_slot}]))",
                         f"if r{i} is None:",
                         f"    r{i} = plan.grade_result({i}, *k)"]
            grades.append(f"g{i}: r{i}")
        body.append("supervision = []")
        for i, s in enumerate(self.supervision_outs):
            env[f"sc{i}"] = self.supervision_results[i]
            body += [f"x = row[{s.slot}]",
                     "if x is not None and x >= 0:",
                     f"    supervision.append(sc{i}.get(x) or plan.supervision_result({i}, x))"]
        notes = []
        for i, (note_name, slot) in enumerate(self.notes):
            env[f"nn{i}"] = note_name
            notes.append(f"nn{i}: row[{slot}]")
        body += ["grades = {" + ", ".join(grades) + "}",
                 f"fired = row[{self.sanction_slot}]",
                 "return IR(item_id, name, {" + ", ".join(values) + "}, grades, supervision, "
                 "plan.sanctions(fired, grades) if fired else []"
                 + (", {" + ", ".join(notes) + "})" if notes else ")")]
        params = "".join(f", {k}={k}" for k in env)
        source = f"def build(row, item_id, name{params}):\n" + "".join(f"    {line}\n" for line in body)
        namespace = dict(env)
        return load_generated(source, "<policyengine:result>", namespace, ("isinstance", "int"))["build"]

    def grade_result(self, index: int, level: int, rank: int | None) -> GradeResult:
        g = self.outs[index]
        result = GradeResult(g.levels[level], g.colors[level], rank)
        ranked = self.grades[index][2] is not None  # keyed as `build` looks it up
        self.grade_results[index][(level, rank) if ranked else level] = result
        return result

    def grade_of(self, index: int, key: Any) -> GradeResult:
        """Grade `index`'s shared result for `key`, as `build` keys it: the level, or for a
        ranked grade (level, rank)."""
        found = self.grade_results[index].get(key)
        if found is None:
            found = self.grade_result(index, *(key if isinstance(key, tuple) else (key, None)))
        return found

    def supervision_of(self, index: int, line_index: int) -> SupervisionResult:
        """Supervision `index`'s shared result for the line that applies."""
        return self.supervision_results[index].get(line_index) or self.supervision_result(index, line_index)

    def supervision_result(self, index: int, line_index: int) -> SupervisionResult:
        s = self.supervision_outs[index]
        line = s.lines[line_index]
        every = f"{line.every[0]} {line.every[1]}{'s' if line.every[0] != 1 else ''}" if line.every else None
        result = SupervisionResult(s.scale, line.by, every, line_index)
        self.supervision_results[index][line_index] = result
        return result

    def sanctions(self, fired: list[tuple[int, Any, int | None]], grades: dict[str, GradeResult],
                  ) -> list[SanctionResult]:
        out = []
        for index, fine, element in sorted(fired, key=lambda f: f[0]) if len(fired) > 1 else fired:
            decl = self.sanction_decls[index]
            warning = decl.warning
            if decl.warning_of is not None:
                warning = grades[decl.warning_of].color
            out.append(SanctionResult(decl.name, decl.actions, fine, warning, element))
        return out

    def value_of(self, compiled: CompiledRuleset, name: str) -> tuple[int, Callable[[Any], Any]]:
        """Where `name` is in a slot list, and how a slot value becomes what an ItemResult
        shows (grades and level-typed values as level names)."""
        for scale, slot, _shown in self.grades:
            if scale == name:
                levels = next(g.levels for g in self.outs if g.scale == name)
                return slot, levels.__getitem__
        for value_name, slot, levels in self.values:
            if value_name == name:
                return slot, _same if levels is None else partial(_level_name, levels)
        return compiled.slots[name], _same


def _level_name(levels: tuple[str, ...], v: Any) -> Any:
    return levels[v] if isinstance(v, int) else v


def _same(v: Any) -> Any:
    return v


def _output_plan(compiled: CompiledRuleset) -> OutputPlan:
    plan = getattr(compiled, "_output_plan", None)
    if plan is None:
        plan = OutputPlan(compiled)
        compiled._output_plan = plan  # type: ignore[attr-defined]
    return plan


# ---------------------------------------------------------------- summary


def summarise(compiled: CompiledRuleset, rows: list[list[Any]]) -> dict[str, Any]:
    rs = compiled.ruleset
    plan = _output_plan(compiled)
    lines = rs.summary.lines if rs.summary is not None else []
    count_lines = [line for line in lines if line.kind == "count"]
    counted = _counted_together(compiled, rows, count_lines)
    levels: dict[str, dict[str, int]] = {}
    for g in compiled.grades:
        counts = dict.fromkeys(g.levels, 0)
        for index, n in counted[g.slot].items():
            counts[g.levels[index]] += n
        levels[g.scale] = counts
    fines = Decimal(0)
    # from the slot lists, not the item results (which may not be built): the sanctions
    # that fired, (declaration index, fine, element), in declaration order as ItemResult.fine;
    # an item without sanctions adds a zero, and filter() skips it without a Python step
    for fired in filter(None, map(itemgetter(compiled.sanction_slot), rows)):
        fines += sum((f[1] for f in sorted(fired, key=itemgetter(0)) if f[1] is not None), Decimal(0))
    summary: dict[str, Any] = {"items": len(rows), "levels": levels, "fines": fines}
    if rs.summary is None:
        return summary
    counts_out = []
    sums: dict[str, Any] = {}
    for line in lines:
        if line.kind == "count":
            counts_out.append({"by": list(line.names), "counts": _count_by(compiled, rows, line.names, counted)})
        elif line.kind == "sum":
            slot, shown = plan.value_of(compiled, line.names[0])
            sums[line.names[0]] = sum(map(shown, map(itemgetter(slot), rows)), Decimal(0))
    if counts_out:
        summary["counts"] = counts_out
    if sums:
        summary["sums"] = sums
    return summary


def _counted_together(compiled: CompiledRuleset, rows: list[list[Any]], count_lines: list[Any],
                      ) -> dict[Any, Counter[Any]]:
    """How many rows hold each value of every grade's slot and each combination of every
    `count by` line's slots, from one pass over the rows: each pass reads every slot list
    again from memory, and the combinations of all these slots are few. Keyed by the grade's
    slot, and by the tuple of a line's slots (a key as `Counter(map(itemgetter(*slots),
    rows))` makes it: the first row's value of each group of equal ones). A line over a
    value that cannot be a key (a list) is left out: _count_by counts it row by row."""
    wanted: list[Any] = [g.slot for g in compiled.grades]
    plan = _output_plan(compiled)
    for line in count_lines:
        wanted.append(tuple(plan.value_of(compiled, n)[0] for n in line.names))
    slots = sorted({slot for want in wanted for slot in (want if isinstance(want, tuple) else (want,))})
    if not slots:
        return {}
    try:
        together = Counter(map(itemgetter(*slots, slots[0]), rows))  # a tuple even for one slot
    except TypeError:  # a value that cannot be a key: each grade and line on its own
        together = None
    out: dict[Any, Counter[Any]] = {}
    for want in wanted:
        if want in out:
            continue
        if together is None:
            try:
                out[want] = Counter(map(itemgetter(*want) if isinstance(want, tuple) else itemgetter(want), rows))
            except TypeError:
                pass
            continue
        where = [slots.index(slot) for slot in (want if isinstance(want, tuple) else (want,))]
        pick = itemgetter(*where) if isinstance(want, tuple) or len(where) > 1 else itemgetter(where[0])
        counts: Counter[Any] = Counter()
        # combinations in the order they first appear: a group of equal values keeps the
        # first row's value as its key, as counting the rows directly would
        for values, n in together.items():
            counts[pick(values)] += n
        out[want] = counts
    return out


def _count_by(compiled: CompiledRuleset, rows: list[list[Any]], names: tuple[str, ...],
              counted: dict[Any, Counter[Any]]) -> dict[str, Any]:
    plan = _output_plan(compiled)
    where = [plan.value_of(compiled, n) for n in names]
    orders = [_key_order(compiled, n) for n in names]
    shown = [show for _slot, show in where]
    # each distinct combination of slot values counted once (_counted_together), then made
    # key text; without it (an unhashable value, a list), key text row by row
    take = itemgetter(*(slot for slot, _shown in where))
    combinations = counted.get(tuple(slot for slot, _shown in where))
    texts: Counter[tuple[str, ...]] = Counter()
    if combinations is None:
        for row in rows:
            values = take(row)
            texts[_key_texts(values if len(names) > 1 else (values,), shown)] += 1
    else:
        for values, n in combinations.items():
            texts[_key_texts(values if len(names) > 1 else (values,), shown)] += n
    root: dict[str, Any] = {}
    for keys, n in texts.items():
        node = root
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = node.get(keys[-1], 0) + n
    # A cross-table lists the same columns in every row: values that are not declared
    # (text, numbers, true/false) are every value the case holds, numbers in numeric order,
    # so `count by 风险等级, 科室` shows 科室 = 0 under a level no item of that 科室 has.
    for i, order in enumerate(orders):
        if order is None:
            orders[i] = sorted({keys[i] for keys in texts}, key=_value_order)
    return _sorted_tree(root, orders)


def _value_order(text: str) -> tuple[int, Any, str]:
    try:
        return (0, Decimal(text), text)
    except decimal.InvalidOperation:
        return (1, 0, text)


def _key_texts(values: tuple[Any, ...], shown: list[Callable[[Any], Any]]) -> tuple[str, ...]:
    return tuple(_key_text(show(v)) for v, show in zip(values, shown, strict=True))


def _key_text(v: Any) -> str:
    if isinstance(v, Decimal):
        return runtime.format_number(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _key_order(compiled: CompiledRuleset, name: str) -> list[str] | None:
    rs = compiled.ruleset
    for s in rs.scales:
        if s.name == name:
            return [lv.name for lv in s.levels]
    for decl in rs.inputs:
        if decl.name == name and decl.type.kind == "enum":
            return list(decl.type.values)
    return None


def _sorted_tree(node: dict[str, Any], orders: list[list[str] | None]) -> dict[str, Any]:
    """Order keys (levels and enum values in declared order, others sorted) and list every
    declared level/value, zeros included, so published tables line up."""
    order = orders[0] if orders else None
    keys = set(node)
    if order is not None:
        keys |= set(order)

    def position(k: str) -> tuple:
        if order is not None and k in order:
            return (0, order.index(k), k)
        return (1, 0, k)

    out: dict[str, Any] = {}
    for k in sorted(keys, key=position):
        v = node.get(k)
        if len(orders) > 1:
            out[k] = _sorted_tree(v if isinstance(v, dict) else {}, orders[1:])
        else:
            out[k] = v if v is not None else 0
    return out


# ---------------------------------------------------------------- errors


def _evaluation_error(compiled: CompiledRuleset, case: Case, rows: list[list[Any]], ids: list[str],
                      failure: runtime.StageFailure) -> EvaluationError:
    marker = compiled.markers[failure.marker] if 0 <= failure.marker < len(compiled.markers) else None
    cause = failure.cause
    item_id = None
    item_index = None
    if failure.slots is not None:
        for i, row in enumerate(rows):
            if row is failure.slots:
                item_id, item_index = ids[i], i
                break
    what = _declaration_words(marker) if marker else None
    table = getattr(cause, "table", None)
    if table is not None and marker is not None and marker.what == f"table {table}":
        what = None  # the message names the table already
    notes: list[str] = []
    if isinstance(cause, runtime.RuleFailure):
        if table is not None:
            cause_text, notes = _table_failure_details(compiled, cause)
        else:
            cause_text = cause.message
        code = cause.code
        message = _("{problem} in {what}", problem=cause_text, what=what) if what else cause_text
    elif isinstance(cause, (decimal.DivisionByZero, ZeroDivisionError)) or _zero_by_zero(cause):
        code, message = "PE401", _("division by zero in {what}", what=what) if what else _("division by zero")
    elif isinstance(cause, decimal.Overflow):
        code, message = "PE406", _("number too large in {what}", what=what) if what else _("number too large")
    elif isinstance(cause, decimal.InvalidOperation):
        code, message = "PE406", (
            _("invalid arithmetic in {what}: the result needs more than 40 significant digits", what=what) if what
            else _("invalid arithmetic: the result needs more than 40 significant digits"))
    elif isinstance(cause, (TypeError, KeyError, AttributeError)):
        problem = _in_policy_words(cause)
        code, message = "PE404", (_("a value of the wrong kind in {what}: {problem}", what=what, problem=problem)
                                  if what else _("a value of the wrong kind: {problem}", problem=problem))
    else:
        raise cause
    span = marker.span if marker else None
    if code == "PE401" and marker is not None:
        # name the expression, not only the declaration: when the declaration divides once,
        # that division is the one whose divisor was 0, and the caret goes under it
        division = _only_division(compiled, marker.key)
        if division is not None:
            from .dsl import expr as expression_text

            message = _("{message}: {expression} divides by 0", message=message,
                        expression=expression_text(division))
            span = division.span
    diag = Diagnostic.at(code, message, span, item=item_id)
    diag.notes.extend(notes)
    if item_index is not None and case.file:
        where = place_text(case, ["items", item_index])
        if where:
            diag.notes.append(_("item {item_id} is at {where}", item_id=item_id, where=where))
    return EvaluationError(diag)



def _declaration_words(marker: Any) -> str:
    """The declaration a run-time error happened in, as its message names it: the keyword and
    the name (`let 合计`), a ranking line in the interface's language."""
    kind, _sep, rest = marker.key.partition(":")
    if kind == "rank":
        return _("grade {scale}, ranking line", scale=rest.split(":")[0])
    return marker.what


def _table_failure_details(compiled: CompiledRuleset, cause: Any) -> tuple[str, list[str]]:
    """What a policy officer needs to mend a table that failed on an item: the lines of the
    rows that clash, or each input column with the value it was given when no row matched."""
    from .dsl import expr as expression_text
    from .model import DecisionTable

    t = next((d for d in compiled.ruleset.declarations
              if isinstance(d, DecisionTable) and d.name == cause.table), None)
    message = cause.message
    if t is None:
        return message, []
    if isinstance(cause, runtime.RowsConflict):
        first, second = cause.rows
        if 0 < first <= len(t.rows) and 0 < second <= len(t.rows):
            a, b = t.rows[first - 1].span, t.rows[second - 1].span
            if a.file == b.file and a.line and b.line:
                message = cause.say(_("rows {first} and {second} (lines {first_line} and {second_line})",
                                      first=first, second=second, first_line=a.line, second_line=b.line))
        return message, []
    if isinstance(cause, runtime.NoRowMatched) and len(cause.values) == len(t.inputs):
        given = ", ".join(f"{expression_text(h)} = {runtime.show(v)}"
                          for h, v in zip(t.inputs, cause.values, strict=True))
        if t.hit == "collect" and t.aggregate in ("min", "max"):
            note = _("the input columns were {given}; 'collect {aggregate}' needs at least one matching row (add a "
                     "'-' row)", given=given, aggregate=t.aggregate)
        else:
            note = _("the input columns were {given}; add a row for these values, or a last row with '-' in every "
                     "input column", given=given)
        return message, [note]
    return message, []


def _zero_by_zero(cause: BaseException) -> bool:
    """0 / 0: the C decimal module signals it as InvalidOperation([DivisionUndefined])."""
    return (isinstance(cause, decimal.InvalidOperation) and bool(cause.args)
            and isinstance(cause.args[0], list) and decimal.DivisionUndefined in cause.args[0])


def _only_division(compiled: CompiledRuleset, key: str) -> Any:
    """The single `/` node of the declaration a marker stands for, or None."""
    from .check import declaration_expressions, walk
    from .model import Binary, declaration_kind, declaration_name

    kind, _sep, rest = key.partition(":")
    kind, name = ("grade", rest.split(":")[0]) if kind == "rank" else (kind, rest)
    for decl in compiled.ruleset.declarations:
        if declaration_kind(decl) == kind and declaration_name(decl) == name:
            found = [node for e in declaration_expressions(decl) for node in walk(e)
                     if isinstance(node, Binary) and node.op == "/"]
            return found[0] if len(found) == 1 else None
    return None


_KINDS = {"NoneType": N_("nothing (a missing value, such as a case header field the file does not give)"),
          "Decimal": N_("a number"), "decimal.Decimal": N_("a number"), "int": N_("a number"), "str": N_("text"),
          "bool": N_("true/false"), "date": N_("a date"), "datetime.date": N_("a date"), "list": N_("a list"),
          "tuple": N_("a list"), "dict": N_("a record")}


def _kind(python_type: str) -> str:
    return _(_KINDS[python_type]) if python_type in _KINDS else python_type


# Python's messages for a value of the wrong kind, and how to say each in the ruleset's terms
# ({1}, {2}, … are the groups; a type name in them is said as a kind)
_PYTHON_WORDING = (
    (r"unsupported operand type\(s\) for ([^:]+): '([\w.]+)' and '([\w.]+)'",
     N_("cannot apply '{op}' to {left} and {right}"), ("op", "left", "right")),
    (r"'([<>=!]+)' not supported between instances of '([\w.]+)' and '([\w.]+)'",
     N_("cannot compare {left} with {right} ('{op}')"), ("op", "left", "right")),
    (r'can only concatenate str \(not "([\w.]+)"\) to str', N_("cannot apply '+' to text and {right}"), ("right",)),
    (r"bad operand type for unary ([^:]+): '([\w.]+)'", N_("cannot apply '{op}' to {left}"), ("op", "left")),
)


def _in_policy_words(cause: BaseException) -> str:
    """Python's wording of a run-time type error, in the ruleset's terms (a number, text,
    a date, a missing value) rather than Python's (NoneType, decimal.Decimal, str)."""
    import re

    text = str(cause)
    for pattern, wording, names in _PYTHON_WORDING:
        m = re.match(pattern, text)
        if m:
            # the operator as written, the types said as kinds
            values = {n: g if n == "op" else _kind(g) for n, g in zip(names, m.groups(), strict=True)}
            return _(wording, **values)
    if isinstance(cause, KeyError):
        return _("no field {name}", name=text)
    return re.sub(r"'(NoneType|decimal\.Decimal|str|datetime\.date)'", lambda k: _kind(k[1]), text)
