"""`eval --jobs N` (policyengine/shards.py): a case evaluated by several processes gives the
bytes one process gives, errors included; a dead worker or Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import multiprocessing
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

import policyengine as pe
from policyengine import shards
from policyengine.cli import main
from policyengine.errors import PolicyError
from policyengine.evaluate import evaluate
from policyengine.render import csv_chunks, json_chunks, render, yaml_chunks
from policyengine.render.files import joined_text
from policyengine.render.tabular import columns_of

from .conftest import ROOT, ruleset, shipped_cases
from .generated_rulesets import Generated, rulesets
from .test_fmt import SETTINGS


def one_process(rs: Any, case: Any, fmt: str = "json", copies: int = 1) -> str:
    result = evaluate(rs.compiled, case, rs.digest)
    return render([result] * copies if copies > 1 else result, fmt)


CHUNKS = {"json": json_chunks, "yaml": yaml_chunks, "csv": csv_chunks}


def in_shards(rs: Any, case: Any, jobs: int, fmt: str = "json", copies: int = 1) -> str | None:
    """The document of `copies` results of `case` (two: as `eval R CASE CASE` writes them),
    its items written by `jobs` workers."""
    sharded = shards.evaluate_sharded(rs, case, jobs, shards.Layout(fmt, copies > 1))
    if sharded is None:
        return None
    written = sharded.pieces if fmt != "csv" else (sharded.pieces, sharded.columns)
    # the workers' text is in their files (render.files.Spooled): read back as the output gets it
    return joined_text(CHUNKS[fmt]([sharded.result] * copies, [written] * copies))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output



@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_shipped_cases_in_shards_are_the_bytes_of_one_process(fmt: str) -> None:
    split = []
    for path, rs, case in shipped_cases():  # a case's `previous:` list read, as eval reads it
        reason = shards.one_process_reason(rs.compiled, case)
        text = in_shards(rs, case, 2, fmt)
        if reason is None and len(case.items) > 1:
            assert text == one_process(rs, case, fmt), path
            split.append(path.name)
        else:
            assert text is None, path
    # the shipped cases that rank within units, rank nothing, or read earlier results
    assert len(split) >= 8, split
    assert "luoyang-2011-trend.yaml" in split  # earlier results (`previous:`) read by the shards


@settings(max_examples=15, **SETTINGS)
@given(rulesets())
def test_generated_rulesets_in_shards_are_the_bytes_of_one_process(g: Generated) -> None:
    rs = ruleset(g.text)
    case = pe.Case(items=g.items, units=g.units or None)
    try:
        expected = one_process(rs, case)
    except PolicyError:
        assert in_shards(rs, case, 2) is None  # one process then reports what it found
        return
    for jobs in (2, 3):
        text = in_shards(rs, case, jobs)
        assert text is None or text == expected
        if text is None:  # not split: a reason, or fewer than two shards (every item in one group)
            assert shards.one_process_reason(rs.compiled, case) is not None \
                or len(shards.plan(rs.compiled, case, jobs)) < 2
    # a CSV of evaluated items takes its rank columns from the first item (every item of a
    # ranking scale has a rank): what asking every item gives
    evaluated = evaluate(rs.compiled, case, rs.digest).items
    assert columns_of(evaluated) == columns_of(list(evaluated))
    for fmt in ("yaml", "csv"):
        text = in_shards(rs, case, 2, fmt)
        assert text is None or text == one_process(rs, case, fmt)
        # two cases in one document: items further in (YAML), a case column (CSV)
        text = in_shards(rs, case, 2, fmt, copies=2)
        assert text is None or text == one_process(rs, case, fmt, copies=2)


GROUPED = """
ruleset g "g"
version "1"
input 科室: text
input 类别: one of ["甲", "乙"]
input 金额: number
levels 等级 [高 red, 中 yellow, 低 green]
grade 等级 {
  top 1 by 金额 within 科室 -> 高
  bottom 1 by 金额 within 科室 -> 低
  otherwise -> 中
}
summary {
  count by 等级, 科室
  count by 类别
  sum 金额
}
"""

# 科室 A and B interleaved, C and D each only in one half of the case
ITEMS = [
    {"id": "1", "科室": "A", "类别": "甲", "金额": Decimal("10.5")},
    {"id": "2", "科室": "B", "类别": "乙", "金额": Decimal("3")},
    {"id": "3", "科室": "A", "类别": "甲", "金额": Decimal("7.25")},
    {"id": "4", "科室": "B", "类别": "甲", "金额": Decimal("8")},
    {"id": "5", "科室": "A", "类别": "甲", "金额": Decimal("1")},
    {"id": "6", "科室": "C", "类别": "甲", "金额": Decimal("2")},
    {"id": "7", "科室": "D", "类别": "甲", "金额": Decimal("4")},
    {"id": "8", "科室": "D", "类别": "甲", "金额": Decimal("0.01")},
]


def test_interleaved_groups_stay_whole_and_the_summary_adds_up() -> None:
    rs = ruleset(GROUPED)
    case = pe.Case(items=ITEMS)
    plan = shards.plan(rs.compiled, case, 2)
    # largest group first onto the lighter shard: A (3) on 0; B (2) on 1; D (2) on 1 (2 < 3);
    # C (1) on 0 (3 < 4)
    assert plan == [[0, 2, 4, 5], [1, 3, 6, 7]]
    assert shards.runs(plan[1]) == [(1, 2), (3, 4), (6, 8)]
    text = in_shards(rs, case, 2)
    assert text == one_process(rs, case)
    summary = json.loads(text)["summary"]
    # 高: the top of each 科室 (A 10.5, B 8, C 2, D 4); 低: the bottom (A 1, B 3, D 0.01); C's one item
    # is both top and bottom, and the first line decides: 高
    assert summary["levels"]["等级"] == {"高": 4, "中": 1, "低": 3}
    assert summary["counts"][0]["counts"] == {"高": {"A": 1, "B": 1, "C": 1, "D": 1},
                                              "中": {"A": 1, "B": 0, "C": 0, "D": 0},
                                              "低": {"A": 1, "B": 1, "C": 0, "D": 1}}
    assert summary["counts"][1]["counts"] == {"甲": 7, "乙": 1}
    # 10.5 + 3 + 7.25 + 8 + 1 + 2 + 4 + 0.01 = 35.76
    assert summary["sums"]["金额"] == 35.76


def test_groups_standing_together_are_cut_between_groups() -> None:
    rs = ruleset(GROUPED)
    items = sorted(ITEMS, key=lambda i: i["科室"])  # A A A B B C D D
    plan = shards.plan(rs.compiled, pe.Case(items=items), 2)
    assert plan == [[0, 1, 2, 3, 4], [5, 6, 7]]  # the cut at 4 falls inside B: moved past it
    assert [shards.runs(p) for p in plan] == [[(0, 5)], [(5, 8)]]  # one stretch each
    assert shards.runs([2, 3, 5]) == [(2, 4), (5, 6)]  # 3 items over 2..5: not one stretch
    # a group that comes back after another began (B A B): not standing together
    assert shards.plan(rs.compiled, pe.Case(items=[items[3], items[0], items[4]]), 2) == [[0, 2], [1]]


def test_spooled_text_is_copied_into_the_output_between_the_text_around_it(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from policyengine.render import write_atomically
    from policyengine.render.files import Spooled

    spool = (tmp_path / "spool").open("w+b")
    spool.write("前言 — 项目一，项目二 ".encode())  # 前言 6 bytes, " — " 5 (— is 3): 项目一 starts at 11
    spool.flush()
    pieces = ["[", Spooled(spool, 11, 21), "]\n"]  # 7 characters of 3 bytes: 21 bytes
    assert "".join(map(str, pieces)) == "[项目一，项目二]\n"
    for refused in (False, True):
        if refused:  # where sendfile is refused (another system, another target): read and written
            def no_sendfile(*args: Any) -> int:
                raise OSError("refused")
            monkeypatch.setattr(os, "sendfile", no_sendfile)
        out = tmp_path / f"out{refused}.json"
        write_atomically(out, iter(pieces))
        assert out.read_text(encoding="utf-8") == "[项目一，项目二]\n"


def test_a_sum_that_one_process_would_round_is_not_split() -> None:
    part = {"items": 1, "levels": {}, "fines": Decimal(0)}
    big = Decimal("1" + "0" * 39)  # 40 digits: at the context's precision, maybe rounded already
    assert shards.merge_summaries(None, [{**part, "fines": big}, part]) is None
    # 10^38 + 0.5 needs 40 digits: exact; 10^39 + 0.5 would need 41
    assert shards.merge_summaries(None, [{**part, "fines": Decimal(10) ** 38}, {**part, "fines": Decimal("0.5")}]
                                  )["fines"] == Decimal("100000000000000000000000000000000000000.5")
    assert shards.merge_summaries(None, [{**part, "fines": Decimal(10) ** 39}, {**part, "fines": Decimal("0.5")}]
                                  ) is None
    assert shards.merge_summaries(None, [{**part, "mean": 1}, part]) is None  # an entry it cannot add


def test_what_needs_one_process_says_why() -> None:
    ranked_all = GROUPED.replace(" within 科室", "")
    assert shards.one_process_reason(ruleset(ranked_all).compiled, pe.Case(items=ITEMS)) \
        == "a ranking across all items, or within groups that are not a text input"
    rs = ruleset(GROUPED)
    assert shards.one_process_reason(rs.compiled, pe.Case(items=[*ITEMS, dict(ITEMS[0])])) \
        == "item ids that are not distinct text (one process reports them)"
    assert shards.one_process_reason(rs.compiled, pe.Case(items=[*ITEMS, {**ITEMS[0], "id": "9", "科室": 5}])) \
        == "group values that are not all text"


def test_the_default_is_every_core_from_the_threshold() -> None:
    assert shards.jobs_for(None, shards.SHARD_FROM - 1) == 1
    assert shards.jobs_for(None, shards.SHARD_FROM) == shards.cores()
    assert shards.jobs_for(2, 10) == 2
    assert shards.jobs_for(100_000, 10**6) == 4 * shards.cores()  # never a process per item
    assert shards.cores() == len(os.sched_getaffinity(0))


def _case_file(tmp_path: Path, items: list[dict[str, Any]]) -> Path:
    path = tmp_path / "c.json"
    # numbers of at most 2 places: the shortest float text is the decimal's own
    path.write_text(json.dumps({"items": [{k: float(v) if isinstance(v, Decimal) else v for k, v in i.items()}
                                          for i in items]}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_eval_jobs_writes_the_bytes_of_one_process(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    case = _case_file(tmp_path, ITEMS)
    made = _splits_seen(monkeypatch)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.{fmt}"
        code, text = run("eval", str(policy), str(case), str(case), "--jobs", jobs, "-o", str(out))
        assert code == 0, text
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(made) == 2 and all(m is not None for m in made)  # both cases split with --jobs 2
    if fmt == "json":
        assert len(json.loads(outputs[0])) == 2  # two cases, items at the depth of a list of results
    monkeypatch.setattr(shards, "_evaluate_part", _die)  # a dead worker: nothing written
    out = tmp_path / f"dead.{fmt}"
    code, text = run("eval", str(policy), str(case), "--jobs", "2", "-o", str(out))
    assert code == 2 and "error[PE445]" in text
    assert not out.exists()


def test_eval_jobs_writes_a_table_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    case = _case_file(tmp_path, ITEMS)
    made = _splits_seen(monkeypatch)
    # its column widths depend on every row (docs/performance.md)
    assert run("eval", str(policy), str(case), "-f", "table", "--jobs", "2") \
        == run("eval", str(policy), str(case), "-f", "table", "--jobs", "1")
    assert made == []


@pytest.mark.parametrize(("item", "code"), [
    ({"id": "9", "科室": "A", "类别": "丙", "金额": 1}, "PE3"),  # not one of the values: validation
    ({"id": "9", "科室": "B", "类别": "甲", "金额": "x"}, "PE3"),
])
def test_eval_jobs_reports_a_bad_case_as_one_process_does(tmp_path: Path, item: dict[str, Any], code: str) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    case = _case_file(tmp_path, [*ITEMS, item, {**item, "id": "10"}])
    out = tmp_path / "out.json"
    answers = [run("eval", str(policy), str(case), "--jobs", jobs, "-o", str(out)) for jobs in ("1", "2")]
    assert answers[0] == answers[1]
    assert answers[0][0] == 2 and f"error[{code}" in answers[0][1]
    assert not out.exists()


def test_eval_jobs_reports_evaluation_errors_as_one_process_does(tmp_path: Path) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED.replace("summary {", "let 比 = 100 / 金额\nsummary {"), encoding="utf-8")
    items = [{**i, "金额": Decimal(0) if int(i["id"]) % 3 == 0 else i["金额"]} for i in ITEMS]  # items 3 and 6
    case = _case_file(tmp_path, items)
    answers = [run("eval", str(policy), str(case), "--jobs", jobs) for jobs in ("1", "2")]
    assert answers[0] == answers[1]
    assert answers[0][0] == 2
    assert answers[0][1].count("division by zero") == 2, answers[0][1]


def _die(*args: Any) -> Any:
    os._exit(9)


def test_a_dead_worker_stops_them_all_and_nothing_is_written(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    case = _case_file(tmp_path, ITEMS)
    out = tmp_path / "out.json"
    monkeypatch.setattr(shards, "_evaluate_part", _die)  # the forked workers inherit it
    code, text = run("eval", str(policy), str(case), "--jobs", "2", "-o", str(out))
    assert code == 2
    assert "error[PE445]" in text and "exit code 9" in text and "--jobs 1" in text
    assert not out.exists()
    assert multiprocessing.active_children() == []


def test_ctrl_c_leaves_no_worker_running(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(shards, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shards.evaluate_sharded(ruleset(GROUPED), pe.Case(items=ITEMS), 2)
    assert multiprocessing.active_children() == []


def test_without_fork_the_workers_are_spawned_and_sent_their_items(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    rs = pe.load_ruleset(policy)
    case = pe.Case(items=ITEMS)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert in_shards(rs, case, 2) == one_process(rs, case)


def test_a_shard_that_fails_sends_the_case_to_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug in a worker")

    monkeypatch.setattr(shards, "_evaluate_part", broken)
    assert shards.evaluate_sharded(ruleset(GROUPED), pe.Case(items=ITEMS), 2) is None
    assert multiprocessing.active_children() == []


def test_eval_jobs_with_earlier_results_writes_the_bytes_of_one_process(tmp_path: Path) -> None:
    case = ROOT / "cases" / "tax" / "luoyang-2011-trend.yaml"  # `previous:` the 2010 result
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.json"
        code, text = run("eval", str(case), "--jobs", jobs, "-o", str(out))
        assert code == 0, text
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[1])["previous"][0]["period"] == 2010


def _splits_seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each call of evaluate_sharded gives from now on (None: not split)."""
    made: list[Any] = []
    split = shards.evaluate_sharded

    def spied(*args: Any) -> Any:
        made.append(split(*args))
        return made[-1]

    monkeypatch.setattr(shards, "evaluate_sharded", spied)
    return made


