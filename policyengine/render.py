"""Stage 6: render results as JSON (SPEC §5), YAML, CSV or an aligned table.

Numbers are printed exactly as decimals (109.2, never 109.20000000000002),
keys keep the ruleset's order, and the same result always gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from .result import ItemResult, Result
from .runtime import format_number


class JsonWriter:
    """JSON text in the layout of `json.dumps(indent=2, ensure_ascii=False)`, with Decimals
    printed as exact numbers (json's own encoder can only print them through float).

    One writer serves one rendering: results shared between items (a grade's level and
    colour, a supervision line) are the same objects, so their text is made once and
    reused; a province-size case then costs one pass over its values, not two.
    """

    def __init__(self) -> None:
        from json.encoder import encode_basestring

        self.quote = encode_basestring  # the C version where available
        self.numbers: dict[Decimal, str] = {}
        self.shared: dict[int, str] = {}
        self.keys: dict[str, str] = {}  # a value's name, quoted, with its colon
        self.pads: dict[int, tuple[str, str, str]] = {}  # line breaks at depth, +1, +2

    def value(self, v: Any, depth: int = 0) -> str:
        t = type(v)
        if t is str:
            return self.quote(v)
        if t is Decimal:
            text = self.numbers.get(v)
            if text is None:
                text = self.numbers[v] = format_number(v)
            return text
        if v is None:
            return "null"
        if t is bool:
            return "true" if v else "false"
        if t is dict:
            if not v:
                return "{}"
            pad = "\n" + "  " * (depth + 1)
            quote, value = self.quote, self.value
            return ("{" + pad + ("," + pad).join(f"{quote(str(k))}: {value(x, depth + 1)}" for k, x in v.items())
                    + "\n" + "  " * depth + "}")
        if t is list or t is tuple:
            if not v:
                return "[]"
            pad = "\n" + "  " * (depth + 1)
            value = self.value
            return "[" + pad + ("," + pad).join(value(x, depth + 1) for x in v) + "\n" + "  " * depth + "]"
        if isinstance(v, int):  # bool was handled above: it has no subclasses
            return int.__repr__(v)
        if isinstance(v, str):
            return self.quote(str(v))
        if isinstance(v, Decimal):
            return format_number(v)
        if isinstance(v, _dt.date):
            return self.quote(v.isoformat())
        if isinstance(v, dict):
            return self.value(dict(v), depth)
        if isinstance(v, (list, tuple)):
            return self.value(list(v), depth)
        raise TypeError(f"cannot write a {type(v).__name__} as JSON")

    def key(self, k: Any) -> str:
        text = self.keys[k] = self.quote(str(k)) + ": "
        return text

    def once(self, shared: Any, depth: int) -> str:
        """The text of a result object that many items share (same object, same depth)."""
        text = self.shared.get(id(shared))
        if text is None:
            text = self.shared[id(shared)] = self.value(shared.to_dict(), depth)
        return text

    def item(self, item: ItemResult, depth: int) -> str:
        """One item of SPEC §5, equal to `value(item.to_dict(), depth)`; the hot path of a
        large result, so the common cases (a number, an empty list) are written inline."""
        pad = self.pads.get(depth)
        if pad is None:
            pad = self.pads[depth] = tuple("\n" + "  " * (depth + k) for k in range(3))
        close, pad, inner = pad
        keys, numbers, value, once = self.keys, self.numbers, self.value, self.once
        parts = []
        for k, v in item.values.items():
            key = keys.get(k) or self.key(k)
            if v.__class__ is Decimal:
                text = numbers.get(v)
                if text is None:
                    text = numbers[v] = format_number(v)
            else:
                text = value(v, depth + 2)
            parts.append(key + text)
        values = "{" + inner + ("," + inner).join(parts) + pad + "}" if parts else "{}"
        grades = ("{" + inner + ("," + inner).join((keys.get(k) or self.key(k)) + once(g, depth + 2)
                                                  for k, g in item.grades.items())
                  + pad + "}") if item.grades else "{}"
        supervision = ("[" + inner + ("," + inner).join(once(s, depth + 2) for s in item.supervision)
                       + pad + "]") if item.supervision else "[]"
        sanctions = value([s.to_dict() for s in item.sanctions], depth + 1) if item.sanctions else "[]"
        return ("{" + pad + '"id": ' + value(item.id) + "," + pad + '"name": ' + value(item.name) + ","
                + pad + '"values": ' + values + "," + pad + '"grades": ' + grades + ","
                + pad + '"supervision": ' + supervision + "," + pad + '"sanctions": ' + sanctions
                + close + "}")

    def result(self, result: Result, depth: int = 0) -> Iterator[str]:
        """A whole result in pieces (a few items each), so output can be written as it is
        made instead of first building one string as large as the file."""
        pad = "\n" + "  " * (depth + 1)
        yield ("{" + pad + f'"ruleset": {self.value(result.ruleset, depth + 1)},'
               + pad + f'"case": {self.value(result.case, depth + 1)},' + pad + '"items": ')
        if not result.items:
            yield "[]"
        else:
            item_pad = "\n" + "  " * (depth + 2)
            items = result.items
            for start in range(0, len(items), 256):
                yield ("[" if start == 0 else ",") + item_pad + ("," + item_pad).join(
                    self.item(i, depth + 2) for i in items[start:start + 256])
            yield "\n" + "  " * (depth + 1) + "]"
        yield "," + pad + f'"summary": {self.value(result.summary, depth + 1)}' + "\n" + "  " * depth + "}"


def to_json(data: Any) -> str:
    """Any JSON-ready data (dicts, lists, Decimals, dates) as indented JSON text."""
    return JsonWriter().value(data) + "\n"


def json_chunks(results: list[Result]) -> Iterator[str]:
    """The JSON of one result, or of a list of results, in pieces."""
    writer = JsonWriter()
    if len(results) == 1:
        yield from writer.result(results[0])
    else:
        yield "[" if results else "[]"
        for n, result in enumerate(results):
            yield ("\n  " if n == 0 else ",\n  ")
            yield from writer.result(result, 1)
        if results:
            yield "\n]"
    yield "\n"


def to_yaml(data: Any) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        # Items share result objects (a table's value, a grade's level): without this,
        # PyYAML would print them as anchors and aliases (&id001 … *id001), which a
        # published table must not contain.
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def decimal(dumper: Any, d: Decimal) -> Any:
        text = format_number(d)
        tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
        return dumper.represent_scalar(tag, text)

    Dumper.add_representer(Decimal, decimal)
    Dumper.add_representer(tuple, lambda d, t: d.represent_list(list(t)))
    return yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def rows(result: Result) -> tuple[list[str], list[list[str]]]:
    """The flat table every tabular format shares: one row per item."""
    return table_rows([result])


def table_rows(results: list[Result], case_column: bool = False) -> tuple[list[str], list[list[str]]]:
    """One row per item of every result, under one header; with `case_column`, each row
    starts with the case file it came from (several cases in one spreadsheet)."""
    items = [i for r in results for i in r.items]
    first = items[0] if items else None
    value_names = list(first.values) if first else []
    scales = list(first.grades) if first else []
    has_rank = {s: any(i.grades[s].rank is not None for i in items) for s in scales}
    header = (["case"] if case_column else []) + ["id", "name", *value_names]
    for s in scales:
        header.append(s)
        if has_rank[s]:
            header.append(f"{s}.rank")
    header += ["supervision", "sanctions", "fine", "warning"]
    body = []
    for item, file in ((i, r.case.get("file")) for r in results for i in r.items):
        row = ([file or ""] if case_column else []) + [item.id, item.name or "",
                                                       *(cell(item.values[n]) for n in value_names)]
        for s in scales:
            row.append(item.grades[s].level)
            if has_rank[s]:
                row.append(cell(item.grades[s].rank))
        row.append("; ".join(f"{'、'.join(sv.by)}" + (f" (every {sv.every})" if sv.every else "")
                             for sv in item.supervision))
        row.append("; ".join(f"{s.rule}: {'、'.join(s.actions)}" if s.actions else s.rule for s in item.sanctions))
        row.append(cell(item.fine) if any(s.fine is not None for s in item.sanctions) else "")
        row.append(item.warning or "")
        body.append(row)
    return header, body


def to_csv(result: Result | list[Result]) -> str:
    """CSV for a spreadsheet: UTF-8 with a byte-order mark (without it Excel reads the
    Chinese as GBK and shows mojibake); several results share one header, with a first
    column naming each row's case file."""
    results = result if isinstance(result, list) else [result]
    header, body = table_rows(results, case_column=len(results) > 1)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue()


def to_table(result: Result) -> str:
    from tabulate import tabulate

    header, body = rows(result)
    numeric = {i for i, h in enumerate(header) if h not in ("id", "name") and all(
        re.fullmatch(r"-?\d+(\.\d+)?", r[i]) or r[i] == "" for r in body)}
    align = ["right" if i in numeric else "left" for i in range(len(header))]
    out = [_title(result), tabulate(body, headers=header, tablefmt="simple", colalign=align,
                                    disable_numparse=True)]
    out.append("")
    out.append(summary_text(result))
    return "\n".join(out) + "\n"


def _title(result: Result) -> str:
    rs, case = result.ruleset, result.case
    parts = [f"{rs['id']} {rs['version'] or ''}".strip()]
    if case.get("title"):
        parts.append(str(case["title"]))
    return " · ".join(parts)


def summary_text(result: Result) -> str:
    """The summary under a result table: the one-line figures first (items, levels,
    counts, sums, fines), then each `count by a, b` as a cross-table of its own, a
    values down and b values across with totals, as it would be laid out on paper."""
    from tabulate import tabulate

    s = result.summary
    lines = [f"items: {s['items']}"]
    if len(result.items) != s["items"]:  # `eval --item`: the summary still covers the whole case
        lines[0] += f" ({len(result.items)} shown; the summary counts all {s['items']})"
    for scale, counts in s["levels"].items():
        lines.append(f"{scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for block in s.get("counts", []):
        if len(block["by"]) == 1 and block["by"][0] not in s["levels"]:
            lines.append(f"{block['by'][0]}: " + ", ".join(f"{k} {v}" for k, v in block["counts"].items()))
    for name, total in s.get("sums", {}).items():
        lines.append(f"sum {name}: {cell(total)}")
    lines.append(f"fines: {cell(s['fines'])}")
    for block in s.get("counts", []):
        by = block["by"]
        if len(by) == 1:
            continue  # one line above
        lines.append("")
        lines.append("count by " + ", ".join(by))
        if len(by) == 2:
            header, body = _cross_table(by, block["counts"])
            lines.append(tabulate(body, headers=header, tablefmt="simple", disable_numparse=True,
                                  colalign=("left", *("right",) * (len(header) - 1))))
        else:
            flat = _flatten(block["counts"], len(by))
            lines.append(tabulate([[*k, str(v)] for k, v in flat], headers=[*by, "count"], tablefmt="simple",
                                  disable_numparse=True, colalign=(*("left",) * len(by), "right")))
    return "\n".join(lines)


def _cross_table(by: list[str], counts: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """`count by a, b` as rows of a values, columns of b values, a total column and a
    total row."""
    columns: list[str] = []
    for inner in counts.values():
        columns.extend(c for c in inner if c not in columns)
    body = []
    for row, inner in counts.items():
        cells = [inner.get(c, 0) for c in columns]
        body.append([str(row), *(str(n) for n in cells), str(sum(cells))])
    totals = [sum(inner.get(c, 0) for inner in counts.values()) for c in columns]
    body.append(["total", *(str(n) for n in totals), str(sum(totals))])
    return [f"{by[0]} \\ {by[1]}", *columns, "total"], body


def _flatten(tree: dict[str, Any], depth: int) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for k, v in tree.items():
        if depth > 1 and isinstance(v, dict):
            out.extend(((k, *kk), vv) for kk, vv in _flatten(v, depth - 1))
        else:
            out.append(((k,), v))
    return out


def render(result: Result | list[Result], fmt: str) -> str:
    """One result, or several (one per case file) as one document: JSON and YAML give a
    list, CSV one header, the table one block per case with a blank line between."""
    results = result if isinstance(result, list) else [result]
    if fmt == "json":
        return "".join(json_chunks(results))
    if fmt == "yaml":
        data = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
        return to_yaml(data)
    if fmt == "csv":
        return to_csv(results)
    return "\n".join(to_table(r) for r in results)


def write_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file.
    `text` may come in pieces, written as they are made.

    The file keeps the permissions it had (a new one gets what the umask gives, not the
    temporary file's private 0600), and a symbolic link stays a link to the rewritten file.
    """
    if path.is_symlink():
        path = path.resolve()
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~_umask()
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask
