"""Case files: loading (YAML, JSON, CSV) and validation against a ruleset's inputs.

A case is validated in full before anything is evaluated: every problem in
every item is collected (up to a limit) and reported with file, line, item id
and field. Validation also converts values to their runtime form (exact
`Decimal` numbers, `date`s) and lays each item out as the compiled ruleset's
slot list, so evaluation never looks at raw YAML again.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .errors import CaseError, Diagnostic, did_you_mean, invalid_yaml, not_utf8
from .model import Dimension, Input, TypeSpec

MAX_LIST_LENGTH = 10_000
MAX_ERRORS = 50
MAX_NODES = 50_000_000  # what YAML aliases may expand to
ALIAS_EXPANSION = 2_000_000  # past this many values, aliases may at most double a file
ALIAS_GROWTH = 2
MAX_DIGITS = 30
MAX_MAGNITUDE = Decimal(10) ** 18
_WHOLE_YEAR = re.compile(r"[0-9]{1,6}")
HEADER_KEYS = ("ruleset", "title", "unit", "period", "items", "expect", "expect_summary")


@dataclass
class Case:
    """The items to assess, and the case file's header."""

    items: list[dict[str, Any]]
    title: str | None = None
    unit: str | None = None
    period: Any = None
    file: str | None = None
    ruleset: str | None = None
    expect: dict[str, dict[str, Any]] | None = None
    expect_summary: dict[str, Any] | None = None
    # the parsed YAML/JSON node tree, composed only when an error needs a line number
    _nodes: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `period: "2010"` (quoted out of habit) means the year 2010: as text it would
        # silently never equal year(d) or 2010 in a rule. Other text ("2008Q3") stays text.
        if isinstance(self.period, str) and _WHOLE_YEAR.fullmatch(self.period):
            self.period = int(self.period)

    def header(self) -> dict[str, Any]:
        return {"title": self.title, "unit": self.unit, "period": self.period}


# ---------------------------------------------------------------- loading


def load_case(path: str | Path) -> Case:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaseError(Diagnostic("PE301", "case file not found", file=str(path))) from None
    except OSError as exc:
        raise CaseError(Diagnostic("PE301", f"cannot read case file: {exc.strerror}", file=str(path))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(not_utf8("PE302", path, raw, exc, "case file")) from None
    del raw
    suffix = path.suffix.lower()
    with gc_paused():
        if suffix == ".json":
            data = _load_json(text, path)
        elif suffix == ".csv":
            return _load_csv(text, path)
        else:
            data = _load_yaml(text, path)
    return case_from_data(data, str(path))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or walking millions of objects.

    Loading and evaluating make no reference cycles, but every few hundred new objects the
    collector would scan all the live ones again: on a 100k-item case that is most of the
    time spent. Reference counting still frees everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def case_from_data(data: Any, file: str) -> Case:
    if not isinstance(data, dict):
        raise CaseError(Diagnostic("PE302", "a case file is a mapping with an 'items' list", file=file, line=1))
    for key in data:
        if key not in HEADER_KEYS:
            raise CaseError(Diagnostic("PE303", f"unknown case file key '{key}'" + did_you_mean(str(key), HEADER_KEYS),
                                       file=file, line=_key_line(file, [key])))
    items = data.get("items")
    if not isinstance(items, list):
        raise CaseError(Diagnostic("PE303", "the case file has no 'items' list", file=file,
                                   line=_key_line(file, ["items"]) or 1))
    expect = data.get("expect")
    if expect is not None and not isinstance(expect, dict):
        raise CaseError(Diagnostic("PE303", "'expect' maps item ids to expected values", file=file,
                                   line=_key_line(file, ["expect"])))
    for key in ("ruleset", "title", "unit", "period"):
        value = data.get(key)
        # header fields are single values: text, a number, or (the period) a date
        if isinstance(value, (list, dict)) or (isinstance(value, _dt.date) and key != "period"):
            raise CaseError(Diagnostic("PE303", f"'{key}' must be text or a number, not "
                                       f"{_describe(value)}", file=file, line=_key_line(file, [key])))
        if isinstance(value, (Decimal, float)) and not _modest(value):
            raise CaseError(Diagnostic("PE303", f"'{key}': the number {str(value)[:20]} is too large or "
                                       "not finite", file=file, line=_key_line(file, [key])))
    ruleset = data.get("ruleset")
    return Case(
        items=items, title=_text(data.get("title")), unit=_text(data.get("unit")),
        period=_plain(data.get("period")), file=file,
        ruleset=str(ruleset) if ruleset is not None else None,
        expect={str(k): v for k, v in expect.items()} if expect else None,
        expect_summary=data.get("expect_summary"),
    )


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal) and v == v.to_integral_value():
        return int(v)
    return v


