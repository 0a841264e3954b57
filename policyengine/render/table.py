"""Results as an aligned table for the terminal, with the summary under it.

Without a `TableView` the table is the same in a pipe, a file and a test as it has
always been. A view chooses columns (inputs included), fits a terminal's width
(shortening long text, then leaving out the least needed columns, and saying which),
and colours level cells; the command line builds one from its options and the terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_, _
from ..printable import printable
from ..result import Result
from .tabular import cell, rollup_rows, rows


@dataclass
class TableView:
    """How a table is shown. `inputs` holds, per input name, its cell text for each item (in
    the order of `result.items`), for `columns` that name inputs."""

    columns: tuple[str, ...] | None = None
    inputs: dict[str, list[str]] = field(default_factory=dict)
    sanctions: bool = True  # False: the ruleset declares none, so no fine/warning columns
    width: int | None = None  # fit this many display columns
    colour: bool = False  # level cells in their level's colour (ANSI)


# ANSI foreground colours for the level colours the DSL knows
ANSI = {"red": "31", "orange": "38;5;208", "yellow": "33", "blue": "34", "green": "32"}
SHORTEST = 8  # a shortened column keeps at least this many display columns
# sanctions, fine, warning: the table's last columns, left out for a ruleset with no sanctions
SANCTION_COLUMNS = 3
# the table's own columns, by the names --columns takes (and CSV/JSON use): shown translated
COLUMN_TITLES = {"case": N_("case"), "id": N_("id"), "name": N_("name"), "supervision": N_("supervision"),
                 "sanctions": N_("sanctions"), "fine": N_("fine"), "warning": N_("warning")}


def column_titles(header: list[str]) -> list[str]:
    """The header as the terminal shows it: the table's own columns in the interface's language,
    `<scale>.rank` as "<scale> 排名" in Chinese; a ruleset's own names (values, inputs, scales) as written."""
    out = []
    for h in header:
        if h in COLUMN_TITLES:
            out.append(_(COLUMN_TITLES[h]))
        elif h.endswith(".rank") and h[:-5] in header:
            out.append(_("{scale}.rank", scale=h[:-5]))
        else:
            out.append(h)
    return out
HEADER_PAD = 2  # tabulate's MIN_PADDING around a header
GAP = 2  # tabulate's "simple" format puts two spaces between columns


def to_table(result: Result, view: TableView | None = None) -> str:
    from tabulate import tabulate

    header, body = rows(result, reading=True)
    notes: list[str] = []
    colours: list[list[str | None]] | None = None
    if view is not None:
        header, body, colours = _chosen(result, header, body, view)
    # cells made printable before they are measured, shortened and painted: the colour
    # codes added below are the only escape sequences the table may carry
    header = [printable(h) for h in header]
    body = [[printable(c) for c in row] for row in body]
    if view is not None and colours is not None and view.width is not None:
        header, body, colours, notes = _fit(header, body, colours, view.width)
    else:
        header = column_titles(header)
    words = (_(COLUMN_TITLES["id"]), _(COLUMN_TITLES["name"]))
    numeric = {i for i, h in enumerate(header) if h not in words and _numeric(body, i)}
    align = ["right" if i in numeric else "left" for i in range(len(header))]
    if view is not None and view.colour and colours is not None:
        body = [[_paint(text, colour) for text, colour in zip(row, line, strict=True)]
                for row, line in zip(body, colours, strict=True)]
    table = tabulate(body, headers=header, tablefmt="simple", colalign=align, disable_numparse=True)
    # every line below is made printable as it is added (the blocks of rows already are)
    out = [printable(_title(result)), table]
    out += notes
    out.append("")
    out.append(printable(summary_text(result, fines=view is None or view.sanctions)))
    for name, rollup in result.rollups.items():
        # one block per rollup: its units as the items are shown, then its summary
        header, body = rollup_rows([result], name, reading=True)
        header = column_titles(header)
        out += ["", printable(_("rollup {name} · {count} units", name=name, count=len(rollup.units))),
                _aligned(header, body), "", printable(summary_lines(rollup.summary, len(rollup.units), "units"))]
    if result.previous is not None:
        out.append(printable(_("previous: {results}", results="; ".join(_earlier(p) for p in result.previous))))
    if result.reviews_due is not None:
        from ..reviews import reviews_lines

        out.append("")
        out.extend(printable(line) for line in reviews_lines(result.reviews_due))
    return "\n".join(out) + "\n"


