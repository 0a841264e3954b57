"""The result model: what evaluating a case produces (SPEC §5), shared by the renderers,
`test`, `diff` and `explain`."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from .runtime import CONTEXT


@dataclass(frozen=True, slots=True)
class GradeResult:
    level: str
    color: str | None
    rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "color": self.color, "rank": self.rank}


@dataclass(frozen=True, slots=True)
class SupervisionResult:
    grade: str
    by: tuple[str, ...]
    every: str | None
    line: int = -1  # index of the supervision line that applied
    # `eval --due`: when the item was last reviewed (None: never, as far as is known) and when
    # its next review falls due; only then are they part of the result (`dated`)
    last_review: _dt.date | None = None
    next_review: _dt.date | None = None
    dated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = {"grade": self.grade, "by": list(self.by), "every": self.every}
        if self.dated:
            out["last_review"] = self.last_review
            out["next_review"] = self.next_review
        return out


@dataclass(frozen=True, slots=True)
class SanctionResult:
    rule: str
    actions: tuple[str, ...]
    fine: Decimal | None
    warning: str | None
    element: int | None = None  # for `for … where` sanctions: which list element fired it

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "actions": list(self.actions), "fine": self.fine,
                "warning": self.warning}


@dataclass(slots=True)
class ItemResult:
    id: str
    name: str | None
    values: dict[str, Any]
    grades: dict[str, GradeResult]
    supervision: list[SupervisionResult]
    sanctions: list[SanctionResult]
    # the ruleset's notes (carried fields, `note 责任部门: text`), when it declares any
    notes: dict[str, Any] | None = None

    @property
    def fine(self) -> Decimal:
        with localcontext(CONTEXT):  # exact, whatever the caller's decimal context
            return sum((s.fine for s in self.sanctions if s.fine is not None), Decimal(0))

    @property
    def warning(self) -> str | None:
        """The most severe warning color among the sanctions that fired."""
        found = [s.warning for s in self.sanctions if s.warning]
        return min(found, key=WARNING_ORDER.index) if found else None

    def to_dict(self) -> dict[str, Any]:
        notes = {} if self.notes is None else {"notes": dict(self.notes)}
        return {
            "id": self.id,
            "name": self.name,
            **notes,
            "values": dict(self.values),
            "grades": {k: g.to_dict() for k, g in self.grades.items()},
            "supervision": [s.to_dict() for s in self.supervision],
            "sanctions": [s.to_dict() for s in self.sanctions],
        }


WARNING_ORDER = ["red", "orange", "yellow", "blue", "green"]


@dataclass(slots=True)
class RollupResult:
    """A rollup's units (each shaped like an item result; `id` is the group key) and its
    summary."""

    name: str
    units: list[ItemResult]
    summary: dict[str, Any] = field(default_factory=dict)

    def unit(self, unit_id: str) -> ItemResult:
        return _by_id(self.units, unit_id)

    def to_dict(self) -> dict[str, Any]:
        return {"units": [u.to_dict() for u in self.units], "summary": self.summary}


@dataclass(slots=True)
class Result:
    ruleset: dict[str, Any]
    case: dict[str, Any]
    items: list[ItemResult]
    summary: dict[str, Any] = field(default_factory=dict)
    # rollup name -> its result; empty for a ruleset without rollups (and then not in to_dict)
    rollups: dict[str, RollupResult] = field(default_factory=dict)
    # only when asked: the earlier results used (`eval --previous`), the reviews due (`--due`)
    previous: list[dict[str, Any]] | None = None
    reviews_due: dict[str, Any] | None = None

    def item(self, item_id: str) -> ItemResult:
        return _by_id(self.items, item_id)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "ruleset": dict(self.ruleset),
            "case": dict(self.case),
            "items": [i.to_dict() for i in self.items],
            "summary": self.summary,
        }
        if self.rollups:
            out["rollups"] = {name: r.to_dict() for name, r in self.rollups.items()}
        if self.previous is not None:
            out["previous"] = self.previous
        if self.reviews_due is not None:
            out["reviews_due"] = self.reviews_due
        return out


def _by_id(results: list[ItemResult], wanted: str) -> ItemResult:
    for r in results:
        if r.id == wanted:
            return r
    raise KeyError(wanted)
