"""The HTML report without a browser: escaping of hostile ruleset text, same bytes for the
same inputs, the figures' numbers against the JSON result, located errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT, cli

HOSTILE = "</script><script>alert(1)</script>"

SCALE = HOSTILE  # a grade scale's name
INPUT = "<img src=x onerror=alert(4)>"  # an input's name
LEVEL = '"><script>alert(5)</script>'  # a level's name, made to leave an attribute


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


HOSTILE_RULESET = f"""\
ruleset evil "<b>规则</b>"
version "1"
input `{INPUT}`: one of ["x", {_q(HOSTILE)}]
input 分数: number >= 0 = 0
levels `{SCALE}` [高 red, `{LEVEL}` yellow, 低 green]
grade `{SCALE}` {{
  分数 >= 10 -> 高
  分数 >= 5  -> `{LEVEL}`
  otherwise  -> 低
}}
supervision `{SCALE}` {{
  otherwise -> {_q(HOSTILE)} every 1 year
}}
sanction `{HOSTILE}` when 分数 >= 10 {{
  fine 分数 * 2
  action {_q(HOSTILE)}
}}
summary {{
  count by `{SCALE}`, `{INPUT}`
}}
"""


def _hostile(write) -> tuple[Path, Path]:
    rs = write("evil.policy", HOSTILE_RULESET)
    case = write("evil.yaml", f"""\
        title: '{HOSTILE}'
        unit: '<img src=x onerror=alert(2)>'
        items:
          - {{id: '{HOSTILE}', name: '{HOSTILE}', '{INPUT}': '{HOSTILE}', 分数: 12}}
          - {{id: B, name: '"><svg onload=alert(3)>', '{INPUT}': x, 分数: 6}}
          - {{id: C, '{INPUT}': x, 分数: 1}}
        """)
    return rs, case


def test_hostile_names_render_inert(write, tmp_path: Path) -> None:
    rs, case = _hostile(write)
    out = tmp_path / "evil.html"
    run = cli("report", str(rs), str(case), "-o", str(out), "--date", "2026-01-02")
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    # exactly the page's own two script elements: the table's JSON and its code
    assert len(re.findall(r"<script\b", html, flags=re.I)) == 2
    assert HOSTILE not in html and "<img" not in html and "<svg onload" not in html
    assert "<b>" not in html
    # the text is there, escaped: in element text, in attributes, and in the inline JSON
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-level="&#34;&gt;&lt;script&gt;alert(5)&lt;/script&gt;"' in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


def test_only_known_colours_reach_the_page() -> None:
    from policyengine.report.figures import NEUTRAL, level_colour

    # the DSL only knows five colour words; the YAML form or a later grammar must not
    # open a way for text into a fill or style attribute
    assert level_colour("red") == "#d73027" and level_colour("#abc") == "#abc"
    for hostile in ('javascript:alert(1)', 'red" onload="alert(1)', "url(x)", "#12345g", None):
        assert level_colour(hostile) == NEUTRAL


def test_same_inputs_same_bytes_and_the_date_comes_from_the_option(tmp_path: Path) -> None:
    case = ROOT / "cases/commerce/matrix-2010.yaml"
    outs = []
    for name, date in (("a.html", "2026-01-02"), ("b.html", "2026-01-02"), ("c.html", "2027-03-04")):
        run = cli("report", str(case), "-o", str(tmp_path / name), "--date", date)
        assert run.returncode == 0, run.stderr
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    assert outs[0].replace(b"2026-01-02", b"2027-03-04") == outs[2]
    assert b'<dd id="report-date">2026-01-02</dd>' in outs[0]


def test_the_figures_carry_the_numbers_of_the_json_result(tmp_path: Path) -> None:
    """Pingliang (105 items): bars per level equal the JSON summary; each cell of the
    matrix heat map counts the items whose 发生几率 and 危害程度 pick it (counted here from the
    case file, since the JSON result does not repeat inputs); each `count by` heat map
    equals the JSON summary's cross-table."""
    import yaml

    import policyengine as pe
    from policyengine.report import report_html

    case_path = ROOT / "cases/commerce/pingliang-2010.yaml"
    rs = pe.load_ruleset("commerce@2010")
    html = report_html(rs, [case_path], dt.date(2026, 1, 2))
    result = json.loads(cli("eval", "commerce@2010", str(case_path), "-f", "json").stdout)
    levels = result["summary"]["levels"]["风险等级"]
    bars = dict(re.findall(r'<g class="bar" data-level="([^"]+)" data-count="(\d+)">', html))
    assert {k: int(v) for k, v in bars.items()} == levels
    assert sum(levels.values()) == result["summary"]["items"]

    cells = re.findall(r'<figure class="chart heat" data-kind="(\w+)">(.*?)</figure>', html, flags=re.S)
    matrix = [body for kind, body in cells if kind == "matrix"]
    assert len(matrix) == 1
    shown = {(r, c): (int(n), lv) for r, c, n, lv in re.findall(
        r'data-row="([^"]+)" data-column="([^"]+)" data-count="(\d+)" data-level="([^"]+)"', matrix[0])}
    items = yaml.safe_load(case_path.read_text(encoding="utf-8"))["items"]
    expected: dict[tuple[str, str], int] = {}
    for it in items:
        key = (it["发生几率"], it["危害程度"])
        expected[key] = expected.get(key, 0) + 1
    assert {k: n for k, (n, _) in shown.items() if n} == expected
    assert len(shown) == 12  # every cell of the 4 x 3 matrix, empty ones too
    assert shown[("高", "严重")][1] == "三级" and shown[("较低", "轻微")][1] == "一级"  # the seed's cells

    crosses = [body for kind, body in cells if kind == "count"]
    blocks = [b for b in result["summary"]["counts"] if len(b["by"]) == 2]
    assert len(crosses) == len(blocks) == 3
    for body, block in zip(crosses, blocks, strict=True):
        got: dict[str, dict[str, int]] = {}
        for r, c, n in re.findall(r'data-row="([^"]+)" data-column="([^"]+)" data-count="(\d+)"', body):
            got.setdefault(r, {})[c] = int(n)
        want = {r: {c: n for c, n in inner.items()} for r, inner in block["counts"].items()}
        assert {r: {c: n for c, n in inner.items() if n} for r, inner in got.items()} == \
            {r: {c: n for c, n in inner.items() if n} for r, inner in want.items()}