def _modest(v: Decimal | float) -> bool:
    """A finite number of at most MAX_DIGITS digits before the point: safe to turn into an
    int or exact text (1e999999999 would take minutes and gigabytes)."""
    d = v if isinstance(v, Decimal) else Decimal(str(v)) if v == v and abs(v) != float("inf") else None
    return d is not None and d.is_finite() and (d.is_zero() or d.adjusted() < MAX_DIGITS)


class _DuplicateKey(Exception):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON readers keep the last of two equal keys without a word: an item with 运行次数
    # twice would silently lose a value (as in YAML, see unique_mapping)
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


def _load_json(text: str, path: Path) -> Any:
    number = _shared_decimals()
    try:
        return json.loads(text, parse_float=number, parse_int=number, object_pairs_hook=_unique_object)
    except _DuplicateKey:
        key, index = _duplicate_key_at(text)
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise CaseError(Diagnostic("PE302", f"key '{key}' given twice in the same object (JSON "
                                   "readers would keep only the last)", file=str(path), line=line,
                                   column=column)) from None
    except json.JSONDecodeError as exc:
        raise CaseError(Diagnostic("PE302", f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno,
                                   column=exc.colno)) from None
    except RecursionError:
        raise CaseError(Diagnostic("PE302", "JSON nested too deeply", file=str(path))) from None


def _duplicate_key_at(text: str) -> tuple[str, int]:
    """The first key given twice in one JSON object, and where its second use starts.

    Only on the error path: the text is read again by json's pure-Python scanner, whose
    object parser knows where each object starts; the key is then found in that object's
    own text (the last occurrence before its end)."""
    from json.decoder import JSONObject
    from json.scanner import py_make_scanner

    found: list[tuple[str, int]] = []

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                     object_pairs_hook: Any, memo: Any = None) -> tuple[Any, int]:
        start = s_and_end[1]
        pairs, end = JSONObject(s_and_end, strict, scan_once, None, list, memo)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen and not found:
                quoted = json.dumps(key, ensure_ascii=False)
                spans = [m.start() for m in re.finditer(re.escape(quoted) + r"\s*:", text[start:end])]
                found.append((key, start + (spans[-1] if spans else 0)))
            seen.add(key)
        return dict(pairs), end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = py_make_scanner(decoder)
    decoder.decode(text)
    return found[0] if found else ("?", 0)


def _shared_decimals() -> Callable[[str], Decimal]:
    """A number parser that returns one shared Decimal per distinct number text.

    Ratings and counts repeat across thousands of items: sharing them saves memory
    (a 1M-item file holds a handful of rating objects, not 4 million) and lets the
    validators recognise a number they have already checked by identity.
    """
    seen: dict[str, Decimal] = {}

    def parse(text: str) -> Decimal:
        d = seen.get(text)
        if d is None:
            d = Decimal(text)
            if len(seen) < _SHARED_LIMIT:
                seen[text] = d
        return d

    return parse


_SHARED_LIMIT = 1 << 16


