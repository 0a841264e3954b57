#!/usr/bin/env python3
"""Generate cases/zhenhai/zhenhai-2008.yaml: the Zhenhai integrity index at its published scale.

ILLUSTRATIVE DATA. The seed (003_3206f52d40f70cf0.txt 第三篇 成效评价) publishes only totals
for 2008: 196 units assessed; 74 green (绿色预警), 6 red (红色预警), the rest (116) orange;
34 letters (《预警告知书》 and 《预警建议书》 together). It lists no unit and no score.
Every unit written here (its name, category, scores, costs, incidents) is invented; only
those totals come from the seed. The split of units over categories (62 行政村 as in the
seed's 2005-06 village index, 6 镇(街道), 60 机关, 40 社区, 28 基层站所) and the district
averages the costs are drawn around (人均行政成本 50000 元, 节约率 0.04) are invented too.

How the items are built (standard library only, byte-for-byte deterministic):
  * A fixed linear congruential generator (not `random`, whose algorithm may change between
    Python versions) draws candidate units: 控制性得分, the ten 主体性 ratings, the
    deviation of 人均行政成本 from the district average, the gap of 行政成本节约率 to the
    average, bonus counts and 0-3 廉勤事件.
  * `evaluate()` below mirrors rulesets/zhenhai/2008.policy exactly (Decimal arithmetic,
    half-up rounding). Each candidate is put in its bucket -- 绿 (>= 85), 橙 with index
    >= 70, 橙 below 70, 红 (< 60) -- until the buckets hold 74 / 94 / 22 / 6 units.
    If the ruleset's points or thresholds change, update the mirror and rerun.
  * The ruleset computes the district averages from the case itself ([假设3a]: the mean
    over all units), so the drawn costs and rates must average to exactly the figures they
    were drawn around. `balance()` moves the sums there without moving any unit out of its
    scoring band: it takes 500 元 at a time, round-robin, off units already at or below the
    average cost (they score 10 either way; floor 70% of the average), and likewise adds or
    removes 0.01 of 节约率 on units already at or above the average rate (floor the average,
    cap 0.15). The buckets are then checked again against the means of the finished case.
  * Letters, under the ruleset's assumption [假设7]: 预警告知书 to the 6 red units and
    预警建议书 to C units and units with index < 70 (6 + 22 = 28), 6 + 28 = 34 as in the seed.
    The ruleset counts them per unit (告知书份数, 建议书份数, 0 or 1) and sums them in its
    summary, so `expect_summary: sums:` checks the 6 + 28 against the engine.
  * The 196 units are then put in a fixed mixed order and given ids ZH2008-001..196.

The case's items are the units' 预警点 (ruleset [假设9]): each unit's 控制性得分 (a whole
number 14..30) becomes three points whose 控制运行 ratings add up to it (控制性得分 = sum ×
3 / 3 points, exact), and the unit's incidents are recorded on its first point; the unit's
other inputs go to the case's `units:` section. So every unit scores as it did when the units
were the items, and the hand-checked figures below are unit figures (`expect_units:`).

A few units are hand-checked (HAND_CHECKED below): the script asserts that the generated
inputs are the ones the hand computation used, and writes the hand values into the case's
`expect:` block. The `expect_summary:` block carries the seed's totals.

Usage:  python3 cases/zhenhai/make_zhenhai_2008.py            # (re)write the case file
        python3 cases/zhenhai/make_zhenhai_2008.py --check    # exit 1 if the file is stale
"""
import sys
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

OUT = Path(__file__).with_name("zhenhai-2008.yaml")
PERIOD = 2008

# Seed totals (the only numbers taken from the seed).
GREEN, RED, TOTAL, LETTERS = 74, 6, 196, 34
ORANGE = TOTAL - GREEN - RED                     # 116
# Split of the orange units by the 建议书 line (index < 70) chosen so letters total 34.
ORANGE_LOW = LETTERS - RED - RED                 # 34 - 6 告知书 - 6 建议书(C) = 22
ORANGE_HIGH = ORANGE - ORANGE_LOW                # 94
BUCKETS = {"绿": GREEN, "橙高": ORANGE_HIGH, "橙低": ORANGE_LOW, "红": RED}

