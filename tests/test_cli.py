"""The command line: output shapes, exit codes, and bad input of every kind
(exit 2, file named, no traceback, nothing half-written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import cli

RULES = """\
ruleset t "测试"
version "1"
input a: number
input b: number = 1
dimension d: 1..5
let q = round(a / b * d, 2)
levels L [高 red, 低 green]
grade L {
  q >= 10   -> 高
  otherwise -> 低
}
"""
CASE = """\
title: 样例
items:
  - {id: A, name: 甲, a: 7, b: 2, d: 3}
  - {id: B, a: 1, d: 2}
"""


@pytest.fixture
def files(write):
    return write("r.policy", RULES), write("c.yaml", CASE)


def test_eval_json_contract(files) -> None:
    r, c = files
    out = cli("eval", str(r), str(c), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ruleset"]["id"] == "t" and data["ruleset"]["version"] == "1"
    assert data["ruleset"]["digest"].startswith("sha256:")
    assert data["case"]["title"] == "样例"
    a = data["items"][0]
    # q = round(7 / 2 * 3, 2) = 10.5 -> 高
    assert a == {"id": "A", "name": "甲", "values": {"q": 10.5},
                 "grades": {"L": {"level": "高", "color": "red", "rank": None}},
                 "supervision": [], "sanctions": []}
    assert data["summary"] == {"items": 2, "levels": {"L": {"高": 1, "低": 1}}, "fines": 0}
    assert '"q": 10.5' in out.stdout  # an exact number, not a string


def test_eval_other_formats_and_item_filter(files, tmp_path: Path) -> None:
    r, c = files
    csv = cli("eval", str(r), str(c), "-f", "csv").stdout.splitlines()
    # the byte-order mark tells Excel the file is UTF-8 (else it reads the Chinese as GBK)
    assert csv[0] == "\ufeffid,name,q,L,supervision,sanctions,fine,warning"
    assert csv[2] == "B,,2,低,,,,"  # q = round(1 / 1 * 2, 2) = 2
    table = cli("eval", str(r), str(c), "-f", "table", "--item", "A").stdout
    assert "甲" in table and "\nB " not in table
    assert "\nitems: 2 (1 shown; the summary counts all 2)\n" in table  # A shown, A and B counted
    yaml_out = cli("eval", str(r), str(c), "-f", "yaml").stdout
    assert "q: 10.5" in yaml_out
    target = tmp_path / "out.json"
    assert cli("eval", str(r), str(c), "-o", str(target)).returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["items"][1]["id"] == "B"


def test_eval_of_several_cases_is_one_document_per_format(files, write) -> None:
    import yaml

    r, c = files
    d = write("d.yaml", CASE.replace("a: 7", "a: 8"))
    # one spreadsheet: one header, a first column naming each row's case file
    csv = cli("eval", str(r), str(c), str(d), "-f", "csv").stdout.splitlines()
    assert csv[0] == "\ufeffcase,id,name,q,L,supervision,sanctions,fine,warning"
    # q = round(7 / 2 * 3, 2) = 10.5 in c.yaml, round(8 / 2 * 3, 2) = 12 in d.yaml
    assert [row.split(",")[:4] for row in csv[1:]] == [
        [str(c), "A", "甲", "10.5"], [str(c), "B", "", "2"], [str(d), "A", "甲", "12"], [str(d), "B", "", "2"]]
    # YAML: a list of results, as the JSON is (not two documents run together)
    data = yaml.safe_load(cli("eval", str(r), str(c), str(d), "-f", "yaml").stdout)
    assert [x["case"]["file"] for x in data] == [str(c), str(d)]
    assert [x["items"][0]["values"]["q"] for x in data] == [10.5, 12]
    assert [x["case"]["file"] for x in json.loads(cli("eval", str(r), str(c), str(d), "-f", "json").stdout)] == [
        str(c), str(d)]
    # the table: one block per case, a blank line between the first's summary and the next title
    table = cli("eval", str(r), str(c), str(d), "-f", "table").stdout
    # (the ruleset has no sanctions: no sanctions, fine or warning columns, no fines line)
    assert table.count("t 1 · 样例\n") == 2 and "L: 高 1, 低 1\n\nt 1 · 样例\n" in table
    assert "fines" not in table and "warning" not in table and "sanctions" not in table


def test_eval_with_the_case_naming_its_ruleset(write) -> None:
    write("r.policy", RULES)
    c = write("c.yaml", "ruleset: r.policy\n" + CASE)
    out = cli("eval", str(c), "-f", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["items"][0]["values"]["q"] == 10.5


def test_eval_with_only_a_ruleset_asks_for_the_case(files) -> None:
    r, _ = files
    out = cli("eval", str(r))
    assert out.returncode == 2
    assert f"{r}: error[PE305]: this is a ruleset: give a case file after it" in out.stderr


def test_unknown_item_exits_2_with_did_you_mean(files) -> None:
    r, c = files
    out = cli("eval", str(r), str(c), "--item", "AA")
    assert out.returncode == 2 and "no item 'AA' (did you mean 'A'?)" in out.stderr


def test_check_exit_codes(write) -> None:
    ok = write("ok.policy", RULES)
    lint = write("lint.policy", RULES.replace("input b: number = 1", "input b: number = 1\ninput z: text"))
    assert cli("check", str(ok)).returncode == 0
    out = cli("check", str(lint))
    assert out.returncode == 0 and "warning[PE201]: input 'z' is never used" in out.stderr
    assert cli("check", "--strict", str(lint)).returncode == 1


BAD_RULESETS = {
    "syntax": (RULES.replace("a / b", "a / / b"), "error[PE001]"),
    "unknown-name": (RULES.replace("a / b", "a / bb"), "unknown name 'bb' (did you mean 'b'?)"),
    "deep": ("input a: number\nlet x = " + "(" * 5000 + "a" + ")" * 5000 + "\n", "error[PE003]"),
    "deep-ops": ("input a: number\nlet x = a" + " + a" * 5000 + "\n", "error[PE003]"),
    "huge-number": ("input a: number\nlet x = a * 1" + "0" * 5000 + "\n", "error[PE004]"),
    "not-utf8": (None, "error[PE007]"),
    "deep-list": ("input a: number\nlet x = a in " + "[" * 5000 + "1" + "]" * 5000 + "\n", "error[PE003]"),
    "deep-if": ("input a: number\nlet x = " + "if a > 0 then 1 else " * 5000 + "0\n", "error[PE003]"),
    "deep-not": ("input a: bool\nlet x = " + "not " * 5000 + "a\n", "error[PE003]"),
    # an empty file is the wrong file, not a ruleset: evaluating it would report every field unknown
    "empty": ("", "bad.policy:1:1: error[PE009]: the file holds no declarations"),
    "comments-only": ("# 待补充\n\n", "error[PE009]"),
    # a 200000-element list took Lark ten seconds to build; refused as soon as it is seen
    "long-list": ("input a: number\nlet x = a in [" + ", ".join(["1"] * 200000) + "]\n",
                  "error[PE008]: a list with more than 10000 elements"),
    "too-big": ("input a: number\n" + "# 注释\n" * 300000, "error[PE005]: file is larger than 1 MiB"),
}


@pytest.mark.parametrize("name", sorted(BAD_RULESETS))
def test_bad_rulesets_exit_2_located_without_traceback(name: str, write, tmp_path: Path) -> None:
    text, expected = BAD_RULESETS[name]
    if text is None:
        path = tmp_path / "bad.policy"
        path.write_bytes(b"input a: number\nlet x = \xff\n")
    else:
        path = write("bad.policy", text)
    c = write("c.yaml", CASE)
    out = cli("eval", str(path), str(c), timeout=20)
    assert out.returncode == 2, out.stderr
    assert str(path) in out.stderr and expected in out.stderr
    assert "Traceback" not in out.stderr


def _alias_bomb() -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text + "items: [*i]\n"


BAD_CASES = {
    "out-of-range": ("items:\n  - {id: A, a: 1, d: 6}\n", "c.yaml:2:", "item A: field 'd': 6 is outside 1..5"),
    "duplicate-id": ("items:\n  - {id: A, a: 1, d: 1}\n  - {id: A, a: 2, d: 1}\n", "c.yaml:3:",
                     "duplicate id 'A'"),
    "division-by-zero": ("items:\n  - {id: Z, a: 1, b: 0, d: 1}\n", "r.policy:6:", "item Z: division by zero"),
    "malformed-yaml": ("items:\n  - {id: A, a: 1\n  - [\n", "c.yaml:3:", "invalid YAML"),
    "alias-bomb": (_alias_bomb(), "c.yaml", "alias"),
    "not-a-mapping": ("- 1\n- 2\n", "c.yaml:1", "a mapping"),
    "wrong-type": ("items:\n  - {id: A, a: abc, d: 1}\n", "c.yaml:2:", "field 'a': must be a number"),
    "huge-value": ("items:\n  - {id: A, a: 1" + "0" * 500 + ", d: 1}\n", "c.yaml:2:", "too large"),
    "long-list": (None, "c.yaml", "limit"),
    # a YAML integer longer than Python's 4300-digit int limit used to end in a traceback (exit 3)
    "huge-yaml-int": ("items:\n  - {id: A, a: 1" + "0" * 100000 + ", d: 1}\n", "c.yaml:2:13:", "too large"),
    # YAML silently keeps the last of two equal keys: that would lose a value
    "duplicate-key": ("items:\n  - {id: A, a: 1, a: 2, d: 1}\n", "c.yaml:2:19:", "key 'a' given twice"),
    "no-items": ("title: t\nitems: []\n", "c.yaml:2:", "the case has no items to assess"),
    "id-not-whole": ("items:\n  - {id: 1.5, a: 1, d: 1}\n", "c.yaml:2:", "'id' must be text or a whole number"),
    # turning 1e999999999 into an int or exact text took minutes and gigabytes
    "huge-period": ("period: 1e999999999\nitems:\n  - {id: A, a: 1, d: 1}\n".replace("1e", "1.0e+"),
                    "c.yaml:1:", "'period': the number 1.0E+999999999 is too large"),
    # 150 KB whose items all alias one 10000-element list: 40 million values, 40 s to validate
    "alias-growth": ("items:\n  - {id: I0, a: 1, d: 1, e: &L [" + ", ".join(["{x: 1}"] * 10000) + "]}\n"
                     + "".join(f"  - {{id: I{i}, a: 1, d: 1, e: *L}}\n" for i in range(1, 2000)),
                     "c.yaml: error[PE306]", "YAML aliases expand 42004 values into 40010002"),
    "name-not-text": ("items:\n  - &x {id: A, a: 1, d: 1, name: *x}\n", "c.yaml:2:",
                      "item A: 'name' must be text or a number, not a mapping"),
    "header-not-text": ("title: [a, b]\nitems:\n  - {id: A, a: 1, d: 1}\n", "c.yaml:1:",
                        "'title' must be text or a number, not a list"),
}


@pytest.mark.parametrize("when", ["2012-03-41", "2012-02-30", "2011-13-01"])
def test_an_impossible_date_in_a_yaml_case_is_located_not_a_crash(when: str, write) -> None:
    # YAML's date pattern matches these; building the date raised ValueError (exit 3)
    r = write("r.policy", RULES.replace("input b: number = 1",
                                        "input b: number = 1\ninput e: list of {日期: date}"))
    c = write("c.yaml", "items:\n  - {id: A, a: 1, d: 1, e: [{日期: " + when + "}]}\n")
    out = cli("eval", str(r), str(c), timeout=20)
    assert out.returncode == 2, (out.stdout[-500:], out.stderr)
    assert (f"c.yaml:2:30: error[PE303]: item A: field 'e': element 1, field '日期': must be a date "
            f'(YYYY-MM-DD), not text "{when}"') in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_cases_exit_2_named_without_traceback(name: str, write) -> None:
    text, where, words = BAD_CASES[name]
    rules = RULES
    if text is None:  # a list input with far too many elements
        rules = RULES.replace("input b: number = 1", "input b: number = 1\ninput e: list of {x: number}")
        rules = rules.replace("let q = round(a / b * d, 2)", "let q = round(a / b * d, 2) + len(e)")
        text = "items:\n  - {id: A, a: 1, d: 1, e: [" + ", ".join(["{x: 1}"] * 20000) + "]}\n"
    r = write("r.policy", rules)
    c = write("c.yaml", text)
    out = cli("eval", str(r), str(c), timeout=20)
    assert out.returncode == 2, (out.stdout[-500:], out.stderr)
    assert where in out.stderr and words in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_json_case_with_a_key_twice_is_refused_where_it_happens(write) -> None:
    # json.loads keeps the last of two equal keys without a word: item B's a = 3 would be lost;
    # the caret is under the second "a" (column 31 of '  {"id": "B", "a": 3, "d": 1, "a": 4}')
    r = write("r.policy", RULES)
    c = write("c.json", '{"items": [\n  {"id": "A", "a": 1, "d": 1},\n  {"id": "B", "a": 3, "d": 1, "a": 4}\n]}\n')
    out = cli("eval", str(r), str(c))
    assert out.returncode == 2
    assert "c.json:3:31: error[PE302]: key 'a' given twice in the same object" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_long_rulesets_compile(write) -> None:
    # 5000 grade lines and a 20000-row table: flat generated code, no recursion limit
    lines = "\n".join(f"  n == {i} -> a" for i in range(5000))
    rows = "\n".join(f"  | {i} || {i} |" for i in range(20000))
    r = write("r.policy", f"input n: number\nlevels L [a red, b green]\ngrade L {{\n{lines}\n"
              f"  otherwise -> b\n}}\ntable T {{\n  | n || v |\n{rows}\n}}\nlet x = T\n")
    c = write("c.yaml", "items:\n  - {id: a, n: 4999}\n  - {id: b, n: 5000}\n")
    out = cli("eval", str(r), str(c), "-f", "csv", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == ["a,,4999,4999,a,,,,", "b,,5000,5000,b,,,,"]  # id,name,T,x,L,…


def test_missing_files(write) -> None:
    r = write("r.policy", RULES)
    out = cli("eval", str(r), "nope.yaml")
    assert out.returncode == 2 and "nope.yaml: error[PE301]: case file not found" in out.stderr
    out = cli("eval", "nope.policy", "nope.yaml")
    assert out.returncode == 2 and "nope.policy: error[PE005]" in out.stderr
    out = cli("check", "nosuchdept")
    assert out.returncode == 2 and "no such file or shipped ruleset" in out.stderr
    folder = r.parent / "folder.policy"
    folder.mkdir()
    for command in (("check",), ("schema",), ("eval",)):
        out = cli(*command, str(folder), *(["nope.yaml"] if command == ("eval",) else []))
        assert out.returncode == 2 and f"{folder}: error[PE005]: this is a folder, not a ruleset file" in out.stderr
    out = cli("eval", str(r), str(r.parent))
    assert out.returncode == 2 and "error[PE301]" in out.stderr and "Traceback" not in out.stderr


def test_nothing_is_half_written_on_error(write, tmp_path: Path) -> None:
    r = write("r.policy", RULES)
    good = write("good.yaml", CASE)
    bad = write("bad.yaml", "items:\n  - {id: Z, a: 1, b: 0, d: 1}\n")
    target = tmp_path / "out.json"
    target.write_text("previous", encoding="utf-8")
    out = cli("eval", str(r), str(good), str(bad), "-o", str(target))
    assert out.returncode == 2
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_an_output_file_that_cannot_be_written_is_bad_input(files, tmp_path: Path) -> None:
    r, c = files
    for args in (("eval", str(r), str(c)), ("schema", str(r))):
        target = tmp_path / "no-such-folder" / "out.json"
        out = cli(*args, "-o", str(target))
        assert out.returncode == 2, out.stderr
        assert f"{target}: error[PE010]: cannot write this file: No such file or directory" in out.stderr
        assert "Traceback" not in out.stderr and "internal error" not in out.stderr


def test_schema_command(files) -> None:
    r, _ = files
    out = cli("schema", str(r))
    schema = json.loads(out.stdout)
    item = schema["properties"]["items"]["items"]
    assert item["properties"]["d"] == {"type": "number", "minimum": 1, "maximum": 5}
    assert item["required"] == ["id", "a", "d"]
    assert item["additionalProperties"] is False
    assert schema["properties"]["items"]["minItems"] == 1  # a case with no items is refused


def test_help_lists_the_commands() -> None:
    out = cli("--help")
    assert out.returncode == 0
    for command in ("check", "eval", "schema"):
        assert command in out.stdout


TAX = """\
ruleset tax "国税"
version "2010"
input 权力类别: one of ["执法权", "行政管理权"]
input 运行次数: integer >= 0 = 0
input 是否领导岗位: bool = false
input 事件: list of {类型: text, 金额: number = 0}
dimension 自由裁量度: 1..5
dimension 透明度: 1..5 weight 2
table 运行频率系数 hit first {
  | 运行次数 || 系数 |
  | >= 1000 || 1.2  |
  | -       || 0.95 |
}
let 基本分 = weighted(dimensions) * 5
let 综合得分 = round(基本分 * 运行频率系数, 1)
levels 风险档次 [高风险 red, 一般风险 yellow, 低风险 green]
grade 风险档次 {
  top 1 by 综合得分 within 权力类别    -> 高风险
  bottom 1 by 综合得分 within 权力类别 -> 低风险
  otherwise                          -> 一般风险
}
supervision 风险档次 {
  高风险 when 是否领导岗位 -> "纪检监察机关" every 1 year
  高风险                 -> "派驻纪检组", "单位主要负责人" every 1 year
  otherwise             -> "分管领导" every 2 years
}
sanction 接受吃请 for e in 事件 where e.类型 == "接受吃请" {
  fine 10 * e.金额
  action "经济处罚"
}
sanction 参与经商 when any(e in 事件 where e.类型 == "参与经商") {
  action "诫勉谈话", "政纪处理"
  warning orange
}
"""
TAX_CASE = """\
title: 某局 2010
unit: 某局
period: 2010
items:
  - {id: A, name: 税款核定, 权力类别: 执法权, 运行次数: 1500, 自由裁量度: 4, 透明度: 3,
     事件: [{类型: 接受吃请, 金额: 800.05}, {类型: 参与经商}, {类型: 接受吃请, 金额: 12.5}, {类型: 参与经商}]}
  - {id: B, 权力类别: 执法权, 运行次数: 10, 自由裁量度: 3, 透明度: 3, 是否领导岗位: true}
  - {id: C, 权力类别: 执法权, 自由裁量度: 1, 透明度: 2}
  - {id: D, 权力类别: 行政管理权, 自由裁量度: 5, 透明度: 5, 是否领导岗位: true}
