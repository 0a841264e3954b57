"""How items move between two evaluations: what `diff` (two ruleset versions, one case) and
`compare` (two periods' results, one ruleset) both report.

Per grade scale a migration matrix (level before x level after) with the ids moving to a
more or to a less severe level; per item the grades, values and fired sanctions that differ;
and the table layout of both. The two commands differ only in words ("stricter" for a
version that grades more severely, "up" for an item whose risk rose) and in what the
items are (the same case evaluated twice, or items matched by id across two periods,
some of them new or gone).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .i18n import N_, _

if TYPE_CHECKING:
    from .result import ItemResult

# words kept in English in JSON (verdicts, keys); shown translated in the text tables
STRICTER = N_("stricter")
LENIENT = N_("more lenient")
MIXED = N_("mixed")
UNCHANGED = N_("unchanged")
ITEMS_SHOWN = 50  # changed items listed in a table (the JSON lists all)


@dataclass(frozen=True, slots=True)
class Words:
    """How one command names the two sides and the two directions of a move."""

    before: str = N_("old")
    after: str = N_("new")
    severer: str = STRICTER
    milder: str = LENIENT
    severer_key: str = "stricter"  # JSON keys of the id lists
    milder_key: str = "more_lenient"
    only_after: str = N_("grade scales added")  # scales one side has: no matrix for them
    only_before: str = N_("grade scales removed")


DIFF_WORDS = Words()


@dataclass(slots=True)
class ScaleImpact:
    """How one grade scale (present on both sides) moves."""

    scale: str
    old_levels: tuple[str, ...]
    new_levels: tuple[str, ...]
    migration: dict[str, dict[str, int]]  # old level -> new level -> items
    stricter: list[str] = field(default_factory=list)  # ids moving to a more severe level
    lenient: list[str] = field(default_factory=list)
    # items only one side has (compare: new this period, gone since): level -> items
    entered: dict[str, int] = field(default_factory=dict)
    left: dict[str, int] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.stricter and self.lenient:
            return MIXED
        if self.stricter:
            return STRICTER
        if self.lenient:
            return LENIENT
        return UNCHANGED

    def verdict_in(self, words: Words) -> str:
        return {STRICTER: words.severer, LENIENT: words.milder}.get(self.verdict, self.verdict)

    def sorted_migration(self) -> dict[str, dict[str, int]]:
        """Rows in old level order, columns in new level order (zero cells left out)."""
        return {old: {new: self.migration[old][new] for new in self.new_levels if new in self.migration[old]}
                for old in self.old_levels if old in self.migration}

    def counts(self, side: str) -> dict[str, int]:
        """Items per level before (`old`) or after (`new`), every level listed; items only
        one side has are counted on their side."""
        if side == "old":
            return {lv: sum(self.migration.get(lv, {}).values()) + self.left.get(lv, 0) for lv in self.old_levels}
        return {lv: sum(row.get(lv, 0) for row in self.migration.values()) + self.entered.get(lv, 0)
                for lv in self.new_levels}

    def move(self, item_id: str, before: str, after: str) -> None:
        """Count one item that had level `before` and now has `after`."""
        row = self.migration.setdefault(before, {})
        row[after] = row.get(after, 0) + 1
        step = self.severity(after) - self.severity(before)
        if step < 0:
            self.stricter.append(item_id)
        elif step > 0:
            self.lenient.append(item_id)

    def severity(self, level: str) -> int:
        """Position from the most severe level (0): the new scale's order where it knows the level."""
        return self.new_levels.index(level) if level in self.new_levels else self.old_levels.index(level)

    def verdict_dict(self, words: Words) -> dict[str, Any]:
        return {"verdict": self.verdict_in(words), words.severer_key: self.stricter, words.milder_key: self.lenient}


@dataclass(slots=True)
class ItemChange:
    """An item whose values, grades or fired sanctions differ; only the differing parts."""

    case: str | None
    id: str
    name: str | None
    grades: dict[str, tuple[str, str]]
    values: dict[str, tuple[Any, Any]]
    sanctions: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
    deltas: dict[str, Any] | None = None  # compare: new - old of each number value that changed

    def to_dict(self) -> dict[str, Any]:
        if self.deltas is None:  # diff: the shape of SPEC §6
            out: dict[str, Any] = {"case": self.case, "id": self.id}
        else:  # compare: items matched across two files (no one case), named for the reader
            out = {"id": self.id, "name": self.name}
        out["grades"] = {k: list(v) for k, v in self.grades.items()}
        out["values"] = {k: list(v) for k, v in self.values.items()}
        if self.deltas is not None:
            out["deltas"] = self.deltas
        if self.sanctions is not None:
            out["sanctions"] = list(self.sanctions)
        return out