CATEGORIES = {"行政村": 62, "镇(街道)": 6, "机关": 60, "社区": 40, "基层站所": 28}
assert sum(CATEGORIES.values()) == TOTAL
AVG_COST = 50000                      # what the finished case's units average to (元/人)
AVG_SAVING = D("0.04")                # ... and their 行政成本节约率
COST_STEP, COST_FLOOR = 500, AVG_COST * 7 // 10
SAVING_STEP, SAVING_CAP = D("0.01"), D("0.15")

DIMS = ["经济主体调查", "群众民意调查", "服务对象调查", "廉情监测员调查",
        "人大监督", "政协监督", "组织监督", "财政监督", "审计监督", "社会监督"]
NUMERIC = {"全区平均人均行政成本", "全区平均节约率", "主体性得分", "人均成本偏离度", "节约率差距", "人均成本得分", "节约率得分", "绩效得分",
           "激励性加分", "本年事件扣分", "往年事件扣分", "廉勤性扣分", "基础得分", "廉情指数",
           "告知书份数", "建议书份数"}
EVENT_KINDS = ["行政监察", "党政纪处分", "刑事责任追究"]
EVENT_WHO = ["单位主要负责人", "班子成员", "一般干部"]


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


# ---- mirror of rulesets/zhenhai/2008.policy --------------------------------------------------

def round_half_up(x, n):
    return x.quantize(D(1).scaleb(-n), rounding=ROUND_HALF_UP)


def cost_points(dev):                 # table 人均成本得分
    if dev <= 0:
        return D(10)
    if dev <= D("0.10"):
        return D(7)
    if dev <= D("0.20"):
        return D(4)
    return D(0)


def saving_points(gap):               # table 节约率得分
    if gap <= 0:
        return D(10)
    if gap <= D("0.05"):
        return D(7)
    if gap <= D("0.10"):
        return D(4)
    return D(0)


DEDUCT = {                            # table 扣分标准 (类别, 对象)
    "刑事责任追究": {"单位主要负责人": 30, "班子成员": 25, "一般干部": 20},
    "党政纪处分": {"单位主要负责人": 15, "班子成员": 10, "一般干部": 6},
    "行政监察": {"单位主要负责人": 6, "班子成员": 4, "一般干部": 2},
}


def district_means(units):
    """(全区平均人均行政成本, 全区平均节约率): the means over every unit of the case."""
    n = D(len(units))
    return (sum((D(str(u["人均行政成本"])) for u in units), D(0)) / n,
            sum((D(str(u["行政成本节约率"])) for u in units), D(0)) / n)


def evaluate(u, means=(D(AVG_COST), AVG_SAVING)):
    """Every value, grade, sanction and supervisor of one unit, as the ruleset computes them,
    given the district means (while drawing: the figures the finished case will average to)."""
    v = {}
    avg, avg_saving = means
    v["全区平均人均行政成本"], v["全区平均节约率"] = avg, avg_saving
    v["主体性得分"] = sum((D(str(u[d])) for d in DIMS), D(0))
    cost = D(str(u["人均行政成本"]))
    v["人均成本偏离度"] = round_half_up((cost - avg) / avg, 4)
    v["节约率差距"] = avg_saving - D(str(u["行政成本节约率"]))
    v["人均成本得分"] = cost_points(v["人均成本偏离度"])
    v["节约率得分"] = saving_points(v["节约率差距"])
    v["绩效得分"] = v["人均成本得分"] + v["节约率得分"]
    v["激励性加分"] = D(min(2 * u.get("创新工作项数", 0) + u.get("配合办案次数", 0), 5))
    v["本年事件扣分"] = sum((D(DEDUCT[e["类别"]][e["对象"]]) for e in u["廉勤事件"]
                         if int(str(e["日期"])[:4]) >= PERIOD), D(0))
    v["往年事件扣分"] = sum((D(DEDUCT[e["类别"]][e["对象"]]) * D("0.5") for e in u["廉勤事件"]
                         if int(str(e["日期"])[:4]) < PERIOD), D(0))
    v["廉勤性扣分"] = v["本年事件扣分"] + v["往年事件扣分"]
    v["基础得分"] = D(u["控制性得分"]) + v["主体性得分"] + v["绩效得分"]
    ix = max(D(0), min(D(100), v["基础得分"] + v["激励性加分"] - v["廉勤性扣分"]))
    v["廉情指数"] = ix
    color = "绿" if ix >= 85 else "橙" if ix >= 60 else "红"
    grade = {"绿": "A", "橙": "B", "红": "C"}[color]
    v["预警颜色"], v["廉情等级"] = color, grade
    year_end = u.get("测评期", "年度") == "年度"
    v["告知书份数"] = D(1) if color == "红" else D(0)
    v["建议书份数"] = D(1) if year_end and (grade == "C" or ix < 70) else D(0)
    sanctions, warning = [], None
    if v["告知书份数"] == 1:
        sanctions.append("预警告知书")
        warning = "red"
    if color == "橙":
        sanctions.append("橙色预警")
        warning = "orange"
    if v["建议书份数"] == 1:
        sanctions.append("预警建议书")
    if year_end and grade == "C":
        sanctions.append("C级结果运用")
        warning = "red"
    if year_end and grade == "A":
        sanctions.append("A级结果运用")
    v["sanctions"], v["warning"] = sanctions, warning
    v["supervision"] = (["上一级纪委", "专门工作组"] if grade == "C" and year_end else ["区纪委"])
    return v