"""


def test_eval_json_is_the_whole_contract_to_the_last_digit(write) -> None:
    r, c = write("tax.policy", TAX), write("c.yaml", TAX_CASE)
    out = cli("eval", str(r), str(c), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout, parse_float=str, parse_int=str)  # numbers compared as printed
    assert data["ruleset"]["id"] == "tax" and data["ruleset"]["version"] == "2010"
    assert data["case"] == {"title": "某局 2010", "unit": "某局", "period": "2010", "file": str(c)}
    # A: (4 + 3*2) * 5 = 50; 50 * 1.2 = 60.0 -> 60; B: (3 + 6) * 5 = 45; 45 * 0.95 = 42.75 -> 42.8
    # C: (1 + 4) * 5 = 25; 25 * 0.95 = 23.75 -> 23.8 (half-up); D: (5 + 10) * 5 = 75 * 0.95 = 71.25 -> 71.3
    # 执法权 ranks 60 (1), 42.8 (2), 23.8 (3): A top, C bottom, B general; D alone: top wins over bottom
    def grade(level: str, color: str, rank: str) -> dict:
        return {"风险档次": {"level": level, "color": color, "rank": rank}}

    high = [{"grade": "风险档次", "by": ["派驻纪检组", "单位主要负责人"], "every": "1 year"}]
    assert data["items"] == [
        {"id": "A", "name": "税款核定", "values": {"运行频率系数": "1.2", "基本分": "50", "综合得分": "60"},
         "grades": grade("高风险", "red", "1"), "supervision": high,
         "sanctions": [  # 10 * 800.05 = 8000.5 and 10 * 12.5 = 125: one per incident; 参与经商 once
             {"rule": "接受吃请", "actions": ["经济处罚"], "fine": "8000.5", "warning": None},
             {"rule": "接受吃请", "actions": ["经济处罚"], "fine": "125", "warning": None},
             {"rule": "参与经商", "actions": ["诫勉谈话", "政纪处理"], "fine": None, "warning": "orange"}]},
        {"id": "B", "name": None, "values": {"运行频率系数": "0.95", "基本分": "45", "综合得分": "42.8"},
         "grades": grade("一般风险", "yellow", "2"),
         "supervision": [{"grade": "风险档次", "by": ["分管领导"], "every": "2 years"}], "sanctions": []},
        {"id": "C", "name": None, "values": {"运行频率系数": "0.95", "基本分": "25", "综合得分": "23.8"},
         "grades": grade("低风险", "green", "3"),
         "supervision": [{"grade": "风险档次", "by": ["分管领导"], "every": "2 years"}], "sanctions": []},
        {"id": "D", "name": None, "values": {"运行频率系数": "0.95", "基本分": "75", "综合得分": "71.3"},
         "grades": grade("高风险", "red", "1"),
         "supervision": [{"grade": "风险档次", "by": ["纪检监察机关"], "every": "1 year"}], "sanctions": []},
    ]
    # 8000.5 + 125 = 8125.5; no summary block: counts per level of every grade, zeros included
    assert data["summary"] == {"items": "4", "levels": {"风险档次": {"高风险": "2", "一般风险": "1", "低风险": "1"}},
                               "fines": "8125.5"}


def test_schema_with_fractional_bounds_and_numeric_labels(write) -> None:
    # a bound like 0.5 used to reach the exact JSON writer as a float: exit 3
    r = write("r.policy", 'input 比例: 0..0.5\ninput 级别: one of [1, 2.5, "甲"]\n'
                          'let y = if 级别 == "2.5" then 比例 else 0\n')
    out = cli("schema", str(r))
    assert out.returncode == 0, out.stderr
    props = json.loads(out.stdout)["properties"]["items"]["items"]["properties"]
    assert props["比例"] == {"type": "number", "minimum": 0, "maximum": 0.5}
    assert '"maximum": 0.5' in out.stdout
    # labels that read as numbers may be written as numbers, as the validator accepts them
    assert props["级别"] == {"enum": ["1", "2.5", "甲", 1, 2.5]}
    c = write("c.yaml", "items:\n  - {id: A, 比例: 0.5, 级别: 2.5}\n  - {id: B, 比例: 0.25, 级别: '1'}\n")
    out = cli("eval", str(r), str(c), "-f", "csv")
    assert out.stdout.splitlines()[1:] == ["A,,0.5,,,,", "B,,0,,,,"]


def test_main_help_describes_every_command_in_full() -> None:
    out = cli("--help")
    assert out.returncode == 0, out.stderr
    commands = out.stdout.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in commands if line.startswith("  ") and line[2] != " "]
    assert names == ["check", "compare", "convert", "diff", "eval", "explain", "fmt", "list", "report", "schema",
                     "template",
                     "test"]
    # click cuts a long first sentence with "..."; each command has a short help of its own
    assert "..." not in out.stdout.split("Commands:", 1)[1]


def test_every_problem_inside_list_elements_is_reported_located(write) -> None:
    # two bad fields in the first incident, an unknown field and two missing ones in the second,
    # a third element that is not a mapping: six problems, each at its own place (a field's
    # key; the element for a missing field). Columns counted by hand: `      - {日期: someday,
    # 金额: 500}` has `-` at 7, `{` at 9, 日 at 10, 金 at 23 (someday 14-20, `, ` 21-22).
    r = write("r.policy", RULES.replace("input b: number = 1",
                                        "input b: number = 1\ninput e: list of {日期: date, 金额: 0..100}"))
    c = write("c.yaml", "items:\n  - id: A\n    a: 1\n    d: 1\n    e:\n"
                        "      - {日期: someday, 金额: 500}\n"
                        "      - {金額: 5}\n"
                        "      - 7\n")
    out = cli("eval", str(r), str(c))
    assert out.returncode == 2, out.stderr
    heads = [line for line in out.stderr.split("\n") if "error[PE303]" in line]
    assert heads == [
        f"{c}:6:10: error[PE303]: item A: field 'e': element 1, field '日期': must be a date (YYYY-MM-DD), "
        'not text "someday"',
        f"{c}:6:23: error[PE303]: item A: field 'e': element 1, field '金额': 500 is outside 0..100",
        f"{c}:7:10: error[PE303]: item A: field 'e': element 2 has unknown field '金額' (did you mean '金额'?)",
        f"{c}:7:9: error[PE303]: item A: field 'e': element 2 is missing field '日期'",
        f"{c}:7:9: error[PE303]: item A: field 'e': element 2 is missing field '金额'",
        f"{c}:8:9: error[PE303]: item A: field 'e': element 3 must be a mapping {{…}}, not number 7",
    ], out.stderr


def test_problems_inside_list_elements_stop_at_the_limit(write) -> None:
    from policyengine.case import MAX_ERRORS

    r = write("r.policy", RULES.replace("input b: number = 1", "input b: number = 1\ninput e: list of {x: 0..1}"))
    bad = ", ".join("{x: 5}" for _n in range(MAX_ERRORS + 40))
    c = write("c.yaml", f"items:\n  - {{id: A, a: 1, d: 1, e: [{bad}]}}\n  - {{id: B, a: 1, d: 1, e: [{bad}]}}\n")
    out = cli("eval", str(r), str(c))
    assert out.returncode == 2
    assert out.stderr.count("error[PE303]") == MAX_ERRORS
    assert f"stopped after {MAX_ERRORS} problems" in out.stderr
