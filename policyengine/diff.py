"""`policyengine diff`: what changed between two ruleset versions, and whom it affects.

Both versions are compared *resolved* (after `extends` and `remove`), so a child
file that overrides one table is compared with its parent as a whole ruleset,
and a DSL file can be compared with a YAML one. Declarations are matched by
kind and name and compared by their canonical DSL text, so layout, comments and
the spelling of a number (`15%` or `0.15`) are never reported as changes.

With cases, every case is evaluated under both versions and the items are
compared one by one: values, grades and fired sanctions. A grade scale gets a
migration matrix (old level x new level) and a verdict: does the new version
grade more severely, more leniently, both, or the same?
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import dsl
from .errors import CaseError, Diagnostic, PolicyError
from .i18n import N_, _
from .migration import (
    DIFF_WORDS,
    ITEMS_SHOWN,
    ItemChange,
    ScaleImpact,
    changed_items_lines,
    item_change,
    migration_lines,
    one_sided_lines,
    regraded,
    scale_blocks,
)
from .model import (
    KINDS,
    Declaration,
    Grade,
    GradeScale,
    Literal,
    Rollup,
    Ruleset,
    all_rollups,
    declaration_kind,
    declaration_name,
)

if TYPE_CHECKING:
    from .api import LoadedRuleset
    from .case import Case
    from .result import ItemResult, Result

HEADER_FIELDS = ("ruleset", "title", "version", "effective", "sources", "subject")
CASE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")  # not .csv: a list field's companion file is no case



# ---------------------------------------------------------------- the result


@dataclass(frozen=True, slots=True)
class Change:
    """One declaration (or header field) that differs between the versions."""

    kind: str
    name: str
    change: str  # added, removed, modified
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "change": self.change, "old": self.old, "new": self.new}


@dataclass(slots=True)
class RollupImpact:
    """How the units of one rollup (present in both versions) move: a migration matrix per
    unit grade scale, and the units whose values, grades or sanctions changed."""

    name: str
    units: int
    scales: list[ScaleImpact]
    units_changed: list[ItemChange]

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "regraded": regraded(self.units_changed),
            **scale_blocks(self.scales, DIFF_WORDS),
            "units_changed": [u.to_dict() for u in self.units_changed],
        }


@dataclass(slots=True)
class Impact:
    cases: list[str | None]
    items: int
    scales: list[ScaleImpact]
    scales_added: list[str]
    scales_removed: list[str]
    items_changed: list[ItemChange]
    fines_old: Decimal
    fines_new: Decimal
    # rollups of both versions (none: the §6 shape without a "rollups" key)
    rollups: list[RollupImpact] = field(default_factory=list)

    @property
    def regraded(self) -> int:
        return regraded(self.items_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": list(self.cases),
            "items": self.items,
            "regraded": self.regraded,
            **scale_blocks(self.scales, DIFF_WORDS),
            "scales": {"added": self.scales_added, "removed": self.scales_removed},
            "items_changed": [i.to_dict() for i in self.items_changed],
            "fines": {"old": self.fines_old, "new": self.fines_new},
            **({"rollups": {r.name: r.to_dict() for r in self.rollups}} if self.rollups else {}),
        }


@dataclass(slots=True)
class Diff:
    """The diff of SPEC §6: `to_dict()` is the `diff --format json` contract."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change]
    impact: Impact | None = None
    old_path: str | None = None
    new_path: str | None = None

    @property
    def differs(self) -> bool:
        """Any structural change, or any item that evaluates differently."""
        return bool(self.changes) or bool(self.impact and (
            self.impact.items_changed or self.impact.scales_added or self.impact.scales_removed
            or any(r.units_changed for r in self.impact.rollups)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"old": dict(self.old), "new": dict(self.new),
                               "changes": [c.to_dict() for c in self.changes]}
        if self.impact is not None:
            out["impact"] = self.impact.to_dict()
        return out

    def to_json(self) -> str:
        from .render import to_json

        return to_json(self.to_dict())

    def to_table(self) -> str:
        return render_table(self)


# ---------------------------------------------------------------- entry point


def diff(old: LoadedRuleset | str | Path, new: LoadedRuleset | str | Path,
         cases: Iterable[Case | str | Path] | None = None) -> Diff:
    """Compare two rulesets (loaded, a path, or a shipped name) and, given cases, their effect."""
    from .api import LoadedRuleset, load_ruleset

    old_rs = old if isinstance(old, LoadedRuleset) else load_ruleset(old)
    new_rs = new if isinstance(new, LoadedRuleset) else load_ruleset(new)
    result = Diff(old=_identity(old_rs), new=_identity(new_rs),
                  changes=structural_changes(old_rs.model, new_rs.model),
                  old_path=old_rs.path, new_path=new_rs.path)
    if cases is not None:
        result.impact = impact(old_rs, new_rs, load_cases(cases))
    return result


def _identity(rs: LoadedRuleset) -> dict[str, Any]:
    return {"id": rs.id, "version": rs.version, "digest": rs.digest}


# ---------------------------------------------------------------- structure


def structural_changes(old: Ruleset, new: Ruleset) -> list[Change]:
    """Header fields, then declarations in SPEC kind order; unchanged ones are never listed."""
    return _header_changes(old, new) + _declaration_changes(old.declarations, new.declarations)


def _declaration_changes(old: list[Declaration], new: list[Declaration], within: str = "") -> list[Change]:
    """Declarations in SPEC kind order; a rollup in both versions with the same key is
    compared declaration by declaration, its names written `单位.指数`."""
    changes = []
    for kind in KINDS:
        old_decls = {declaration_name(d): d for d in old if declaration_kind(d) == kind}
        new_decls = {declaration_name(d): d for d in new if declaration_kind(d) == kind}
        for name in _appearance_order(list(old_decls), list(new_decls)):
            before, after = old_decls.get(name), new_decls.get(name)
            if isinstance(before, Rollup) and isinstance(after, Rollup) and before.by == after.by:
                changes += _declaration_changes(list(before.declarations), list(after.declarations), f"{name}.")
                continue
            name = within + name
            if before is None:
                changes.append(Change(kind, name, "added", None, dsl.declaration(after)))  # type: ignore[arg-type]
            elif after is None:
                changes.append(Change(kind, name, "removed", dsl.declaration(before), None))
            elif _canonical(before) != _canonical(after):
                changes.append(Change(kind, name, "modified", dsl.declaration(before), dsl.declaration(after)))
    return changes


def _appearance_order(old_names: list[str], new_names: list[str]) -> list[str]:
    """New order, with each removed name placed after its nearest surviving predecessor in old."""
    order = list(new_names)
    present = set(new_names)
    previous: str | None = None
    inserted_after: dict[str | None, int] = {}
    for name in old_names:
        if name in present:
            previous = name
            continue
        # consecutive removed names keep their old order after the same anchor
        anchor_index = order.index(previous) + 1 if previous is not None else 0
        offset = inserted_after.get(previous, 0)
        order.insert(anchor_index + offset, name)
        inserted_after[previous] = offset + 1
    return order


def _canonical(decl: Declaration) -> str:
    """Canonical text with numbers in one spelling, so `15%` and `0.15` compare equal."""
    return dsl.declaration(_unspelled(decl))


def _unspelled(node: Any) -> Any:
    if isinstance(node, Literal):
        return dataclasses.replace(node, text=None)
    if isinstance(node, tuple):
        return tuple(_unspelled(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        updates = {f.name: _unspelled(getattr(node, f.name)) for f in dataclasses.fields(node) if f.compare}
        return dataclasses.replace(node, **updates)
    return node


def _header_texts(rs: Ruleset) -> dict[str, str | None]:
    """Each header field as the DSL statement(s) that declare it (None when absent)."""
    return {
        "ruleset": f"ruleset {dsl.name(rs.id)}",
        "title": f"ruleset {dsl.name(rs.id)} {dsl.string(rs.title)}" if rs.title is not None else None,
        "version": f"version {dsl.string(rs.version)}" if rs.version is not None else None,
        "effective": f"effective {rs.effective.isoformat()}" if rs.effective is not None else None,
        "sources": "\n".join(f"source {dsl.string(s)}" for s in rs.sources) or None,
        "subject": f"subject {dsl.name(rs.subject)}",
    }


def _header_changes(old: Ruleset, new: Ruleset) -> list[Change]:
    values = {
        "ruleset": (old.id, new.id),
        "title": (old.title, new.title),
        "version": (old.version, new.version),
        "effective": (old.effective, new.effective),
        "sources": (old.sources, new.sources),
        "subject": (old.subject, new.subject),
    }
    old_text, new_text = _header_texts(old), _header_texts(new)
    changes = []
    for key in HEADER_FIELDS:
        before, after = values[key]
        if before == after:
            continue
        kind = "added" if old_text[key] is None else "removed" if new_text[key] is None else "modified"
        changes.append(Change("header", key, kind, old_text[key], new_text[key]))
    return changes


# ---------------------------------------------------------------- cases


def find_case_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders searched recursively for case files (never golden snapshots)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in CASE_SUFFIXES
                            and not f.name.endswith(".expected.json"))
            if not inside:
                raise CaseError(Diagnostic("PE702", _("no case files (*.yaml, *.yml, *.json, "
                                                      "*.xlsx) in this folder"),
                                           file=str(p)))
            found.extend(inside)
        else:
            found.append(p)
    return found


def load_cases(cases: Iterable[Case | str | Path]) -> list[Case]:
    from .case import Case, load_case

    loaded: list[Case] = []
    seen: set[Path] = set()  # `--cases cases/tax --cases cases/tax/small.yaml` counts small.yaml once
    for c in cases:
        if isinstance(c, Case):
            loaded.append(c)
            continue
        for f in find_case_files([c]):
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                loaded.append(load_case(f))
    return loaded


def _evaluate(rs: LoadedRuleset, other: LoadedRuleset, case: Case, side: str) -> Result:
    """Evaluate under one version; inputs only the other version declares are dropped first."""
    own = {d.name for d in (*rs.model.inputs, *rs.model.dimensions)}
    foreign = {d.name for d in (*other.model.inputs, *other.model.dimensions)} - own
    if foreign:
        items = [{k: v for k, v in item.items() if k not in foreign} if isinstance(item, dict) else item
                 for item in case.items]
        case = dataclasses.replace(case, items=items)
    try:
        return rs.evaluate(case)
    except PolicyError as exc:
        raise _under(exc, rs, side) from None


def _under(exc: PolicyError, rs: LoadedRuleset, side: str) -> PolicyError:
    """Say which version failed, and name the input a case lacks: diff never guesses a value."""
    diagnostics: list[Diagnostic] = []
    missing: dict[str, Diagnostic] = {}
    lacking: dict[str, int] = {}
    for d in exc.diagnostics:
        name = d.missing if isinstance(exc, CaseError) else None
        if name is None:
            under = (_("while evaluating under the old ruleset {path}", path=rs.path) if side == "old"
                     else _("while evaluating under the new ruleset {path}", path=rs.path))
            diagnostics.append(dataclasses.replace(d, notes=[*d.notes, under]))
            continue
        lacking[name] = lacking.get(name, 0) + 1
        if name not in missing:
            missing[name] = dataclasses.replace(
                d, code="PE701", notes=list(d.notes),
                message=_("the old ruleset ({path}) needs input '{name}', which case file {file} does not "
                          "provide; add it to the case (diff does not guess values)", path=rs.path, name=name,
                          file=d.file) if side == "old" else
                _("the new ruleset ({path}) needs input '{name}', which case file {file} does not provide; add it "
                  "to the case (diff does not guess values)", path=rs.path, name=name, file=d.file))
            diagnostics.append(missing[name])
    for name, d in missing.items():
        if lacking[name] > 1:
            d.notes.append(_("{value} items lack '{name}'; the first is shown",
                             value=lacking[name], name=name))
    return type(exc)(diagnostics)


def impact(old: LoadedRuleset, new: LoadedRuleset, cases: Sequence[Case]) -> Impact:
    old_scales = {s.name: s for s in old.model.scales if old.model.find("grade", s.name) is not None}
    new_scales = {s.name: s for s in new.model.scales if new.model.find("grade", s.name) is not None}
    common = [name for name in new_scales if name in old_scales]
    scales = [ScaleImpact(name, _level_names(old_scales[name]), _level_names(new_scales[name]), {})
              for name in common]
    changed: list[ItemChange] = []
    items = 0
    fines_old = fines_new = Decimal(0)
    rollups = _rollup_impacts(old.model, new.model)
    for case in cases:
        before = _evaluate(old, new, case, "old")
        after = _evaluate(new, old, case, "new")
        for r in rollups:
            _units_move(r, case.file, before.rollups[r.name].units, after.rollups[r.name].units)
        items += len(after.items)
        for a, b in zip(before.items, after.items, strict=True):
            fines_old += a.fine
            fines_new += b.fine
            for s in scales:
                s.move(a.id, a.grades[s.scale].level, b.grades[s.scale].level)
            item = item_change(case.file, a, b, common)
            if item is not None:
                changed.append(item)
    return Impact(
        cases=[c.file for c in cases], items=items, scales=scales,
        scales_added=[n for n in new_scales if n not in old_scales],
        scales_removed=[n for n in old_scales if n not in new_scales],
        items_changed=changed, fines_old=fines_old, fines_new=fines_new, rollups=rollups,
    )


def _rollup_impacts(old: Ruleset, new: Ruleset) -> list[RollupImpact]:
    out = []
    old_rollups = {r.name: r for r in all_rollups(old.declarations)}
    for r in all_rollups(new.declarations):
        before = old_rollups.get(r.name)
        if before is None:
            continue  # a new rollup is a structural change; it has nothing to migrate from
        old_scales = {s.name: s for s in before.declarations if isinstance(s, GradeScale)}
        graded_old = {g.scale for g in before.declarations if isinstance(g, Grade)}
        scales = [ScaleImpact(s.name, _level_names(old_scales[s.name]), _level_names(s), {})
                  for s in r.declarations if isinstance(s, GradeScale) and s.name in old_scales
                  and s.name in graded_old and any(isinstance(g, Grade) and g.scale == s.name
                                                   for g in r.declarations)]
        out.append(RollupImpact(r.name, 0, scales, []))
    return out


def _units_move(r: RollupImpact, case: str | None, before: list[ItemResult], after: list[ItemResult]) -> None:
    """Units are paired by id: a unit only one version has (its key changed) is not paired."""
    old_units = {u.id: u for u in before}
    common = [s.scale for s in r.scales]
    for b in after:
        a = old_units.get(b.id)
        if a is None:
            continue
        r.units += 1
        for s in r.scales:
            s.move(b.id, a.grades[s.scale].level, b.grades[s.scale].level)
        unit = item_change(case, a, b, common)
        if unit is not None:
            r.units_changed.append(unit)


def _level_names(scale: GradeScale) -> tuple[str, ...]:
    return tuple(lv.name for lv in scale.levels)


# ---------------------------------------------------------------- table output


def render_table(d: Diff) -> str:
    out = [_title(d), ""]
    if not d.changes:
        out.append(_("no structural changes"))
    else:
        out.append(_("{count} change(s):", count=len(d.changes)))
        for c in d.changes:
            out.append("")
            # the kind is the language's keyword (table, grade, …): it stays as written
            out.append(_(CHANGE_WORDS[c.change], mark=_MARKS[c.change], kind=c.kind, name=c.name))
            out.extend("    " + line for line in text_diff(c.old, c.new))
    if d.impact is not None:
        out.append("")
        out.extend(_impact_lines(d.impact))
    return "\n".join(out).rstrip("\n") + "\n"


_MARKS = {"added": "+", "removed": "-", "modified": "~"}
CHANGE_WORDS = {"added": N_("{mark} {kind} {name} (added)"), "removed": N_("{mark} {kind} {name} (removed)"),
                "modified": N_("{mark} {kind} {name} (modified)")}


def _title(d: Diff) -> str:
    def side(info: dict[str, Any], path: str | None) -> str:
        label = f"{info['id']} {info['version'] or ''}".strip()
        return _("{label} ({file})", label=label, file=_shown(path)) if path else label

    return _("diff {old} → {new}", old=side(d.old, d.old_path), new=side(d.new, d.new_path))


def _shown(path: str) -> str:
    """A shipped ruleset's path relative to the working folder when it is below it (shorter to read)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path


def text_diff(old: str | None, new: str | None) -> list[str]:
    """Added/removed text marked whole; modified text as a unified diff (whole declaration if short)."""
    if old is None:
        return ["+ " + line for line in (new or "").splitlines()]
    if new is None:
        return ["- " + line for line in old.splitlines()]
    a, b = old.splitlines(), new.splitlines()
    context = max(len(a), len(b)) if max(len(a), len(b)) <= 30 else 3
    lines = []
    for line in list(difflib.unified_diff(a, b, lineterm="", n=context))[2:]:
        if line.startswith("@@"):
            if lines:
                lines.append("  …")
            continue
        lines.append(f"{line[0]} {line[1:]}")
    return lines


def _impact_lines(imp: Impact) -> list[str]:
    from .runtime import format_number

    out = [_("impact: {items} item(s) in {cases} case(s); {changed} changed, {regraded} regraded", items=imp.items,
             cases=len(imp.cases), changed=len(imp.items_changed), regraded=imp.regraded),
           _("fines: {old} → {new}", old=format_number(imp.fines_old), new=format_number(imp.fines_new))]
    out.extend(one_sided_lines(imp.scales_added, imp.scales_removed))
    for s in imp.scales:
        out.append("")
        out.extend(migration_lines(s))
    out.extend(changed_items_lines(imp.items_changed, ITEMS_SHOWN))
    for r in imp.rollups:
        out.append("")
        out.append(_("rollup {name}: {units} unit(s); {changed} changed, {regraded} regraded", name=r.name,
                     units=r.units, changed=len(r.units_changed),
                     regraded=regraded(r.units_changed)))
        for s in r.scales:
            out.append("")
            out.extend(migration_lines(s))
        out.extend(changed_items_lines(r.units_changed, ITEMS_SHOWN, "units"))
    return out
