"""Validating a case against a ruleset's inputs, and laying each item out as slots."""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, getcontext, localcontext
from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import CaseError, Diagnostic, did_you_mean
from ..i18n import N_, _
from ..model import Dimension, Input, TypeSpec
from ..runtime import CONTEXT, load_generated
from .locate import Grid, _key_line, place
from .values import MAX_DIGITS, MAX_ERRORS, MAX_LIST_LENGTH, MAX_MAGNITUDE, _describe, _modest

if TYPE_CHECKING:
    from . import Case


class _Invalid(Exception):
    """A value that does not fit its type: the message, the path below the field to the
    part at fault, and (a list of records) the other problems found in it after this one."""

    def __init__(self, message: str, sub: list[Any] | None = None, also: list[_Invalid] | None = None):
        super().__init__(message)
        self.message = message
        self.sub = sub or []
        self.also = also or []

    def every(self) -> list[_Invalid]:
        return [self, *self.also]


Converter = Callable[[Any], Any]


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
        raise _Invalid(_("must be a number, not {value}", value=_describe(value)))
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        raise _Invalid(_("must be a finite number"))
    # compared by exponent, not by arithmetic: abs() of 1e999999999 overflows the context;
    # and no smaller than arithmetic can hold (1e-999999 would print a megabyte)
    if (not d.is_zero() and not CONTEXT.Emin <= d.adjusted() < MAX_MAGNITUDE.adjusted()) \
            or len(d.as_tuple().digits) > MAX_DIGITS:
        text = str(value)
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise _Invalid(_("number {shown} is too large or too small (limit: 18 digits before "
                         "the point, {MAX_DIGITS} in all, nothing below 1e{Emin})",
                         shown=shown, MAX_DIGITS=MAX_DIGITS, Emin=CONTEXT.Emin))
    return d


def _bounded(spec: TypeSpec, d: Decimal) -> None:
    if spec.minimum is not None and (d < spec.minimum or (spec.min_exclusive and d == spec.minimum)):
        raise _Invalid(_("{d} is below the minimum {value} {minimum}",
                         d=_fmt(d), value='>' if spec.min_exclusive else '>=', minimum=_as_declared(spec.minimum, spec.spelling[0])))
    if spec.maximum is not None and (d > spec.maximum or (spec.max_exclusive and d == spec.maximum)):
        raise _Invalid(_("{d} is above the maximum {value} {maximum}",
                         d=_fmt(d), value='<' if spec.max_exclusive else '<=', maximum=_as_declared(spec.maximum, spec.spelling[1])))


def _as_declared(bound: Decimal, spelling: str | None) -> str:
    """A bound as the ruleset writes it, with its value where the two differ: `100% (= 1)`."""
    value = _fmt(bound)
    return value if spelling is None or spelling == value else f"{spelling} (= {value})"


def _fmt(d: Decimal) -> str:
    from ..runtime import format_number

    return format_number(d)


