"""What the fuzzer feeds the verbs: a ruleset (DSL or YAML, valid or mutated, with or
without a rollup) and a case (JSON, YAML, CSV with its companion unit files, or an XLSX
workbook; valid or mutated: text edits, or a broken zip, a far cell, a formula without a
cached value, a wrong type, a huge string, a lost header or sheet)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from ..generated_rulesets import rulesets

# Text that once broke a stage (issue 11) or is known to be hard: quotes and escapes,
# comment and table marks, line separators the parsers count differently, control
# characters, format fields, huge and tiny magnitudes, names of built-ins and keywords.
TOKENS = [
    '"', "`", "'", "\\", "#", "|", "||", "->", "{", "}", "(", ")", "[", "]", "..", ",", ":",
    "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00", "\t", "\ufeff", "\x1b[31m",
    "{0}", "{rows}", "%s", "`{0}`", "`not`", "`true`", "`round`", "`{rows.__class__}`",
    "1e999999999", "1e-999999", "9" * 400, "0." + "0" * 300 + "1", "-0", "1_000", "190:20:30",
    "not", "true", "false", "round", "sum(dimensions)", "len(items)", "case.period", "items",
    "count(i in items where true)", "otherwise", "raise 1 when", "hit unique", "hit any",
    "hit collect sum", "top 1 by", "within", "extends \"/etc/passwd\"", "extends \"../x.policy\"",
    "&a [*a, *a]", "!!python/object:os.system", "~", "null", "= 0", ">= 1", "in [", "not in [",
    " ", "\n", "\n\n", "  ", "🙂", "高", "é",
]

# Declarations that once made check pass and eval crash, or fmt/convert fail (issue 11);
# appended to a generated ruleset, each with its own inputs (all defaulted).
TRICKY = [
    "input Z1: number = 7.4\ntable round {\n  | Z1 || v |\n  | > 5 || 100 |\n  | - || 1 |\n}\nlet Z2 = round(Z1)",
    'table Z3 {\n  | 类别 || v |\n  | "甲" || len(items) |\n  | - || 1 |\n}',
    'table Z3 {\n  | 类别 || v |\n  | "甲" || case.period |\n  | - || 1 |\n}',
    'table Z3 {\n  | 类别 || v |\n  | "甲" || sum(dimensions) |\n  | - || 1 |\n}',
    'table Z3 {\n  | 类别 || v |\n  | "甲" || count(i in items where true) |\n  | - || 1 |\n}',
    "input Z4: 2..10 = 3\ninput Z5: number = 1\ntable Z6 hit unique {\n  | Z4 | Z5 || v |\n  | 3 | - || 1 |\n}",
    "levels Z7 [甲级, 乙级]\ngrade Z7 {\n  raise 1 when true\n}",
    "levels Z7 [甲级, 乙级]\ngrade Z7 {\n  otherwise -> 乙级\n}\nsupervision Z7 {\n  otherwise -> \"x\" every "
    + "9" * 4300 + " years\n}",
    "input Z1: number = 1\ntable Z8 {\n  | Z1 || v |\n  | - || 2 |\n}\nlet Z9 = Z8(Z1)\nsummary {\n  sum Z8\n}",
    "levels Z10 [高档, 低档]\ngrade Z10 {\n  (count(i in items where true) > 1) -> 高档\n  otherwise -> 低档\n}",
    'input Z11: one of ["a\u2028b", "c\x85d", "e\rf", "g\u2029"] = "g\u2029"',
    'input Z12: one of ["' + "9" * 5000 + '", "2"] = "2"',
    'input Z12: one of ["a\\"b # c", "2"] = "2"',
    "input Z1: number = 2\ntable `{0}` hit unique {\n  | Z1 || v |\n  | > 1 || 1 |\n  | > 0 || 2 |\n}",
    "input Z1: number = 2\ntable `{rows.__class__.__mro__}` hit any {\n  | Z1 || v |\n  | > 1 || 1 |\n"
    "  | > 0 || 2 |\n}",
    "let Z13 = 0." + "0" * 200 + "1",
    "let Z13 = " + "9" * 300,
    "input Z14: list of {a: number} = []\nsanction Z15 for e in Z14 where e.a > 1 {\n  fine e.a\n}",
    "table `not` {\n  | 类别 || v |\n  | - || 1 |\n}\nlet Z16 = `not`(类别)",
    "table `true` {\n  | 类别 || v |\n  | - || 1 |\n}\nlet Z16 = `true`(类别)",
    "input Z1: number = 1\nlet Z17 = Z1 / 0",
    "input Z1: number = 7\ntable Z18 {\n  | Z1 || v |\n  | > 5 || Z19(Z1) + 1 |\n  | - || 0 |\n}\n"
    "table Z19 {\n  | m || w |\n  | > 6 || 10 |\n  | - || 20 |\n}\nlet Z20 = Z18(Z1) + Z18",
    "input Z1: number = 1\nlet Z17 = round(Z1, 1000)",
]

CASE_TOKENS = [
    "1e999999999", "1e-999999", "-1e-999999", "1" * 5000, "0." + "0" * 5000 + "1", '"id": "I0", "id": "I0",',
    '{"a": 1, "a": 2', "\r", "x" * 140_000, ",id,id", ',"x","x"', "NaN", "Infinity", "[" * 500, "{" * 500,
    "&a [1]\nb: *a", "2010-02-30", "190:20:30", "0x1F", "1_000", "yes", "~", '"\\ud800"', "\ufeff",
]

# names a computed value can be renamed to: built-ins, keywords, format fields, code
RENAMES = ["`round`", "`not`", "`true`", "`sum`", "`len`", "`items`", "`case`", "`{0}`",
           "`{rows.__class__.__mro__}`", "`a'b`", '`a"b`', "`a\\b`", "`S'] = 0; TR['y`", "`x # y`",
           "`dimensions`", "`abs`", "`min`"]
COMPUTED = ["分0", "分1", "系数0", "系数1", "档位", "扣分"]


@dataclass
class Example:
    ruleset: str  # the text
    form: str  # "dsl" or "yaml"
    case: str | bytes  # the text (the bytes of a workbook)
    case_format: str  # "json", "yaml", "csv" or "xlsx"
    ruleset_valid: bool  # generated untouched: every verb must succeed on it
    case_valid: bool  # the items fit the ruleset (and the format can hold them)
    items: list[dict[str, Any]]
    units: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # the case's `units:`


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def case_text(items: list[dict[str, Any]], fmt: str, units: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """The case in JSON, YAML or CSV (a CSV's units go to companion files: `unit_files`)."""
    data: dict[str, Any] = {"items": _plain(items)}
    if units and fmt != "csv":
        data["units"] = _plain(units)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    header = _header(items)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for item in items:
        writer.writerow(["" if item.get(k) is None else str(_plain(item[k])).lower()
                         if isinstance(item.get(k), bool) else str(_plain(item[k])) for k in header])
    return out.getvalue()


def _header(items: list[dict[str, Any]]) -> list[str]:
    header: list[str] = []
    for item in items:
        header += [k for k in item if k not in header]
    return header


def unit_files(case: Path, units: dict[str, list[dict[str, Any]]]) -> dict[Path, str]:
    """A CSV case's companion files: `<case>.units.<rollup>.csv` per rollup (docs/rollups.md)."""
    return {case.with_name(f"{case.stem}.units.{name}.csv"): case_text(rows, "csv") for name, rows in units.items()}


def case_workbook(items: list[dict[str, Any]], units: dict[str, list[dict[str, Any]]]) -> Any:
    """The case as an openpyxl workbook in the layout of docs/spreadsheets.md: the items
    sheet first, a sheet per list field (`id` naming the item), `units.<rollup>` sheets."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "items"
    header = _header(items)
    lists = [k for k in header if any(isinstance(i.get(k), list) for i in items)]
    scalar = [k for k in header if k not in lists]
    sheet.append(scalar)
    for item in items:
        sheet.append([_plain(item.get(k)) for k in scalar])
    for name in lists:
        elements = [(item["id"], e) for item in items for e in item.get(name) or []]
        fields = _header([e for _, e in elements]) or ["类型"]
        ws = book.create_sheet(name)
        ws.append(["id", *fields])
        for owner, e in elements:
            ws.append([owner, *(_plain(e.get(k)) for k in fields)])
    for name, rows in units.items():
        ws = book.create_sheet(f"units.{name}")
        columns = _header(rows)
        ws.append(columns)
        for row in rows:
            ws.append([_plain(row.get(k)) for k in columns])
    return book


def workbook_bytes(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def mutated_workbook(draw: Any, items: list[dict[str, Any]], units: dict[str, list[dict[str, Any]]]) -> bytes:
    """A case workbook with one hostile edit: a broken zip, a cell far away, a formula with
    no cached value, a value of the wrong type, a huge string, a sheet or header gone."""
    book = case_workbook(items, units)
    sheet = book.worksheets[0]
    kind = draw(st.sampled_from(["zip", "far", "formula", "type", "huge", "header", "sheet"]))
    row = draw(st.integers(1, sheet.max_row + 1))
    column = draw(st.integers(1, sheet.max_column + 1))
    if kind == "far":
        sheet[draw(st.sampled_from(["XFD200000", "XFD1", "A1048576", "AAA3"]))] = draw(st.sampled_from([1, "x", None]))
    elif kind == "formula":
        sheet.cell(row, column, draw(st.sampled_from(["=1+1", "=A1", "=1/0", '="x"'])))
    elif kind == "type":
        import datetime

        sheet.cell(row, column, draw(st.sampled_from([
            "abc", True, datetime.datetime(2012, 1, 1), datetime.time(1, 2), 1e308, -0.5, "", " ", "1e999999999",
            "#DIV/0!", 10**30, "=x"])))
    elif kind == "huge":
        sheet.cell(row, column, draw(st.sampled_from(["x" * 40_000, "9" * 5000, "高" * 20_000])))
    elif kind == "header":
        sheet.cell(1, column, draw(st.sampled_from([None, "id", "items", "高", "`x`"])))
    elif kind == "sheet" and len(book.worksheets) > 1:
        del book[book.sheetnames[draw(st.integers(1, len(book.worksheets) - 1))]]
    data = workbook_bytes(book)
    if kind == "zip":
        at = draw(st.integers(0, len(data) - 1))
        data = draw(st.sampled_from([data[:at], data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:],
                                     b"PK\x03\x04" + data[at:], b"", b"not a workbook"]))
    return data


@st.composite
def mutated(draw: Any, text: str, tokens: list[str] = TOKENS) -> str:
    """`text` with one to four edits: a token inserted or put in place of a span, a span
    deleted, a line repeated or two lines swapped."""
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        at = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["insert", "insert", "replace", "delete", "line", "swap", "char"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(tokens)) + text[at:]
        elif kind == "replace":
            end = min(n, at + draw(st.integers(1, 8)))
            text = text[:at] + draw(st.sampled_from(tokens)) + text[end:]
        elif kind == "delete":
            text = text[:at] + text[min(n, at + draw(st.integers(1, 12))):]
        elif kind == "char":
            text = text[:at] + chr(draw(st.integers(0, 0x3000))) + text[at + 1:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@st.composite
def examples(draw: Any) -> Example:
    generated = draw(rulesets())
    text = generated.text
    valid = True
    tricky = draw(st.lists(st.sampled_from(TRICKY), max_size=2, unique=True)) if draw(st.integers(0, 2)) == 0 else []
    if tricky:
        text += "\n" + "\n".join(tricky) + "\n"
        valid = False  # check may refuse them; when it accepts, every verb must run
    if draw(st.integers(0, 3)) == 0:  # a computed value renamed to something hard
        old = draw(st.sampled_from([c for c in COMPUTED if c in text] or ["分0"]))
        text = text.replace(old, draw(st.sampled_from(RENAMES)))
        valid = False
    form = draw(st.sampled_from(["dsl", "yaml"]))
    if form == "yaml":
        from policyengine.errors import PolicyError
        from policyengine.parse import parse_text
        from policyengine.yamlform import to_yaml

        try:
            text = to_yaml(parse_text(text, "r.policy"))
        except PolicyError:
            form = "dsl"  # a rename the DSL rejects: fuzz the DSL instead
    if draw(st.integers(0, 2)) == 0:
        text = draw(mutated(text))
        valid = False
    case_format = draw(st.sampled_from(["json", "yaml", "csv", "xlsx"]))
    case: str | bytes
    # a CSV cell cannot hold a list of records
    case_valid = case_format != "csv" or not any(isinstance(v, list) for i in generated.items for v in i.values())
    if case_format == "xlsx":
        case = workbook_bytes(case_workbook(generated.items, generated.units))
        if draw(st.integers(0, 3)) == 0:
            case = draw(mutated_workbook(generated.items, generated.units))
            case_valid = False
    else:
        case = case_text(generated.items, case_format, generated.units)
        if draw(st.integers(0, 3)) == 0:
            case = draw(mutated(case, CASE_TOKENS + TOKENS))
            case_valid = False
    return Example(text, form, case, case_format, valid, case_valid, generated.items, generated.units)
