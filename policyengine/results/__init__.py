"""Reading results this tool wrote (`eval -o FILE`: JSON, YAML or XLSX) back in: the earlier
periods that `compare`, `eval --previous` and `eval --due` start from.

One reader per file format, as for case files: `json.py` and `yaml.py` return the decoded
tree (exact decimals, a key given twice refused); `xlsx.py` rebuilds, from a result
workbook's hidden `result` sheet, the JSON text of the same evaluation, which is then read
as JSON, its positions turned back into cells (`x.xlsx[result]!A3`). `shape.py` then checks
the tree against SPEC §5 once for every format and builds the `Result`. Every problem is a
located `ResultFileError` (PE350–PE352): a file that is missing, that does not parse, or
that is not a result of this tool.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CaseError, Diagnostic, not_utf8
from ..i18n import _
from ..period import Period, parse_period
from ..result import Result

if TYPE_CHECKING:
    from .shape import Checked

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# the names of the item values and of the grade scales a reader needs (the second a subset
# of the first): `read_result(…, wanted)` reads only those of each item
Wanted = tuple[frozenset[str], frozenset[str]]
SUFFIXES = (".json", ".yaml", ".yml", *WORKBOOK_SUFFIXES)


class ResultFileError(CaseError):
    """A result file (given to compare, --previous or a case's `previous:`) that cannot be used."""


class CaseNotResult(Exception):  # not an error: the caller evaluates the case instead
    """The file read as a result is a case file (its top level lists `items` and has no
    `summary`, which every result has): an earlier period given as a case to evaluate. Its
    text, and its YAML already decoded by the case reader (None for JSON, which the case
    reader decodes more strictly), so that the file is not read again."""

    def __init__(self, file: str, text: str, data: Any = None):
        super().__init__(file)
        self.text = text
        self.data = data


@dataclass
class ResultFile:
    """A result read back from a file, with what comparing and matching need."""

    result: Result
    file: str
    levels: dict[str, tuple[str, ...]]  # each grade scale's levels, most severe first
    # the case evaluated in this run to give it (an earlier period given as a case file):
    # errors about the result are located in the case file
    case_file: Any = None

    @property
    def ruleset(self) -> dict[str, Any]:
        return self.result.ruleset

    @property
    def period(self) -> Period | None:
        return parse_period(self.result.case.get("period"))

    def identity(self) -> dict[str, Any]:
        """What a result that used this file records about it."""
        return {"file": self.file, "ruleset": dict(self.result.ruleset), "period": self.result.case.get("period")}

    def error(self, code: str, message: str, path: list[Any], notes: list[str] | None = None,
              key: bool = False) -> ResultFileError:
        """A located error about the value at `path` in this file."""
        if self.case_file is not None:  # the header key of the case that gave the value
            from ..case.locate import place

            head = path[1] if path[:1] == ["case"] and len(path) > 1 else path[0] if path[:1] == ["ruleset"] else None
            where, sheet, line, column = place(self.case_file, [head] if head else [])
            return ResultFileError(Diagnostic(code, message, file=where, sheet=sheet, line=line or 1,
                                              column=column or 1, notes=list(notes or [])))
        sheet, line, column = locate_in(self.file, path, key)
        return ResultFileError(Diagnostic(code, message, file=self.file, sheet=sheet, line=line, column=column,
                                          notes=list(notes or [])))


def locate_in(file: str, path: list[Any], key: bool = False, rebuilt: Any = None) -> tuple[str | None, int, int]:
    """Where the value at `path` stands in `file`: (None, line, column), or in a result
    workbook the sheet, row and column of its cell (`rebuilt`: its text, if already read)."""
    from .locate import locate

    if Path(file).suffix.lower() not in WORKBOOK_SUFFIXES:
        return (None, *locate(file, path, key))
    from .xlsx import RESULT_SHEET, read_result_text

    try:
        rebuilt = rebuilt or read_result_text(Path(file))
    except ResultFileError:
        return RESULT_SHEET, 0, 0
    return (RESULT_SHEET, *rebuilt.cell(*locate(file, path, key, rebuilt.text)))


def as_result_error(exc: CaseError) -> ResultFileError:
    """A case reader's complaint (PE302/PE306) about a file read as a result (PE351)."""
    case_file, result_file = _("case file"), _("result file")
    return ResultFileError([dataclasses.replace(d, code="PE351", message=d.message.replace(case_file, result_file))
                            for d in exc.diagnostics])


def read_result(path: str | Path, cases: bool = False, wanted: Wanted | None = None) -> ResultFile:
    """Read and check a result file written by `eval -o FILE` (JSON, YAML or XLSX). With `cases`,
    a case file raises `CaseNotResult` instead of a shape error (PE352). With `wanted`, the
    items of a JSON result in the layout this tool writes are read for those names only
    (their ids always): what `eval --previous` needs (results/json.py, `read_json_fields`)."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise ResultFileError(Diagnostic("PE350", _("this is a folder, not a result file"), file=file))
    if suffix not in SUFFIXES:
        raise ResultFileError(Diagnostic("PE350", _("a result file is .json, .yaml or .xlsx (written by "
                                                    "policyengine eval -o FILE), not '{suffix}'", suffix=suffix)
                                         if suffix else
                                         _("a result file is .json, .yaml or .xlsx (written by policyengine eval -o "
                                           "FILE), not a file with no suffix"), file=file))
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(path, cases)
    from ..case import gc_paused

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultFileError(Diagnostic("PE350", _("result file not found"), file=file)) from None
    except OSError as exc:
        raise ResultFileError(Diagnostic("PE350", _("cannot read result file: {reason}", reason=exc.strerror),
                                         file=file)) from None
    if wanted is not None and suffix == ".json":
        from .json import read_json_fields

        with gc_paused():
            fast = read_json_fields(raw, *wanted)
        if fast is not None:
            return ResultFile(fast.result, file, fast.levels)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResultFileError(not_utf8("PE351", path, raw, exc, _("result file"))) from None
    del raw

    with gc_paused():
        checked = _checked(text, path, suffix, cases)
    return ResultFile(checked.result, file, checked.levels)


def _read_workbook(path: Path, cases: bool) -> ResultFile:
    """A result workbook (`eval -o x.xlsx`): its hidden sheet's JSON text, read as the JSON
    file of the same evaluation is; a problem located at the cell the text came from."""
    from ..case import gc_paused
    from .xlsx import RESULT_SHEET, read_result_text

    if not path.is_file():
        raise ResultFileError(Diagnostic("PE350", _("result file not found"), file=str(path)))
    rebuilt = read_result_text(path)
    try:
        with gc_paused():
            checked = _checked(rebuilt.text, path, ".json", cases, rebuilt)
    except ResultFileError as exc:  # a position in the text: the cell it came from
        raise ResultFileError([dataclasses.replace(d, sheet=RESULT_SHEET, line=row, column=column)
                               if d.sheet is None else d
                               for d in exc.diagnostics
                               for row, column in [rebuilt.cell(d.line or 0, d.column or 0)]]) from None
    return ResultFile(checked.result, str(path), checked.levels)


def _checked(text: str, path: Path, suffix: str, cases: bool = False, rebuilt: Any = None) -> Checked:
    """The decoded and checked result; a shape problem located in the file (PE352)."""
    from .shape import Malformed, result_from_data

    file = str(path)
    try:
        if suffix != ".json":
            from .yaml import read_yaml

            data = read_yaml(text, path)
            if cases and _is_case(data):
                raise CaseNotResult(file, text, data)
            return result_from_data(data)
        from .json import read_json, read_json_strictly

        data, text_keys = read_json(text, path)
        if cases and _is_case(data):
            raise CaseNotResult(file, text)
        try:
            checked = result_from_data(data)
        except Malformed:
            read_json_strictly(text, path)  # a key given twice is said first: it may be the cause
            raise
        if checked.keys != text_keys:  # a key given twice, or keys written another way: read strictly
            checked = result_from_data(read_json_strictly(text, path))
        return checked
    except Malformed as bad:
        sheet, line, column = locate_in(file, bad.path, bad.key, rebuilt)
        raise ResultFileError(Diagnostic(
            "PE352", _("not a result of policyengine eval: {problem}", problem=bad.message), file=file, sheet=sheet,
            line=line,
            column=column)) from None


def _is_case(data: Any) -> bool:
    return isinstance(data, dict) and "items" in data and "summary" not in data


def from_result(result: Result, file: str | None = None) -> ResultFile:
    """An evaluated result (in memory) in the form `read_result` gives."""
    from .shape import _levels

    return ResultFile(result, file or result.case.get("file") or "<result>", _levels(result.summary["levels"]))


__all__ = ["SUFFIXES", "CaseNotResult", "ResultFile", "ResultFileError", "as_result_error", "from_result", "read_result"]
