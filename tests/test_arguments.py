"""Arguments understood as a person means them (issue 14): a case where a ruleset goes, a
missing file, a case naming another ruleset, shipped names in extends, fmt and convert."""

from __future__ import annotations

from pathlib import Path

from .conftest import ROOT, cli


def test_eval_of_a_missing_file_says_it_does_not_exist() -> None:
    out = cli("eval", "missing.policy")
    assert out.returncode == 2
    assert out.stderr.strip() == "missing.policy: error[PE005]: file not found"


def test_a_case_given_as_the_ruleset_is_called_a_case() -> None:
    case = "cases/tax/luoyang-2010.yaml"
    out = cli("eval", case, case)
    assert out.returncode == 2
    assert out.stderr.startswith(f"{case}: error[PE021]: this is a case file (it lists items), not a ruleset")
    assert "Traceback" not in out.stderr


def test_a_case_under_another_ruleset_mentions_its_own_ruleset_line() -> None:
    case = "cases/tax/luoyang-2010.yaml"
    out = cli("eval", "commerce", case)
    assert out.returncode == 2
    first = out.stderr.split("\n")
    assert "error[PE303]" in first[0]
    assert first[3] == ("  note: this case's `ruleset:` line names ../../rulesets/tax/2010.policy, not the "
                        "ruleset given (rulesets/commerce/2010.policy); to use its own, run: "
                        f"policyengine eval {case}")
    # the note comes once, on the first message only
    assert out.stderr.count("`ruleset:` line names") == 1


def test_extends_accepts_a_shipped_name(tmp_path: Path) -> None:
    county = tmp_path / "county.policy"
    county.write_text('ruleset county "县局办法"\nversion "1"\nextends "tax@2010"\n', encoding="utf-8")
    out = cli("eval", str(county), str(ROOT / "cases" / "tax" / "luoyang-2010.yaml"), "-f", "json")
    assert out.returncode == 0, out.stderr
    # the same results as the shipped method itself
    shipped = cli("eval", "tax@2010", str(ROOT / "cases" / "tax" / "luoyang-2010.yaml"), "-f", "json")
    assert '"items"' in out.stdout
    assert out.stdout.split('"items"', 1)[1] == shipped.stdout.split('"items"', 1)[1]


def test_extends_of_an_unknown_name_is_still_not_found(tmp_path: Path) -> None:
    county = tmp_path / "county.policy"
    county.write_text('ruleset county "x"\nversion "1"\nextends "nosuch@2010"\n', encoding="utf-8")
    out = cli("check", str(county))
    assert out.returncode == 2
    assert "error[PE108]: extends: no such file or shipped ruleset" in out.stderr
    county.write_text('ruleset county "x"\nversion "1"\nextends "tax@1999"\n', encoding="utf-8")
    out = cli("check", str(county))
    assert "error[PE108]: extends: no version '1999' of shipped ruleset 'tax' (have: 2010, 2011, 2011-trend, 2012)" in out.stderr


def test_fmt_of_a_shipped_name_reads_it_but_never_rewrites_it() -> None:
    shipped = (ROOT / "rulesets" / "tax" / "2010.policy").read_bytes()
    out = cli("fmt", "tax@2010")
    assert out.returncode == 2
    assert out.stderr.startswith("tax@2010: error[PE020]: 'tax@2010' is a shipped ruleset")
    assert (ROOT / "rulesets" / "tax" / "2010.policy").read_bytes() == shipped
    check = cli("fmt", "--check", "tax@2010")
    assert check.returncode == 0 and check.stdout == ""  # shipped rulesets are in canonical layout


def test_convert_names_a_shipped_parent_by_its_shipped_name(tmp_path: Path) -> None:
    out_file = tmp_path / "x.policy"
    out = cli("convert", "tax@2011", "--to", "dsl", "-o", str(out_file))
    assert out.returncode == 0, out.stderr
    text = out_file.read_text(encoding="utf-8")
    assert 'extends "tax@2010"' in text
    assert "site-packages" not in text and str(ROOT) not in text
    # and the converted file loads, through its shipped parent
    assert cli("check", str(out_file)).returncode == 0