def test_each_row_carries_the_trace_explain_gives(tmp_path: Path) -> None:
    import policyengine as pe
    from policyengine.report import report_html

    case_path = ROOT / "cases/tax/luoyang-2010.yaml"
    html = report_html(pe.load_ruleset("tax@2010"), [case_path], dt.date(2026, 1, 2))
    data = json.loads(re.search(r'<script type="application/json" class="table-data">(.*?)</script>',
                                html, flags=re.S).group(1))
    ids = [row[0] for row in data["rows"]]
    k = ids.index("ZF-ZS-01")
    text = cli("explain", "tax@2010", str(case_path), "--item", "ZF-ZS-01").stdout
    assert data["traces"][k] == text
    # over the limit: no traces, and the page says how to get one
    html = report_html(pe.load_ruleset("tax@2010"), [case_path], dt.date(2026, 1, 2), explain_limit=10)
    assert '"traces":null' in html and "policyengine explain" in html


# a ruleset with no sanctions: one number graded on two levels
PLAIN = """\
ruleset plain
input 分数: number
levels 等级 [高 red, 低 green]
grade 等级 {
  分数 >= 5 -> 高
  otherwise -> 低
}
"""


def test_no_sanctions_no_fine_columns(write, tmp_path: Path) -> None:
    rs = write("plain.policy", PLAIN)
    case = write("plain.yaml", "items:\n  - {id: A, 分数: 6}\n  - {id: B, 分数: 1}\n")
    out = tmp_path / "plain.html"
    assert cli("--lang", "zh", "report", str(rs), str(case), "-o", str(out), "--date", "2026-01-02").returncode == 0
    html = out.read_text(encoding="utf-8")
    assert '"fine"' not in html and '"warning"' not in html and '"sanctions"' not in html
    assert "处置与罚款" not in html and "罚款合计" not in html
    assert "<h3>监督责任</h3>" in html  # the Chinese page, where the words above would be
    assert cli("--lang", "en", "report", str(rs), str(case), "-o", str(out), "--date", "2026-01-02").returncode == 0
    html = out.read_text(encoding="utf-8")
    assert "Sanctions and fines" not in html and "Total fines" not in html
    assert "<h3>Supervision duties</h3>" in html