def _yaml_loader() -> type:
    import yaml
    import yaml.constructor

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def decimal_float(loader: Any, node: Any) -> Any:
        text = str(node.value).replace("_", "")
        try:
            return Decimal(text)
        except InvalidOperation:
            return loader.construct_yaml_float(node)

    def decimal_int(loader: Any, node: Any) -> Any:
        text = str(node.value).replace("_", "")
        if len(text) > _PLAIN_INT_DIGITS:
            # Python refuses to turn a number of more than 4300 digits into an int; a plain
            # decimal numeral of any length is still a Decimal, which validation then rejects
            # as too large (other huge forms, like hex, stay text and are rejected as such)
            return Decimal(text) if _DECIMAL_INT.fullmatch(text) else text
        return Decimal(loader.construct_yaml_int(node))

    def unique_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        # YAML keeps the last of two equal keys without a word: an item with `运行次数`
        # twice would silently lose a value. A merge key (`<<`) replaces node.value with
        # a new list, and its overridden keys are legitimate, so only a plain mapping
        # whose result has fewer keys than it lists holds a duplicate.
        listed = node.value
        mapping = base.construct_mapping(loader, node, deep)
        if node.value is listed and len(mapping) != len(listed):
            seen: set[Any] = set()
            for key_node, _ in listed:
                key = loader.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' given twice in the same mapping (YAML would keep "
                        "only the last)", key_node.start_mark)
                seen.add(key)
        return mapping

    Loader.add_constructor("tag:yaml.org,2002:float", decimal_float)
    Loader.add_constructor("tag:yaml.org,2002:int", decimal_int)
    Loader.construct_mapping = unique_mapping
    return Loader


_PLAIN_INT_DIGITS = 1000
_DECIMAL_INT = re.compile(r"[-+]?[0-9]+")


_LOADER: type | None = None


def _load_yaml(text: str, path: Path) -> Any:
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _yaml_loader()
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise CaseError(invalid_yaml("PE302", exc, text, str(path))) from None
    except yaml.YAMLError as exc:
        raise CaseError(Diagnostic("PE302", f"invalid YAML: {exc}", file=str(path))) from None
    except RecursionError:
        raise CaseError(Diagnostic("PE302", "YAML nested too deeply", file=str(path))) from None
    if "*" in text:  # only aliases (*name) can make a small file expand
        _guard_expansion(data, str(path))
    return data


def _guard_expansion(data: Any, file: str) -> None:
    """Reject YAML whose aliases expand to a huge tree (a "billion laughs" file).

    Aliases share objects, so the expanded size is computed per distinct object. Besides
    the absolute bound, aliases may not multiply a file by more than ALIAS_GROWTH once it
    expands past ALIAS_EXPANSION values: 150 KB of items that each alias one 10000-element
    list expand to 20 million values and took 40 seconds to validate.
    """
    sizes: dict[int, int] = {}
    written = 0  # values as written in the file (an alias counts once)
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (list, dict)) or (not done and id(obj) in sizes):
            continue
        kids = list(obj.values()) if isinstance(obj, dict) else obj
        if not done:
            written += 1 + len(kids)
        if done:
            total = 1
            for k in kids:
                total += sizes.get(id(k), 1) if isinstance(k, (list, dict)) else 1
                if total > MAX_NODES:
                    raise CaseError(Diagnostic(
                        "PE306", "YAML aliases expand to more than 50 million values (an alias bomb?)",
                        file=file))
            sizes[id(obj)] = total
        else:
            sizes[id(obj)] = 0  # placeholder: being visited (YAML can't make cycles safely)
            stack.append((obj, True))
            stack.extend((k, False) for k in kids if isinstance(k, (list, dict)) and id(k) not in sizes)
    expanded = sizes.get(id(data), 1)
    if expanded > ALIAS_EXPANSION and expanded > ALIAS_GROWTH * written:
        raise CaseError(Diagnostic(
            "PE306", f"YAML aliases expand {written} values into {expanded} (an alias bomb?)", file=file))


