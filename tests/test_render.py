"""The JSON writer: exact decimals, json.dumps's indented layout, pieces that join to the whole."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from policyengine.render import json_chunks, to_json
from tests.conftest import ruleset

DATA = {
    "text": "廉政\x00\n\"quoted\"",
    "numbers": [Decimal("109.20"), Decimal("8E+3"), Decimal("-0"), Decimal("0.000001"), 7, -3],
    "flags": (True, False, None),
    "empty": {"dict": {}, "list": [], "tuple": ()},
    "date": dt.date(2010, 5, 3),
    1: "non-text key",
}


def test_layout_is_json_dumps_indent_2_with_exact_numbers() -> None:
    # the same data with every Decimal turned into the number it should print as
    expected = json.dumps({
        "text": "廉政\x00\n\"quoted\"",
        "numbers": [109.2, 8000, 0, 0.000001, 7, -3],
        "flags": [True, False, None],
        "empty": {"dict": {}, "list": [], "tuple": []},
        "date": "2010-05-03",
        "1": "non-text key",
    }, ensure_ascii=False, indent=2)
    # json prints 1e-06 for the float; the writer prints the decimal exactly
    expected = expected.replace("1e-06", "0.000001")
    assert to_json(DATA) == expected + "\n"
    assert json.loads(to_json(DATA))["numbers"][0] == 109.2


RULES = ruleset("""\
    ruleset r
    input x: number
    let y = x * 1.10
    levels L [高 red, 低 green]
    grade L {
      top 1 by y -> 高
      otherwise  -> 低
    }
    sanction s when y > 5 {
      fine y * 10
      action "谈话"
    }
