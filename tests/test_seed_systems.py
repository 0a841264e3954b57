"""Every system in the seeds, and what the shipped rulesets promise about it (issue 18).

The departments page has one row per system of the seeds, modelled or not, and names each
shipped ruleset; the README and the page never call constructed data "reproduced". The
seeds' own rules hold at their edges: a grade a person must decide is proposed, not raised
(001 篇2 "及时提出调整建议,由镇党委做出调整"); a complaint counts only once verified (000 第五篇
"属于错告的还以清白"); a reply on its deadline is not late, one day after is; an event
handled in exactly its time limit is not overdue, one day more is. Units and people are
counted once each (hubei's people warned, judicial's sections supervised), rankings take only
the units rated (zhuzhou), and a rate exactly on its band's edge stays in the better band.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import policyengine as pe

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS_PAGE = ROOT / "docs" / "departments.md"
SHIPPED = sorted(p.name for p in (ROOT / "rulesets").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def seed_table_rows() -> list[list[str]]:
    text = DEPARTMENTS_PAGE.read_text(encoding="utf-8")
    section = text.split("## Every system in the seeds", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    # header and the |---| line
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_the_departments_page_has_a_row_per_system_of_the_seeds() -> None:
    rows = seed_table_rows()
    # 16 systems: the 9 first modelled, the 7 of issue 18
    assert len(rows) == 16, [r[0] for r in rows]
    assert all(len(r) == 5 for r in rows), "system | seed | ruleset | modelled | not modelled"
    named = {r[2].strip("`") for r in rows if r[2] != "—"}
    assert named == set(SHIPPED), named ^ set(SHIPPED)
    # with rollups every system of the seeds has its ruleset: none is left pending
    assert all(r[2] != "—" for r in rows), [r[0] for r in rows if r[2] == "—"]
    assert not any("in progress" in r[3] for r in rows)
    systems = {r[0].split(" ")[0]: r[2].strip("`") for r in rows}
    assert systems["Luoyang"] == "tax" and systems["Zhuzhou"] == "zhuzhou"
    assert all(r[4] for r in rows), "every row says what is not modelled"


def test_the_readme_lists_every_shipped_ruleset() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", readme, flags=re.M))
    assert listed == set(SHIPPED)


@pytest.mark.parametrize("path", ["README.md", "docs/departments.md"])
def test_constructed_totals_are_not_called_reproduced(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"reproduc", text, flags=re.I), path
    assert "illustrative data constructed to match the published totals" in text, path


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "cases").glob("*/*.yaml")
                                          if p.read_text(encoding="utf-8").startswith("# GENERATED")))
def test_a_generated_case_says_it_was_constructed_to_match(path: str) -> None:
    """Each case a generator built to hit a seed's totals says so in its header, in these words."""
    header = (ROOT / path).read_text(encoding="utf-8")[:600].lower()
    assert "illustrative data constructed to match the published totals" in header, path


def test_the_pingliang_generator_says_its_totals_are_constructed() -> None:
    header = (ROOT / "cases" / "commerce" / "make_pingliang.py").read_text(encoding="utf-8").split('"""')[1]
    assert "CONSTRUCTED TO MATCH THE PUBLISHED TOTALS" in header
    generated = (ROOT / "cases" / "commerce" / "pingliang-2010.yaml").read_text(encoding="utf-8")
    assert "CONSTRUCTED TO MATCH THE PUBLISHED TOTALS" in generated.split("ruleset:", 1)[0]


def evaluate_one(ruleset: str, item: dict[str, Any], period: int) -> dict[str, Any]:
    result = pe.load_ruleset(ruleset).evaluate(pe.Case(items=[{"id": "X", **item}], unit="测试单位", period=period))
    return result.to_dict()["items"][0]


def fired(item: dict[str, Any]) -> dict[str, list[str]]:
    return {s["rule"]: s["actions"] for s in item["sanctions"]}


TOWNSHIP_POST = {"对象类别": "一般干部", "风险类别": "岗位职责", "发生机率": "较小", "危害后果": "一般", "评定年度": 2021}


def complaints(*verdicts: str) -> list[dict[str, str]]:
    return [{"类型": "信访举报", "日期": "2021-05-01", "核实": v} for v in verdicts]


def test_township_committee_proposes_and_does_not_raise() -> None:
    item = evaluate_one("township", {**TOWNSHIP_POST, "事件": complaints("属实", "属实", "属实")}, 2021)
    assert item["grades"]["风险等级"]["level"] == "三级"      # what probability and harm give
    actions = fired(item)["建议定为一级"]
    assert actions[0] == "建议调整等级" and actions[-1] == "由镇党委按规定程序做出调整"
    assert "建议提高一级" not in fired(item)                   # the stronger proposal only


