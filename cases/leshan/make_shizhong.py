#!/usr/bin/env python3
"""Generate cases/leshan/shizhong-2012.yaml: Shizhong district, Leshan, at its published scale.

ILLUSTRATIVE DATA. The seed (004_5e72f1740ee1be4f.txt, 分类定风险) publishes only totals:
1157 risk points, graded A 164, B 401, C 592; by type 思想道德 150, 制度机制 230,
岗位职责 262, 业务流程 395, 外部环境 120. It lists no point and no rating. Every item
written here (name, post tier, the four ratings, tendency) is invented; only those totals
come from the seed. The grade x type cross-tabulation is not published, so types are
spread at random over the grades.

Warnings (illustrative reading of the seed's 预警 and 处置 paragraphs): the seed reports this
year 7 + 6 = 13 people warned (信息监测预警 7, 评估分析预警 6), 6 警示谈话, 3 诫勉谈话 and
2 《廉政风险防控整改通知书》. Under the ruleset's assumption [假设6] orange carries a
警示谈话 and red a 诫勉谈话, so 13 points get a tendency: 3 red, 6 orange, 4 yellow
(13 - 6 - 3), and 2 of the red points also get 责令整改. Those people-counts are mapped one
per risk point; the seed does not say so.

How the items are built (standard library only, byte-for-byte deterministic):
  * A fixed linear congruential generator (not `random`, whose algorithm may change between
    Python versions) shuffles the 1157 grade labels and the 1157 type labels, draws each
    point's post tier, and draws the four ratings (1..5) until `evaluate()` -- a mirror of
    rulesets/leshan/2012.policy -- gives the point the grade its label asks for.
  * The 13 warned points are the first unused points of the needed grade found from
    fixed, spread-out positions; the matrix cell each one uses is listed in WARNED.
  * If the ruleset's weights, thresholds or matrix change, update the mirror and rerun.

Units and people (for the ruleset's two rollups, [假设9] [假设10]): the seed names neither, so
each point gets one of 30 invented units and, within it, one of 12 invented people, drawn from
a second LCG (the draws above stay as they were). Each of the 13 warned points gets a person
of its own who holds no other point, so the talks counted once per person are the seed's
"6名干部警示谈话、3名干部诫勉谈话" (the 6 orange and 3 red points; yellow brings no talk), and
the 2 points to rectify lie in 2 different units: "已对2个单位发出《整改通知书》". These are
illustrative data constructed to match the published totals, not the district's people.

A few items are hand-checked (HAND_CHECKED below): the script asserts that the generated
inputs are the ones the hand computation used and that the mirror agrees with the hand
values, and writes them into the case's `expect:` block. `expect_summary:` carries the
seed's grade totals and type totals (`counts: 风险类型`, from the ruleset's `count by 风险类型`).

Usage:  python3 cases/leshan/make_shizhong.py            # (re)write the case file
        python3 cases/leshan/make_shizhong.py --check    # exit 1 if the file is stale
"""
import sys
from pathlib import Path

OUT = Path(__file__).with_name("shizhong-2012.yaml")

# Seed totals (the only numbers taken from the seed).
GRADES = {"A": 164, "B": 401, "C": 592}
TYPES = {"思想道德": 150, "制度机制": 230, "岗位职责": 262, "业务流程": 395, "外部环境": 120}
TOTAL = 1157
assert sum(GRADES.values()) == TOTAL == sum(TYPES.values())

# (grade, 倾向性程度, expected 预警等级, 责令整改) for the 13 warned points.
WARNED = [
    ("A", "中", "红色", False), ("A", "重", "红色", True), ("B", "重", "红色", True),
    ("A", "轻", "橙色", False), ("A", "轻", "橙色", False), ("B", "中", "橙色", False),
    ("B", "中", "橙色", False), ("C", "重", "橙色", False), ("C", "重", "橙色", False),
    ("B", "轻", "黄色", False), ("B", "轻", "黄色", False), ("C", "轻", "黄色", False),
    ("C", "中", "黄色", False),
]
WARN_TOTALS = {"红色": 3, "橙色": 6, "黄色": 4}

DIMS = ["权力重要程度", "行使频率", "自由裁量空间", "群众利益关联度"]
UNITS = [f"区级单位{k:02d}" for k in range(1, 31)]  # invented: the seed names no unit
PEOPLE_PER_UNIT = 12
TIERS = ["领导岗位", "中层岗位", "中层岗位", "重要岗位", "重要岗位", "重要岗位", "重要岗位"]


