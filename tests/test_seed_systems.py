"""Every system in the seeds, and what the shipped rulesets promise about it (issue 18).

The departments page has one row per system of the seeds, modelled or not, and names each
shipped ruleset; the README and the page never call constructed data "reproduced". The
seeds' own rules hold at their edges: a grade a person must decide is proposed, not raised
(001 篇2 "及时提出调整建议,由镇党委做出调整"); a complaint counts only once verified (000 第五篇
"属于错告的还以清白"); a reply on its deadline is not late, one day after is; an event
handled in exactly its time limit is not overdue, one day more is.
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
