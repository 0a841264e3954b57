"""A hypothesis strategy for small but varied valid rulesets, written untidily.

Each example is DSL text using most constructs of the language (inputs of every
type, dimensions, tables of every hit policy, a table called like a function, lets,
grades with every kind of line, a matrix, raises, supervision, sanctions, a summary),
declared in a shuffled order across kinds, with comments above, after and inside
statements, odd spacing and stray blank lines, plus a case whose items fit it. The
properties of fmt and convert are tested on these (tests/test_fmt.py,
tests/test_yamlform.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

# Names a policy officer might choose, including words that are keywords somewhere in
# the grammar (`by`, `first`, `to`, `x`) and names that need backticks.
NUMBER_NAMES = ["运行次数", "金额合计", "x", "by", "first", "weight", "score_2", "`系数(修正)`", "`if`", "to"]
COMMENTS = ["# 说明", "#no space", "# a | b || c", '# "quoted" and `ticks`', "# 假设 A1:取值见原文", "#"]
KINDS = ["甲", "乙", "丙"]


@dataclass
class Generated:
    text: str
    items: list[dict[str, Any]]
    # a rollup's units, as a case's `units:` section (docs/rollups.md); empty without one
    units: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class _Writer:
    """Collects lines; decorates them with comments and blank lines as drawn."""

    def __init__(self, draw: Any):
        self.draw = draw
        self.lines: list[str] = []

    def space(self, required: bool = False) -> str:
        return self.draw(st.sampled_from([" ", "  ", "\t"] if required else ["", " ", " ", "  "]))

    def comment(self) -> str:
        return self.draw(st.sampled_from(COMMENTS))

    def line(self, text: str, indent: str = "") -> None:
        draw = self.draw
        if draw(st.integers(0, 5)) == 0:
            self.lines.append("")
        if draw(st.integers(0, 4)) == 0:
            self.lines.append(indent + self.comment())
        trailing = f"{self.space()} {self.comment()}" if draw(st.integers(0, 4)) == 0 else ""
        self.lines.append(indent + text + trailing)


def _number(draw: Any, low: int = 0, high: int = 100) -> str:
    whole = draw(st.integers(low, high))
    if draw(st.booleans()):
        return str(whole)
    return f"{whole}.{draw(st.sampled_from(['5', '25', '0', '05']))}"


def _expression(draw: Any, w: _Writer, names: list[str], depth: int = 0) -> str:
    """A numeric expression over `names` (never divides by something that may be zero)."""
    sp = w.space
    leaf_only = depth >= 2 or draw(st.integers(0, 2)) == 0
    if leaf_only:
        return draw(st.sampled_from([*names, "1", "2.5", "15%", "0.1", "10", "3"]))
    a = _expression(draw, w, names, depth + 1)
    b = _expression(draw, w, names, depth + 1)
    form = draw(st.sampled_from(["+", "-", "*", "/", "round", "max", "min", "abs", "if", "paren"]))
    if form in ("+", "-", "*"):
        return f"{a}{sp()}{form}{sp()}{b}"
    if form == "/":
        return f"{a}{sp()}/{sp()}{draw(st.sampled_from(['2', '4', '0.5', '10%']))}"
    if form == "round":
        return f"round({sp()}{a},{sp()}{draw(st.integers(0, 2))})"
    if form in ("max", "min"):
        return f"{form}({a},{sp()}{b})"
    if form == "abs":
        return f"abs({a})"
    if form == "if":
        op = draw(st.sampled_from([">", ">=", "<", "<=", "==", "!="]))
        # in parentheses: `if` binds loosest, so it could not be an operand otherwise
        return (f"(if{w.space(True)}{a}{sp()}{op}{sp()}{b}{w.space(True)}then{w.space(True)}{a}"
                f"{w.space(True)}else{w.space(True)}{b})")
    return f"({sp()}{a}{sp()}){sp()}*{sp()}{b}"


@st.composite
def rulesets(draw: Any) -> Generated:
    w = _Writer(draw)
    sp = w.space
    gap = lambda: w.space(True)  # noqa: E731 - a short name reads better in the templates below

    # ---- header
    if draw(st.booleans()):
        w.lines.append(w.comment())
    title = f"{gap()}\"生成的规则集\"" if draw(st.booleans()) else ""
    w.line(f"ruleset{gap()}gen{title}")
    w.line(f"version{gap()}\"{draw(st.integers(2008, 2024))}\"")
    if draw(st.booleans()):
        w.line(f"effective{gap()}2012-01-0{draw(st.integers(1, 9))}")
    for k in range(draw(st.integers(0, 2))):
        w.line(f'source{gap()}"seed.txt 第{k + 1}篇"')
    if draw(st.booleans()):
        w.line(f"subject{gap()}风险点")

    # ---- inputs and dimensions
    declarations: list[tuple[str, list[tuple[str, str]]]] = []  # (kind, [(line, indent)])
    numeric = draw(st.lists(st.sampled_from(NUMBER_NAMES), min_size=1, max_size=3, unique=True))
    bounds: dict[str, tuple[int, int]] = {}
    for name in numeric:
        form = draw(st.integers(0, 3))
        if form == 0:
            spec, bounds[name] = "number", (0, 500)
        elif form == 1:
            spec, bounds[name] = f"integer{sp()}>={sp()}0", (0, 2000)
        elif form == 2:
            spec, bounds[name] = "0..100", (0, 100)
        else:
            spec, bounds[name] = f"number >= 0 <= 1000{sp()}={sp()}5", (0, 1000)
        doc = f'{gap()}"{name}的说明"' if draw(st.booleans()) else ""
        declarations.append(("input", [(f"input {name}{sp()}:{sp()}{spec}{doc}", "")]))
    declarations.append(("input", [(f'input 类别: one of [{sp()}"甲",{sp()}"乙", "丙"{sp()}]', "")]))
    has_leader = draw(st.booleans())
    if has_leader:
        declarations.append(("input", [(f"input 领导{sp()}:{sp()}bool{sp()}={sp()}false", "")]))
    has_events = draw(st.booleans())
    if has_events:
        declarations.append(("input", [("input 事件: list of {类型: one of [\"吃请\", \"经商\"],"
                                         f"{sp()}金额: number >= 0 = 0}}", "")]))
    if draw(st.booleans()):  # notes: carried, used by no rule, one line may declare several
        doc = f'{gap()}"说明"' if draw(st.booleans()) else ""
        declarations.append(("input", [(f"note 责任部门{sp()},{sp()}防控措施{sp()}:{sp()}text{doc}", "")]))
    dimensions = [f"维度{i}" for i in range(draw(st.integers(0, 3)))]
    for d in dimensions:
        weight = f"{gap()}weight{gap()}{draw(st.sampled_from(['2', '0.5', '1.5']))}" if draw(st.booleans()) else ""
        doc = f'{gap()}"从高评分"' if draw(st.booleans()) else ""
        declarations.append(("dimension", [(f"dimension {d}:{sp()}1..5{weight}{doc}", "")]))
    values = list(numeric) + dimensions

    # ---- tables (their bare names are numeric values too)
    def table(name: str, hit: str, header: list[str], rows: list[list[str]], split: int) -> None:
        lines = [(f"table {name}{hit} {{", "")]
        for cells in [header, *rows]:
            text = "|"
            for i, cell in enumerate(cells):
                text += ("||" if i == split else "|" if i else "") + f"{sp()}{cell}{sp()}"
            lines.append((text + "|", "  "))
        lines.append(("}", ""))
        declarations.append(("table", lines))

    computed: list[str] = []
    for t in range(draw(st.integers(0, 2))):
        column = draw(st.sampled_from(numeric))
        low, high = bounds[column]
        cuts = sorted(draw(st.lists(st.integers(low + 1, high - 1), min_size=2, max_size=3, unique=True)))
        hit = draw(st.sampled_from(["", " hit first", " hit unique", " hit collect sum", " hit collect max",
                                    " hit collect count"]))
        if hit == " hit unique":
            rows = [[f"<{sp()}{cuts[0]}", _number(draw)]]
            rows += [[f"[{a}..{b})", _number(draw)] for a, b in itertools.pairwise(cuts)]
            rows.append([f">= {cuts[-1]}", _number(draw)])
        else:
            rows = [[f">={sp()}{c}", _number(draw)] for c in reversed(cuts)]
            rows.append(["-", _number(draw)])
        name = f"系数{t}"
        table(name, hit, [column, "系数"], rows, 1)
        computed.append(name)
    if draw(st.booleans()):  # a multi-output table with `any`, read as 档位.加分
        rows = [[f'"{k}"', f'"{k}档"', _number(draw, 0, 5)] for k in KINDS]
        table("档位", " hit any", ["类别", "档", "加分"], rows, 1)
        computed.append("档位.加分")
    if has_events:  # a table called like a function, per event
        table("扣分", "", ["类型", "分"], [['"吃请"', "2"], ['not in ["吃请"]', "1"]], 1)
        computed.append(f"sum(扣分(e.类型){gap()}for e in 事件 where e.金额{sp()}>{sp()}{draw(st.integers(0, 50))})")
        computed.append(f"count(e in 事件 where e.类型{sp()}=={sp()}\"经商\")")
    if dimensions:
        computed.append(draw(st.sampled_from(["sum(dimensions)", "weighted(dimensions)"])))

    # ---- lets: each may use what comes before it
    lets: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        name = f"分{i}"
        pool = values + computed + lets
        declarations.append(("let", [(f"let {name}{sp()}={sp()}{_expression(draw, w, pool)}", "")]))
        lets.append(name)
    score = lets[-1]

    # ---- grades, supervision, sanctions, summary
    declarations.append(("levels", [(f"levels 档 [高{gap()}red,{sp()}中 yellow, 低{gap()}green]", "")]))
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["top", "bottom", "condition"]))
        level = draw(st.sampled_from(["高", "中", "低"]))
        if kind == "condition":
            lines.append(f"{score}{sp()}>={sp()}{draw(st.integers(0, 200))}{sp()}->{sp()}{level}")
        else:
            count = draw(st.sampled_from(["1", "2", "10%", "50%"]))
            within = " within 类别" if draw(st.booleans()) else ""
            lines.append(f"{kind} {count} by {score}{within}{sp()}->{sp()}{level}")
    lines.append(f"otherwise{sp()}->{sp()}{draw(st.sampled_from(['中', '低']))}")
    if has_leader and draw(st.booleans()):
        lines.append("raise to 高 when 领导")
    if draw(st.booleans()):
        lines.append(f"raise 1 when {score}{sp()}>{sp()}{draw(st.integers(0, 300))}")
    declarations.append(("grade", [("grade 档 {", ""), *[(line, "  ") for line in lines], ("}", "")]))
    if draw(st.booleans()):
        declarations.append(("levels", [("levels 等级 [三级 red, 二级 orange, 一级 yellow]", "")]))
        cells = [[draw(st.sampled_from(["三级", "二级", "一级"])) for _ in range(3)] for _ in KINDS]
        rows = [f"|{sp()}{k}{sp()}|" + "|".join(f"{sp()}{c}{sp()}" for c in row) + "|" for k, row in zip(KINDS, cells, strict=True)]
        raise_line = [(f"raise 1 when {score} > {draw(st.integers(0, 300))}", "  ")] if draw(st.booleans()) else []
        declarations.append(("grade", [("grade 等级 by matrix 类别 x 档 {", ""), ("| | 高 | 中 | 低 |", "  "),
                                       *[(r, "  ") for r in rows], *raise_line, ("}", "")]))
    if draw(st.booleans()):
        lines = []
        if has_leader:
            lines.append(f'高 when 领导{sp()}->{sp()}"纪检监察机关" every 1 year')
        lines.append(f'高 -> "派驻纪检组",{sp()}"单位主要负责人"{gap()}every 6 months')
        lines.append('otherwise -> "分管领导"')
        declarations.append(("supervision", [("supervision 档 {", ""), *[(line, "  ") for line in lines], ("}", "")]))
    if has_events and draw(st.booleans()):
        declarations.append(("sanction", [(f"sanction 吃请 for e in 事件 where e.类型 == \"吃请\"{sp()}{{", ""),
                                          (f"fine{gap()}10{sp()}*{sp()}e.金额", "  "), ('action "经济处罚"', "  "),
                                          ("}", "")]))
    if draw(st.booleans()):
        declarations.append(("sanction", [("sanction 预警 when 档 >= 中 {", ""), ("warning 档", "  "),
                                          ('action "预警告知书", "谈话"', "  "), ("}", "")]))
    if draw(st.booleans()):
        declarations.append(("sanction", [("sanction 存档 {", ""), ('action "存档"', "  "), ("}", "")]))
    if draw(st.booleans()):
        lines = ["count by 档", "count by 档, 类别", "sum fine", f"sum {score}"]
        chosen = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=4, unique=True))
        declarations.append(("summary", [("summary {", ""), *[(line, "  ") for line in chosen], ("}", "")]))

    # declarations in a shuffled order across kinds: the order is part of the meaning
    for _kind, body in draw(st.permutations(declarations)):
        for text, indent in body:
            w.line(text, indent)
    rollup = draw(st.sampled_from([None, "plain", "inputs"]))
    if rollup:
        w.line(f"input 所属单位{sp()}:{sp()}text")
        _rollup(draw, w, score, with_inputs=rollup == "inputs")
    if draw(st.booleans()):
        w.lines.append(w.comment())

    # ---- a case that fits
    items = []
    for n in range(draw(st.integers(1, 6))):
        item: dict[str, Any] = {"id": f"I{n}", "类别": draw(st.sampled_from(KINDS))}
        for name in numeric:
            low, high = bounds[name]
            item[name.strip("`")] = Decimal(draw(st.integers(low, high)))
        for d in dimensions:
            item[d] = Decimal(draw(st.integers(1, 5)))
        if has_leader:
            item["领导"] = draw(st.booleans())
        if has_events:
            item["事件"] = [{"类型": draw(st.sampled_from(["吃请", "经商"])), "金额": Decimal(draw(st.integers(0, 900)))}
                          for _ in range(draw(st.integers(0, 3)))]
        if rollup:
            item["所属单位"] = draw(st.sampled_from(UNITS))
        items.append(item)
    units: dict[str, list[dict[str, Any]]] = {}
    if rollup == "inputs":  # one unit per key value, in the order the items name them
        keys = list(dict.fromkeys(item["所属单位"] for item in items))
        units["单位"] = [{"id": k, "目标完成": Decimal(draw(st.integers(0, 40)))} for k in keys]
    return Generated("\n".join(w.lines) + "\n", items, units)


UNITS = ["西局", "东局", "南局"]


def _rollup(draw: Any, w: _Writer, score: str, with_inputs: bool) -> None:
    """A rollup of the items by unit (docs/rollups.md): aggregates over the unit's items,
    its own grade, ranking, sanction and summary; with its own input when `with_inputs`."""
    sp = w.space
    w.line(f"rollup 单位 by 所属单位{sp()}{{")
    body = []
    if with_inputs:
        body.append(f"input 目标完成{sp()}:{sp()}0..40")
    body.append(f"let 高数{sp()}={sp()}count(i in items where i.档 == 高)")
    body.append(draw(st.sampled_from([f"let 均分 = mean(i.{score} for i in items)",
                                      f"let 均分 = sum(i.{score} for i in items where i.档 >= 中)",
                                      "let 均分 = share(i in items where i.档 == 低)",
                                      f"let 均分 = max(i.{score} for i in items)"])))
    body.append("let 指数 = " + ("目标完成 - 高数 * 2" if with_inputs else "len(items) - 高数"))
    body.append("levels 单位档 [较差 red, 一般 yellow, 良好 green]")
    body.append("grade 单位档 {")
    grade = [f"指数{sp()}>={sp()}{draw(st.integers(0, 20))} -> 良好", "otherwise -> 一般"]
    if draw(st.booleans()):
        grade.insert(0, "bottom 1 by 指数 -> 较差")
    body += ["  " + g for g in grade] + ["}"]
    if draw(st.booleans()):
        body += [f"sanction 约谈 when 高数 >= {draw(st.integers(1, 3))} {{", '  action "约谈单位负责人"', "}"]
    if draw(st.booleans()):
        body += ["summary {", "  count by 单位档", "  sum 指数", "}"]
    for line in body:
        w.line(line, "  ")
    w.line("}")