def converter(spec: TypeSpec, cells: bool = False) -> Converter:
    """The function that checks a value against `spec` and gives its runtime form. With
    `cells` (a spreadsheet case), text is first read as the declared type: see cells.py."""
    if cells and spec.kind != "list":
        return _from_cells(spec, converter(spec))
    kind = spec.kind
    if kind in ("number", "range", "integer"):
        bounded = spec.minimum is not None or spec.maximum is not None
        # Decimals are immutable and case loaders share one object per number text
        # (see _shared_decimals), so an object accepted once is accepted again by identity.
        accepted: dict[Decimal, Decimal] = {}
        # Python values (pe.Case(items=[…])) repeat too: an int or a float accepted once maps
        # to its Decimal. One memo per class, because 1 == 1.0 in a dict yet they are spelled
        # "1" and "1.0"; float zeros are not remembered, because 0.0 == -0.0 yet they are
        # spelled apart. An equal Decimal of another spelling misses `accepted` by identity.
        ints: dict[int, Decimal] = {}
        floats: dict[float, Decimal] = {}

        def number(value: Any) -> Decimal:
            cls = value.__class__
            if cls is Decimal:
                if not value.is_snan() and accepted.get(value) is value:
                    return value
            elif cls is int:
                known = ints.get(value)
                if known is not None:
                    return known
            elif cls is float:
                known = floats.get(value)
                if known is not None:
                    return known
            d = _number(value)
            # in a context of its own: a caller's context (one that traps Inexact, say) must
            # not change what is valid, nor the fused loop's context (evaluate.run)
            if kind == "integer" and d != d.to_integral_value(context=CONTEXT):
                raise _Invalid(_("must be a whole number, not {d}", d=_fmt(d)))
            if bounded:
                if kind == "range" and not (spec.minimum <= d <= spec.maximum):  # type: ignore[operator]
                    raise _Invalid(_("{d} is outside {minimum}..{maximum}",
                                     d=_fmt(d), minimum=_as_declared(spec.minimum, spec.spelling[0]), maximum=_as_declared(spec.maximum, spec.spelling[1])))  # type: ignore[arg-type]
                _bounded(spec, d)
            if d is value:
                if len(accepted) < _ACCEPTED_LIMIT:
                    accepted[d] = d
            elif cls is int:
                if len(ints) < _ACCEPTED_LIMIT:
                    ints[value] = d
            elif cls is float and value and len(floats) < _ACCEPTED_LIMIT:
                floats[value] = d
            return d

        number.shortcut = ("{first}.__class__ is DEC and {a}({v}) is {v}", accepted.get)  # type: ignore[attr-defined]
        number.memo = (ints.get, floats.get)  # type: ignore[attr-defined]
        return number
    if kind == "text":
        def text(value: Any) -> str:
            if value.__class__ is str:
                return value
            if not isinstance(value, str):
                raise _Invalid(_("must be text, not {value}", value=_describe(value)))
            return value

        text.shortcut = ("{first}.__class__ is str", None)  # type: ignore[attr-defined]
        return text
    if kind == "enum":
        allowed = frozenset(spec.values)

        def enum(value: Any) -> str:
            if value.__class__ is str and value in allowed:
                return value
            if isinstance(value, Decimal):
                value = _fmt(value)
            if not isinstance(value, str) or value not in allowed:
                raise _Invalid(_("must be one of {value}, not {value2}",
                                 value=', '.join(spec.values), value2=_describe(value))
                               + (did_you_mean(value, spec.values) if isinstance(value, str) else ""))
            return value

        # The shortcut also puts the ruleset's own text object in the item, in place of the
        # equal one the case reader made for this item: a JSON reader makes a new string
        # per value, and a category repeated over a million items was 80 MB a field.
        # (Strings compare and hash by value: nothing but the memory can tell.) Interned,
        # so that every ruleset puts the same object: two rulesets over one case (a diff,
        # compare, a benchmark's rounds) would otherwise rewrite each other's every time.
        canonical = {v: sys.intern(v) for v in spec.values}
        enum.shortcut = ("{first}.__class__ is str and ((s{i} := {a}.get({v})) is {v} or "  # type: ignore[attr-defined]
                         "(s{i} is not None and SET(item, {n}, ({v} := s{i})) is None))", canonical)
        return enum
    if kind == "bool":
        def boolean(value: Any) -> bool:
            if not isinstance(value, bool):
                raise _Invalid(_("must be true or false, not {value}", value=_describe(value)))
            return value

        return boolean
    if kind == "date":
        def date(value: Any) -> _dt.date:
            if isinstance(value, _dt.datetime):
                return value.date()
            if isinstance(value, _dt.date):
                return value
            if isinstance(value, str):
                try:
                    return _dt.date.fromisoformat(value)
                except ValueError:
                    pass
            raise _Invalid(_("must be a date (YYYY-MM-DD), not {value}", value=_describe(value)))

        return date
    if kind == "list":
        fields = [(f.name, converter(f.type, cells), _default_value(f.default)) for f in spec.fields]
        names = frozenset(f.name for f in spec.fields)

        def records(value: Any) -> list[dict[str, Any]]:
            if not isinstance(value, list):
                raise _Invalid(_("must be a list, not {value}", value=_describe(value)))
            if len(value) > MAX_LIST_LENGTH:
                raise _Invalid(_("list has {value} elements (limit {MAX_LIST_LENGTH})",
                                 value=len(value), MAX_LIST_LENGTH=MAX_LIST_LENGTH))
            # every problem of every element is reported (up to MAX_ERRORS), not the first
            found: list[_Invalid] = []
            out = []
            for i, element in enumerate(value):
                if len(found) >= MAX_ERRORS:
                    break
                if not isinstance(element, dict):
                    found.append(_Invalid(_("element {value} must be a mapping {{…}}, not {element}",
                                            value=i + 1, element=_describe(element)), [i]))
                    continue
                for bad in sorted(map(str, element.keys() - names)):
                    if len(found) >= MAX_ERRORS:  # an element of a million keys: not a million messages
                        break
                    found.append(_Invalid(_("element {value} has unknown field '{bad}'",
                                            value=i + 1, bad=bad) + did_you_mean(bad, names), [i, bad]))
                record = {}
                for name, convert, default in fields:
                    if name in element and element[name] is not None:
                        try:
                            record[name] = convert(element[name])
                        except _Invalid as exc:
                            found += [_Invalid(_("element {value}, field '{name}': {message}",
                                                 value=i + 1, name=name, message=e.message), [i, name, *e.sub])
                                      for e in exc.every()]
                    elif default is not _REQUIRED:
                        record[name] = default
                    else:
                        found.append(_Invalid(_("element {value} is missing field '{name}'",
                                                value=i + 1, name=name), [i]))
                out.append(record)
            if found:
                raise _Invalid(found[0].message, found[0].sub, found[1:])
            return out

        return records
    raise AssertionError(kind)  # pragma: no cover