def index(u, means=(D(AVG_COST), AVG_SAVING)):
    """廉情指数 of one unit (a dict of case inputs)."""
    return evaluate(u, means)["廉情指数"]


def bucket(ix):
    if ix >= 85:
        return "绿"
    if ix >= 60:
        return "橙高" if ix >= 70 else "橙低"
    return "红"


# ---- generation ------------------------------------------------------------------------------

RATINGS = ["2.5", "3", "3.5", "3.5", "4", "4", "4", "4.5", "4.5", "5"]
COST_DEV = ["-0.20", "-0.15", "-0.10", "-0.05", "-0.05", "0", "0.05", "0.08", "0.12", "0.15", "0.18", "0.25"]
SAVING_GAP = ["-0.08", "-0.05", "-0.03", "-0.02", "-0.01", "0", "0", "0.02", "0.04", "0.06", "0.09", "0.12"]


def dec_text(x):
    """A Decimal as plain text without trailing zeros ("0.00" -> "0", "0.070" -> "0.07")."""
    x = x.normalize()
    return format(x, "f") if x != 0 else "0"


def candidate(rng, category):
    u = {"控制性得分": 14 + rng.below(17)}                     # 14..30
    for d in DIMS:
        u[d] = rng.pick(RATINGS)
    cost = D(AVG_COST) * (1 + D(rng.pick(COST_DEV)))
    assert cost == int(cost), cost
    u["人均行政成本"] = int(cost)
    u["行政成本节约率"] = dec_text(AVG_SAVING - D(rng.pick(SAVING_GAP)))
    if rng.below(5) == 0:
        u["创新工作项数"] = 1 + rng.below(2)
    if rng.below(6) == 0:
        u["配合办案次数"] = 1 + rng.below(3)
    events = []
    for _ in range([0, 0, 0, 0, 1, 1, 2, 3][rng.below(8)]):
        year = PERIOD if rng.below(4) else PERIOD - 1
        events.append({"类别": rng.pick(["行政监察", "行政监察", "行政监察", "党政纪处分",
                                         "党政纪处分", "刑事责任追究"]),
                       "对象": rng.pick(["一般干部", "一般干部", "班子成员", "单位主要负责人"]),
                       "日期": f"{year}-{1 + rng.below(12):02d}-{1 + rng.below(28):02d}"})
    u["廉勤事件"] = events
    return u


def build():
    rng = LCG(20080101)
    slots = rng.shuffle([c for c, n in CATEGORIES.items() for _ in range(n)])
    labels = rng.shuffle([b for b, n in BUCKETS.items() for _ in range(n)])
    units = []
    for n, (category, want) in enumerate(zip(slots, labels, strict=True), 1):
        while True:                                        # draw until the bucket matches
            u = candidate(rng, category)
            if bucket(index(u)) == want:
                break
        item = {"id": f"ZH2008-{n:03d}", "name": f"示例{category}{n:03d}", "单位类别": category}
        item.update(u)
        units.append(item)
    balance(units)
    return units


