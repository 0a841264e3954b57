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
from policyengine.results.json import _column, read_json_fields

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


@pytest.mark.parametrize("field", ["综合得分", "风险档次"])
def test_a_value_moved_to_another_item_falls_back_and_is_located(tmp_path: Path, field: str) -> None:
    # the fifth item loses its value (or level) and the third has it twice: the count of
    # lines still equals the count of items, so only each line's place (in its own item) tells
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith(f'        "{field}": ')
            and (field == "综合得分" or lines[n + 1].startswith('          "level": '))]
    # a value is one line; a grade its key's line to its closing brace
    size = 1 if field == "综合得分" else lines.index("        }", hits[2]) - hits[2] + 1
    lines[hits[4]] = lines[hits[4]].replace(f'"{field}"', f'"{field}x"')
    copy = lines[hits[2]:hits[2] + size]
    lines[hits[2]:hits[2]] = [*copy[:-1], copy[-1].rstrip(",") + ","]  # still JSON, a key given twice
    previous = _edited(tmp_path, lambda _text: "\n".join(lines))
    assert read_json_fields(previous.read_bytes(), *WANTED) is None
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{previous}:{hits[2] + size + 1}:" in run.stderr and "error[PE351]" in run.stderr, run.stderr


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


@pytest.mark.parametrize("texts", [
    [b"60", b"57.6", b"-0", b"1E+3", b"2e-2"],
    [b'"U1"', b'"A\\"1"', b'"x\\\\y"', b'"\\u7532"', b'"\xe7\x94\xb2"'],
    [b"1", b'"a"', b"true", b"false", b"null"],                  # mixed scalars, each as it stands
    [b" 1", b'"a" '],                                            # spaces around a scalar
    [],
])
def test_a_column_decodes_as_each_text_alone(texts: list[bytes]) -> None:
    column = _column(texts)
    alone = [_column([t])[0] for t in texts]
    assert column == alone and [type(v) for v in column] == [type(v) for v in alone]


@pytest.mark.parametrize("texts", [
    [b"1", b"[2]"], [b'{"a": 1}'], [b"NaN"], [b"1, 2", b""], [b"1,2", b"3"], [b"109.2x"],
    # what Decimal() or a text search would take but JSON does not: the full read refuses
    # these at their line, so the fast read must not accept them
    [b"01"], [b"1_000"], [b"+1"], [b".5"], [b"1."], [b"Infinity"], [b"-NaN"],
    [b'"a\tb"', b"2"],                                          # a raw tab inside a text
    [b'"a"b"'],                                                  # a quote inside a text
])
def test_a_column_with_anything_but_one_scalar_a_text_is_refused(texts: list[bytes]) -> None:
    # the fast read then gives up and the file is read in full, which says what is wrong
    with pytest.raises(ValueError):
        _column(texts)


def test_a_value_of_another_type_is_located_at_its_line(tmp_path: Path) -> None:
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith('        "综合得分": ')]
    lines[hits[2]] = '        "综合得分": "62.4",'   # the third item's score written as text
    previous = _edited(tmp_path, lambda _text: "\n".join(lines))
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{previous}:{hits[2] + 1}:" in run.stderr and "error[PE365]" in run.stderr, run.stderr
    assert "'综合得分'" in run.stderr and "62.4" in run.stderr


@pytest.mark.parametrize("spelling", ["01", "6_2.4", "1."])
def test_a_number_json_refuses_is_refused_by_the_fast_read_too(tmp_path: Path, spelling: str) -> None:
    # `01` was read as 1 by the fast read (Decimal accepts it) while the full read refuses it
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith('        "综合得分": ')]
    lines[hits[1]] = f'        "综合得分": {spelling},'
    previous = _edited(tmp_path, lambda _text: "\n".join(lines))
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert f"{previous}:{hits[1] + 1}:" in run.stderr and "error[PE351]" in run.stderr, run.stderr


def test_history_and_previous_through_the_fast_read(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text(
        'ruleset r "r"\ninput 分: number\nlet 得分 = 分 * 2\n'
        "let 高次 = count(h in history where h.得分 > 10)\n"
        "let 变化 = if new then 0 else 得分 - previous.得分\n", encoding="utf-8")
    scores = {2008: "{id: A, 分: 6}, {id: B, 分: 4}", 2009: "{id: A, 分: 3}, {id: C, 分: 8}",
              2010: "{id: A, 分: 5}, {id: B, 分: 7}, {id: C, 分: 1}"}
    for year, items in scores.items():
        previous = "[]" if year == 2008 else f"[r{year - 1}.json]"
        (tmp_path / f"c{year}.yaml").write_text(f"ruleset: r.policy\nperiod: {year}\nprevious: {previous}\n"
                                                f"items: [{items}]\n", encoding="utf-8")
    assert cli("eval", str(tmp_path / "c2008.yaml"), "-o", str(tmp_path / "r2008.json")).returncode == 0
    assert cli("eval", str(tmp_path / "c2009.yaml"), "-o", str(tmp_path / "r2009.json")).returncode == 0
    run = cli("eval", str(tmp_path / "c2010.yaml"), "--previous", str(tmp_path / "r2008.json"), "-f", "json")
    assert run.returncode == 0, run.stderr
    got = {i["id"]: (i["values"]["高次"], i["values"]["变化"]) for i in json.loads(run.stdout)["items"]}
    # 得分 = 分 × 2. 2008: A 12, B 8; 2009: A 6, C 16; 2010: A 10, B 14, C 2.
    # A: history 12, 6 -> one above 10; previous (2009) 6: 10 - 6 = 4.
    # B: history 8 (2008 only) -> none above 10; not in 2009, so new: 0.
    # C: history 16 -> one; previous 16: 2 - 16 = -14.
    assert got == {"A": (1, 4), "B": (0, 0), "C": (1, -14)}


def test_a_number_that_is_not_json_is_located_not_a_crash(tmp_path: Path) -> None:
    # Decimal refuses "109.2x" with an InvalidOperation (not a ValueError): once an internal
    # error; now the fast read gives up and the full read locates the bad JSON
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if line.startswith('        "综合得分": ')]
    lines[hits[0]] += "x"
    previous = _edited(tmp_path, lambda _text: "\n".join(lines))
    run = _eval_with(previous)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert f"{previous}:{hits[0] + 1}:" in run.stderr and "error[PE351]" in run.stderr, run.stderr