def _from_cells(spec: TypeSpec, strict: Converter) -> Converter:
    """`strict`, after reading a spreadsheet cell as the declared type: text as a number
    ("5,000", "12"), a bool ("是", "TRUE", "√") or a date ("2013/3/2", "2013年3月2日"); a
    number or date cell as text where text is declared (an id typed as 2013)."""
    from . import cells

    kind = "number" if spec.kind in ("range", "integer") else spec.kind
    if kind in ("number", "bool", "date"):
        parse, wanted = {
            "number": (cells.text_number, "a number"),
            "bool": (cells.text_bool, "true or false (TRUE/FALSE, 是/否, √/×)"),
            "date": (cells.text_date, "a date (2013-03-02, 2013/3/2 or 2013年3月2日)"),
        }[kind]

        def read(value: Any) -> Any:
            if value.__class__ is str:
                parsed = parse(value)
                if parsed is None:
                    raise _Invalid(_("must be {wanted}, not {value}",
                                     wanted=wanted, value=_describe(value)))
                return strict(parsed)
            return strict(value)
    else:  # text and `one of`: a number or date cell stands for its text
        def read(value: Any) -> Any:
            if value.__class__ is not str:
                text = cells.cell_text(value)
                if text is not None:
                    value = text
            return strict(value)
    if hasattr(strict, "shortcut"):
        read.shortcut = strict.shortcut  # type: ignore[attr-defined]
    return read


_REQUIRED = object()
_ACCEPTED_LIMIT = 1 << 16  # distinct numbers remembered per input


def _default_value(expr: Any) -> Any:
    from ..model import ListLiteral, Literal

    if expr is None:
        return _REQUIRED
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, ListLiteral):
        return [i.value for i in expr.items]  # type: ignore[union-attr]
    return _REQUIRED  # pragma: no cover - check() insists on literal defaults


def input_type(decl: Input | Dimension) -> TypeSpec:
    if isinstance(decl, Dimension):
        return TypeSpec("range", minimum=decl.low, maximum=decl.high)
    return decl.type


# fill(items, start, stop, rows, ids, names, seen) -> index of the first item it left alone
Fill = Callable[[list[Any], int, int, list[list[Any]], list[str], list["str | None"], dict[str, int]], int]


@dataclass
class Layout:
    """How a validated item becomes a slot list (built once per compiled ruleset)."""

    size: int
    fields: list[tuple[str, int, Converter, Any]]
    known: frozenset[str]
    sanction_slot: int
    trace_slot: int | None
    # builds the slot lists of the usual items, stopping at the first unusual one (_filler)
    fill: Fill | None = None
    # the same, running a first stage on each row as it is laid out (built on first use)
    fused: Fill | None = None
    # the same layout with converters that read spreadsheet cells (built on first use)
    inputs: list[Input | Dimension] | None = None
    cells: Layout | None = None

    def for_cells(self) -> Layout:
        if self.cells is None:
            slots = {name: slot for name, slot, _c, _d in self.fields}
            self.cells = layout(self.inputs or [], slots, self.size, self.sanction_slot, self.trace_slot,
                                cells=True)
        return self.cells