def balance(units):
    """Make the units average exactly AVG_COST and AVG_SAVING, keeping every unit's bands."""
    n = len(units)
    nudge(units, "人均行政成本", D(AVG_COST * n) - sum(D(u["人均行政成本"]) for u in units),
          D(COST_STEP), D(COST_FLOOR), D(AVG_COST))
    nudge(units, "行政成本节约率", AVG_SAVING * n - sum(D(u["行政成本节约率"]) for u in units),
          SAVING_STEP, AVG_SAVING, SAVING_CAP)


def nudge(units, key, missing, step, lo, hi):
    """Add `missing` to the sum of `key`, one step at a time round-robin over the units whose
    value lies in [lo, hi], none leaving that range (a range inside one scoring band)."""
    assert missing % step == 0, (key, missing)
    step = step if missing > 0 else -step
    while missing:
        movable = [u for u in units if lo <= D(str(u[key])) <= hi and lo <= D(str(u[key])) + step <= hi]
        assert movable, f"no unit can take the rest of {key}: {missing}"
        for u in movable:
            if not missing:
                break
            value = D(str(u[key])) + step
            u[key] = int(value) if isinstance(u[key], int) else dec_text(value)
            missing -= step


# ---- hand-checked items ----------------------------------------------------------------------
# Inputs are copied from the generated file; values were computed by hand (see the comments)
# and are NOT taken from index(): the script only asserts the two agree.
HAND_CHECKED = {
    "ZH2008-002": {
        "inputs": {"控制性得分": 26, "人均行政成本": 42000, "行政成本节约率": "0.05",
                   "创新工作项数": 2},
        "why": ["全区平均 (all 196 units): 人均 9800000/196 = 50000, 节约率 7.84/196 = 0.04",
                "主体性 = (4.5+4+4+4) + (3.5+4.5+3.5+4+4.5+3.5) = 16.5 + 23.5 = 40",
                "偏离度 = (42000-50000)/50000 = -0.16 -> 10; 差距 = 0.04-0.05 = -0.01 -> 10; 绩效 20",
                "激励 = min(2×2 + 0, 5) = 4; 扣分 行政监察/班子成员 2008 -> 4",
                "指数 = 26 + 40 + 20 + 4 - 4 = 86 -> 绿 -> A"],
        "expect": {"全区平均人均行政成本": 50000, "全区平均节约率": "0.04", "主体性得分": 40,
                   "人均成本偏离度": "-0.16", "绩效得分": 20, "激励性加分": 4, "廉勤性扣分": 4,
                   "廉情指数": 86, "预警颜色": "绿", "廉情等级": "A", "supervision": ["区纪委"],
                   "sanctions": ["A级结果运用"], "warning": None},
    },
    "ZH2008-011": {
        "inputs": {"控制性得分": 20, "人均行政成本": 59000, "行政成本节约率": "0.04",
                   "配合办案次数": 3},
        "why": ["主体性 = (3.5+3+3.5+4) + (4+4.5+5+3.5+5+5) = 14 + 27 = 41",
                "偏离度 = 9000/50000 = 0.18 -> <=20% -> 4; 差距 = 0.04-0.04 = 0 -> 10; 绩效 14",
                "激励 = min(0 + 3, 5) = 3; 扣分: 党政纪/一般干部 2008 -> 6 (本年),",
                "      党政纪/一般干部 2007 -> 6 × 50% = 3 (往年); 共 9",
                "指数 = 20 + 41 + 14 + 3 - 9 = 69 -> 橙 -> B; 69 < 70 -> 预警建议书"],
        "expect": {"主体性得分": 41, "人均成本偏离度": "0.18", "人均成本得分": 4, "节约率差距": 0,
                   "绩效得分": 14, "激励性加分": 3, "本年事件扣分": 6, "往年事件扣分": 3,
                   "廉勤性扣分": 9, "廉情指数": 69, "预警颜色": "橙", "廉情等级": "B",
                   "supervision": ["区纪委"], "sanctions": ["橙色预警", "预警建议书"],
                   "warning": "orange"},
    },
    "ZH2008-016": {
        "inputs": {"控制性得分": 24, "人均行政成本": 47000, "行政成本节约率": "0.04",
                   "创新工作项数": 2, "廉勤事件": []},
        "why": ["主体性 = (3.5+4.5+4.5+4.5) + (3+3.5+3+5+2.5+3) = 17 + 20 = 37",
                "偏离度 = -3000/50000 = -0.06 -> 10; 差距 0 -> 10; 绩效 20; 激励 = min(2×2, 5) = 4",
                "指数 = 24 + 37 + 20 + 4 - 0 = 85 -> exactly 85 -> 绿 -> A"],
        "expect": {"主体性得分": 37, "人均成本偏离度": "-0.06", "绩效得分": 20, "激励性加分": 4,
                   "廉情指数": 85, "预警颜色": "绿", "廉情等级": "A", "sanctions": ["A级结果运用"],
                   "warning": None},
    },
    "ZH2008-047": {
        "inputs": {"控制性得分": 18, "人均行政成本": 59000, "行政成本节约率": "0.04",
                   "廉勤事件": []},
        "why": ["主体性 = (5+4+3.5+4) + (4+2.5+2.5+5+4+3.5) = 16.5 + 21.5 = 38",
                "偏离度 = 9000/50000 = 0.18 -> 4; 差距 0 -> 10; 绩效 14",
                "指数 = 18 + 38 + 14 = 70 -> 橙 -> B; exactly 70 is not < 70 -> no 建议书"],
        "expect": {"主体性得分": 38, "绩效得分": 14, "激励性加分": 0, "廉勤性扣分": 0, "廉情指数": 70,
                   "预警颜色": "橙", "廉情等级": "B", "supervision": ["区纪委"],
                   "sanctions": ["橙色预警"], "warning": "orange"},
    },
    "ZH2008-175": {
        "inputs": {"控制性得分": 19, "人均行政成本": 52500, "行政成本节约率": "0.07",
                   "创新工作项数": 1},
        "why": ["主体性 = (4+3+2.5+4) + (4+3+3+2.5+4+4) = 13.5 + 20.5 = 34",
                "偏离度 = 2500/50000 = 0.05 -> <=10% -> 7; 差距 = 0.04-0.07 = -0.03 -> 10; 绩效 17",
                "激励 = min(2×1, 5) = 2; 扣分: 党政纪/单位主要负责人 2008 -> 15 (本年);",
                "      行政监察/一般干部 2007 twice -> 2 × 50% + 2 × 50% = 2 (往年); 共 17",
                "指数 = 19 + 34 + 17 + 2 - 17 = 55 -> 红 -> C: 告知书, 建议书, C级结果运用"],
        "expect": {"主体性得分": 34, "人均成本偏离度": "0.05", "人均成本得分": 7, "节约率差距": "-0.03",
                   "绩效得分": 17, "激励性加分": 2, "本年事件扣分": 15, "往年事件扣分": 2,
                   "廉勤性扣分": 17, "廉情指数": 55, "预警颜色": "红", "廉情等级": "C",
                   "supervision": ["上一级纪委", "专门工作组"],
                   "sanctions": ["预警告知书", "预警建议书", "C级结果运用"], "warning": "red"},
    },
}


