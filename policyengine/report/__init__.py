"""`policyengine report` and `diff -o diff.html`: one self-contained HTML file.

Everything is inline (CSS, SVG charts, a little vanilla JavaScript for sorting,
filtering, searching, paging and expanding the table), so the file opens from a USB
stick with no network. The pages are Jinja2 templates (package data under
templates/) rendered by an autoescaping environment: ruleset and case text is
untrusted and reaches the page only escaped, including inside the inline JSON.
The same inputs and the same `date` give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from ..api import LoadedRuleset
from ..case import Case, load_case
from ..i18n import _, language
from .publication import EXPLAIN_LIMIT, SECTIONS, Publication, Section, case_publication

__all__ = ["EXPLAIN_LIMIT", "SECTIONS", "Publication", "Section", "diff_html", "report_html"]


def script_json(data: Any) -> Any:
    """JSON for a <script type="application/json"> block: `<`, `>`, `&` and `'` written as
    \\u escapes, so no text from a ruleset can close the script element or open another."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_plain)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        from ..runtime import format_number

        return format_number(value)
    if isinstance(value, (_dt.date,)):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} into the report")


@cache
def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("policyengine.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["script_json"] = script_json
    # the pages' words go through the interface's catalog (i18n._, with its `{name}` placeholders;
    # what it returns is plain text, escaped like any other value); the language is read per call
    env.globals["_"] = _
    env.globals["page_language"] = lambda: "zh-CN" if language() == "zh" else "en"
    return env


def report_html(rs: LoadedRuleset, cases: Sequence[Case | str | Path], date: _dt.date,
                explain_limit: int = EXPLAIN_LIMIT) -> str:
    """The 公示 report of `cases` under `rs`, dated `date` (printed on the page)."""
    from ..evaluate import evaluate_with_rows

    pubs: list[Publication] = []
    for k, case in enumerate(cases):
        loaded = case if isinstance(case, Case) else load_case(case)
        result, rows = evaluate_with_rows(rs.compiled, loaded, rs.digest)
        pubs.append(case_publication(k, rs, loaded, result, rows, explain_limit))
    model = rs.model
    return environment().get_template("report.html.j2").render(
        title=model.title or model.id, ruleset=pubs[0].ruleset if pubs else None, model=model,
        publications=pubs, date=date.isoformat(), scales=model.scales)


def diff_html(d: Any, date: _dt.date) -> str:
    """The report of a `diff`: changed declarations as text diffs, each migration matrix as a
    heat map, the items that change."""
    from .changes import changes_page

    return environment().get_template("diff.html.j2").render(date=date.isoformat(), **changes_page(d))