@pytest.mark.parametrize("date", ["2026-13-01", "yesterday"])
def test_a_bad_date_is_bad_input(date: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    run = cli("report", str(ROOT / "cases/commerce/matrix-2010.yaml"), "-o", str(out), "--date", date)
    assert run.returncode == 2
    assert "error[PE801]" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()


def test_diff_html_has_the_migration_of_the_json(tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    case = ROOT / "cases/tax/luoyang-2010.yaml"
    run = cli("diff", "tax@2010", "tax@2011", "--cases", str(case), "-o", str(out), "--date", "2026-01-02")
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    data = json.loads(cli("diff", "tax@2010", "tax@2011", "--cases", str(case), "-f", "json").stdout)
    for scale, migration in data["impact"]["migration"].items():
        body = re.search(r'<figure class="chart heat" data-kind="migration">\s*<figcaption>'
                         + re.escape(scale) + r":(.*?)</figure>", html, flags=re.S)
        assert body is not None, scale
        got = {(r, c): int(n) for r, c, n in re.findall(
            r'data-row="([^"]+)" data-column="([^"]+)" data-count="(\d+)"', body.group(1))}
        assert {k: n for k, n in got.items() if n} == {(r, c): n for r, inner in migration.items()
                                                       for c, n in inner.items()}
    for change in data["changes"]:
        assert f'data-kind="{change["kind"]}" data-name="{change["name"]}"' in html
    for item in data["impact"]["items_changed"]:
        assert f'<td>{item["id"]}</td>' in html


def test_several_cases_one_section_each(tmp_path: Path) -> None:
    out = tmp_path / "two.html"
    cases = [ROOT / "cases/commerce/matrix-2010.yaml", ROOT / "cases/commerce/pingliang-2010.yaml"]
    run = cli("report", "commerce@2010", *map(str, cases), "-o", str(out), "--date", "2026-01-02",
              "--explain-limit", "0")
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json" class="table-data">(.*?)</script>', html, flags=re.S)
    assert [len(json.loads(b)["rows"]) for b in blocks] == [12, 530]
    assert all(json.loads(b)["traces"] is None for b in blocks)  # --explain-limit 0
    assert re.findall(r'<dd class="item-count">(\d+)</dd>', html) == ["12", "530"]


def test_a_section_builder_adds_a_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """The way rollups and periods join the report: a builder in SECTIONS returns a Section
    (or None when the ruleset has nothing of the kind); its text is escaped like the rest."""
    import policyengine as pe
    from policyengine.report import SECTIONS, Section, report_html

    def units(pub, rs):
        if rs.id != "commerce":
            return None
        per_level = pub.result.summary["levels"]["风险等级"]
        return Section("按单位汇总", "table.html.j2",
                       {"header": ["单位", *per_level], "rows": [[HOSTILE, *per_level.values()]]})

    from policyengine.report import publication

    monkeypatch.setattr(publication, "SECTIONS", [*SECTIONS, units])
    case = ROOT / "cases/commerce/matrix-2010.yaml"
    html = report_html(pe.load_ruleset("commerce@2010"), [case], dt.date(2026, 1, 2))
    assert "<h3>按单位汇总</h3>" in html
    assert "<th>三级</th><th>二级</th><th>一级</th>" in html
    assert "<td>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td><td>3</td><td>6</td><td>3</td>" in html
    other = report_html(pe.load_ruleset("tax@2010"), [ROOT / "cases/tax/small-2010.yaml"], dt.date(2026, 1, 2))
    assert "按单位汇总" not in other