def fmt_scalar(v):
    if isinstance(v, str):
        return v
    return str(v)


def fmt_event(e):
    return f"{{类别: {e['类别']}, 对象: {e['对象']}, 日期: {e['日期']}}}"


def control_ratings(score):
    """Three 控制运行 ratings (0..10) that add up to a unit's whole 控制性得分 (0..30)."""
    q, rem = divmod(score, 3)
    ratings = [q + (1 if k < rem else 0) for k in range(3)]
    assert sum(ratings) == score and all(0 <= r <= 10 for r in ratings), (score, ratings)
    return ratings


def fmt_points(u):
    """The unit's three 预警点: its 控制性得分 split over them, its incidents on the first."""
    out = []
    for k, rating in enumerate(control_ratings(u["控制性得分"])):
        events = ""
        if k == 0 and u["廉勤事件"]:
            events = ", 廉勤事件: [" + ", ".join(fmt_event(e) for e in u["廉勤事件"]) + "]"
        out.append(f"  - {{id: {u['id']}-P{k + 1}, 所属单位: {u['id']}, 控制运行: {rating}{events}}}")
    return out


def fmt_unit(u):
    parts = [f"id: {u['id']}", f"name: {u['name']}", f"单位类别: {u['单位类别']}"]
    parts += [f"{d}: {u[d]}" for d in DIMS]
    parts += [f"人均行政成本: {u['人均行政成本']}", f"行政成本节约率: {u['行政成本节约率']}"]
    for k in ("创新工作项数", "配合办案次数"):
        if k in u:
            parts.append(f"{k}: {u[k]}")
    return "    - {" + ", ".join(parts) + "}"


