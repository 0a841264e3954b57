"""What the diff report shows, as plain data for diff.html.j2: the same `Diff` that
`diff --format json` prints, laid out for reading."""

from __future__ import annotations

from typing import Any

from ..diff import Diff, text_diff
from ..i18n import N_, _
from ..render.tabular import cell
from ..runtime import format_number
from .figures import HeatMap, heat_map

STRICTER_FILL = "#d73027"
LENIENT_FILL = "#2e9e4f"
SAME_FILL = "#8c8c8c"
ITEMS_SHOWN = 2000  # changed items listed; the count is always complete
# declaration kinds as the page names them (the DSL keyword follows in brackets)
KINDS = {"header": N_("file header"), "input": N_("input"), "dimension": N_("dimension"), "table": N_("decision table"),
         "let": N_("computed value"), "levels": N_("levels"), "grade": N_("grading rule"),
         "supervision": N_("supervision"), "sanction": N_("sanction"), "summary": N_("summary")}
CHANGE_TITLES = {"added": N_("Added {kind} ({keyword}) {name}"), "removed": N_("Removed {kind} ({keyword}) {name}"),
                 "modified": N_("Changed {kind} ({keyword}) {name}")}


def changes_page(d: Diff) -> dict[str, Any]:
    changes = [{"kind": c.kind, "name": c.name, "change": c.change,
                "title": _(CHANGE_TITLES[c.change], kind=_(KINDS[c.kind]) if c.kind in KINDS else c.kind,
                           keyword=c.kind, name=c.name),
                "lines": [(line[:1], line[2:]) for line in text_diff(c.old, c.new)]} for c in d.changes]
    page: dict[str, Any] = {"old": _side(d.old, d.old_path), "new": _side(d.new, d.new_path),
                            "changes": changes, "impact": None}
    imp = d.impact
    if imp is not None:
        page["impact"] = {
            "items": imp.items, "cases": [c or "" for c in imp.cases], "changed": len(imp.items_changed),
            "regraded": imp.regraded, "fines_old": format_number(imp.fines_old),
            "fines_new": format_number(imp.fines_new),
            "scales": [(s.scale, s.verdict, _migration(s), s.counts("old"), s.counts("new")) for s in imp.scales],
            "scales_added": imp.scales_added, "scales_removed": imp.scales_removed,
            "items_changed": [_item(i) for i in imp.items_changed[:ITEMS_SHOWN]],
            "more": max(0, len(imp.items_changed) - ITEMS_SHOWN),
        }
    return page


def _side(info: dict[str, Any], path: str | None) -> dict[str, Any]:
    return {"id": info["id"], "version": info["version"] or "", "digest": info["digest"], "file": path or ""}


def _migration(s: Any) -> HeatMap:
    """Old levels down, new levels across; a cell red where items move to a more severe
    level, green where to a more lenient one, grey where they stay."""
    rows = list(s.old_levels)
    columns = list(s.new_levels)
    levels = {}
    for old in rows:
        for new in columns:
            move = s.severity(new) - s.severity(old)
            fill = STRICTER_FILL if move < 0 else LENIENT_FILL if move > 0 else SAME_FILL
            levels[(old, new)] = ("", fill)
    return heat_map(_("{scale}: migration", scale=s.scale), _("old level"), _("new level"), rows, columns, s.migration,
                    cell_levels=levels, kind="migration")


def _item(i: Any) -> dict[str, Any]:
    def fired(side: list[dict[str, Any]]) -> str:
        return "; ".join(_("{rule} (fine {fine})", rule=f["rule"], fine=cell(f["fine"])) if f["fine"] is not None
                         else f["rule"] for f in side)

    return {"case": i.case or "", "id": i.id, "name": i.name or "",
            "grades": [(k, a, b) for k, (a, b) in i.grades.items()],
            "values": [(k, cell(a), cell(b)) for k, (a, b) in i.values.items()],
            "sanctions": (fired(i.sanctions[0]), fired(i.sanctions[1])) if i.sanctions is not None else None}