def regraded(changes: list[ItemChange]) -> int:
    """How many of the changed items (or units) changed grade on some scale."""
    return sum(1 for c in changes if c.grades)


def scale_blocks(scales: list[ScaleImpact], words: Words) -> dict[str, Any]:
    """The per-scale part of a diff's or a comparison's JSON: each scale's migration matrix,
    its level counts on both sides and its verdict (the same keys in both contracts)."""
    return {
        "migration": {s.scale: s.sorted_migration() for s in scales},
        "levels": {s.scale: {"old": s.counts("old"), "new": s.counts("new")} for s in scales},
        "verdict": {s.scale: s.verdict_dict(words) for s in scales},
    }


def fired(item: ItemResult) -> list[dict[str, Any]]:
    """The sanctions that fired on an item, with what each one does: a change of a
    sanction's actions (诫勉谈话 added) or its warning colour changes what happens to the
    item just as much as a changed fine does."""
    return [{"rule": s.rule, "fine": s.fine, "actions": list(s.actions), "warning": s.warning}
            for s in item.sanctions]


def item_change(case: str | None, a: ItemResult, b: ItemResult, scales: list[str],
                deltas: bool = False) -> ItemChange | None:
    """What differs between an item's two evaluations (None: nothing). With `deltas`, each
    changed number value also gets new - old, exactly."""
    grades = {s: (a.grades[s].level, b.grades[s].level) for s in scales
              if a.grades[s].level != b.grades[s].level}
    values = {k: (a.values[k], v) for k, v in b.values.items() if k in a.values and a.values[k] != v}
    fired_a, fired_b = fired(a), fired(b)
    sanctions = (fired_a, fired_b) if fired_a != fired_b else None
    if not grades and not values and sanctions is None:
        return None
    change = ItemChange(case, b.id, b.name, grades, values, sanctions)
    if deltas:
        change.deltas = number_deltas(values)
    return change