def _earlier(p: dict[str, Any]) -> str:
    """One earlier result as the table names it: `file (id version, period P)`."""
    named = " ".join(str(x) for x in (p["ruleset"]["id"], p["ruleset"].get("version")) if x)
    if p["period"] is not None:
        return _("{file} ({ruleset}, period {period})", file=p["file"], ruleset=named, period=p["period"])
    return _("{file} ({ruleset})", file=p["file"], ruleset=named)


def _aligned(header: list[str], body: list[list[str]]) -> str:
    """A block of rows as the items' table is laid out: numbers right-aligned."""
    from tabulate import tabulate

    header = [printable(h) for h in header]
    body = [[printable(c) for c in row] for row in body]
    numeric = {i for i in range(2, len(header)) if _numeric(body, i)}
    align = ["right" if i in numeric else "left" for i in range(len(header))]
    return tabulate(body, headers=header, tablefmt="simple", colalign=align, disable_numparse=True)


def columns_of(result: Result, inputs: list[str], sanctions: bool = True) -> list[str]:
    """Every column a view can choose: the table's own, then the inputs it does not show."""
    header, _body = rows(Result(result.ruleset, result.case, result.items[:1], result.summary))
    if not sanctions:
        header = header[:-SANCTION_COLUMNS]
    return header + [n for n in inputs if n not in header]


def _chosen(result: Result, header: list[str], body: list[list[str]], view: TableView,
            ) -> tuple[list[str], list[list[str]], list[list[str | None]]]:
    """The view's columns, with each cell's level colour (None: not a level cell)."""
    scales = set(result.items[0].grades) if result.items else set()
    colour_rows = [[item.grades[h].color if h in scales else None for h in header] for item in result.items]
    if not view.sanctions:
        header, body, colour_rows = (header[:-SANCTION_COLUMNS], [r[:-SANCTION_COLUMNS] for r in body],
                                     [c[:-SANCTION_COLUMNS] for c in colour_rows])
    if view.columns is None:
        return header, body, colour_rows
    index = {h: k for k, h in enumerate(header)}
    out_body: list[list[str]] = [[] for _row in body]
    out_colours: list[list[str | None]] = [[] for _row in body]
    for name in view.columns:
        k = index.get(name)
        for n, (row, line) in enumerate(zip(body, colour_rows, strict=True)):
            if k is not None:
                out_body[n].append(row[k])
                out_colours[n].append(line[k])
            else:
                out_body[n].append(view.inputs[name][n])
                out_colours[n].append(None)
    return list(view.columns), out_body, out_colours


def _paint(text: str, colour: str | None) -> str:
    code = ANSI.get(colour or "")
    return f"\x1b[{code}m{text}\x1b[0m" if code and text else text


def display_width(text: str) -> int:
    from wcwidth import wcswidth

    n = wcswidth(text)
    return n if n >= 0 else len(text)