class LCG:
    """Numerical Recipes 32-bit LCG: fixed, portable, deterministic."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state

    def below(self, n):
        return (self.next() >> 8) % n

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def shuffle(self, seq):
        seq = list(seq)
        for i in range(len(seq) - 1, 0, -1):
            j = self.below(i + 1)
            seq[i], seq[j] = seq[j], seq[i]
        return seq


# ---- mirror of rulesets/leshan/2012.policy ---------------------------------------------------

WEIGHTS = {"权力重要程度": 3, "行使频率": 2, "自由裁量空间": 3, "群众利益关联度": 2}
MATRIX = {"A": {"无": "无", "轻": "橙色", "中": "红色", "重": "红色"},
          "B": {"无": "无", "轻": "黄色", "中": "橙色", "重": "红色"},
          "C": {"无": "无", "轻": "黄色", "中": "黄色", "重": "橙色"}}


# [假设4] [假设11]: the post's own tier (1 一般干部 … 4 一把手), raised 2 for A and 1 for B, at
# least the type's floor (制度机制 3, 业务流程 2), at most 5 区纪委; 区纪委 inspects every point.
TIER_NAMES = ["一般干部", "中层干部", "分管领导", "一把手", "区纪委"]
TYPE_FLOOR = {"制度机制": 3, "业务流程": 2}


def supervision(grade, tier, top, rtype):
    own = 4 if top else {"领导岗位": 3, "中层岗位": 2}.get(tier, 1)
    level = min(max(own + {"A": 2, "B": 1, "C": 0}[grade], TYPE_FLOOR.get(rtype, 1)), 5)
    return ["区纪委"] if level == 5 else [TIER_NAMES[level - 1], "区纪委"]


def evaluate(p):
    score = 2 * sum(WEIGHTS[d] * p[d] for d in DIMS)
    grade = "A" if score >= 80 else "B" if score >= 60 else "C"
    warn = MATRIX[grade][p.get("倾向性程度", "无")]
    sanctions, warning = [], None
    for name, level, color in (("黄色预警", "黄色", "yellow"), ("橙色预警", "橙色", "orange"),
                               ("红色预警", "红色", "red")):
        if warn == level:
            sanctions.append(name)
            warning = color
    if p.get("责令整改", False):
        sanctions.append("整改通知书")
    return {"风险分值": score, "风险等级": grade, "预警等级": warn, "sanctions": sanctions,
            "warning": warning,
            "supervision": supervision(grade, p["岗位层次"], p.get("是否一把手", False), p["风险类型"])}


# ---- generation ------------------------------------------------------------------------------

def build():
    rng = LCG(20120101)
    grades = rng.shuffle([g for g, n in GRADES.items() for _ in range(n)])
    types = rng.shuffle([t for t, n in TYPES.items() for _ in range(n)])
    points = []
    for n, (grade, rtype) in enumerate(zip(grades, types, strict=True), 1):
        tier = rng.pick(TIERS)
        p = {"id": f"SZ-{n:04d}", "name": f"{tier}风险点{n:04d}", "岗位层次": tier}
        if tier == "领导岗位" and rng.below(3) == 0:
            p["是否一把手"] = True
        p["风险类型"] = rtype
        while True:
            for d in DIMS:
                p[d] = 1 + rng.below(5)
            if evaluate(p)["风险等级"] == grade:
                break
        points.append(p)
    used = set()
    warned = []
    for k, (grade, tendency, _, fix) in enumerate(WARNED):
        i = (k * 89 + 7) % TOTAL                       # fixed, spread-out start positions
        while points[i]["id"] in used or evaluate(points[i])["风险等级"] != grade:
            i = (i + 1) % TOTAL
        used.add(points[i]["id"])
        warned.append(i)
        points[i]["倾向性程度"] = tendency
        if fix:
            points[i]["责令整改"] = True
    people = LCG(20120102)  # a second stream: the points drawn above do not change
    for p in points:
        p["所属单位"] = people.pick(UNITS)
        p["责任人"] = f"{p['所属单位']}干部{1 + people.below(PEOPLE_PER_UNIT):02d}"
    fixes = [i for i in warned if points[i].get("责令整改")]
    if points[fixes[0]]["所属单位"] == points[fixes[1]]["所属单位"]:  # two units get a notice
        points[fixes[1]]["所属单位"] = UNITS[(UNITS.index(points[fixes[0]]["所属单位"]) + 1) % len(UNITS)]
    for k, i in enumerate(warned):
        # a person of one's own, outside the 12 drawn per unit: each talk is one person's
        points[i]["责任人"] = f"{points[i]['所属单位']}干部{PEOPLE_PER_UNIT + 1 + k:02d}"
    return points


# ---- hand-checked items ----------------------------------------------------------------------
# Inputs copied from the generated file; values computed by hand (see the comments), NOT taken
# from evaluate(): the script asserts the two agree.
HAND_CHECKED = {
    "SZ-0001": {
        "inputs": {"岗位层次": "中层岗位", "权力重要程度": 4, "行使频率": 5, "自由裁量空间": 4, "群众利益关联度": 3},
        "why": ["W = 3×4 + 2×5 + 3×4 + 2×3 = 12+10+12+6 = 40; 分值 80 >= 80 -> A (on the line)",
                "中层岗位 A -> [一把手, 区纪委] every 1 year; 倾向 无 -> 无"],
        "expect": {"风险分值": 80, "风险等级": "A", "预警等级": "无", "supervision": ["一把手", "区纪委"],
                   "sanctions": [], "warning": None},
    },
    "SZ-0002": {
        "inputs": {"岗位层次": "重要岗位", "风险类型": "业务流程", "权力重要程度": 1, "行使频率": 2,
                   "自由裁量空间": 4, "群众利益关联度": 3},
        "why": ["W = 3+4+12+6 = 25; 分值 50 -> C; 重要岗位 C: own tier 1 (一般干部) + 0,",
                "but 业务流程 needs at least 2 -> [中层干部, 区纪委]"],
        "expect": {"风险分值": 50, "风险等级": "C", "supervision": ["中层干部", "区纪委"], "sanctions": []},
    },
    "SZ-0004": {
        "inputs": {"岗位层次": "领导岗位", "是否一把手": True, "权力重要程度": 2, "行使频率": 1,
                   "自由裁量空间": 3, "群众利益关联度": 2},
        "why": ["W = 6+2+9+4 = 21; 分值 42 -> C; 一把手 C -> [一把手, 区纪委]"],
        "expect": {"风险分值": 42, "风险等级": "C", "supervision": ["一把手", "区纪委"]},
    },
    "SZ-0018": {
        "inputs": {"岗位层次": "中层岗位", "权力重要程度": 4, "行使频率": 4, "自由裁量空间": 4,
                   "群众利益关联度": 5, "倾向性程度": "中"},
        "why": ["W = 12+8+12+10 = 42; 分值 84 -> A; A x 中 = 红色 -> 红色预警 (书面预警, 诫勉谈话)"],
        "expect": {"风险分值": 84, "风险等级": "A", "预警等级": "红色", "supervision": ["一把手", "区纪委"],
                   "sanctions": ["红色预警"], "warning": "red"},
    },
    "SZ-0115": {
        "inputs": {"岗位层次": "中层岗位", "权力重要程度": 4, "行使频率": 5, "自由裁量空间": 4,
                   "群众利益关联度": 3, "倾向性程度": "重", "责令整改": True},
        "why": ["W = 12+10+12+6 = 40; 分值 80 -> A; A x 重 = 红色; 责令整改 -> 整改通知书"],
        "expect": {"风险分值": 80, "风险等级": "A", "预警等级": "红色", "sanctions": ["红色预警", "整改通知书"],
                   "warning": "red"},
    },
    "SZ-0275": {
        "inputs": {"岗位层次": "中层岗位", "权力重要程度": 5, "行使频率": 4, "自由裁量空间": 4,
                   "群众利益关联度": 3, "倾向性程度": "轻"},
        "why": ["W = 15+8+12+6 = 41; 分值 82 -> A; A x 轻 = 橙色 -> 橙色预警 (书面预警, 警示谈话)"],
        "expect": {"风险分值": 82, "风险等级": "A", "预警等级": "橙色", "sanctions": ["橙色预警"], "warning": "orange"},
    },
    "SZ-0336": {
        "inputs": {"岗位层次": "领导岗位", "是否一把手": True, "权力重要程度": 3, "行使频率": 1,
                   "自由裁量空间": 5, "群众利益关联度": 4},
        "why": ["W = 9+2+15+8 = 34; 分值 68 -> B; 一把手 B -> [区纪委] every 2 years"],
        "expect": {"风险分值": 68, "风险等级": "B", "supervision": ["区纪委"], "sanctions": []},
    },
    "SZ-0631": {
        "inputs": {"岗位层次": "重要岗位", "风险类型": "业务流程", "权力重要程度": 2, "行使频率": 3,
                   "自由裁量空间": 3, "群众利益关联度": 1, "倾向性程度": "重"},
        "why": ["W = 6+6+9+2 = 23; 分值 46 -> C; C x 重 = 橙色; 重要岗位 C: tier 1, 业务流程 floor 2",
                "-> [中层干部, 区纪委]"],
        "expect": {"风险分值": 46, "风险等级": "C", "预警等级": "橙色", "supervision": ["中层干部", "区纪委"],
                   "sanctions": ["橙色预警"], "warning": "orange"},
    },
    "SZ-0901": {
        "inputs": {"岗位层次": "重要岗位", "风险类型": "制度机制", "权力重要程度": 3, "行使频率": 3,
                   "自由裁量空间": 3, "群众利益关联度": 5, "倾向性程度": "轻"},
        "why": ["W = 9+6+9+10 = 34; 分值 68 -> B; B x 轻 = 黄色 -> 黄色预警; 重要岗位 B: tier 1 + 1 = 2,",
                "but 制度机制 needs at least 3 -> [分管领导, 区纪委]"],
        "expect": {"风险分值": 68, "风险等级": "B", "预警等级": "黄色", "supervision": ["分管领导", "区纪委"],
                   "sanctions": ["黄色预警"], "warning": "yellow"},
    },
}


def fmt_value(v):
    if v is True:
        return "true"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return str(v)


def fmt_item(p):
    keys = ["id", "name", "所属单位", "责任人", "岗位层次", "是否一把手", "风险类型", *DIMS, "倾向性程度", "责令整改"]
    return "  - {" + ", ".join(f"{k}: {fmt_value(p[k])}" for k in keys if k in p) + "}"


def render(points):
    results = [evaluate(p) for p in points]
    counts = {g: sum(1 for r in results if r["风险等级"] == g) for g in GRADES}
    assert counts == GRADES, counts
    tcounts = {t: sum(1 for p in points if p["风险类型"] == t) for t in TYPES}
    assert tcounts == TYPES, tcounts
    wcounts = {w: sum(1 for r in results if r["预警等级"] == w) for w in WARN_TOTALS}
    assert wcounts == WARN_TOTALS, wcounts
    for grade, tendency, level, _ in WARNED:
        assert MATRIX[grade][tendency] == level
    by_id = {p["id"]: p for p in points}
    lines = [
        "# GENERATED by make_shizhong.py -- do not edit by hand; rerun the script.",
        "# Illustrative data constructed to match the published totals: the 1157 risk points below are invented. Only the totals (A 164, B 401,",
        "# C 592; 思想道德 150, 制度机制 230, 岗位职责 262, 业务流程 395, 外部环境 120) come from",
        "# the seed, 004_5e72f1740ee1be4f.txt 分类定风险. The 13 warnings (3 red, 6 orange,",
        "# 4 yellow) and 2 整改通知书 are an illustrative reading of the seed's yearly figures;",
        "# see the generator's docstring.",
        "ruleset: ../../rulesets/leshan/2012.policy",
        "title: 乐山市市中区 2012 年廉政风险点分类定级(示例数据,总数依原文)",
        "unit: 中共乐山市市中区纪律检查委员会",
        "period: 2012",
        "items:",
    ]
    lines += [fmt_item(p) for p in points]
    lines.append("expect:")
    for pid, hc in HAND_CHECKED.items():
        p = by_id[pid]
        for k, v in hc["inputs"].items():
            assert p.get(k) == v, (pid, k, p.get(k), v)
        got = evaluate(p)
        for k, want in hc["expect"].items():
            assert got[k] == want, (pid, k, got[k], want)
        lines += [f"  # {c}" for c in hc["why"]]
        body = ", ".join(f"{k}: {fmt_value(v)}" for k, v in hc["expect"].items())
        lines.append(f"  {pid}: {{{body}}}")
    lines += [
        "expect_summary:",
        f"  items: {TOTAL}",
        "  levels:",
        "    风险等级: {A: 164, B: 401, C: 592}              # the seed's published totals",
        f"    预警等级: {{红色: 3, 橙色: 6, 黄色: 4, 无: {TOTAL - 13}}}   # 13 warned points (illustrative)",
        "  fines: 0",
        "  counts:",
        "    风险类型: {" + ", ".join(f"{t}: {n}" for t, n in TYPES.items())
        + "}   # the seed's published totals",
        "expect_units_summary:",
        f"  单位: {{items: {len(UNITS)}, sums: {{A级数: {GRADES['A']}}}, counts: {{须整改: {{\"true\": 2}}}}}}"
        "   # 2 units get a notice (the seed's 2)",
        "  干部: {levels: {谈话: {诫勉: 3, 警示: 6}}}   # the seed's 3 and 6 people, counted once per person",
        "",
    ]
    return "\n".join(lines)


def main():
    text = render(build())
    if "--check" in sys.argv[1:]:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