def layout(inputs: list[Input | Dimension], slots: dict[str, int], size: int, sanction_slot: int,
           trace_slot: int | None, cells: bool = False) -> Layout:
    fields = []
    for decl in inputs:
        default = _default_value(decl.default) if isinstance(decl, Input) else _REQUIRED
        if default is _REQUIRED and isinstance(decl, Input) and decl.type.kind == "list":
            default = ()  # no incidents listed means none happened
        elif default is _REQUIRED and isinstance(decl, Input) and decl.carried:
            default = None  # a descriptive field left empty is simply not shown
        fields.append((decl.name, slots[decl.name], converter(input_type(decl), cells), default))
    known = frozenset([*(f[0] for f in fields), "id", "name"])
    plan = Layout(size, fields, known, sanction_slot, trace_slot, inputs=list(inputs))
    plan.fill = _filler(plan)
    return plan


def _filler(plan: Layout, then: FirstStage | None = None) -> Fill:
    """Generate `fill(items, start, stop, rows, ids, names, seen)`: the slot lists of the
    usual items, a mapping with a new text id (not in the set `seen`, to which it is added),
    known fields only, all present and valid.

    It appends each such item's slot list, id and name, and returns the index of the first
    item that is not usual (or `stop`): `validate` checks that one field by field, to report
    what is wrong with it, and carries on after it. One loop with a list display per item,
    instead of a call per item and a loop over the fields: validation is most of the time
    an evaluation takes. Field names, converters and defaults are passed as default
    arguments: no user text enters the source.

    With `then` (evaluate's fused loop), the generated function also takes the case header
    `C` and a list `pending`, and runs the first stage's per-item code on each row as soon as it is laid out, while
    its values are still at hand: an item whose stage code raises is put in `pending`
    (with every item `validate` lays out slowly), for the stage's own function to run
    again once the whole case is known to be valid, so that it fails the usual way.
    """
    cells = ["None"] * plan.size
    params = ["DEC=_D", "INT=_I", "FLT=_F", "SET=_SET"]
    namespace: dict[str, Any] = {"_D": Decimal, "_I": int, "_F": float, "_SET": dict.__setitem__}
    # an item holds only known fields when it has exactly as many as were found: the id and
    # every required field (read with item[…]), and the name and each optional field given
    # (not None). Counting them is cheaper than checking every key against the known ones;
    # an item with more (an unknown field, an optional one given as null) goes the slow way.
    # One term per key, by name: a ruleset may declare an input named `name` or `id`, which
    # is then that one key, not a second one (counted twice, it let an unknown field through).
    present = {"name": "(name is not None)"}
    for i, (name, slot, convert, default) in enumerate(plan.fields):
        params += [f"n{i}=_n{i}", f"c{i}=_c{i}"]
        namespace.update({f"_n{i}": name, f"_c{i}": convert, f"_d{i}": default})
        required = default is _REQUIRED
        if not required:
            params.append(f"d{i}=_d{i}")
        present[name] = "1" if required else f"(x{i} is not None)"
        # the value is fetched where it is first used: inside the shortcut, or as the argument
        first = f"(x{i} := item[n{i}])" if required else f"x{i}"
        # a converter's shortcut accepts the common value inline, without calling it
        shortcut = getattr(convert, "shortcut", None)
        memo = getattr(convert, "memo", None)
        # the converter itself, for the values the shortcut and the memo do not accept
        call = f"c{i}({{v}})"
        if shortcut is not None:
            params.append(f"a{i}=_a{i}")
            namespace[f"_a{i}"] = shortcut[1]
            test = shortcut[0].format(first=first, v=f"x{i}", a=f"a{i}", n=f"n{i}", i=i)
            fallback = call.format(v=f"x{i}")
            if memo is not None:
                # an int or a float seen before: its Decimal from the converter's memo
                params += [f"mi{i}=_mi{i}", f"mf{i}=_mf{i}"]
                namespace.update({f"_mi{i}": memo[0], f"_mf{i}": memo[1]})
                fallback = (f"r{i} if (k{i} := x{i}.__class__) is INT and (r{i} := mi{i}(x{i})) is not None else "
                            f"r{i} if k{i} is FLT and (r{i} := mf{i}(x{i})) is not None else {fallback}")
            value = f"(x{i} if {test} else {fallback})"
        else:
            value = call.format(v=first)
        cells[slot] = value if required else f"(d{i} if (x{i} := get(n{i})) is None else {value})"
    cells[plan.sanction_slot] = "()"  # no sanction fired yet (runtime.fire)
    if plan.trace_slot is not None:
        cells[plan.trace_slot] = "{}"
    arguments = "items, start, stop, rows, ids, names, seen"
    present["id"] = "1"  # a text id, or the item went the slow way already
    ones = sum(1 for term in present.values() if term == "1")
    counted = " + ".join([str(ones), *(term for term in present.values() if term != "1")])
    lay_out = [f"row = [{', '.join(cells)}]"]
    stage: list[str] = ["        add_row(row)"]
    if then is not None:
        # the inputs as the stage's code reads them (v<slot>), the row laid out after the stage
        arguments += ", C, pending, I=None"
        lay_out = [f"v{slot} = {cells[slot]}" for _name, slot, _c, _d in plan.fields]
        inputs = ["None"] * plan.size
        for _name, slot, _c, _d in plan.fields:
            inputs[slot] = f"v{slot}"
        inputs[plan.sanction_slot] = "()"
        stage = (["        try:"] + ["            " + line for line in then.lines]
                 + [f"            add_row([{', '.join(then.row)}])",
                    "        except Exception:",
                    f"            add_row(s := [{', '.join(inputs)}])",
                    "            pending.append(s)"])
        namespace = {**then.namespace, **namespace}
    source = (f"def fill({arguments}, {', '.join(params)}):\n"
              "    add_row, add_id, add_name, add_seen = rows.append, ids.append, names.append, seen.add\n"
              "    for index in range(start, stop):\n"
              "        item = items[index]\n"
              "        if item.__class__ is not dict:\n"
              "            return index\n"
              "        get = item.get\n"
              "        item_id = get('id')\n"
              "        name = get('name')\n"
              "        if (item_id.__class__ is not str or not item_id or not (name is None or name.__class__ is str)\n"
              "                or item_id in seen):\n"
              "            return index\n"
              "        try:\n"
              + "".join(f"            {line}\n" for line in lay_out)
              + "        except Exception:\n"
              "            return index\n"
              f"        if len(item) != {counted}:\n"
              "            return index\n"
              "        add_seen(item_id)\n"
              "        add_id(item_id)\n"
              "        add_name(name)\n"
              + "".join(line + "\n" for line in stage)
              + "    return stop\n")
    builtins = ("range", "dict", "str", "Exception", "len")
    if then is not None:
        builtins += tuple(b for b in then.builtins if b not in builtins)
    return load_generated(source, "<policyengine:case>", namespace, builtins)["fill"]


