"""Stage 5: evaluate a compiled ruleset on a case.

Validate every item first (nothing is evaluated from an invalid case), then run
the compiled stages in order, ranking between stages, and assemble the result
and its summary. All arithmetic runs in one exact decimal context.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from decimal import Decimal
from typing import Any

from . import runtime
from .case import Case, Layout, layout, locate, validate
from .compile import CompiledRuleset, RankSpec
from .errors import Diagnostic, EvaluationError
from .result import GradeResult, ItemResult, Result, SanctionResult, SupervisionResult


def item_layout(compiled: CompiledRuleset) -> Layout:
    plan = getattr(compiled, "_layout", None)
    if plan is None:
        plan = layout(compiled.inputs, compiled.slots, compiled.size, compiled.sanction_slot,
                      compiled.trace_slot)
        compiled._layout = plan  # type: ignore[attr-defined]
    return plan


def run(compiled: CompiledRuleset, case: Case) -> tuple[list[list[Any]], list[str], list[str | None]]:
    """Validate and evaluate; return the raw slot lists (used by result and explain)."""
    rows, ids, names = validate(case, item_layout(compiled))
    header = case.header()
    with decimal.localcontext(runtime.CONTEXT):
        for stage in compiled.stages:
            for spec in stage.rankings:
                rank(rows, spec)
            view = [{name: row[slot] for name, slot in stage.view} for row in rows] if stage.view else None
            try:
                stage.run(rows, header, view)
            except runtime.StageFailure as failure:
                raise _evaluation_error(compiled, case, rows, ids, failure) from None
    return rows, ids, names


def evaluate(compiled: CompiledRuleset, case: Case, digest: str | None = None) -> Result:
    rows, ids, names = run(compiled, case)
    items = [build_item(compiled, row, item_id, name) for row, item_id, name in zip(rows, ids, names, strict=True)]
    rs = compiled.ruleset
    return Result(
        ruleset={"id": rs.id, "version": rs.version, "digest": digest},
        case={"title": case.title, "unit": case.unit, "period": case.period, "file": case.file},
        items=items,
        summary=summarise(compiled, rows, items),
    )


def rank(rows: list[list[Any]], spec: RankSpec) -> None:
    """Competition ranking (1, 2, 2, 4) of `spec.key` within groups of equal `spec.group`."""
    groups: dict[Any, list[list[Any]]] = defaultdict(list)
    if spec.group is None:
        groups[None] = rows
    else:
        g = spec.group
        for row in rows:
            groups[row[g]].append(row)
    key, out, size = spec.key, spec.rank, spec.size
    for members in groups.values():
        ordered = sorted(members, key=lambda r: r[key], reverse=spec.descending)
        n = len(ordered)
        previous: Any = _NOTHING
        position_rank = 0
        for position, row in enumerate(ordered, 1):
            value = row[key]
            if value != previous:
                position_rank = position
                previous = value
            row[out] = position_rank
            row[size] = n


_NOTHING = object()


def build_item(compiled: CompiledRuleset, row: list[Any], item_id: str, name: str | None) -> ItemResult:
    plan = _output_plan(compiled)
    values = {}
    for value_name, slot, levels in plan.values:
        v = row[slot]
        values[value_name] = levels[v] if levels is not None and isinstance(v, int) else v
    grades = {}
    for g in compiled.grades:
        index = row[g.slot]
        grades[g.scale] = GradeResult(g.levels[index], g.colors[index],
                                      row[g.rank_slot] if g.rank_slot is not None else None)
    supervision = []
    for s in compiled.supervisions:
        line_index = row[s.slot]
        if line_index is not None and line_index >= 0:
            line = s.lines[line_index]
            every = f"{line.every[0]} {line.every[1]}{'s' if line.every[0] != 1 else ''}" if line.every else None
            supervision.append(SupervisionResult(s.scale, line.by, every, line_index))
    sanctions = []
    fired = sorted(row[compiled.sanction_slot], key=lambda f: f[0])
    for index, fine, element in fired:
        decl = compiled.sanctions[index]
        warning = decl.warning
        if decl.warning_of is not None:
            warning = grades[decl.warning_of].color
        sanctions.append(SanctionResult(decl.name, decl.actions, fine, warning, element))
    return ItemResult(item_id, name, values, grades, supervision, sanctions)


class _OutputPlan:
    def __init__(self, compiled: CompiledRuleset):
        scales = {s.name: tuple(lv.name for lv in s.levels) for s in compiled.ruleset.scales}
        self.values = []
        for value_name in compiled.value_names:
            t = compiled.analysis.value_types.get(value_name)
            levels = scales.get(t.scale) if t is not None and t.kind == "level" and t.scale else None
            self.values.append((value_name, compiled.slots[value_name], levels))


def _output_plan(compiled: CompiledRuleset) -> _OutputPlan:
    plan = getattr(compiled, "_output_plan", None)
    if plan is None:
        plan = _OutputPlan(compiled)
        compiled._output_plan = plan  # type: ignore[attr-defined]
    return plan


# ---------------------------------------------------------------- summary


def summarise(compiled: CompiledRuleset, rows: list[list[Any]], items: list[ItemResult]) -> dict[str, Any]:
    rs = compiled.ruleset
    levels: dict[str, dict[str, int]] = {}
    for g in compiled.grades:
        counts = dict.fromkeys(g.levels, 0)
        for row in rows:
            counts[g.levels[row[g.slot]]] += 1
        levels[g.scale] = counts
    fines = sum((i.fine for i in items), Decimal(0))
    summary: dict[str, Any] = {"items": len(items), "levels": levels, "fines": fines}
    if rs.summary is None:
        return summary
    counts_out = []
    sums: dict[str, Any] = {}
    for line in rs.summary.lines:
        if line.kind == "count":
            counts_out.append({"by": list(line.names), "counts": _count_by(compiled, rows, items, line.names)})
        elif line.kind == "sum":
            name = line.names[0]
            sums[name] = sum((_value_of(compiled, row, item, name) for row, item in zip(rows, items, strict=True)),
                             Decimal(0))
    if counts_out:
        summary["counts"] = counts_out
    if sums:
        summary["sums"] = sums
    return summary


def _value_of(compiled: CompiledRuleset, row: list[Any], item: ItemResult, name: str) -> Any:
    if name in item.grades:
        return item.grades[name].level
    if name in item.values:
        return item.values[name]
    return row[compiled.slots[name]]


def _count_by(compiled: CompiledRuleset, rows: list[list[Any]], items: list[ItemResult],
              names: tuple[str, ...]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    orders = [_key_order(compiled, n) for n in names]
    for row, item in zip(rows, items, strict=True):
        node = root
        keys = [_key_text(_value_of(compiled, row, item, n)) for n in names]
        for depth, k in enumerate(keys):
            if depth == len(keys) - 1:
                node[k] = node.get(k, 0) + 1
            else:
                node = node.setdefault(k, {})
    return _sorted_tree(root, orders)


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
    where = f" in {marker.what}" if marker else ""
    if isinstance(cause, runtime.RuleFailure):
        code, message = cause.code, cause.message + where
    elif isinstance(cause, decimal.DivisionByZero) or isinstance(cause, ZeroDivisionError):
        code, message = "PE401", f"division by zero{where}"
    elif isinstance(cause, decimal.Overflow):
        code, message = "PE406", f"number too large{where}"
    elif isinstance(cause, decimal.InvalidOperation):
        code, message = "PE406", f"invalid arithmetic{where} (a result too large to round, or 0/0)"
    elif isinstance(cause, (TypeError, KeyError, AttributeError)):
        code, message = "PE404", f"a value of the wrong kind{where}: {cause}"
    else:
        raise cause
    span = marker.span if marker else None
    diag = Diagnostic.at(code, message, span, item=item_id)
    if item_index is not None and case.file:
        line, _ = locate(case, ["items", item_index])
        if line:
            diag.notes.append(f"item {item_id} is at {case.file}:{line}")
    return EvaluationError(diag)

