"""The result model: what evaluating a case produces (SPEC §5), shared by the renderers,
`test`, `diff` and `explain`."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any, overload

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


def passing(items: Sequence[ItemResult], start: int, stop: int) -> Sequence[ItemResult]:
    """Items start..stop for a reader that looks at each once: of ItemResults, built and
    not kept (`ItemResults.passing`); of a list, a slice."""
    return items.passing(start, stop) if isinstance(items, ItemResults) else items[start:stop]


def unbuilt(items: Sequence[ItemResult], start: int, stop: int) -> tuple[Any, Any, Any] | None:
    """The output plan, slot lists, ids and names of items start..stop, for a writer that
    makes their text from the slot lists (`ItemResults.unbuilt`); None for any other
    sequence, or when one of them has been built."""
    return items.unbuilt(start, stop) if isinstance(items, ItemResults) else None


class LazyItems(Sequence[ItemResult]):
    """A sequence of item results made when read (`ItemResults`, and `ItemColumns` of an
    earlier result read a column at a time): equal to the list of the same results, shown
    and pickled as that list."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, LazyItems)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


WARNING_ORDER = ["red", "orange", "yellow", "blue", "green"]


class ItemResults(LazyItems):
    """The items' results as evaluated: a read-only sequence that builds an ItemResult from
    the item's slot list only when it is read, and keeps it (an item read twice is the same
    object).

    Building an object per item, and the collector later walking all of them, was about as
    much time as the evaluation; a caller that reads the summary, a few items, or writes
    the results through a renderer that reads the slot lists directly never pays for it.
    Once every item is built the slot lists are let go. Compares equal to a list of the same
    results; pickles as that list."""

    __slots__ = ("_build", "_built", "_ids", "_missing", "_names", "_rows", "plan")

    def __init__(self, rows: list[list[Any]], ids: list[str], names: list[str | None],
                 build: Callable[[list[Any], str, str | None], ItemResult], plan: Any = None):
        self._rows: list[list[Any]] | None = rows
        self._ids = ids
        self._names = names
        self._build = build
        # what `build` reads where (evaluate.OutputPlan): a writer that knows it makes an
        # item's text from the slot list itself (render/json.py, render/yaml.py), no object built
        self.plan = plan
        self._built: list[ItemResult | None] = [None] * len(ids)
        self._missing = len(ids)

    def __len__(self) -> int:
        return len(self._built)

    @overload
    def __getitem__(self, index: int) -> ItemResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[ItemResult]: ...

    def __getitem__(self, index: int | slice) -> ItemResult | list[ItemResult]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self._built)))]
        item = self._built[index]
        if item is None:
            if index < 0:
                index += len(self._built)
            item = self._built[index] = self._build(self._rows[index], self._ids[index],  # type: ignore[index]
                                                    self._names[index])
            self._missing -= 1
            if not self._missing:
                self._rows = None
        return item

    def __iter__(self) -> Iterator[ItemResult]:
        if self._missing:
            # build the rest in one pass (what a renderer reading every item wants)
            build, built, rows, ids, names = self._build, self._built, self._rows, self._ids, self._names
            for k, item in enumerate(built):
                if item is None:
                    built[k] = build(rows[k], ids[k], names[k])  # type: ignore[index]
            self._missing = 0
            self._rows = None
        return iter(self._built)  # type: ignore[arg-type]

    def by_id(self, wanted: str) -> ItemResult:
        """The item with this id, built alone (looking one item up never builds them all)."""
        try:
            return self[self._ids.index(wanted)]
        except ValueError:
            raise KeyError(wanted) from None

    def passing(self, start: int, stop: int) -> list[ItemResult]:
        """Items start..stop for a reader that looks at each once (a writer streaming its
        output): those not built yet are built for it and not kept, so writing a large
        result never holds an object per item."""
        built, rows = self._built, self._rows
        if rows is None:
            return built[start:stop]  # type: ignore[return-value]
        build, ids, names = self._build, self._ids, self._names
        return [built[k] or build(rows[k], ids[k], names[k]) for k in range(start, min(stop, len(built)))]

    def without_plan(self) -> ItemResults | list[ItemResult]:
        """The same items without the output plan: a writer then builds each item in
        passing and writes the object, as writers did before the plan (bench/writers.py
        times the two). A list when every item is built already."""
        if self._rows is None:
            return list(self)
        return ItemResults(self._rows, self._ids, self._names, self._build)

    def unbuilt(self, start: int, stop: int) -> tuple[Any, list[list[Any]], list[str], list[str | None]] | None:
        """The output plan, and the slot lists, ids and names of items start..stop when
        none of them has been built (a built item may have been changed since: `eval --due`
        dates its reviews), for a writer that makes their text from the slot lists; else
        None."""
        rows, built = self._rows, self._built
        if self.plan is None or rows is None or (self._missing != len(built) and any(built[start:stop])):
            return None
        return self.plan, rows[start:stop], self._ids[start:stop], self._names[start:stop]


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
    # a list, or (from evaluate) ItemResults, which builds each item when it is read
    items: Sequence[ItemResult]
    summary: dict[str, Any] = field(default_factory=dict)
    # rollup name -> its result; empty for a ruleset without rollups (and then not in to_dict)
    rollups: dict[str, RollupResult] = field(default_factory=dict)
    # only when asked: the earlier results used (`eval --previous`), the reviews due (`--due`)
    previous: list[dict[str, Any]] | None = None
    reviews_due: dict[str, Any] | None = None

    @classmethod
    def of_case(cls, model: Any, case: Any, digest: str | None, items: Sequence[ItemResult],
                summary: dict[str, Any], rollups: dict[str, RollupResult] | None = None) -> Result:
        """The result of evaluating `case` with the ruleset `model`, with the header every
        evaluation gives it (one process, or the parent of `eval --jobs` workers)."""
        return cls(
            ruleset={"id": model.id, "version": model.version, "digest": digest},
            case={"title": case.title, "unit": case.unit, "period": case.period, "file": case.file},
            items=items, summary=summary, rollups=rollups or {},
            # the earlier results it used (file, ruleset, period), as `eval --previous` records them
            previous=[f.identity() for f in case.earlier] if case.earlier else None)

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


def _by_id(results: Sequence[ItemResult], wanted: str) -> ItemResult:
    if isinstance(results, ItemResults):
        return results.by_id(wanted)
    for r in results:
        if r.id == wanted:
            return r
    raise KeyError(wanted)