def number_deltas(values: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    from .runtime import CONTEXT

    out = {}
    with decimal.localcontext(CONTEXT):
        for name, (old, new) in values.items():
            if isinstance(old, decimal.Decimal) and isinstance(new, decimal.Decimal):
                out[name] = new - old
    return out


# ---------------------------------------------------------------- table layout


def one_sided_lines(added: list[str], removed: list[str], words: Words = DIFF_WORDS) -> list[str]:
    """The grade scales only one side has, which get no matrix."""
    return [_("{label} (no migration): {scales}", label=_(label), scales=", ".join(scales))
            for label, scales in ((words.only_after, added), (words.only_before, removed)) if scales]


def migration_lines(s: ScaleImpact, words: Words = DIFF_WORDS, entered: str = "", left: str = "") -> list[str]:
    """The matrix of one scale as a table: rows the levels before, columns the levels after,
    totals on both margins, then the verdict and the ids moving each way. Items only one
    side has get a row (`entered`) and a column (`left`) of their own when there are any."""
    from tabulate import tabulate

    b, a = _(words.before), _(words.after)
    out = [_("{scale}: migration, {before} level (rows) → {after} level (columns); the diagonal is unchanged",
             scale=s.scale, before=b, after=a)]
    old_counts, new_counts = s.counts("old"), s.counts("new")
    with_left = bool(s.left) and bool(left)
    with_entered = bool(s.entered) and bool(entered)
    body = []
    for old_level in s.old_levels:
        row = s.migration.get(old_level, {})
        cells = [str(row[n]) if row.get(n) else "·" for n in s.new_levels]
        if with_left:
            cells.append(str(s.left[old_level]) if s.left.get(old_level) else "·")
        body.append([old_level, *cells, str(old_counts[old_level])])
    if with_entered:
        cells = [str(s.entered[n]) if s.entered.get(n) else "·" for n in s.new_levels]
        body.append([entered, *cells, *(["·"] if with_left else []), ""])
    body.append([_("{side} total", side=a), *(str(new_counts[n]) for n in s.new_levels),
                 *([""] if with_left else []), str(sum(new_counts.values()))])
    header = [f"{b} \\ {a}", *s.new_levels, *([left] if with_left else []), _("{side} total", side=b)]
    out.append(tabulate(body, headers=header, tablefmt="simple", disable_numparse=True,
                        colalign=("left", *("right",) * (len(header) - 1))))
    out.append(_("verdict: {verdict}", verdict=_(s.verdict_in(words))))
    for label, ids in ((words.severer, s.stricter), (words.milder, s.lenient)):
        if ids:
            shown = ", ".join(ids[:20]) + (_(", … {count} more", count=len(ids) - 20) if len(ids) > 20 else "")
            out.append(_("  {label} ({count}): {ids}", label=_(label), count=len(ids), ids=shown))
    return out


def changed_items_lines(changed: list[ItemChange], shown: int = ITEMS_SHOWN, what: str = "items") -> list[str]:
    """`changed items (N):` (or units, for a rollup) and a table of them: grades, values
    (with deltas where known) and, only when some item's sanctions changed, a sanctions
    column."""
    from tabulate import tabulate

    if not changed:
        return []
    out = ["", _("changed items ({count}):", count=len(changed)) if what == "items"
           else _("changed units ({count}):", count=len(changed))]
    several = len({i.case for i in changed}) > 1
    named = any(i.name for i in changed)
    # a column of blanks says nothing: no sanctions column when no item's sanctions changed
    with_sanctions = any(i.sanctions is not None for i in changed)
    rows = []
    for i in changed[:shown]:
        grades = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in i.grades.items())
        values = "; ".join(value_changes(i.values, i.deltas))
        sanctions = ""
        if i.sanctions is not None:
            before, after = i.sanctions
            # when rules and fines are the same, what changed is an action or a warning: show them
            detail = _brief_fired(before) == _brief_fired(after)
            sanctions = f"{_fired_text(before, detail)} → {_fired_text(after, detail)}"
        rows.append([*([i.case or ""] if several else []), i.id, *([i.name or ""] if named else []),
                     grades, values, *([sanctions] if with_sanctions else [])])
    header = [*([_("case")] if several else []), _("id"), *([_("name")] if named else []), _("grades"), _("values"),
              *([_("sanctions")] if with_sanctions else [])]
    out.append(tabulate(rows, headers=header, tablefmt="simple", disable_numparse=True))
    if len(changed) > shown:
        out.append(_("… {count} more (all of them with --format json)", count=len(changed) - shown))
    return out


def value_changes(values: dict[str, tuple[Any, Any]], deltas: dict[str, Any] | None = None) -> list[str]:
    """`name: old → new` per changed value (`(+8.13)` after it when the delta is known); a
    multi-output table's record by the columns that changed (`标准.扣分: 5 → 6`), since its
    whole text (`扣分=5; 等次=重`) would run into the `;` between values."""
    parts = []
    for name, (old, new) in values.items():
        if isinstance(old, dict) and isinstance(new, dict):
            for column in [*old, *(c for c in new if c not in old)]:
                if old.get(column) != new.get(column):
                    parts.append(f"{name}.{column}: {cell(old.get(column))} → {cell(new.get(column))}")
        else:
            text = f"{name}: {cell(old)} → {cell(new)}"
            if deltas and name in deltas:
                delta = deltas[name]
                text += f" ({'+' if delta > 0 else ''}{cell(delta)})"
            parts.append(text)
    return parts


def cell(value: Any) -> str:
    from .render import cell as render_cell

    return render_cell(value) if value is not None else "—"


def _brief_fired(fired: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(f["rule"], f["fine"]) for f in fired]


def _fired_text(fired: list[dict[str, Any]], detail: bool = False) -> str:
    if not fired:
        return "—"
    parts = []
    for f in fired:
        text = f"{f['rule']} {cell(f['fine'])}" if f["fine"] is not None else f["rule"]
        if detail:
            extra = [*f["actions"], *([_("warning {color}", color=f["warning"])] if f["warning"] else [])]
            text += f" ({'、'.join(extra)})" if extra else ""
        parts.append(text)
    return ", ".join(parts)
