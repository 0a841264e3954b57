"""`policyengine compare`: two periods' results of one ruleset, item by item.

What the seeds call comparing with last year (上一年度…风险度的变化): the items of two
result files (written by `eval -o FILE`) are matched by id, and for each grade scale a
migration matrix counts the items by their level in the earlier period (rows) and the
later one (columns); items that moved to a more severe level went *up*, the others
*down*. Items only the later period has are *new*, items only the earlier one has are
*gone*. For the items in both: the grades, values (with new - old for numbers) and fired
sanctions that differ, and the fine totals of both periods.

The two results must be of the same ruleset id (its version may differ, which the output
says: a change can then come from the rules as well as from the items), and the earlier
result must be of the earlier period: a later, overlapping or unrecognisable period is an
error, never a guess, unless the caller says the order is known (`--any-order`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .i18n import N_, _
from .migration import (
    ItemChange,
    ScaleImpact,
    Words,
    changed_items_lines,
    item_change,
    migration_lines,
    one_sided_lines,
    regraded,
    scale_blocks,
)
from .period import EARLIER, LATER, SAME, order
from .result import ItemResult, Result
from .results import ResultFile, from_result, read_result

COMPARE_WORDS = Words(before=N_("old"), after=N_("new"), severer=N_("up"), milder=N_("down"), severer_key="up",
                      milder_key="down", only_after=N_("grade scales only the new result has"),
                      only_before=N_("grade scales only the old result has"))
NEW_ITEMS, GONE_ITEMS = N_("(new items)"), N_("(gone)")  # the matrix's extra row and column
UNKNOWN, NOT_CHECKED = "unknown", "not checked"
ITEMS_LISTED = 50  # new and gone items listed in a table (the JSON lists all)


@dataclass(slots=True)
class Comparison:
    """The comparison of two results: `to_dict()` is the `compare --format json` contract."""

    old: ResultFile
    new: ResultFile
    order: str  # earlier, same, unknown (a period missing), not checked (--any-order)
    scales: list[ScaleImpact]
    scales_added: list[str]
    scales_removed: list[str]
    matched: int
    items_new: list[ItemResult]
    items_gone: list[ItemResult]
    items_changed: list[ItemChange]
    notes: list[str] = field(default_factory=list)

    @property
    def regraded(self) -> int:
        return regraded(self.items_changed)

    @property
    def fines(self) -> tuple[Decimal, Decimal]:
        import decimal

        from .runtime import CONTEXT

        with decimal.localcontext(CONTEXT):
            return (sum((i.fine for i in self.old.result.items), Decimal(0)),
                    sum((i.fine for i in self.new.result.items), Decimal(0)))

    @property
    def differs(self) -> bool:
        return bool(self.items_changed or self.items_new or self.items_gone or self.scales_added
                    or self.scales_removed)

    def fine_delta(self, fines: tuple[Decimal, Decimal]) -> Decimal:
        """New fines less old, exactly (`fines` as `self.fines` gives them)."""
        import decimal

        from .runtime import CONTEXT

        with decimal.localcontext(CONTEXT):
            return fines[1] - fines[0]

    def to_dict(self) -> dict[str, Any]:
        fines_old, fines_new = fines = self.fines
        fine_delta = self.fine_delta(fines)
        return {
            "old": _side(self.old),
            "new": _side(self.new),
            "period_order": self.order,
            "notes": list(self.notes),
            "items": {"old": len(self.old.result.items), "new": len(self.new.result.items),
                      "matched": self.matched, "new_items": len(self.items_new), "gone": len(self.items_gone)},
            "regraded": self.regraded,
            **scale_blocks(self.scales, COMPARE_WORDS),
            "scales": {"added": self.scales_added, "removed": self.scales_removed},
            "items_new": [_brief(i) for i in self.items_new],
            "items_gone": [_brief(i) for i in self.items_gone],
            "items_changed": [i.to_dict() for i in self.items_changed],
            "fines": {"old": fines_old, "new": fines_new, "delta": fine_delta},
        }

    def to_json(self) -> str:
        from .render import to_json

        return to_json(self.to_dict())

    def to_yaml(self) -> str:
        from .render import to_yaml

        return to_yaml(self.to_dict())

    def to_table(self) -> str:
        return render_table(self)

    def render(self, fmt: str) -> str:
        return self.to_json() if fmt == "json" else self.to_yaml() if fmt == "yaml" else self.to_table()


def _side(f: ResultFile) -> dict[str, Any]:
    return {"file": f.file, "ruleset": dict(f.ruleset), "case": dict(f.result.case)}


def _brief(item: ItemResult) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "grades": {k: g.level for k, g in item.grades.items()},
            "fine": item.fine if item.sanctions else None}


# ---------------------------------------------------------------- entry point


def compare(old: ResultFile | Result | str | Path, new: ResultFile | Result | str | Path,
            any_order: bool = False) -> Comparison:
    """Compare an earlier result with a later one (files, or results in memory)."""
    before, after = _loaded(old), _loaded(new)
    _same_ruleset(before, after)
    notes = _version_notes(before, after)
    period_order = _period_order(before, after, any_order, notes)
    common = [s for s in after.levels if s in before.levels]
    scales = [ScaleImpact(s, before.levels[s], after.levels[s], {}) for s in common]
    old_items = {i.id: i for i in before.result.items}
    new_ids = set()
    changed: list[ItemChange] = []
    entered: list[ItemResult] = []
    matched = 0
    for b in after.result.items:
        new_ids.add(b.id)
        a = old_items.get(b.id)
        if a is None:
            entered.append(b)
            for s in scales:
                s.entered[b.grades[s.scale].level] = s.entered.get(b.grades[s.scale].level, 0) + 1
            continue
        matched += 1
        for s in scales:
            s.move(b.id, a.grades[s.scale].level, b.grades[s.scale].level)
        change = item_change(None, a, b, common, deltas=True)
        if change is not None:
            changed.append(change)
    gone = [a for a in before.result.items if a.id not in new_ids]
    for a in gone:
        for s in scales:
            s.left[a.grades[s.scale].level] = s.left.get(a.grades[s.scale].level, 0) + 1
    return Comparison(before, after, period_order, scales,
                      scales_added=[s for s in after.levels if s not in before.levels],
                      scales_removed=[s for s in before.levels if s not in after.levels],
                      matched=matched, items_new=entered, items_gone=gone, items_changed=changed, notes=notes)


def _loaded(side: ResultFile | Result | str | Path) -> ResultFile:
    if isinstance(side, ResultFile):
        return side
    if isinstance(side, Result):
        return from_result(side)
    return read_result(side)


def _same_ruleset(before: ResultFile, after: ResultFile) -> None:
    a, b = before.ruleset["id"], after.ruleset["id"]
    if a != b:
        raise after.error("PE745", _("this result is of ruleset '{new}', the old one ({file}) of '{old}': compare "
                                     "needs two results of the same ruleset", new=b, file=before.file, old=a),
                          ["ruleset", "id"],
                          notes=[_("to see how two rulesets grade the same items, use policyengine diff OLD NEW "
                                   "--cases CASE")])


def _version_notes(before: ResultFile, after: ResultFile) -> list[str]:
    a, b = before.ruleset, after.ruleset
    if a.get("version") != b.get("version"):
        old_ref, new_ref = f"{a['id']}@{a.get('version')}", f"{b['id']}@{b.get('version')}"
        return [_("the ruleset versions differ ({old} → {new}): an item may move because the rules changed as well "
                  "as because it did; policyengine diff {old_ref} {new_ref} --cases CASE shows what the rules alone "
                  "change", old=a.get("version") or "—", new=b.get("version") or "—", old_ref=old_ref,
                  new_ref=new_ref)]
    if a.get("digest") and b.get("digest") and a["digest"] != b["digest"]:
        return [_("both results name version {version} of ruleset {id}, but with different rules (their digests "
                  "differ): the ruleset was edited between the two evaluations", version=a.get("version") or "—",
                  id=a["id"])]
    return []


def _period_order(before: ResultFile, after: ResultFile, any_order: bool, notes: list[str]) -> str:
    from .period import parse_period

    raw_a, raw_b = before.result.case.get("period"), after.result.case.get("period")
    if any_order:
        return NOT_CHECKED
    if raw_a is None or raw_b is None:
        missing = [f.file for f, raw in ((before, raw_a), (after, raw_b)) if raw is None]
        notes.append(_("no period recorded in {file}: the order of the two results is taken as given",
                       file=missing[0]) if len(missing) == 1 else
                     _("no period recorded in {old} and {new}: the order of the two results is taken as given",
                       old=missing[0], new=missing[1]))
        return UNKNOWN
    for f, raw in ((before, raw_a), (after, raw_b)):
        if parse_period(raw) is None:
            raise f.error("PE747", _("the period '{period}' cannot be placed in time, so which result is earlier "
                                     "is unknown", period=raw), ["case", "period"],
                          notes=[_("periods are years (2010), half years (2010H1), quarters (2010Q3, "
                                   "2010年第三季度), months (2010-05) or dates; with --any-order the files are "
                                   "taken in the order given")])
    a, b = parse_period(raw_a), parse_period(raw_b)
    assert a is not None and b is not None
    how = order(a, b)
    if how == LATER:
        raise before.error("PE746", _("the old result is of period {old}, later than the new result's {new} "
                                      "({file}): give the earlier result first", old=raw_a, new=raw_b,
                                      file=after.file), ["case", "period"])
    if how not in (EARLIER, SAME):
        raise before.error("PE747", _("the periods {old} and {new} ({file}) overlap: neither result is the "
                                      "earlier one", old=raw_a, new=raw_b, file=after.file), ["case", "period"],
                           notes=[_("with --any-order the files are taken in the order given")])
    if how == SAME:
        notes.append(_("both results are of period {period}", period=raw_a))
    return how


# ---------------------------------------------------------------- table output


def render_table(c: Comparison) -> str:
    from .runtime import format_number

    out = [_("compare {old} → {new}", old=_label(c.old), new=_label(c.new))]
    out.extend(_("note: {note}", note=n) for n in c.notes)
    out.append("")
    out.append(_("items: {old} old, {new} new; {matched} in both, {entered} new, {gone} gone; {changed} changed, "
                 "{regraded} regraded", old=len(c.old.result.items), new=len(c.new.result.items), matched=c.matched,
                 entered=len(c.items_new), gone=len(c.items_gone), changed=len(c.items_changed),
                 regraded=c.regraded))
    fines_old, fines_new = fines = c.fines
    delta = c.fine_delta(fines)
    out.append(_("fines: {old} → {new} ({delta})", old=format_number(fines_old), new=format_number(fines_new),
                 delta=("+" if delta > 0 else "") + format_number(delta)))
    out.extend(one_sided_lines(c.scales_added, c.scales_removed, COMPARE_WORDS))
    for s in c.scales:
        out.append("")
        out.extend(migration_lines(s, COMPARE_WORDS, _(NEW_ITEMS), _(GONE_ITEMS)))
    for title, items in ((N_("new items ({count}): {items}"), c.items_new),
                         (N_("gone items ({count}): {items}"), c.items_gone)):
        if items:
            out.append("")
            listed = ", ".join(_item_text(i) for i in items[:ITEMS_LISTED]) + (
                _(", … {count} more", count=len(items) - ITEMS_LISTED) if len(items) > ITEMS_LISTED else "")
            out.append(_(title, count=len(items), items=listed))
    out.extend(changed_items_lines(c.items_changed))
    return "\n".join(out).rstrip("\n") + "\n"


def _label(f: ResultFile) -> str:
    rs, period = f.ruleset, f.result.case.get("period")
    label = f"{rs['id']} {rs.get('version') or ''}".strip()
    return (_("{label} ({file}, period {period})", label=label, file=f.file, period=period) if period is not None
            else _("{label} ({file})", label=label, file=f.file))


def _item_text(item: ItemResult) -> str:
    levels = "/".join(g.level for g in item.grades.values())
    return f"{item.id}" + (f" {item.name}" if item.name else "") + (f" [{levels}]" if levels else "")