@dataclass(frozen=True)
class FirstStage:
    """The per-item code of a ruleset's first stage, for validation to run on each item as
    it lays it out (see _filler): its lines read input values as locals `v<slot>` and the
    case header as `C`, and leave what the row holds in the locals `row` names;
    `namespace` holds the constants and functions they call (the stage function's own)."""

    lines: tuple[str, ...]
    # what each slot of the row holds once the lines have run (a local's name, or None)
    row: tuple[str, ...]
    namespace: dict[str, Any]
    builtins: tuple[str, ...]


# Validation puts the ruleset's own text object in an item in place of an equal enum value
# (converter, enum): one object for a category repeated over every item. A forked `eval
# --jobs` worker shares the items with its parent page by page, and writing into them would
# copy every page: shards.py turns it off there.
SHARE_TEXT = True


def _leave(item: dict[str, Any], key: str, value: Any) -> None:
    """SET when SHARE_TEXT is off: the item keeps its own text."""


ItemsDone = Callable[[int], None]
PROGRESS_CHUNK = 10_000  # items between two progress reports


def validate(case: Case, plan: Layout, progress: ItemsDone | None = None, then: FirstStage | None = None,
             pending: list[list[Any]] | None = None, units: bool = False,
             ) -> tuple[list[list[Any]], list[str], list[str | None]]:
    """Check every item; return slot lists, ids and names, or raise CaseError with all problems.

    `progress(n)` is called after every chunk of n items (for a progress bar). With `then`,
    the first stage runs on each row as it is laid out (in the rules' decimal context, which
    the caller has entered); the rows it has not run on, or failed on, are put in `pending`
    in case order (progress counts validation's steps only). Not for a spreadsheet's
    cells, whose reading of text as a number (`15%`) is decimal arithmetic."""
    if not isinstance(case.items, list):  # the API may hand in a tuple or a generator
        case.items = list(case.items)
    if not case.items:
        # an empty inventory is a mistake (a wrong file, a failed export), not a result to publish
        raise CaseError(Diagnostic("PE303", _("the case has no items to assess"), file=case.file or "<case>",
                                   line=_key_line(case.file, ["items"]) if case.file else 0))
    problems: list[Problem] = []
    rows: list[list[Any]] = []
    ids: list[str] = []
    names: list[str | None] = []
    # the ids met so far; a set, not each id's first index: at 1M items the index objects
    # were 32 MB of the peak, and the index is wanted only to report a duplicate (_FirstUse)
    seen: set[str] = set()
    first_use = _FirstUse(case.items)
    # a spreadsheet's unknown columns, reported once each (at the header), not once per row;
    # an unknown list field is a sheet of a workbook, a companion file of a CSV case
    columns: tuple[set[str], str] | None = None
    if isinstance(case._nodes, Grid):
        columns = set(), "sheet" if case._nodes.sheet is not None else "companion file"
    if case.cells:
        plan = plan.for_cells()
    share = dict.__setitem__ if SHARE_TEXT else _leave
    fill = partial(plan.fill or _filler(plan), SET=share)
    # the fused loop runs in the rules' decimal context: what it accepts does not depend on
    # the context (see converter), and what is said of the rest is said by the slow path,
    # in the caller's
    caller = getcontext()
    if then is not None:
        if plan.fused is None:
            plan.fused = _filler(plan, then)
        fill = partial(plan.fused, C=case.header(), pending=pending, SET=share)
    items = case.items
    chunk = PROGRESS_CHUNK if progress is not None else len(items)
    for start in range(0, len(items), chunk):
        stop = min(start + chunk, len(items))
        index = fill(items, start, stop, rows, ids, names, seen)
        while index < stop and len(problems) < MAX_ERRORS:
            laid_out = len(rows)
            with localcontext(caller):
                _validate_slowly(plan, index, items[index], seen, first_use, problems, rows, ids, names,
                                 columns, ENTRY_WORDS[units])
            if pending is not None and len(rows) > laid_out:
                pending.append(rows[-1])
            index = fill(items, index + 1, stop, rows, ids, names, seen)
        if len(problems) >= MAX_ERRORS:
            break
        if progress is not None:
            progress(stop - start)
    if problems:
        diagnostics = []
        for path, message, item_id, *missing in problems[:MAX_ERRORS]:
            file, sheet, line, column = place(case, path)
            diagnostics.append(Diagnostic("PE303", message, file=file, line=line, column=column, item=item_id,
                                          sheet=sheet, missing=missing[0] if missing else None))
        if len(problems) >= MAX_ERRORS:
            diagnostics[-1].notes.append(_("stopped after {MAX_ERRORS} problems",
                                           MAX_ERRORS=MAX_ERRORS))
        raise CaseError(diagnostics)
    return rows, ids, names