def test_by_default_a_large_case_is_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "g.policy"
    policy.write_text(GROUPED, encoding="utf-8")
    case = _case_file(tmp_path, ITEMS)
    expected = run("eval", str(policy), str(case), "--jobs", "1")
    monkeypatch.setattr(shards, "SHARD_FROM", len(ITEMS))  # "large" from 8 items
    monkeypatch.setattr(shards, "cores", lambda: 2)
    made = _splits_seen(monkeypatch)
    assert run("eval", str(policy), str(case)) == expected
    # shards [0, 2, 4, 5] and [1, 3, 6, 7]: runs 0, 2, 4-5 and 1, 3, 6-7, six pieces in all
    assert made and made[0] is not None and len(made[0].pieces) == 6
    monkeypatch.setattr(shards, "SHARD_FROM", len(ITEMS) + 1)
    made.clear()
    assert run("eval", str(policy), str(case)) == expected
    assert made == []  # below the threshold: one process, no worker


def test_csv_lines_written_by_workers_stand_in_case_order() -> None:
    rs = ruleset(GROUPED)
    case = pe.Case(items=ITEMS, file="c.json")
    # shards [0, 2, 4, 5] and [1, 3, 6, 7] (see above); ranks by 金额 within 科室, highest 1:
    # A 10.5 (1) 7.25 (2) 1 (3); B 8 (1) 3 (2); C 2 (1); D 4 (1) 0.01 (2); the top of each
    # 科室 高, the bottom 低 (C's one item is both: the first line, 高), the rest 中
    lines = ["1,,高,1", "2,,低,2", "3,,中,2", "4,,高,1", "5,,低,3", "6,,高,1", "7,,高,1", "8,,低,2"]
    assert in_shards(rs, case, 2, "csv") == "\ufeffid,name,等级,等级.rank,supervision,sanctions,fine,warning\n" \
        + "".join(f"{line},,,,\n" for line in lines)
    assert in_shards(rs, case, 2, "csv", copies=2) == "\ufeffcase,id,name,等级,等级.rank,supervision,sanctions,fine," \
        "warning\n" + "".join(f"c.json,{line},,,,\n" for line in lines) * 2


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_a_split_result_beside_one_evaluated_here_is_written_as_one_process_writes_both(fmt: str) -> None:
    rs = ruleset(GROUPED.replace("summary {", 'note 说明: text\nsummary {'))
    case = pe.Case(items=[{**i, "说明": f"第{i['id']}项"} for i in ITEMS], file="c.json", title="items: x")
    other = pe.Case(items=ITEMS[:3], file="d.json")
    sharded = shards.evaluate_sharded(rs, case, 2, shards.Layout(fmt, several=True))
    assert sharded is not None
    here = evaluate(rs.compiled, other, rs.digest)
    written = sharded.pieces if fmt != "csv" else (sharded.pieces, sharded.columns)
    expected = render([evaluate(rs.compiled, case, rs.digest), here, evaluate(rs.compiled, case, rs.digest)], fmt)
    assert joined_text(CHUNKS[fmt]([sharded.result, here, sharded.result], [written, None, written])) == expected
    assert "第8项" in expected and (fmt == "csv" or "items: x" in expected)  # CSV has no header


def test_csv_columns_the_workers_did_not_write_send_the_case_to_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from policyengine.render.tabular import Columns

    rs = ruleset(GROUPED)
    case = pe.Case(items=ITEMS)
    # a worker that wrote no rank column where its items have ranks: its lines are not those
    # one process writes, and are not used
    monkeypatch.setattr(shards, "_rank_columns", lambda compiled, items: Columns(scales=("等级",), ranked=(False,)))
    assert shards.evaluate_sharded(rs, case, 2, shards.Layout("csv")) is None
    assert shards.evaluate_sharded(rs, case, 2, shards.Layout("yaml")) is not None  # no columns to agree on
