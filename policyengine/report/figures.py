"""The report's charts as data for its SVG templates: bars of counts per level and heat
maps (a matrix grade's cells, a `count by` cross-table, a diff's migration matrix).

Geometry is computed here, in Python, so the templates only place rectangles and text;
no chart library, nothing fetched from the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Level colours are words from the ruleset (`levels 风险等级 [三级 red, …]`): only these
# names and #rgb/#rrggbb reach a style attribute, so ruleset text never becomes CSS.
PALETTE = {
    "red": "#d73027",
    "orange": "#f08c2e",
    "yellow": "#f2c500",
    "blue": "#3b7dd8",
    "green": "#2e9e4f",
    "purple": "#8e5bb5",
    "grey": "#8c8c8c",
    "gray": "#8c8c8c",
    "black": "#333333",
}
NEUTRAL = "#8c8c8c"  # a level with no colour, or one the palette does not know
HEAT = "#3b7dd8"  # cells of a heat map whose rows are not levels


def level_colour(name: str | None) -> str:
    if not name:
        return NEUTRAL
    if re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", name):
        return name
    return PALETTE.get(name.lower(), NEUTRAL)


def ink(colour: str, strength: float = 1.0) -> str:
    """Black or white text, whichever reads better on `colour` at this opacity."""
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    r, g, b = (int(hex_[i:i + 2], 16) for i in (0, 2, 4))
    # blend with white by (1 - strength), then luminance
    r, g, b = (255 - (255 - c) * strength for c in (r, g, b))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


@dataclass
class Bar:
    label: str
    count: int
    colour: str
    y: int
    width: float


@dataclass
class Bars:
    """Items per level of one grade scale, one horizontal bar per level, in scale order."""

    title: str
    bars: list[Bar]
    total: int
    label_width: int = 120
    bar_area: int = 420
    row: int = 28

    @property
    def height(self) -> int:
        return self.row * len(self.bars) + 8

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 80


def bars(title: str, counts: dict[str, int], colours: dict[str, str | None]) -> Bars:
    top = max(counts.values(), default=0) or 1
    area = 420
    out = [Bar(label, n, level_colour(colours.get(label)), 4 + k * 28, round(area * n / top, 1))
           for k, (label, n) in enumerate(counts.items())]
    return Bars(title, out, sum(counts.values()), bar_area=area)


@dataclass
class Cell:
    row: str
    column: str
    count: int
    fill: str
    opacity: float
    text_colour: str
    x: int = 0
    y: int = 0
    level: str | None = None  # a matrix grade's cell: the level it gives


@dataclass
class HeatMap:
    """A grid of counts; each cell filled in its level's colour (or one hue), stronger the
    more items it holds, with the count written in it."""

    title: str
    row_title: str
    column_title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    kind: str = "count"  # count, matrix, migration (for tests and styling)
    row_totals: list[int] = field(default_factory=list)
    column_totals: list[int] = field(default_factory=list)
    cell_width: int = 84
    cell_height: int = 34
    label_width: int = 120
    head: int = 44

    @property
    def width(self) -> int:
        return self.label_width + self.cell_width * (len(self.columns) + 1) + 8

    @property
    def height(self) -> int:
        return self.head + self.cell_height * (len(self.rows) + 1) + 8


def heat_map(title: str, row_title: str, column_title: str, rows: list[str], columns: list[str],
             counts: dict[str, dict[str, int]], fills: dict[str, str] | None = None,
             cell_levels: dict[tuple[str, str], tuple[str, str]] | None = None, kind: str = "count") -> HeatMap:
    """`fills` colours a whole row (rows that are levels); `cell_levels` gives each cell its
    own level and colour (a matrix grade). Otherwise one hue. Opacity grows with the count,
    and never falls below a visible tint so an empty level cell still shows its colour."""
    top = max((n for inner in counts.values() for n in inner.values()), default=0) or 1
    grid: list[list[Cell]] = []
    m = HeatMap(title, row_title, column_title, rows, columns, grid, kind)
    for r, row in enumerate(rows):
        line = []
        for c, column in enumerate(columns):
            n = counts.get(row, {}).get(column, 0)
            level = None
            if cell_levels is not None and (row, column) in cell_levels:
                level, fill = cell_levels[(row, column)]
                strength = 0.35 + 0.65 * n / top if n else 0.25
            else:
                fill = (fills or {}).get(row, HEAT)
                strength = 0.12 + 0.88 * n / top if n else 0.04
            strength = round(strength, 3)
            line.append(Cell(row, column, n, fill, strength, ink(fill, strength),
                             m.label_width + c * m.cell_width, m.head + r * m.cell_height, level))
        grid.append(line)
    m.row_totals = [sum(cell.count for cell in line) for line in grid]
    m.column_totals = [sum(grid[r][c].count for r in range(len(rows))) for c in range(len(columns))]
    return m