# what is wrong where: the path to it, the message, the item's id, and for a missing
# required field its name (Diagnostic.missing)
Problem = tuple[list[Any], str, str | None] | tuple[list[Any], str, str | None, str]

# what validation says of an entry by its position: an item, or a unit of a rollup's units
ENTRY_WORDS = {
    False: (N_("item {value} must be a mapping of fields"), N_("item {value} has no 'id'"),
            N_("item {value}: 'id' must be text or a whole number, not {raw_id}"),
            N_("duplicate id '{item_id}' (first used by item {value})")),
    True: (N_("unit {value} must be a mapping of fields"), N_("unit {value} has no 'id'"),
           N_("unit {value}: 'id' must be text or a whole number, not {raw_id}"),
           N_("duplicate id '{item_id}' (first used by unit {value})")),
}


class _FirstUse:
    """Where an id was first used: found by reading the items' ids once, on the first
    duplicate (validation keeps only the set of ids met, see validate)."""

    def __init__(self, items: list[Any]):
        self.items = items
        self.first: dict[str, int] | None = None

    def __call__(self, item_id: str) -> int:
        if self.first is None:
            self.first = {}
            for k, item in enumerate(self.items):
                text = _text_id(item.get("id")) if isinstance(item, dict) else None
                if text is not None:
                    self.first.setdefault(text, k)
        return self.first[item_id]