""")


def test_result_pieces_join_to_the_documented_shape() -> None:
    from policyengine.case import Case

    result = RULES.evaluate(Case(items=[{"id": "A", "x": 10}, {"id": "B", "x": 2}]))
    text = "".join(json_chunks([result]))
    data = json.loads(text)
    # values hold computed values only. A: y = 10 × 1.10 = 11.00, printed 11; rank 1 -> 高;
    # fine 11 × 10 = 110
    assert data["items"][0] == {
        "id": "A", "name": None, "values": {"y": 11},
        "grades": {"L": {"level": "高", "color": "red", "rank": 1}},
        "supervision": [],
        "sanctions": [{"rule": "s", "actions": ["谈话"], "fine": 110, "warning": None}],
    }
    # B: y = 2.2, rank 2 -> 低; 2.2 is not > 5: no sanction
    assert data["items"][1]["values"] == {"y": 2.2}
    assert data["items"][1]["sanctions"] == []
    assert data["summary"]["fines"] == 110
    # a list of results is a JSON list of the same objects
    both = json.loads("".join(json_chunks([result, result])))
    assert both == [data, data]


def test_atomic_writes_keep_permissions_and_links(tmp_path) -> None:
    import os
    import stat

    from policyengine.render import write_atomically

    kept = tmp_path / "kept.json"
    kept.write_text("old")
    os.chmod(kept, 0o640)
    write_atomically(kept, "new")
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640

    mask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        write_atomically(fresh, iter(["a", "b"]))
        assert fresh.read_text() == "ab" and stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not 0600
    finally:
        os.umask(mask)

    link = tmp_path / "link.json"
    link.symlink_to(kept)
    write_atomically(link, "via link")
    assert link.is_symlink() and kept.read_text() == "via link"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.json", "kept.json", "link.json"]


def test_yaml_output_has_no_anchors_or_aliases() -> None:
    from policyengine.case import Case
    from policyengine.render import render

    rules = ruleset("""\
        ruleset r
        input 权力: text
        table 系数 {
          | 权力     || 系数 |
          | "征收权" || 1.3  |
          | -        || 1.0  |
        }
        let 得分 = round(70 * 系数, 1)
    """)
    # both items get the one shared 1.3 of the table's row: 70 × 1.3 = 91, and 1.0 for C
    result = rules.evaluate(Case(items=[{"id": "A", "权力": "征收权"}, {"id": "B", "权力": "征收权"},
                                        {"id": "C", "权力": "许可权"}]))
    text = render(result, "yaml")
    assert "&id" not in text and "*id" not in text
    import yaml

    items = yaml.safe_load(text)["items"]
    assert [(i["id"], i["values"]["系数"], i["values"]["得分"]) for i in items] == [
        ("A", 1.3, 91), ("B", 1.3, 91), ("C", 1, 70)]


def test_table_summary_lays_out_a_two_way_count_as_a_cross_table() -> None:
    from policyengine.case import Case
    from policyengine.render import render

    rules = ruleset("""\
        ruleset r
        input 分: number
        input 科室: one of ["征收科", "稽查科"]
        input 领导: bool = false
        levels 档 [高 red, 低 green]
        grade 档 {
          分 >= 60  -> 高
          otherwise -> 低
        }
        summary {
          count by 档, 科室
          count by 档, 科室, 领导
          sum 分
        }
    """)
    # A 70 高 征收科; B 50 低 征收科; C 80 高 稽查科 (领导); D 40 低 征收科
    result = rules.evaluate(Case(items=[{"id": "A", "分": 70, "科室": "征收科"},
                                        {"id": "B", "分": 50, "科室": "征收科"},
                                        {"id": "C", "分": 80, "科室": "稽查科", "领导": True},
                                        {"id": "D", "分": 40, "科室": "征收科"}]))
    text = render(result, "table")
    summary = text.split("\n\n", 1)[1]
    # the one-line figures first; sum 分 = 70 + 50 + 80 + 40 = 240
    assert summary.startswith("items: 4\n档: 高 2, 低 2\nsum 分: 240\nfines: 0\n\ncount by 档, 科室\n")
    cross = summary.split("count by 档, 科室\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert set(cross[1]) == {"-", " "}
    assert [line.split() for line in cross[:1] + cross[2:]] == [
        ["档", "\\", "科室", "征收科", "稽查科", "total"],
        ["高", "1", "1", "2"],   # A; C
        ["低", "2", "0", "2"],   # B, D
        ["total", "3", "1", "4"],
    ]
    # counts are right-aligned: every line ends in the same terminal column (CJK counts 2)
    from wcwidth import wcswidth

    assert len({wcswidth(line.rstrip()) for line in cross}) == 1
    # three names: one row per combination, the count right-aligned
    three = summary.split("count by 档, 科室, 领导\n", 1)[1].splitlines()
    assert three[0].split() == ["档", "科室", "领导", "count"]
    assert ["高", "稽查科", "true", "1"] in [line.split() for line in three[2:]]


def _whole_csv(results: list) -> str:
    """CSV as it was written before it came in pieces: every row at once (the reference)."""
    import csv
    import io

    from policyengine.render.csv import neutral, rollup_names
    from policyengine.render.tabular import rollup_rows, table_rows

    several = len(results) > 1
    header, body = table_rows(results, case_column=several)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[neutral(c) for c in row] for row in [header, *body]])
    for name in rollup_names(results):
        header, body = rollup_rows(results, name, case_column=several)
        writer.writerow([])
        writer.writerows([[neutral(c) for c in row] for row in [header, *body]])
    return buffer.getvalue()


def test_yaml_and_csv_in_pieces_are_the_whole_document_on_every_shipped_case() -> None:
    # YAML and CSV are written a few hundred items at a time (never every item's dict or row
    # at once): the same bytes as one dump of the whole, alone and two results to a document
    from policyengine.render import csv_chunks, to_yaml, yaml_chunks

    from .conftest import shipped_cases

    many = 0
    for path, rs, case in shipped_cases():
        result = rs.evaluate(case)
        many += len(result.items) > 256
        # two to a document where that is quick (YAML is dumped twice per case here)
        for results in ([result], [result, rs.evaluate(case)])[:1 if len(result.items) > 120 else 2]:
            data = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
            assert "".join(yaml_chunks(results)) == to_yaml(data), path
            assert "".join(csv_chunks(results)) == _whole_csv(results), path
    assert many >= 1  # a case of more than one piece
