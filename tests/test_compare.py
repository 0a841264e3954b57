"""Reading results back, periods, and `policyengine compare` (issue 16)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import policyengine as pe
from policyengine.compare import compare
from policyengine.period import add_months, order, parse_period
from policyengine.results import ResultFileError, read_result

from .conftest import D, cli, ruleset

RULES = """\
ruleset mini "示例"
version "1"
input 次数: integer >= 0 = 0
dimension 裁量: 1..5
let 分 = 裁量 * 10 + 次数
levels 档次 [高 red, 中 yellow, 低 green]
grade 档次 {
  分 >= 40 -> 高
  分 >= 20 -> 中
  otherwise -> 低
}
supervision 档次 {
  高 -> "纪检组" every 1 quarter
  otherwise -> "科室" every 1 year
}
sanction 吃请 when 次数 > 5 {
  fine 100 * 次数
}
"""


def _result_file(tmp_path: Path, name: str, items: list[dict], period, text: str = RULES) -> Path:
    rs = ruleset(text)
    result = rs.evaluate(pe.Case(items=items, period=period, title=name, file=f"{name}.yaml"))
    path = tmp_path / f"{name}.json"
    from policyengine.render import render

    path.write_text(render(result, "json"), encoding="utf-8")
    return path


@pytest.fixture
def periods(tmp_path: Path) -> tuple[Path, Path]:
    # 2010: A 分 = 4*10 + 0 = 40 高; B 2*10 + 3 = 23 中; C 1*10 = 10 低; D 3*10 + 7 = 37 中, fine 100*7 = 700
    old = _result_file(tmp_path, "y2010", [
        {"id": "A", "name": "甲", "裁量": 4}, {"id": "B", "裁量": 2, "次数": 3},
        {"id": "C", "裁量": 1}, {"id": "D", "裁量": 3, "次数": 7}], 2010)
    # 2011: A 3*10 = 30 中 (down); B 2*10 + 25 = 45 高 (up), fine 100*25 = 2500; C gone;
    # D unchanged 37 中 fine 700; E new 5*10 = 50 高
    new = _result_file(tmp_path, "y2011", [
        {"id": "A", "name": "甲", "裁量": 3}, {"id": "B", "裁量": 2, "次数": 25},
        {"id": "D", "裁量": 3, "次数": 7}, {"id": "E", "裁量": 5}], 2011)
    return old, new


def test_a_result_reads_back_as_it_was_written(tmp_path: Path) -> None:
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 4, "次数": 6}, {"id": 7, "裁量": 1}], "2010Q3")
    back = read_result(path)
    assert back.ruleset["id"] == "mini" and back.ruleset["digest"].startswith("sha256:")
    assert back.levels == {"档次": ("高", "中", "低")}
    a = back.result.items[0]
    assert a.values == {"分": D(46)} and a.grades["档次"].level == "高" and a.fine == D(600)
    assert back.result.items[1].id == "7"
    assert back.period is not None and back.period.start == dt.date(2010, 7, 1)
    # the YAML form reads back to the same result
    yaml_path = tmp_path / "r.yaml"
    data = json.loads(path.read_text(encoding="utf-8"))
    from policyengine.render import to_yaml

    yaml_path.write_text(to_yaml(data), encoding="utf-8")
    assert read_result(yaml_path).result.to_dict() == back.result.to_dict()


def test_exact_decimals_survive(tmp_path: Path) -> None:
    text = RULES.replace("let 分 = 裁量 * 10 + 次数", "let 分 = round(裁量 * 10.005 + 次数 / 3, 4)")
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 4, "次数": 1}], 2010, text)
    # 4 * 10.005 = 40.02; 1/3 = 0.333333…; 40.353333… → 40.3533
    assert read_result(path).result.items[0].values["分"] == D("40.3533")
    assert '"分": 40.3533' in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("edit", "code", "where", "words"), [
    (lambda d: d.pop("summary"), "PE352", (1, 1), "'summary' is missing"),
    (lambda d: d["items"][1]["grades"]["档次"].update(level="特高"), "PE352", None, "'特高' is not a level of 档次"),
    (lambda d: d["items"][1].update(id="A"), "PE352", None, "duplicate id 'A'"),
    (lambda d: d["items"][0]["values"].update(分="x") or d["items"].pop(), "PE352", None, "counts 2 items"),
    (lambda d: d["ruleset"].update(digest="md5:1"), "PE352", (5, 15), "digest"),
    (lambda d: d.update(extra=1), "PE352", None, "unknown key 'extra'"),
    (lambda d: [d], "PE352", (1, 1), "holds 1 results"),
    (lambda d: d["items"][1]["values"].update(分=float("nan")), "PE352", None, "not an exact number"),
    # compare reads every item's grade of every scale: a missing one is the file's fault, not a crash
    (lambda d: d["items"][1].update(grades={}), "PE352", None, "no grade of '档次', which the summary lists"),
])
def test_what_is_not_a_result_is_located(tmp_path: Path, edit, code, where, words) -> None:
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 4}, {"id": "B", "裁量": 1}], 2010)
    data = json.loads(path.read_text(encoding="utf-8"))
    changed = edit(data)
    data = changed if isinstance(changed, list) else data
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(path)
    assert err.value.code == code and words in err.value.message, err.value.message
    assert err.value.line > 0
    if where is not None:
        assert (err.value.line, err.value.column) == where


def test_the_offending_value_is_pointed_at(tmp_path: Path) -> None:
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 4}, {"id": "B", "裁量": 1}], 2010)
    text = path.read_text(encoding="utf-8").replace('"level": "低"', '"level": 3')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(path)
    line = text.splitlines()[err.value.line - 1]
    assert line[err.value.column - 1:] == "3,", line
    assert "expected text" in err.value.message


@pytest.mark.parametrize(("content", "name", "code", "words"), [
    (None, "nope.json", "PE350", "not found"),
    ("{}", "r.csv", "PE350", "not '.csv'"),
    ('{"ruleset": {"id": 1,', "r.json", "PE351", "invalid JSON"),
    ("a: [1,", "r.yaml", "PE351", "invalid YAML"),
    ('{"a": 1, "a": 2}', "r.json", "PE351", "given twice"),
    ("ruleset: x\nitems: []\n", "r.yaml", "PE352", "'case' is missing"),
])
def test_unreadable_files(tmp_path: Path, content, name, code, words) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(path)
    assert err.value.code == code and words in err.value.message, err.value.message


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(("written", "start", "end"), [
    (2010, (2010, 1, 1), (2011, 1, 1)),
    ("2010年度", (2010, 1, 1), (2011, 1, 1)),
    ("2010H2", (2010, 7, 1), (2011, 1, 1)),
    ("2010年上半年", (2010, 1, 1), (2010, 7, 1)),
    ("2008Q3", (2008, 7, 1), (2008, 10, 1)),
    ("2008年第四季度", (2008, 10, 1), (2009, 1, 1)),
    ("2010-05", (2010, 5, 1), (2010, 6, 1)),
    ("2010年12月", (2010, 12, 1), (2011, 1, 1)),
    (dt.date(2010, 2, 28), (2010, 2, 28), (2010, 3, 1)),
])
def test_period_forms(written, start, end) -> None:
    p = parse_period(written)
    assert p is not None and (p.start, p.end) == (dt.date(*start), dt.date(*end))


@pytest.mark.parametrize("written", ["第一轮", "2010-13", "2010Q5", None, True, "2010-02-30"])
def test_periods_that_cannot_be_placed(written) -> None:
    assert parse_period(written) is None


def test_period_order() -> None:
    y10, q3, y11 = parse_period(2010), parse_period("2010Q3"), parse_period(2011)
    assert order(y10, y11) == "earlier" and order(y11, y10) == "later"
    assert order(y10, q3) == "overlapping" and order(y10, parse_period("2010年")) == "same"
    assert order(q3, parse_period("2010Q4")) == "earlier"


@pytest.mark.parametrize(("day", "months", "expected"), [
    ((2010, 5, 31), 3, (2010, 8, 31)),     # a quarter from a 31st: August has 31 days
    ((2010, 11, 30), 3, (2011, 2, 28)),    # February 2011 has 28 days: the last day
    ((2011, 11, 30), 3, (2012, 2, 29)),    # 2012 is a leap year
    ((2012, 2, 29), 12, (2013, 2, 28)),    # a year from a leap day
    ((2012, 2, 29), 48, (2016, 2, 29)),    # four years: a leap day again
    ((2010, 1, 31), 1, (2010, 2, 28)),
    ((2010, 1, 31), 2, (2010, 3, 31)),     # one step of 2 months, not two of 1 (that would give 03-28)
    ((2010, 12, 15), 1, (2011, 1, 15)),
    ((2010, 3, 31), 24, (2012, 3, 31)),
])
def test_calendar_months(day, months, expected) -> None:
    assert add_months(dt.date(*day), months) == dt.date(*expected)


# ---------------------------------------------------------------- compare


def test_compare_two_periods(periods) -> None:
    old, new = periods
    c = compare(old, new).to_dict()
    assert c["period_order"] == "earlier" and c["notes"] == []
    assert c["items"] == {"old": 4, "new": 4, "matched": 3, "new_items": 1, "gone": 1}
    # matched: A 高 → 中, B 中 → 高, D 中 → 中
    assert c["migration"] == {"档次": {"高": {"中": 1}, "中": {"高": 1, "中": 1}}}
    # totals include the new (E 高) and gone (C 低) items: old 高 1, 中 2, 低 1; new 高 2, 中 2, 低 0
    assert c["levels"] == {"档次": {"old": {"高": 1, "中": 2, "低": 1}, "new": {"高": 2, "中": 2, "低": 0}}}
    assert c["verdict"] == {"档次": {"verdict": "mixed", "up": ["B"], "down": ["A"]}}
    assert [i["id"] for i in c["items_new"]] == ["E"] and c["items_new"][0]["grades"] == {"档次": "高"}
    assert [i["id"] for i in c["items_gone"]] == ["C"]
    changed = {i["id"]: i for i in c["items_changed"]}
    assert set(changed) == {"A", "B"}
    assert changed["A"]["values"] == {"分": [D(40), D(30)]} and changed["A"]["deltas"] == {"分": D(-10)}
    assert changed["A"]["name"] == "甲"
    assert changed["B"]["deltas"] == {"分": D(22)}  # 45 - 23
    assert changed["B"]["sanctions"][0] == [] and changed["B"]["sanctions"][1][0]["fine"] == D(2500)
    # fines: 2010 700 (D); 2011 2500 (B) + 700 (D) = 3200
    assert c["fines"] == {"old": D(700), "new": D(3200), "delta": D(2500)}


def test_compare_table(periods) -> None:
    old, new = periods
    table = compare(old, new).to_table()
    lines = table.splitlines()
    assert lines[0].startswith("compare mini 1 (") and "period 2010" in lines[0] and "period 2011" in lines[0]
    assert "items: 4 old, 4 new; 3 in both, 1 new, 1 gone; 2 changed, 2 regraded" in table
    assert "fines: 700 → 3200 (+2500)" in table
    matrix = table[table.index("old \\ new"):].splitlines()
    assert matrix[0].split() == ["old", "\\", "new", "高", "中", "低", "(gone)", "old", "total"]
    assert matrix[2].split() == ["高", "·", "1", "·", "·", "1"]
    assert matrix[3].split() == ["中", "1", "1", "·", "·", "2"]
    assert matrix[4].split() == ["低", "·", "·", "·", "1", "1"]
    assert matrix[5].split() == ["(new", "items)", "1", "·", "·", "·"]
    assert matrix[6].split() == ["new", "total", "2", "2", "0", "4"]
    assert "up (1): B" in table and "down (1): A" in table
    assert "new items (1): E [高]" in table and "gone items (1): C [低]" in table
    assert "分: 40 → 30 (-10)" in table


def test_period_order_is_checked(periods, tmp_path: Path) -> None:
    old, new = periods
    with pytest.raises(ResultFileError) as err:
        compare(new, old)
    assert err.value.code == "PE746" and err.value.file == str(new)
    text = Path(new).read_text(encoding="utf-8").splitlines()[err.value.line - 1]
    assert '"period": 2011' in text
    assert compare(new, old, any_order=True).to_dict()["period_order"] == "not checked"
    quarter = _result_file(tmp_path, "q", [{"id": "A", "裁量": 1}], "2010Q3")
    with pytest.raises(ResultFileError) as err:
        compare(old, quarter)
    assert err.value.code == "PE747" and "overlap" in err.value.message
    round1 = _result_file(tmp_path, "r1", [{"id": "A", "裁量": 1}], "第一轮")
    with pytest.raises(ResultFileError) as err:
        compare(round1, new)
    assert err.value.code == "PE747" and err.value.file == str(round1)
    undated = _result_file(tmp_path, "u", [{"id": "A", "裁量": 1}], None)
    assert compare(undated, new).order == "unknown"
    assert compare(old, old).to_dict()["notes"] == ["both results are of period 2010"]


def test_another_ruleset_is_refused(periods, tmp_path: Path) -> None:
    old, _ = periods
    other = _result_file(tmp_path, "o", [{"id": "A", "裁量": 1}], 2011, RULES.replace("ruleset mini", "ruleset maxi"))
    with pytest.raises(ResultFileError) as err:
        compare(old, other)
    assert err.value.code == "PE745" and "'maxi'" in err.value.message and err.value.line == 3
    # another version of the same ruleset: compared, and said
    v2 = _result_file(tmp_path, "v2", [{"id": "A", "裁量": 4}], 2011, RULES.replace('version "1"', 'version "2"'))
    notes = compare(old, v2).notes
    assert len(notes) == 1 and notes[0].startswith("the ruleset versions differ (1 → 2)")
    edited = _result_file(tmp_path, "e", [{"id": "A", "裁量": 4}], 2011, RULES + "let 多余 = 1\n")
    assert "digests differ" in compare(old, edited).notes[0]


def test_compare_cli(periods, tmp_path: Path) -> None:
    old, new = periods
    out = tmp_path / "c.yaml"
    run = cli("compare", str(old), str(new), "-o", str(out))
    assert run.returncode == 0, run.stderr
    import yaml

    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["items"]["matched"] == 3 and data["fines"]["new"] == 3200
    run = cli("compare", str(old), str(new), "--format", "json", "--exit-code")
    assert run.returncode == 1 and json.loads(run.stdout)["regraded"] == 2
    assert cli("compare", str(old), str(old), "--exit-code").returncode == 0
    run = cli("compare", str(new), str(old))
    assert run.returncode == 2 and "error[PE746]" in run.stderr and "Traceback" not in run.stderr
    run = cli("compare", str(old), str(new), "-o", str(tmp_path / "c.xlsx"))
    assert run.returncode == 2 and "not '.xlsx'" in run.stderr and not (tmp_path / "c.xlsx").exists()
    run = cli("compare", str(old), str(new), "-o", str(tmp_path / "c.txt"))
    assert run.returncode == 0 and (tmp_path / "c.txt").read_text(encoding="utf-8").startswith("compare mini 1")
    run = cli("compare", str(old), str(tmp_path / "none.json"))
    assert run.returncode == 2 and "error[PE350]: result file not found" in run.stderr


def test_shipped_tax_2011_against_2010(tmp_path: Path) -> None:
    """The Luoyang tax bureau, 2011 (tax@2011 on luoyang-2011.yaml) against 2010 (tax@2010 on
    luoyang-2010.yaml). Every figure below is taken from the hand computations in the two case
    files' expect blocks and comments, not from this run:

    - margins: 2010 高风险 21, 一般风险 63, 低风险 21 (luoyang-2010 expect_summary: the
      2-way tie at rank 10 of 执法权 gives 11 + 10 高风险); 2011 20, 65, 20.
    - the six items that change level (luoyang-2011 expect + its ranking comment):
      ZF-QZ-02 高→一般 (99 → 90, rank 9 → 12), XZ-RS-02 高→一般 (84 → 75.6, rank 13),
      XZ-CW-08 一般→高 (79.2, rank 10), ZF-QZ-03 一般→低 (48.6, ascending rank 10),
      ZF-CF-06 低→一般 (46.8 → 50.7, ascending rank 11), XZ-RC-06 低→一般.
    - so the matrix: 高 row 21 - 2 = 19 stay, 2 to 一般; 一般 row 1 up, 63 - 2 = 61 stay,
      1 down; 低 row 2 up, 21 - 2 = 19 stay; columns 19 + 1 = 20, 2 + 61 + 2 = 65, 1 + 19 = 20.
    - ZF-ZS-01: 70 × 1.3 × 1.2 = 109.2 → 70 × 1.3 × 1.3 = 118.3, delta 9.1; fines
      接受吃请 10 × 800 = 8000 → 收受礼金 5 × 2000 = 10000.
    - fines 65105 → 38000 (both expect_summary blocks), delta -27105.
    """
    root = Path(__file__).resolve().parent.parent
    old, new = tmp_path / "tax-2010.json", tmp_path / "tax-2011.yaml"
    for rs, case, out in (("tax@2010", "luoyang-2010.yaml", old), ("tax@2011", "luoyang-2011.yaml", new)):
        run = cli("eval", rs, str(root / "cases" / "tax" / case), "-o", str(out), "-f", out.suffix[1:])
        assert run.returncode == 0, run.stderr
    c = compare(old, new).to_dict()
    assert c["migration"]["风险档次"] == {"高风险": {"高风险": 19, "一般风险": 2},
                                      "一般风险": {"高风险": 1, "一般风险": 61, "低风险": 1},
                                      "低风险": {"一般风险": 2, "低风险": 19}}
    assert c["levels"]["风险档次"] == {"old": {"高风险": 21, "一般风险": 63, "低风险": 21},
                                    "new": {"高风险": 20, "一般风险": 65, "低风险": 20}}
    assert c["verdict"]["风险档次"] == {"verdict": "mixed", "up": ["ZF-CF-06", "XZ-CW-08", "XZ-RC-06"],
                                     "down": ["ZF-QZ-02", "ZF-QZ-03", "XZ-RS-02"]}
    assert c["items"] == {"old": 105, "new": 105, "matched": 105, "new_items": 0, "gone": 0}
    changed = {i["id"]: i for i in c["items_changed"]}
    assert changed["ZF-ZS-01"]["deltas"] == {"运行频率系数": D("0.1"), "综合得分": D("9.1")}
    assert [f["fine"] for f in changed["ZF-ZS-01"]["sanctions"][0]] == [D(8000)]
    assert [(f["rule"], f["fine"]) for f in changed["ZF-ZS-01"]["sanctions"][1]] == [("收受礼金", D(10000))]
    assert changed["ZF-QZ-02"]["grades"] == {"风险档次": ["高风险", "一般风险"]}
    assert changed["ZF-QZ-02"]["values"]["综合得分"] == [D(99), D(90)]
    assert c["fines"] == {"old": D(65105), "new": D(38000), "delta": D(-27105)}
    assert c["notes"][0].startswith("the ruleset versions differ (2010 → 2011)")


def test_the_worked_example_prints_what_the_documentation_shows(tmp_path: Path, monkeypatch) -> None:
    """docs/compare.md's worked example writes two result files, so it runs here, in a scratch
    folder (with the project's cases/ linked in), rather than among the console examples."""
    from click.testing import CliRunner

    from policyengine.cli import main

    from .test_examples import matches

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "compare.md").read_text(encoding="utf-8")
    block = doc.split("## Worked example", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    (tmp_path / "cases").symlink_to(root / "cases")
    monkeypatch.chdir(tmp_path)
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    assert [c.split()[1] for c, _ in commands] == ["eval", "eval", "compare"]
    for command, shown in commands:
        result = CliRunner().invoke(main, command.split()[1:], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert matches(shown, result.output.splitlines()), f"`{command}` printed\n{result.output}"


@pytest.mark.parametrize(("old", "new", "words"), [
    ('"rank": 1', '"rank": true', "expected a whole number"),  # true == 1, but is no rank
    ('"every": "1 quarter"', '"every": "1 fortnight"', "not a cadence"),
    ('"by": [\n            "纪检组"\n          ]', '"by": "纪检组"', "expected a list of text"),
    ('"color": "red"', '"color": "pink"', "not a colour"),
])
def test_a_bad_value_in_a_later_item_is_found(tmp_path: Path, old: str, new: str, words: str) -> None:
    """The reader recognises values it has seen before by lookup; a bad one in the second of two
    otherwise equal items must still be refused."""
    ranked = RULES.replace("  分 >= 40 -> 高", "  top 5 by 分 -> 高")  # both rank 1 (50 and 50)
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 5}, {"id": "B", "裁量": 5}], 2010, ranked)
    content = path.read_text(encoding="utf-8")
    first = content.index('"id": "B"')
    assert old in content[first:], content[first:]
    path.write_text(content[:first] + content[first:].replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(path)
    assert err.value.code == "PE352" and words in err.value.message, err.value.message
    assert err.value.line > content[:first].count("\n")


def test_a_key_given_twice_is_found_however_the_file_is_written(tmp_path: Path) -> None:
    """Large results are read without a hook per object; the key counts catch a key given
    twice, and text that only looks like keys (`":` inside a name) is read correctly."""
    path = _result_file(tmp_path, "r", [{"id": "A", "name": 'say ":" and "x": 1', "裁量": 4},
                                        {"id": "B", "裁量": 1}], 2010)
    text = path.read_text(encoding="utf-8")
    assert read_result(path).result.items[0].name == 'say ":" and "x": 1'
    # a value given twice in one item's values: nothing else about the file is wrong
    doubled = text.replace('"分": 10', '"分": 10,\n        "分": 11', 1)
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(path)
    assert err.value.code == "PE351" and "key '分' given twice" in err.value.message
    assert doubled.splitlines()[err.value.line - 1].strip() == '"分": 11'
    # keys written with a space before the colon: read by the strict parser, same result
    path.write_text(text.replace('": ', '" : '), encoding="utf-8")
    assert read_result(path).result.items[1].values == {"分": D(10)}


def test_a_scale_only_one_result_has(periods, tmp_path: Path) -> None:
    old, _ = periods
    extra = RULES + "levels 等次 [甲 red, 乙 green]\ngrade 等次 {\n  分 >= 30 -> 甲\n  otherwise -> 乙\n}\n"
    new = _result_file(tmp_path, "n", [{"id": "A", "裁量": 4}], 2011, extra)
    c = compare(old, new)
    assert c.to_dict()["scales"] == {"added": ["等次"], "removed": []}
    assert list(c.to_dict()["migration"]) == ["档次"]
    assert "grade scales only the new result has (no migration): 等次" in c.to_table()
    assert "grade scales only the old result has (no migration): 等次" in compare(new, old, any_order=True).to_table()


def test_the_library_compares_results_in_memory(periods) -> None:
    old, new = periods
    import policyengine as pe

    # this module imported policyengine.compare (the submodule): pe.compare is still the function
    a, b = pe.read_result(old).result, pe.read_result(new).result
    assert pe.compare(a, b).to_dict()["migration"] == compare(old, new).to_dict()["migration"]


def test_a_result_with_rollups_reads_back_and_compares(tmp_path: Path) -> None:
    """A ruleset with rollups (tax 2012: units of risk points) writes a `rollups` section;
    the reader accepts it (it is read, not compared: items are matched as always)."""
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "units.json"
    run = cli("eval", str(root / "cases" / "tax" / "units-2012.yaml"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert '"rollups": {' in out.read_text(encoding="utf-8")
    back = read_result(out)
    c = compare(back, back).to_dict()
    assert c["items"]["matched"] == len(back.result.items) and c["items_changed"] == []
    assert c["notes"] == ["both results are of period 2012"]


def test_a_result_with_notes_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys counted while checking a result include its notes, so a file this tool wrote
    is not read a second time by the strict reader (which is there for keys given twice)."""
    import policyengine.results.json as reader

    noted = RULES.replace("dimension 裁量", "note 部门: text\ndimension 裁量")
    path = _result_file(tmp_path, "r", [{"id": "A", "裁量": 4, "部门": "征管科"}, {"id": "B", "裁量": 1}], 2010, noted)
    strict = []
    monkeypatch.setattr(reader, "read_json_strictly", lambda *a: strict.append(a) or {})
    back = read_result(path)
    assert strict == [] and back.result.items[0].notes == {"部门": "征管科"}