def clip(text: str, width: int) -> str:
    """`text` cut to `width` display columns, ending in … when cut (CJK counts double)."""
    from wcwidth import wcwidth

    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _fit(header: list[str], body: list[list[str]], colours: list[list[str | None]], width: int,
         ) -> tuple[list[str], list[list[str]], list[list[str | None]], list[str]]:
    """Fit the table in `width` display columns: first shorten the longest text columns (not
    the id, nor a level), then leave out whole columns, least needed first; the notes say
    what was shortened and what was left out. `header` holds the columns' names; the header
    returned, their titles (column_titles)."""
    titles = column_titles(header)
    # tabulate pads every header by HEADER_PAD: a column is never narrower than that
    widths = [max([display_width(h) + HEADER_PAD] + [display_width(r[k]) for r in body])
              for k, h in enumerate(titles)]

    def total() -> int:
        return sum(widths[k] for k in keep) + GAP * (len(keep) - 1)

    natural = list(widths)
    keep = list(range(len(header)))
    levels = {k for k in keep if any(line[k] for line in colours)}
    shortened: list[int] = []
    while total() > width:
        candidates = [k for k in keep if k not in levels and header[k] != "id" and not _numeric(body, k)
                      and widths[k] > max(SHORTEST, display_width(titles[k]) + HEADER_PAD)]
        if not candidates:
            break
        k = max(candidates, key=lambda c: (widths[c], -c))
        widths[k] = max(SHORTEST, display_width(titles[k]) + HEADER_PAD, widths[k] - (total() - width))
        if k not in shortened:
            shortened.append(k)
    dropped: list[int] = []
    for k in _drop_order(header, colours):
        if total() <= width or len(keep) == 1:
            break
        keep.remove(k)
        dropped.append(k)
    for k in shortened:  # room freed by leaving columns out goes back to what was shortened
        if k in keep and total() < width:
            widths[k] = min(natural[k], widths[k] + width - total())
    shortened = [k for k in shortened if k in keep and widths[k] < natural[k]]
    notes = []
    if shortened:
        notes.append(_("shortened to fit: {columns} (cut with …)", columns=", ".join(titles[k] for k in shortened)))
    if dropped:
        notes.append(_("left out to fit {width} columns: {columns} (choose with --columns; a pipe or a file gets "
                       "every column)", width=width, columns=", ".join(header[k] for k in sorted(dropped))))
    body = [[clip(r[k], widths[k]) for k in keep] for r in body]
    colours = [[line[k] for k in keep] for line in colours]
    return [clip(titles[k], widths[k]) for k in keep], body, colours, [
        line for note in notes for line in _wrap(note, width)]


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` display columns, broken at spaces (CJK counts
    double, which textwrap does not know); continuation lines indented by two."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and display_width(candidate) > width:
            lines.append(line)
            candidate = "  " + word
        line = candidate
    lines.append(line)
    return lines


def _numeric(body: list[list[str]], k: int) -> bool:
    return all(re.fullmatch(r"-?\d+(\.\d+)?", r[k]) or r[k] == "" for r in body)


def _drop_order(header: list[str], colours: list[list[str | None]]) -> list[int]:
    """Columns in the order they are left out: what explains a grade goes before the grade;
    the id and the levels go last (a table without them says nothing)."""
    def weight(k: int) -> int:
        h = header[k]
        if h == "id":
            return 9
        if any(line[k] for line in colours):
            return 8  # a level
        if h == "name":
            return 7
        return {"warning": 0, "sanctions": 1, "supervision": 2, "fine": 4}.get(h, 3 if h.endswith(".rank") else 5)
    # computed values are listed in the order they are computed, the final score last: the
    # leftmost goes first; of the other kinds, the rightmost
    return sorted(range(len(header)), key=lambda k: (weight(k), k if weight(k) == 5 else -k))


def _title(result: Result) -> str:
    rs, case = result.ruleset, result.case
    parts = [f"{rs['id']} {rs['version'] or ''}".strip()]
    if case.get("title"):
        parts.append(str(case["title"]))
    return " · ".join(parts)


def summary_text(result: Result, fines: bool = True) -> str:
    """The summary under a result table: the one-line figures first (items, levels,
    counts, sums, fines), then each `count by a, b` as a cross-table of its own, a
    values down and b values across with totals, as it would be laid out on paper."""
    return summary_lines(result.summary, len(result.items), "items", fines)


def summary_lines(s: dict[str, Any], shown: int, subject: str, fines: bool = True) -> str:
    from tabulate import tabulate

    lines = [_("items: {count}", count=s["items"]) if subject == "items"
             else _("units: {count}", count=s["items"])]
    if shown != s["items"]:  # `eval --item`: the summary still covers the whole case
        lines[0] += _(" ({shown} shown; the summary counts all {count})", shown=shown, count=s["items"])
    for scale, counts in s["levels"].items():
        lines.append(f"{scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for block in s.get("counts", []):
        if len(block["by"]) == 1 and block["by"][0] not in s["levels"]:
            lines.append(f"{block['by'][0]}: " + ", ".join(f"{k} {v}" for k, v in block["counts"].items()))
    for name, total in s.get("sums", {}).items():
        lines.append(_("sum {name}: {total}", name=name, total=cell(total)))
    if fines:  # a ruleset without sanctions has no fines to total
        lines.append(_("fines: {total}", total=cell(s["fines"])))
    for block in s.get("counts", []):
        by = block["by"]
        if len(by) == 1:
            continue  # one line above
        lines.append("")
        lines.append(_("count by {names}", names=", ".join(by)))
        if len(by) == 2:
            header, body = _cross_table(by, block["counts"])
            lines.append(tabulate(body, headers=header, tablefmt="simple", disable_numparse=True,
                                  colalign=("left", *("right",) * (len(header) - 1))))
        else:
            flat = flatten_counts(block["counts"], len(by))
            lines.append(tabulate([[*k, str(v)] for k, v in flat], headers=[*by, _("count")], tablefmt="simple",
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
    body.append([_("total"), *(str(n) for n in totals), str(sum(totals))])
    return [f"{by[0]} \\ {by[1]}", *columns, _("total")], body


def flatten_counts(tree: dict[str, Any], depth: int) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for k, v in tree.items():
        if depth > 1 and isinstance(v, dict):
            out.extend(((k, *kk), vv) for kk, vv in flatten_counts(v, depth - 1))
        else:
            out.append(((k,), v))
    return out
