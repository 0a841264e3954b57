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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic, did_you_mean, not_utf8
from ..i18n import _
from .values import _WHOLE_YEAR, _describe, _modest, _plain, _text

HEADER_KEYS = ("ruleset", "title", "unit", "period", "previous", "items", "units", "expect", "expect_summary",
               "expect_units", "expect_units_summary")


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
    # read from spreadsheet cells (CSV, XLSX): text is converted to the declared type
    # ("5,000" where a number is declared, "是" where a bool is), see case/cells.py
    cells: bool = False
    # earlier results this case is evaluated against (paths relative to the case file)
    previous: list[str] | None = None
    # rollup name -> unit id -> expected fields; rollup name -> expected summary entries
    expect_units: dict[str, Any] | None = None
    expect_units_summary: dict[str, Any] | None = None
    # rollup name -> its units' own inputs, a list shaped like `items` (`id` is the group key)
    units: dict[str, Any] | None = None
    # where this case's `items` stand in the file: ("units", "单位") for a rollup's units
    section: tuple[str, ...] = ()
    # rollup name -> (file, located rows) of units read from a file of their own (a CSV
    # case's `<case>.units.<rollup>.csv`)
    unit_sources: dict[str, tuple[str, Any]] | None = None
    # the earlier results read for this case (previous.ResultFile, oldest first), which the
    # rules read as `previous`, `history` and `new` (attached by previous.attach_earlier)
    earlier: list[Any] | None = field(default=None, repr=False, compare=False)
    # where a workbook's `case` sheet gives a header key: {key: (sheet, row, column)}
    header_cells: dict[str, tuple[str, int, int]] | None = field(default=None, repr=False, compare=False)
    # the parsed YAML/JSON node tree, composed only when an error needs a line number
    _nodes: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `period: "2010"` (quoted out of habit) means the year 2010: as text it would
        # silently never equal year(d) or 2010 in a rule. Other text ("2008Q3") stays text.
        if isinstance(self.period, str) and _WHOLE_YEAR.fullmatch(self.period):
            self.period = int(self.period)

    def header(self) -> dict[str, Any]:
        """What the rules read as `case.X`. `case.year` is the calendar year the period lies in
        (2008 for 2008, 2008Q3 or 2008-05), so that rules comparing dates with the year work for a
        quarter's case too; nothing for a period that cannot be placed or spans several years."""
        from ..period import parse_period

        span = parse_period(self.period)
        year = Decimal(span.start.year) if span is not None and span.start.year == span.last_day.year else None
        return {"title": self.title, "unit": self.unit, "period": self.period, "year": year}


# A case file larger than this is refused before it is read whole (`--max-case-size` or
# `load_case(path, max_bytes=…)` raise it): a JSON case takes about 15 times its size in
# memory, and /dev/zero never ends. 1M items of the tax benchmark are about 180 MB.
MAX_CASE_BYTES = 256 << 20
# workbooks of other formats an officer may hold: refused by name, with what to do, rather
# than read as a YAML file and called "not valid UTF-8"
OTHER_WORKBOOKS = frozenset([".xls", ".xlt", ".xlsb", ".et", ".ett", ".ods", ".numbers"])
# the start of an OLE2 compound file: an .xls or WPS .et workbook, whatever its name
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def load_case(path: str | Path, header: dict[str, Any] | None = None, max_bytes: int | None = None,
              leave: frozenset[str] = frozenset()) -> Case:
    """Read a case file (YAML, JSON, CSV or XLSX, by its extension). `header` (title, unit,
    period: the command line's --title/--unit/--period) overrides the file's own; a file
    larger than `max_bytes` (default MAX_CASE_BYTES) is refused (PE307). A workbook holding
    every sheet named in `leave` is not read: `xlsx.OtherWorkbook` is raised."""
    case = _read_case(Path(path), max_bytes, leave)
    for key, value in (header or {}).items():
        if value is not None:
            setattr(case, key, int(value) if key == "period" and _WHOLE_YEAR.fullmatch(str(value)) else value)
    return case


def _read_case(path: Path, max_bytes: int | None = None, leave: frozenset[str] = frozenset()) -> Case:
    suffix = path.suffix.lower()
    # the readers are imported when a file of their kind is read: `--help` stays fast
    if suffix in (".xlsx", ".xlsm") and path.is_file():
        from .xlsx import read_xlsx

        _within_limit(path.stat().st_size, path, max_bytes)  # a workbook is read by its reader
        with gc_paused():
            return read_xlsx(path, leave)
    if suffix in OTHER_WORKBOOKS and path.is_file():
        raise CaseError(Diagnostic("PE320", _("policyengine does not read {value} workbooks: save it again as "
                                              ".xlsx (Excel or WPS: Save As, Excel workbook) or as CSV UTF-8",
                                              value=suffix), file=str(path)))
    if suffix == ".csv":
        from .csv import read_csv

        raw = read_bytes(path, max_bytes)
        with gc_paused():
            return read_csv(raw, path)
    return case_of_text(load_text(path, max_bytes), path)


def case_of_text(text: str, path: Path, data: Any = None, size: int | None = None) -> Case:
    """The case in `text`, a YAML or JSON case file's text, read as `load_case` reads it.
    `data`: that text already decoded by this package's reader (an earlier period's file,
    read first as a result, is not read or decoded again); `size`: its size in bytes, held
    to the limit as load_case holds a file."""
    from .json import read_json
    from .yaml import read_yaml

    if size is not None:
        _within_limit(size, path, None)
    if data is None:
        with gc_paused():
            data = read_json(text, path) if path.suffix.lower() == ".json" else read_yaml(text, path)
    return case_from_data(data, str(path))


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """A case file's bytes (or a companion file's), with located errors; read up to the
    limit and refused past it, never read whole first."""
    limit = MAX_CASE_BYTES if max_bytes is None else max_bytes
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise CaseError(Diagnostic("PE301", _("case file not found"), file=str(path))) from None
    except OSError as exc:
        raise CaseError(Diagnostic("PE301", _("cannot read case file: {strerror}",
                                              strerror=exc.strerror), file=str(path))) from None
    _within_limit(len(raw), path, limit)
    return raw