def _load_csv(text: str, path: Path) -> Case:
    """A CSV case: one item per row, a header row of field names (id, name, inputs)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CaseError(Diagnostic("PE302", "empty CSV file", file=str(path), line=1))
    header = [h.strip() for h in rows[0]]
    items = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise CaseError(Diagnostic("PE302", f"row has {len(row)} cells; the header has {len(header)}",
                                       file=str(path), line=number))
        items.append({h: _csv_value(c) for h, c in zip(header, row, strict=True) if c.strip() != ""})
    case = Case(items=items, file=str(path))
    case._nodes = ("csv", [0, *range(2, len(rows) + 1)], header)
    return case


def _csv_value(cell: str) -> Any:
    cell = cell.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", cell):
        return Decimal(cell)
    if cell in ("true", "false"):
        return cell == "true"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        try:
            return _dt.date.fromisoformat(cell)
        except ValueError:
            return cell
    return cell


# ---------------------------------------------------------------- locating errors


def _key_line(file: str, path: list[Any]) -> int:
    node = _node_at(file, path)
    return node.start_mark.line + 1 if node is not None else 0


def locate(case: Case, path: list[Any]) -> tuple[int, int]:
    """Line and column of `path` (keys and indices) in the case file, or (0, 0)."""
    if case.file is None:
        return 0, 0
    if isinstance(case._nodes, tuple) and case._nodes[0] == "csv":
        _, lines, header = case._nodes
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) and path[1] + 1 < len(lines):
            col = header.index(path[2]) + 1 if len(path) > 2 and path[2] in header else 1
            return lines[path[1] + 1], col
        return 0, 0
    node = _node_at(case.file, path)
    if node is None:
        return 0, 0
    return node.start_mark.line + 1, node.start_mark.column + 1


_COMPOSED: dict[str, Any] = {}


def _node_at(file: str, path: list[Any]) -> Any:
    import yaml

    if file not in _COMPOSED:
        try:
            with open(file, encoding="utf-8-sig") as fh:
                _COMPOSED.clear()
                _COMPOSED[file] = yaml.compose(fh, Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError, RecursionError):
            _COMPOSED[file] = None
    node = _COMPOSED[file]
    best = node
    for step in path:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if str(k.value) == str(step):
                    found = v if step is not path[-1] else k
                    break
            if found is None:
                break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        best = node
    return best


# ---------------------------------------------------------------- validation


class _Invalid(Exception):
    def __init__(self, message: str, sub: list[Any] | None = None):
        super().__init__(message)
        self.message = message
        self.sub = sub or []


Converter = Callable[[Any], Any]


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
        raise _Invalid(f"must be a number, not {_describe(value)}")
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        raise _Invalid("must be a finite number")
    if abs(d) >= MAX_MAGNITUDE or len(d.as_tuple().digits) > MAX_DIGITS:
        shown = str(value) if len(str(value)) <= 24 else str(value)[:20] + "…"
        raise _Invalid(f"number {shown} is too large (limit: 18 digits before the point, 30 in all)")
    return d


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f'text "{value}"' if len(value) < 40 else "text"
    if isinstance(value, (Decimal, int, float)):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, _dt.date):
        return f"date {value}"
    return type(value).__name__


def _bounded(spec: TypeSpec, d: Decimal) -> None:
    if spec.minimum is not None and (d < spec.minimum or (spec.min_exclusive and d == spec.minimum)):
        raise _Invalid(f"{_fmt(d)} is below the minimum {'>' if spec.min_exclusive else '>='} "
                       f"{_as_declared(spec.minimum, spec.spelling[0])}")
    if spec.maximum is not None and (d > spec.maximum or (spec.max_exclusive and d == spec.maximum)):
        raise _Invalid(f"{_fmt(d)} is above the maximum {'<' if spec.max_exclusive else '<='} "
                       f"{_as_declared(spec.maximum, spec.spelling[1])}")


def _as_declared(bound: Decimal, spelling: str | None) -> str:
    """A bound as the ruleset writes it, with its value where the two differ: `100% (= 1)`."""
    value = _fmt(bound)
    return value if spelling is None or spelling == value else f"{spelling} (= {value})"


def _fmt(d: Decimal) -> str:
    from .runtime import format_number

    return format_number(d)


def converter(spec: TypeSpec) -> Converter:
    kind = spec.kind
    if kind in ("number", "range", "integer"):
        bounded = spec.minimum is not None or spec.maximum is not None
        # Decimals are immutable and case loaders share one object per number text
        # (see _shared_decimals), so an object accepted once is accepted again by identity.
        accepted: dict[Decimal, Decimal] = {}

        def number(value: Any) -> Decimal:
            if value.__class__ is Decimal and not value.is_snan() and accepted.get(value) is value:
                return value
            d = _number(value)
            if kind == "integer" and d != d.to_integral_value():
                raise _Invalid(f"must be a whole number, not {_fmt(d)}")
            if bounded:
                if kind == "range" and not (spec.minimum <= d <= spec.maximum):  # type: ignore[operator]
                    raise _Invalid(f"{_fmt(d)} is outside {_as_declared(spec.minimum, spec.spelling[0])}.."  # type: ignore[arg-type]
                                   f"{_as_declared(spec.maximum, spec.spelling[1])}")  # type: ignore[arg-type]
                _bounded(spec, d)
            if d is value and len(accepted) < _ACCEPTED_LIMIT:
                accepted[d] = d
            return d

        number.shortcut = ("{first}.__class__ is D and {a}({v}) is {v}", accepted.get)  # type: ignore[attr-defined]
        return number
    if kind == "text":
        def text(value: Any) -> str:
            if value.__class__ is str:
                return value
            if not isinstance(value, str):
                raise _Invalid(f"must be text, not {_describe(value)}")
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
                raise _Invalid(f"must be one of {', '.join(spec.values)}, not {_describe(value)}"
                               + (did_you_mean(value, spec.values) if isinstance(value, str) else ""))
            return value

        enum.shortcut = ("{first}.__class__ is str and {v} in {a}", allowed)  # type: ignore[attr-defined]
        return enum
    if kind == "bool":
        def boolean(value: Any) -> bool:
            if not isinstance(value, bool):
                raise _Invalid(f"must be true or false, not {_describe(value)}")
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
            raise _Invalid(f"must be a date (YYYY-MM-DD), not {_describe(value)}")

        return date
    if kind == "list":
        fields = [(f.name, converter(f.type), _default_value(f.default)) for f in spec.fields]
        names = frozenset(f.name for f in spec.fields)

        def records(value: Any) -> list[dict[str, Any]]:
            if not isinstance(value, list):
                raise _Invalid(f"must be a list, not {_describe(value)}")
            if len(value) > MAX_LIST_LENGTH:
                raise _Invalid(f"list has {len(value)} elements (limit {MAX_LIST_LENGTH})")
            out = []
            for i, element in enumerate(value):
                if not isinstance(element, dict):
                    raise _Invalid(f"element {i + 1} must be a mapping {{…}}, not {_describe(element)}", [i])
                extra = element.keys() - names
                if extra:
                    bad = sorted(map(str, extra))[0]
                    raise _Invalid(f"element {i + 1} has unknown field '{bad}'" + did_you_mean(bad, names), [i, bad])
                record = {}
                for name, convert, default in fields:
                    if name in element and element[name] is not None:
                        try:
                            record[name] = convert(element[name])
                        except _Invalid as exc:
                            raise _Invalid(f"element {i + 1}, field '{name}': {exc.message}", [i, name]) from None
                    elif default is not _REQUIRED:
                        record[name] = default
                    else:
                        raise _Invalid(f"element {i + 1} is missing field '{name}'", [i])
                out.append(record)
            return out

        return records
    raise AssertionError(kind)  # pragma: no cover


_REQUIRED = object()
_ACCEPTED_LIMIT = 1 << 16  # distinct numbers remembered per input


def _default_value(expr: Any) -> Any:
    from .model import ListLiteral, Literal

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


def layout(inputs: list[Input | Dimension], slots: dict[str, int], size: int, sanction_slot: int,
           trace_slot: int | None) -> Layout:
    fields = []
    for decl in inputs:
        default = _default_value(decl.default) if isinstance(decl, Input) else _REQUIRED
        if default is _REQUIRED and isinstance(decl, Input) and decl.type.kind == "list":
            default = ()  # no incidents listed means none happened
        fields.append((decl.name, slots[decl.name], converter(input_type(decl)), default))
    known = frozenset([*(f[0] for f in fields), "id", "name"])
    plan = Layout(size, fields, known, sanction_slot, trace_slot)
    plan.fill = _filler(plan)
    return plan


def _filler(plan: Layout) -> Fill:
    """Generate `fill(items, start, stop, rows, ids, names, seen)`: the slot lists of the
    usual items, a mapping with a new text id, known fields only, all present and valid.

    It appends each such item's slot list, id and name, and returns the index of the first
    item that is not usual (or `stop`): `validate` checks that one field by field, to report
    what is wrong with it, and carries on after it. One loop with a list display per item,
    instead of a call per item and a loop over the fields: validation is most of the time
    an evaluation takes. Field names, converters and defaults are passed as default
    arguments: no user text enters the source.
    """
    cells = ["None"] * plan.size
    params = ["D=_D", "known=_known"]
    namespace: dict[str, Any] = {"_D": Decimal, "_known": plan.known.issuperset}
    for i, (name, slot, convert, default) in enumerate(plan.fields):
        params += [f"n{i}=_n{i}", f"c{i}=_c{i}"]
        namespace.update({f"_n{i}": name, f"_c{i}": convert, f"_d{i}": default})
        required = default is _REQUIRED
        if not required:
            params.append(f"d{i}=_d{i}")
        # the value is fetched where it is first used: inside the shortcut, or as the argument
        first = f"(v{i} := item[n{i}])" if required else f"v{i}"
        # a converter's shortcut accepts the common value inline, without calling it
        shortcut = getattr(convert, "shortcut", None)
        if shortcut is not None:
            params.append(f"a{i}=_a{i}")
            namespace[f"_a{i}"] = shortcut[1]
            test = shortcut[0].format(first=first, v=f"v{i}", a=f"a{i}")
            value = f"(v{i} if {test} else c{i}(v{i}))"
        else:
            value = f"c{i}({first})"
        cells[slot] = value if required else f"(d{i} if (v{i} := get(n{i})) is None else {value})"
    cells[plan.sanction_slot] = "[]"
    if plan.trace_slot is not None:
        cells[plan.trace_slot] = "{}"
    source = (f"def fill(items, start, stop, rows, ids, names, seen, {', '.join(params)}):\n"
              "    add_row, add_id, add_name, first_index = rows.append, ids.append, names.append, seen.setdefault\n"
              "    for index in range(start, stop):\n"
              "        item = items[index]\n"
              "        if item.__class__ is not dict or not known(item):\n"
              "            return index\n"
              "        get = item.get\n"
              "        item_id = get('id')\n"
              "        name = get('name')\n"
              "        if (item_id.__class__ is not str or not item_id or not (name is None or name.__class__ is str)\n"
              "                or first_index(item_id, index) != index):\n"
              "            return index\n"
              "        try:\n"
              f"            add_row([{', '.join(cells)}])\n"
              "        except Exception:\n"
              "            return index\n"
              "        add_id(item_id)\n"
              "        add_name(name)\n"
              "    return stop\n")
    exec(compile(source, "<policyengine:case>", "exec"), namespace)
    return namespace["fill"]


ItemsDone = Callable[[int], None]
PROGRESS_CHUNK = 10_000  # items between two progress reports


def validate(case: Case, plan: Layout, progress: ItemsDone | None = None,
             ) -> tuple[list[list[Any]], list[str], list[str | None]]:
    """Check every item; return slot lists, ids and names, or raise CaseError with all problems.

    `progress(n)` is called after every chunk of n items (for a progress bar)."""
    if not isinstance(case.items, list):  # the API may hand in a tuple or a generator
        case.items = list(case.items)
    if not case.items:
        # an empty inventory is a mistake (a wrong file, a failed export), not a result to publish
        raise CaseError(Diagnostic("PE303", "the case has no items to assess", file=case.file or "<case>",
                                   line=_key_line(case.file, ["items"]) if case.file else 0))
    problems: list[tuple[list[Any], str, str | None]] = []
    rows: list[list[Any]] = []
    ids: list[str] = []
    names: list[str | None] = []
    seen: dict[str, int] = {}
    fill = plan.fill or _filler(plan)
    items = case.items
    chunk = PROGRESS_CHUNK if progress is not None else len(items)
    for start in range(0, len(items), chunk):
        stop = min(start + chunk, len(items))
        index = fill(items, start, stop, rows, ids, names, seen)
        while index < stop and len(problems) < MAX_ERRORS:
            _validate_slowly(plan, index, items[index], seen, problems, rows, ids, names)
            index = fill(items, index + 1, stop, rows, ids, names, seen)
        if len(problems) >= MAX_ERRORS:
            break
        if progress is not None:
            progress(stop - start)
    if problems:
        diagnostics = []
        for path, message, item_id in problems[:MAX_ERRORS]:
            line, column = locate(case, path)
            diagnostics.append(Diagnostic("PE303", message, file=case.file or "<case>", line=line,
                                          column=column, item=item_id))
        if len(problems) >= MAX_ERRORS:
            diagnostics[-1].notes.append(f"stopped after {MAX_ERRORS} problems")
        raise CaseError(diagnostics)
    return rows, ids, names


def _validate_slowly(plan: Layout, index: int, item: Any, seen: dict[str, int],
                     problems: list[tuple[list[Any], str, str | None]], rows: list[list[Any]],
                     ids: list[str], names: list[str | None]) -> None:
    """Validate one item field by field, collecting every problem it has."""
    if not isinstance(item, dict):
        problems.append((["items", index], f"item {index + 1} must be a mapping of fields", None))
        return
    raw_id = item.get("id")
    # a whole-number id reads as its digits: from YAML/JSON it arrives as a Decimal, from
    # the Python API (`pe.Case(items=[{"id": 7, …}])`) as an int
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    elif isinstance(raw_id, Decimal) and _modest(raw_id) and raw_id == raw_id.to_integral_value():
        raw_id = _fmt(raw_id)
    if raw_id is None or raw_id == "":
        problems.append((["items", index], f"item {index + 1} has no 'id'", None))
        item_id = f"#{index + 1}"
    elif not isinstance(raw_id, str):
        problems.append((["items", index, "id"], f"item {index + 1}: 'id' must be text or a whole "
                         f"number, not {_describe(raw_id)}", None))
        item_id = f"#{index + 1}"
    else:
        item_id = raw_id
        first = seen.setdefault(item_id, index)
        if first != index:
            problems.append((["items", index, "id"], f"duplicate id '{item_id}' (first used by item "
                             f"{first + 1})", item_id))
    name = item.get("name")
    if isinstance(name, (list, dict)):
        problems.append((["items", index, "name"], f"'name' must be text or a number, not {_describe(name)}",
                         item_id))
        name = None
    elif name is not None and not isinstance(name, str):
        name = _fmt(name) if isinstance(name, Decimal) and _modest(name) else str(name)
    known = plan.known
    extra = item.keys() - known
    for key in sorted(map(str, extra)):
        problems.append((["items", index, key], f"unknown field '{key}'"
                         + did_you_mean(key, known), item_id))
    row: list[Any] = [None] * plan.size
    for field_name, slot, convert, default in plan.fields:
        value = item.get(field_name)
        if value is None:
            if default is _REQUIRED:
                problems.append((["items", index], f"missing field '{field_name}'", item_id))
                continue
            row[slot] = default
            continue
        try:
            row[slot] = convert(value)
        except _Invalid as exc:
            problems.append((["items", index, field_name, *exc.sub], f"field '{field_name}': {exc.message}",
                             item_id))
    row[plan.sanction_slot] = []
    if plan.trace_slot is not None:
        row[plan.trace_slot] = {}
    rows.append(row)
    ids.append(item_id)
    names.append(name)