def test_township_counts_only_verified_complaints() -> None:
    item = evaluate_one("township", {**TOWNSHIP_POST, "事件": complaints("待核实", "待核实", "错告")}, 2021)
    assert item["values"]["经核实信访举报数"] == 0
    assert item["values"]["风险信息数"] == 2                # the false one is not risk information
    assert set(fired(item)) == {"三级预警", "核查信访举报", "还以清白"}
    two_verified = evaluate_one("township", {**TOWNSHIP_POST, "事件": complaints("属实", "属实")}, 2021)
    assert fired(two_verified)["建议提高一级"][0] == "建议调整等级"


def test_commerce_dynamic_regrading_is_a_proposal() -> None:
    point = {"风险类型": "岗位职责", "层面": "个人岗位", "发生几率": "低", "危害程度": "较严重", "信访举报": 3}
    item = evaluate_one("commerce", point, 2010)
    assert item["grades"]["风险等级"]["level"] == "二级"      # 低 x 较严重, as the seed states
    assert fired(item)["建议动态评定"][0] == "建议调整等级"
    at_top = evaluate_one("commerce", {**point, "发生几率": "高", "危害程度": "严重"}, 2010)
    assert "建议动态评定" not in fired(at_top)                # nothing above 三级 to propose


@pytest.mark.parametrize(("received", "verified", "false", "level", "pending"), [
    (3, 0, 0, "中风险", 3),   # unverified: no raise, checked
    (3, 1, 2, "高风险", 0),   # one verified raises one level
    (2, 0, 2, "中风险", 0),   # all false: cleared, no raise
])
def test_court_raises_only_on_verified_complaints(received: int, verified: int, false: int, level: str,
                                                   pending: int) -> None:
    point = {"岗位类别": "审判", "信访举报": received, "信访举报查实": verified, "错告": false}
    item = evaluate_one("court", point, 2010)
    assert item["grades"]["风险等级"]["level"] == level
    assert item["values"]["待核实"] == pending
    assert ("还以清白" in fired(item)) == (false > 0)
    assert "核对件数" not in fired(item)


def test_court_flags_more_verdicts_than_complaints() -> None:
    item = evaluate_one("court", {"岗位类别": "审判", "信访举报": 1, "信访举报查实": 1, "错告": 1}, 2010)
    assert item["values"]["待核实"] == 0          # max(1 - 1 - 1, 0), never negative
    assert "核对件数" in fired(item)


@pytest.mark.parametrize(("reply", "late"), [("2012-04-30", Decimal(0)), ("2012-05-01", Decimal(1))])
def test_procuratorate_reply_on_its_deadline_is_not_late(reply: str, late: Decimal) -> None:
    doc = {"文书类别": "检察建议", "被建议单位": "甲局", "发出日期": "2012-03-01", "回复期限": "2012-04-30",
           "截至日期": "2012-06-30", "跟进": [{"事项": "回复", "日期": reply}, {"事项": "报备区纪委", "日期": "2012-03-02"}]}
    item = evaluate_one("procuratorate", doc, 2012)
    assert item["values"]["逾期天数"] == late
    assert item["grades"]["跟进状态"]["level"] == "未整改"
    unanswered = evaluate_one("procuratorate", {**doc, "跟进": [], "截至日期": reply}, 2012)
    assert unanswered["grades"]["跟进状态"]["level"] == ("待回复" if late == 0 else "逾期未回复")


@pytest.mark.parametrize(("finished", "overdue"), [("2010-06-11", False), ("2010-06-12", True)])
def test_hubei_event_in_exactly_its_time_limit_is_not_overdue(finished: str, overdue: bool) -> None:
    steps = [{"环节": k, "日期": "2010-06-02"} for k in ("受理", "审核", "审批")] + [{"环节": "办结", "日期": finished}]
    event = {"业务系统": "金税", "经办人": "张某", "受理日期": "2010-06-01", "规定时限": 10,
             "扫描日期": "2010-06-30", "步骤": steps}
    item = evaluate_one("hubei", event, 2010)
    assert ("超时预警" in fired(item)) is overdue
    assert item["grades"]["预警级别"]["level"] == ("黄色" if overdue else "正常")


# ---- the rollups: units and people counted once, as the seeds count them ----------------------