def _within_limit(size: int, path: Path, max_bytes: int | None) -> None:
    limit = MAX_CASE_BYTES if max_bytes is None else max_bytes
    if size > limit:
        raise CaseError(Diagnostic("PE307", _("the case file is larger than {limit} (the "
                                              "limit; raise it with --max-case-size)",
                                              limit=_size(limit)), file=str(path)))


def load_text(path: Path, max_bytes: int | None = None) -> str:
    """A YAML or JSON case file's text, with located errors."""
    raw = read_bytes(path, max_bytes)
    if raw.startswith(_OLE2):
        raise CaseError(Diagnostic("PE320", _("this is an older Excel or WPS workbook (.xls, .et), not a {value} "
                                              "case file: save it again as .xlsx or as CSV UTF-8",
                                              value=path.suffix or 'YAML'), file=str(path)))
    if raw.startswith(b"PK\x03\x04"):
        raise CaseError(Diagnostic("PE320", _("this is a zip archive (an .xlsx workbook?), not "
                                              "a {value} case file: give it the .xlsx extension",
                                              value=path.suffix or 'YAML'), file=str(path)))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(not_utf8("PE302", path, raw, exc, _("case file"))) from None


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else _("{count} bytes", count=n)


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
        raise CaseError(Diagnostic("PE302", _("a case file is a mapping with an 'items' list"), file=file, line=1))
    for key in data:
        if key not in HEADER_KEYS:
            raise CaseError(Diagnostic("PE303", _("unknown case file key '{key}'", key=key) + did_you_mean(str(key), HEADER_KEYS),
                                       file=file, line=_key_line(file, [key])))
    items = data.get("items")
    if not isinstance(items, list):
        raise CaseError(Diagnostic("PE303", _("the case file has no 'items' list"), file=file,
                                   line=_key_line(file, ["items"]) or 1))
    units = data.get("units")
    if units is not None and not (isinstance(units, dict) and all(isinstance(v, list) for v in units.values())):
        raise CaseError(Diagnostic("PE340", _("'units' maps each rollup's name to a list of "
                                              "its units (each with an 'id', like items)"), file=file, line=_key_line(file, ["units"])))
    expect = data.get("expect")
    if expect is not None and not isinstance(expect, dict):
        raise CaseError(Diagnostic("PE303", _("'expect' maps item ids to expected values"), file=file,
                                   line=_key_line(file, ["expect"])))
    for key in ("ruleset", "title", "unit", "period"):
        value = data.get(key)
        # header fields are single values: text, a number, or (the period) a date
        if isinstance(value, (list, dict)) or (isinstance(value, _dt.date) and key != "period"):
            raise CaseError(Diagnostic("PE303", _("'{key}' must be text or a number, not "
                                                  "{value}",
                                                  key=key, value=_describe(value)), file=file, line=_key_line(file, [key])))
        if isinstance(value, (Decimal, float)) and not _modest(value):
            raise CaseError(Diagnostic("PE303", _("'{key}': the number {value} is too large or "
                                                  "not finite",
                                                  key=key, value=str(value)[:20]), file=file, line=_key_line(file, [key])))
    previous = data.get("previous")
    if previous is not None:
        if isinstance(previous, str):
            previous = [previous]
        # `previous: []` says so: the first period, no earlier results (every item is new)
        if not isinstance(previous, list) or not all(isinstance(p, str) and p for p in previous):
            raise CaseError(Diagnostic("PE355", _("'previous' lists earlier result files "
                                                  "(written by policyengine eval -o FILE), as "
                                                  "paths relative to this case file"), file=file,
                                       line=_key_line(file, ["previous"])))
    for key in ("expect_units", "expect_units_summary"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise CaseError(Diagnostic("PE344", _("'{key}' maps each rollup's name to its "
                                                  "expectations",
                                                  key=key), file=file,
                                       line=_key_line(file, [key])))
    ruleset = data.get("ruleset")
    return Case(
        items=items, title=_text(data.get("title")), unit=_text(data.get("unit")),
        period=_plain(data.get("period")), file=file,
        ruleset=str(ruleset) if ruleset is not None else None,
        expect={str(k): v for k, v in expect.items()} if expect else None,
        expect_summary=data.get("expect_summary"), previous=previous,
        units={str(k): v for k, v in units.items()} if units else None,
        expect_units=data.get("expect_units"), expect_units_summary=data.get("expect_units_summary"),
    )


# Validation and locating come last: they need `Case` defined above.
from .locate import _key_line, locate, place_text  # noqa: E402
from .validate import (  # noqa: E402
    PROGRESS_CHUNK,
    Converter,
    Fill,
    ItemsDone,
    Layout,
    _Invalid,
    converter,
    input_type,
    layout,
    validate,
)
from .values import MAX_DIGITS, MAX_ERRORS, MAX_LIST_LENGTH, MAX_MAGNITUDE  # noqa: E402

__all__ = ["HEADER_KEYS", "MAX_CASE_BYTES", "MAX_DIGITS", "MAX_ERRORS", "MAX_LIST_LENGTH", "MAX_MAGNITUDE", "PROGRESS_CHUNK", "Case",
           "Converter", "Fill", "ItemsDone", "Layout", "_Invalid", "case_from_data", "case_of_text", "converter", "gc_paused",
           "input_type", "layout", "load_case", "locate", "place_text", "validate"]
