"""Stage 6: render results as JSON (SPEC §5), YAML, CSV or an aligned table.

Numbers are printed exactly as decimals (109.2, never 109.20000000000002),
keys keep the ruleset's order, and the same result always gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from .result import Result
from .runtime import format_number

# json cannot print a Decimal as a bare number, so numbers travel as marked strings
# and the marks are removed afterwards (user text cannot contain a raw NUL+SOH pair:
# json escapes control characters, so the pattern only matches our own marks).
_MARK = "\x00\x01"
_MARKED = re.compile(r'"\\u0000\\u0001([^"]*)"')


def plain(value: Any) -> Any:
    """A JSON-ready copy: Decimals as marked exact text, dates as ISO strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return _MARK + format_number(value)
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")  # keep user text from forging a number mark
    return value


def to_json(data: Any, indent: int | None = 2) -> str:
    text = json.dumps(plain(data), ensure_ascii=False, indent=indent)
    return _MARKED.sub(r"\1", text) + "\n"


def to_yaml(data: Any) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

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
    first = result.items[0] if result.items else None
    value_names = list(first.values) if first else []
    scales = list(first.grades) if first else []
    has_rank = {s: any(i.grades[s].rank is not None for i in result.items) for s in scales}
    header = ["id", "name", *value_names]
    for s in scales:
        header.append(s)
        if has_rank[s]:
            header.append(f"{s}.rank")
    header += ["supervision", "sanctions", "fine", "warning"]
    body = []
    for item in result.items:
        row = [item.id, item.name or "", *(cell(item.values[n]) for n in value_names)]
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


def to_csv(result: Result) -> str:
    header, body = rows(result)
    buffer = io.StringIO()
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
    from tabulate import tabulate

    s = result.summary
    lines = [f"items: {s['items']}"]
    for scale, counts in s["levels"].items():
        lines.append(f"{scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for block in s.get("counts", []):
        by = block["by"]
        if len(by) == 1:
            continue  # already shown above when it is a grade; else shown flat below
        flat = _flatten(block["counts"], len(by))
        lines.append(tabulate([[*k, v] for k, v in flat], headers=[*by, "count"], tablefmt="simple",
                              disable_numparse=True))
    for block in s.get("counts", []):
        if len(block["by"]) == 1 and block["by"][0] not in s["levels"]:
            lines.append(f"{block['by'][0]}: " + ", ".join(f"{k} {v}" for k, v in block["counts"].items()))
    for name, total in s.get("sums", {}).items():
        lines.append(f"sum {name}: {cell(total)}")
    lines.append(f"fines: {cell(s['fines'])}")
    return "\n".join(lines)


def _flatten(tree: dict[str, Any], depth: int) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for k, v in tree.items():
        if depth > 1 and isinstance(v, dict):
            out.extend(((k, *kk), vv) for kk, vv in _flatten(v, depth - 1))
        else:
            out.append(((k,), v))
    return out


def render(result: Result, fmt: str) -> str:
    if fmt == "json":
        return to_json(result.to_dict())
    if fmt == "yaml":
        return to_yaml(result.to_dict())
    if fmt == "csv":
        return to_csv(result)
    return to_table(result)


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
