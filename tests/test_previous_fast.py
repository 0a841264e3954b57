"""`eval --previous` reads of an earlier JSON result only the item ids and the fields the
rules read, when the file is in the layout this tool writes (results/json.py
`read_json_fields`, issue 16's speed target); anything else is read in full, which locates
what is wrong. The fast read must give what the full read gives."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine.results import read_result
from policyengine.results.json import read_json_fields

from .conftest import cli

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cases" / "tax" / "luoyang-2010.result.json"
TREND = ROOT / "rulesets" / "tax" / "2011-trend.policy"
CASE_2011 = ROOT / "cases" / "tax" / "luoyang-2011.yaml"
WANTED = (frozenset({"综合得分", "风险档次"}), frozenset({"风险档次"}))


def test_the_fast_read_gives_what_the_full_read_gives() -> None:
    full = read_result(SHIPPED)
    fast = read_json_fields(SHIPPED.read_bytes(), *WANTED)
    assert fast is not None
    assert fast.result.ruleset == full.result.ruleset and fast.result.case == full.result.case
    assert fast.result.summary == full.result.summary and fast.levels == full.levels
    assert [i.id for i in fast.result.items] == [i.id for i in full.result.items]
    assert [i.values for i in fast.result.items] == [{"综合得分": i.values["综合得分"]} for i in full.result.items]
    assert [i.grades["风险档次"].level for i in fast.result.items] == [
        i.grades["风险档次"].level for i in full.result.items]
    assert all(isinstance(i.values["综合得分"], Decimal) for i in fast.result.items)
    ids_only = read_json_fields(SHIPPED.read_bytes(), frozenset(), frozenset())
    assert [i.id for i in ids_only.result.items] == [i.id for i in full.result.items]


def test_rollups_and_escaped_text_read_fast(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text('ruleset r "r"\ninput 说明: text\nlet 抄录 = 说明\nlet 倍 = 2\n',
                                       encoding="utf-8")
    case = tmp_path / "c.yaml"
    case.write_text('ruleset: r.policy\nperiod: 2010\nitems:\n  - {id: "A\\"1", 说明: "x\\\\y"}\n'
                    "  - {id: B, 说明: 甲}\n", encoding="utf-8")
    out = tmp_path / "r.json"
    assert cli("eval", str(case), "-o", str(out)).returncode == 0
    fast = read_json_fields(out.read_bytes(), frozenset({"抄录", "倍"}), frozenset())
    assert [(i.id, i.values["抄录"], i.values["倍"]) for i in fast.result.items] == [
        ('A"1', "x\\y", Decimal(2)), ("B", "甲", Decimal(2))]


def _edited(tmp_path: Path, change) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    out = tmp_path / "y2010.json"
    out.write_text(change(text), encoding="utf-8")
    return out


def _eval_with(previous: Path):
    return cli("eval", str(TREND), str(CASE_2011), "--previous", str(previous), "-f", "json")


def test_a_key_given_twice_falls_back_and_is_located(tmp_path: Path) -> None:
    # the third item's 综合得分 given twice: the fast read counts one too many and reads in full
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith('        "综合得分": ')]
    lines.insert(hits[2], lines[hits[2]])
    previous = _edited(tmp_path, lambda _text: "\n".join(lines))
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{previous}:{hits[2] + 2}:" in run.stderr and "error[PE351]" in run.stderr, run.stderr


def test_a_value_missing_falls_back_and_is_located(tmp_path: Path) -> None:
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith('        "综合得分": ')]
    lines[hits[4]] = lines[hits[4]].replace('"综合得分"', '"综合得分x"')   # the fifth item loses its 综合得分
    run = _eval_with(_edited(tmp_path, lambda _text: "\n".join(lines)))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "error[PE365]" in run.stderr and "no value '综合得分'" in run.stderr, run.stderr


def test_an_unknown_level_falls_back_and_is_located(tmp_path: Path) -> None:
    previous = _edited(tmp_path, lambda text: text.replace('"level": "一般风险"', '"level": "极高风险"', 1))
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "error[PE352]" in run.stderr and "极高风险" in run.stderr, run.stderr


@pytest.mark.parametrize("change", [
    lambda text: json.dumps(json.loads(text), ensure_ascii=False),             # on one line
    lambda text: text.replace("\n", "\r\n"),                                    # CRLF
    lambda text: "\ufeff" + text,                                               # a byte-order mark
])
def test_another_layout_is_read_in_full_with_the_same_outcome(tmp_path: Path, change) -> None:
    expected = _eval_with(SHIPPED)
    got = _eval_with(_edited(tmp_path, change))
    assert expected.returncode == 0 and got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["items"] == json.loads(expected.stdout)["items"]