def render(units):
    means = district_means(units)
    assert means == (AVG_COST, AVG_SAVING), means
    counts = {b: 0 for b in BUCKETS}
    letters = {"告知书份数": D(0), "建议书份数": D(0)}
    for u in units:
        v = evaluate(u, means)
        counts[bucket(v["廉情指数"])] += 1
        for k in letters:
            letters[k] += v[k]
    assert counts == BUCKETS, counts
    assert letters == {"告知书份数": RED, "建议书份数": RED + ORANGE_LOW}, letters
    assert sum(letters.values()) == LETTERS, letters
    by_id = {u["id"]: u for u in units}
    lines = [
        "# GENERATED by make_zhenhai_2008.py -- do not edit by hand; rerun the script.",
        "# Illustrative data constructed to match the published totals: the 196 units below are invented. Only the totals (196 units; 74 green,",
        "# 6 red, the rest orange; 34 letters) come from the seed, 003_3206f52d40f70cf0.txt",
        "# 第三篇 成效评价. See the generator's docstring for how the units are built. The items are",
        "# each unit's three 预警点 (its 控制性得分 split over them, its incidents on the first); the",
        "# units' own inputs are in the units: section.",
        "ruleset: ../../rulesets/zhenhai/2008.policy",
        "title: 镇海区 2008 年度廉情指数测评(示例数据,总数依原文)",
        "unit: 中共宁波市镇海区纪律检查委员会",
        f"period: {PERIOD}",
        "# no quarterly results are given: each unit's yearly grade follows its year-end colour",
        "# (ruleset [假设10]), so the seed's 74 green / 6 red read directly as A / C",
        "previous: []",
        "items:",
    ]
    lines += [p for u in units for p in fmt_points(u)]
    lines += ["units:", "  单位:"]
    lines += [fmt_unit(u) for u in units]
    lines += ["expect_summary:", f"  items: {3 * TOTAL}   # 3 预警点 per unit", "expect_units:", "  单位:"]
    for uid, hc in HAND_CHECKED.items():
        u = by_id[uid]
        for k, v in hc["inputs"].items():
            assert u[k] == v, (uid, k, u[k], v)
        got = evaluate(u, means)
        for k, want in hc["expect"].items():
            same = (got[k] == D(str(want))) if isinstance(want, (int, float, str)) and k in NUMERIC else got[k] == want
            assert same, (uid, k, got[k], want)
        lines += [f"    # {c}" for c in hc["why"]]
        body = ", ".join(f"{k}: {fmt_expect(v)}" for k, v in hc["expect"].items())
        lines.append(f"    {uid}: {{{body}}}")
    lines += [
        "expect_units_summary:",
        "  单位:",
        f"    items: {TOTAL}",
        "    levels:",
        f"      预警颜色: {{绿: {GREEN}, 橙: {ORANGE}, 红: {RED}}}   # the seed's published totals",
        f"      廉情等级: {{A: {GREEN}, B: {ORANGE}, C: {RED}}}      # A = 绿, C = 红 (ruleset [假设6])",
        "    fines: 0",
        f"    # Letters under [假设7]: 预警告知书 {RED} (红) + 预警建议书 {RED + ORANGE_LOW}"
        f" (C {RED} + 橙 with index < 70 {ORANGE_LOW}) = {LETTERS}, the seed's total.",
        f"    sums: {{告知书份数: {RED}, 建议书份数: {RED + ORANGE_LOW}}}",
        "",
    ]
    return "\n".join(lines)


def fmt_expect(v):
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    if v is None:
        return "null"
    return str(v)


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