def evaluate_units(ruleset: str, items: list[dict[str, Any]], period: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Each rollup's units by id, from a case of these items."""
    case = pe.Case(items=[{"id": f"X{n}", **item} for n, item in enumerate(items, 1)], unit="测试单位", period=period)
    rollups = pe.load_ruleset(ruleset).evaluate(case).to_dict()["rollups"]
    return {name: {u["id"]: u for u in r["units"]} for name, r in rollups.items()}


def hubei_event(person: str, in_scope: bool) -> dict[str, Any]:
    steps = [{"环节": k, "日期": "2010-06-02"} for k in ("受理", "审核", "审批", "办结")]
    return {"业务系统": "金税", "经办人": person, "在授权范围": in_scope, "受理日期": "2010-06-01", "规定时限": 10,
            "扫描日期": "2010-06-30", "步骤": steps}


def test_hubei_warns_each_person_once_however_many_events() -> None:
    # 003 第四篇 counts 2597 党员干部: people, not events
    people = evaluate_units("hubei", [hubei_event("张某", False)] * 3 + [hubei_event("李某", True)], 2010)["干部"]
    assert people["张某"]["values"]["预警件数"] == 3
    assert [s["rule"] for s in people["张某"]["sanctions"]] == ["预警处置"]
    assert people["张某"]["grades"]["人员预警"]["level"] == "红色"
    assert people["李某"]["sanctions"] == [] and people["李某"]["grades"]["人员预警"]["level"] == "未预警"


def zhuzhou_rating(kind: str, unit: str, head: str, score: int) -> dict[str, Any]:
    return {"评议": kind, "被评单位": unit, "被评一把手": head, "测评分": score}


def test_zhuzhou_ranks_only_the_units_rated_and_ties_share_the_bottom() -> None:
    ratings = [zhuzhou_rating("政风行风评议", "甲局", "张", 70), zhuzhou_rating("政风行风评议", "乙局", "李", 70),
               zhuzhou_rating("政风行风评议", "丙局", "王", 90),
               zhuzhou_rating("述廉评议", "丁办", "赵", 95)]   # 丁办: 述廉 only, mean 0 among units
    units = evaluate_units("zhuzhou", ratings, 2010)
    levels = {u: v["grades"]["测评等次"]["level"] for u, v in units["单位"].items()}
    assert levels == {"甲局": "末位", "乙局": "末位", "丙局": "优秀", "丁办": "未参评"}
    heads = {h: v["grades"]["述廉等次"]["level"] for h, v in units["一把手"].items()}
    assert heads == {"张": "未述廉", "李": "未述廉", "王": "未述廉", "赵": "好"}


@pytest.mark.parametrize(("rectified", "band"), [(1, "落实良好"), (0, "整改滞后")])
def test_procuratorate_unit_rectification_rate_band_edge(rectified: int, band: str) -> None:
    doc = {"文书类别": "检察建议", "被建议单位": "甲局", "发出日期": "2012-03-01", "回复期限": "2012-04-30",
           "截至日期": "2012-06-30"}
    done = [{"事项": "回复", "日期": "2012-04-01"}, {"事项": "整改完成", "日期": "2012-05-01"}]
    docs = [{**doc, "跟进": done[:1 + rectified]}, {**doc, "跟进": done[:1]}]   # 1 of 2 (= 50%) or 0 of 2
    unit = evaluate_units("procuratorate", docs, 2012)["单位"]["甲局"]
    assert unit["values"]["整改率"] == Decimal(rectified) / 2
    assert unit["grades"]["落实情况"]["level"] == band


def test_judicial_supervises_a_section_once_not_per_point() -> None:
    # 002 后期处置 "对前期预防不到位的股室(所、中心)进行督导": the section, once
    point = {"层面": "个人岗位", "风险类别": "岗位职责", "发生几率": "可能发生", "可能后果": "不良影响",
             "权力类别": "其他", "监控发现": [], "所属股室": "办公室"}
    units = evaluate_units("judicial", [{**point, "防控不力": True}] * 2 + [{**point, "所属股室": "政工股"}], 2010)
    sections = units["股室"]
    assert [s["rule"] for s in sections["办公室"]["sanctions"]] == ["股室督导"]
    assert sections["政工股"]["grades"]["综合评价"]["level"] == "成效显著"
    items = pe.load_ruleset("judicial").evaluate(
        pe.Case(items=[{"id": "X", **point, "防控不力": True}], unit="测试单位", period=2010)).to_dict()["items"]
    assert items[0]["sanctions"] == []   # no longer fired on each point
