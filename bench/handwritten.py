"""The benchmark rules written by hand in plain Python, as a user would write them quickly.

`score_point` is the yardstick every figure in bench/run.py is divided by: one risk point
scored as a user writes it, a function of one item called in a loop (`assess_points`), with
float arithmetic and Python's round(). `assess_float` is the same rules written as one loop. `assess_decimal` is the same code on exact decimals with
half-up rounding (四舍五入), which is what the engine computes; run.py asserts that the
engine agrees with it item by item. Both take the items of a JSON case (parsed with plain
floats for the first, with `parse_float=Decimal, parse_int=Decimal` for the second) and
return one `(综合得分, 风险档次, fine)` tuple per item, and the ruleset's summary: items per
grade, per grade and 权力类别, and the total fine.

`assess_checked` is `assess_decimal` with the checks the engine makes of every item (types,
ranges, lists, known fields, unique ids) written by hand before each computation: what an
exact, validating evaluator costs at the least in plain Python.

`rank=True` grades by top 10 / bottom 10 within the unit (bench/tax-bench.policy);
`rank=False` by fixed score bands (bench/tax-bench-flat.policy).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

STRENGTH = {
    "征收权": 1.3, "检查权": 1.3, "处罚权": 1.3, "强制权": 1.2, "减免权": 1.2, "许可权": 1.15,
    "管理权": 1.1, "复议权": 1.05, "人事管理权": 1.2, "财务管理权": 1.2, "基建管理权": 1.2,
    "物资管理权": 1.15, "纪检监察管理权": 1.1, "信息管理权": 1.05,
}
HIGH, GENERAL, LOW = "高风险", "一般风险", "低风险"


def frequency(times: float) -> float:
    if times >= 1000:
        return 1.2
    if times >= 100:
        return 1.1
    if times >= 10:
        return 1.0
    return 0.9


Results = tuple[list[tuple[Any, str, Any]], dict[str, Any]]


def assess_float(items: list[dict[str, Any]], rank: bool = True) -> Results:
    scores = []
    fines = []
    for it in items:
        base = (it["自由裁量度"] + it["透明度"] + it["可复核度"] + it["制约度"]) * 5
        scores.append(round(base * STRENGTH.get(it["权力"], 1.0) * frequency(it["运行次数"]), 2))
        fines.append(sum(10 * e.get("金额", 0) for e in it.get("事件", ()) if e["类型"] == "接受吃请"))
    grades = _ranked_grades(items, scores) if rank else [_band(s) for s in scores]
    return list(zip(scores, grades, fines, strict=True)), _summary(items, grades, fines)


def score_point(it: dict[str, Any]) -> tuple[float, float]:
    """One risk point: its composite score and its fine, as a user writes a rule function."""
    base = (it["自由裁量度"] + it["透明度"] + it["可复核度"] + it["制约度"]) * 5
    score = round(base * STRENGTH.get(it["权力"], 1.0) * frequency(it["运行次数"]), 2)
    fine = 0
    for e in it.get("事件", ()):
        if e["类型"] == "接受吃请":
            fine += 10 * e.get("金额", 0)
    return score, fine


def assess_points(items: list[dict[str, Any]], rank: bool = True) -> Results:
    """`score_point` called once per item, then the grades and the summary."""
    scores = []
    fines = []
    for it in items:
        score, fine = score_point(it)
        scores.append(score)
        fines.append(fine)
    grades = _ranked_grades(items, scores) if rank else [_band(s) for s in scores]
    return list(zip(scores, grades, fines, strict=True)), _summary(items, grades, fines)


# ---------------------------------------------------------------- exact variant

D_STRENGTH = {k: Decimal(str(v)) for k, v in STRENGTH.items()}
D_ONE, D_CENT, D_ZERO = Decimal(1), Decimal("0.01"), Decimal(0)
D_FREQUENCY = (Decimal("1.2"), Decimal("1.1"), Decimal("1.0"), Decimal("0.9"))


def d_frequency(times: Decimal) -> Decimal:
    if times >= 1000:
        return D_FREQUENCY[0]
    if times >= 100:
        return D_FREQUENCY[1]
    if times >= 10:
        return D_FREQUENCY[2]
    return D_FREQUENCY[3]


def assess_decimal(items: list[dict[str, Any]], rank: bool = True) -> Results:
    scores = []
    fines = []
    for it in items:
        base = (it["自由裁量度"] + it["透明度"] + it["可复核度"] + it["制约度"]) * 5
        score = base * D_STRENGTH.get(it["权力"], D_ONE) * d_frequency(it["运行次数"])
        scores.append(score.quantize(D_CENT, ROUND_HALF_UP))
        fines.append(sum((10 * e.get("金额", D_ZERO) for e in it.get("事件", ()) if e["类型"] == "接受吃请"),
                         D_ZERO))
    grades = _ranked_grades(items, scores) if rank else [_band(s) for s in scores]
    return list(zip(scores, grades, fines, strict=True)), _summary(items, grades, fines)


# ---------------------------------------------------------------- exact and checked

# what the engine checks of every item before it computes, written by hand: the floor of
# what an exact, validating evaluator costs in plain Python (bench/run.py's `hand checked`)
KNOWN = frozenset(["id", "name", "单位", "权力类别", "权力", "运行次数", "事件",
                   "自由裁量度", "透明度", "可复核度", "制约度"])
CATEGORIES = frozenset(["执法权", "行政管理权"])
POWERS = frozenset(["征收权", "管理权", "检查权", "强制权", "处罚权", "复议权", "减免权", "许可权",
                    "人事管理权", "财务管理权", "物资管理权", "日常事务管理权", "基建管理权", "纪检监察管理权",
                    "信息管理权", "后勤服务管理权"])
RATINGS = ("自由裁量度", "透明度", "可复核度", "制约度")
EVENT_FIELDS = frozenset(["类型", "金额"])


def check_point(it: Any, seen: set[str]) -> None:
    """Raise ValueError unless `it` is a risk point the rules accept: a mapping with a new
    text id, known fields only, every required one present with a value of its type (the
    ratings whole numbers 1..5, 运行次数 a whole number ≥ 0, categories from their lists),
    and every incident a mapping of 类型 (text) and an optional 金额 (a number)."""
    if not isinstance(it, dict):
        raise ValueError("an item must be a mapping")
    item_id = it.get("id")
    if not isinstance(item_id, str) or not item_id or item_id in seen:
        raise ValueError(f"bad or repeated id {item_id!r}")
    seen.add(item_id)
    if not it.keys() <= KNOWN:
        raise ValueError(f"{item_id}: unknown fields {sorted(it.keys() - KNOWN)}")
    name = it.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"{item_id}: name must be text")
    if not isinstance(it["单位"], str):
        raise ValueError(f"{item_id}: 单位 must be text")
    if it["权力类别"] not in CATEGORIES or it["权力"] not in POWERS:
        raise ValueError(f"{item_id}: 权力类别 or 权力 not in its list")
    runs = it["运行次数"]
    if not isinstance(runs, Decimal) or not runs.is_finite() or runs < 0 or runs != runs.to_integral_value():
        raise ValueError(f"{item_id}: 运行次数 must be a whole number >= 0")
    for key in RATINGS:
        rating = it[key]
        if not isinstance(rating, Decimal) or not rating.is_finite() or not 1 <= rating <= 5:
            raise ValueError(f"{item_id}: {key} must be 1..5")
    for e in it.get("事件", ()):
        if not isinstance(e, dict) or not e.keys() <= EVENT_FIELDS or not isinstance(e["类型"], str):
            raise ValueError(f"{item_id}: a bad incident")
        amount = e.get("金额")
        if amount is not None and (not isinstance(amount, Decimal) or not amount.is_finite()):
            raise ValueError(f"{item_id}: 金额 must be a number")


def assess_checked(items: list[dict[str, Any]], rank: bool = True) -> Results:
    """`assess_decimal` with `check_point` on every item first, in the same loop."""
    seen: set[str] = set()
    scores = []
    fines = []
    for it in items:
        check_point(it, seen)
        base = (it["自由裁量度"] + it["透明度"] + it["可复核度"] + it["制约度"]) * 5
        score = base * D_STRENGTH.get(it["权力"], D_ONE) * d_frequency(it["运行次数"])
        scores.append(score.quantize(D_CENT, ROUND_HALF_UP))
        fines.append(sum((10 * e.get("金额", D_ZERO) for e in it.get("事件", ()) if e["类型"] == "接受吃请"),
                         D_ZERO))
    grades = _ranked_grades(items, scores) if rank else [_band(s) for s in scores]
    return list(zip(scores, grades, fines, strict=True)), _summary(items, grades, fines)


# ---------------------------------------------------------------- grading and summary, shared


def _summary(items: list[dict[str, Any]], grades: list[str], fines: list[Any]) -> dict[str, Any]:
    return {"levels": Counter(grades),
            "by category": Counter(zip(grades, [it["权力类别"] for it in items], strict=True)),
            "fines": sum(fines)}


def _band(score: Any) -> str:
    if score >= 100:
        return HIGH
    if score < 50:
        return LOW
    return GENERAL


def _ranked_grades(items: list[dict[str, Any]], scores: list[Any]) -> list[str]:
    """Top 10 / bottom 10 by score within the unit; ties share a rank (1, 2, 2, 4)."""
    units: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        units[it["单位"]].append(i)
    top = [0] * len(items)
    bottom = [0] * len(items)
    for members in units.values():
        for out, descending in ((top, True), (bottom, False)):
            ordered = sorted(members, key=scores.__getitem__, reverse=descending)
            previous, rank = None, 0
            for position, i in enumerate(ordered, 1):
                if scores[i] != previous:
                    rank, previous = position, scores[i]
                out[i] = rank
    return [HIGH if t <= 10 else LOW if b <= 10 else GENERAL for t, b in zip(top, bottom, strict=True)]


def write_results(items: list[dict[str, Any]], results: Results, fh: Any) -> None:
    """The hand-written path's result file: per item its id, score, grade and fine, and the
    summary, with json.dump — what a user writes to hand the results on."""
    import json

    rows, summary = results
    json.dump({"items": [{"id": it["id"], "综合得分": score, "风险档次": grade, "罚款": fine}
                         for it, (score, grade, fine) in zip(items, rows, strict=True)],
               "summary": {"levels": dict(summary["levels"]),
                           "by category": [[g, c, n] for (g, c), n in summary["by category"].items()],
                           "fines": summary["fines"]}},
              fh, ensure_ascii=False)


if __name__ == "__main__":
    # `python bench/handwritten.py CASE.json RESULT.json`: the hand-written path end to end
    # (json.load, score_point per item, ranking within units, json.dump), run.py's yardstick
    # for the command line's wall time and peak memory
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as fh:
        loaded = json.load(fh)["items"]
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        write_results(loaded, assess_points(loaded, rank=True), out)