def _text_id(raw_id: Any) -> str | None:
    """An item's id as text, or None when it has none that can be one: a whole number
    reads as its digits (from YAML/JSON it arrives as a Decimal, from the Python API,
    `pe.Case(items=[{"id": 7, …}])`, as an int)."""
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        return str(raw_id)
    if isinstance(raw_id, Decimal) and _modest(raw_id) and raw_id == raw_id.to_integral_value():
        return _fmt(raw_id)
    return raw_id if isinstance(raw_id, str) and raw_id else None


def _validate_slowly(plan: Layout, index: int, item: Any, seen: set[str], first_use: Callable[[str], int],
                     problems: list[Problem], rows: list[list[Any]],
                     ids: list[str], names: list[str | None], columns: tuple[set[str], str] | None = None,
                     words: tuple[str, str, str, str] = ENTRY_WORDS[False]) -> None:
    """Validate one item field by field, collecting every problem it has."""
    if not isinstance(item, dict):
        problems.append((["items", index], _(words[0], value=index + 1), None))
        return
    raw_id = item.get("id")
    raw_id = _text_id(raw_id) or raw_id
    if raw_id is None or raw_id == "":
        problems.append((["items", index], _(words[1], value=index + 1), None))
        item_id = f"#{index + 1}"
    elif not isinstance(raw_id, str):
        problems.append((["items", index, "id"], _(words[2], value=index + 1, raw_id=_describe(raw_id)), None))
        item_id = f"#{index + 1}"
    else:
        item_id = raw_id
        if item_id in seen:
            problems.append((["items", index, "id"], _(words[3], item_id=item_id, value=first_use(item_id) + 1),
                             item_id))
        else:
            seen.add(item_id)
    name = item.get("name")
    if isinstance(name, (list, dict)):
        problems.append((["items", index, "name"], _("'name' must be text or a number, not "
                                                     "{name}",
                                                     name=_describe(name)),
                         item_id))
        name = None
    elif name is not None and not isinstance(name, str):
        name = _fmt(name) if isinstance(name, Decimal) and _modest(name) else str(name)
    known = plan.known
    extra = item.keys() - known
    for key in sorted(map(str, extra)):
        if len(problems) >= MAX_ERRORS:  # no more are reported: an item of a million keys took minutes
            break
        if columns is not None:
            reported, list_word = columns
            if key in reported:
                continue
            reported.add(key)
            what = list_word if isinstance(item[key], list) else "column"
            problems.append((["header", key], _("unknown {what} '{key}'", what=what, key=key) + did_you_mean(key, known), None))
            continue
        problems.append((["items", index, key], _("unknown field '{key}'", key=key)
                         + did_you_mean(key, known), item_id))
    row: list[Any] = [None] * plan.size
    for field_name, slot, convert, default in plan.fields:
        value = item.get(field_name)
        if value is None:
            if default is _REQUIRED:
                problems.append((["items", index], _("missing field '{field_name}'",
                                                     field_name=field_name), item_id, field_name))
                continue
            row[slot] = default
            continue
        try:
            row[slot] = convert(value)
        except _Invalid as exc:
            problems += [(["items", index, field_name, *e.sub], _("field '{field_name}': {message}",
                                                                  field_name=field_name, message=e.message),
                          item_id) for e in exc.every()]
    row[plan.sanction_slot] = ()
    if plan.trace_slot is not None:
        row[plan.trace_slot] = {}
    rows.append(row)
    ids.append(item_id)
    names.append(name)
