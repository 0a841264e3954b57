"""The Chinese interface: the catalog is complete and consistent with the code, the language
is chosen as documented, and Chinese reaches the user (messages, --help, summary lines)."""

from __future__ import annotations

import io
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from policyengine import i18n

from .conftest import ROOT, cli

PO = ROOT / "policyengine" / "locale" / "zh_CN" / "LC_MESSAGES" / "policyengine.po"
MO = PO.with_suffix(".mo")


def _extracted(capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The messages of the code, extracted as babel.cfg says (`pybabel extract`)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from babel_click import extract as click_help
    finally:
        sys.path.remove(str(ROOT / "tools"))
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "policyengine"),
            method_map=[("cli.py", click_help), ("**.py", "python"), ("report/templates/**.j2", "jinja2")],
            keywords={"_": None, "N_": None},
        )
    }
    warnings = capsys.readouterr().err
    # Babel skips an f-string inside _(): it could never be translated
    assert "f-string" not in warnings, warnings
    return found


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def test_every_message_has_a_chinese_translation(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = _catalog()
    extracted = _extracted(capsys)
    translated = {m.id: m for m in catalog if m.id}
    missing = sorted(extracted - translated.keys())
    assert not missing, f"not in the catalog (run pybabel extract/update): {missing[:10]}"
    stale = sorted(translated.keys() - extracted)
    assert not stale, f"in the catalog but no longer in the code: {stale[:10]}"
    empty = [m.id for m in translated.values() if not m.string or m.fuzzy]
    assert not empty, f"untranslated or fuzzy: {empty[:10]}"
    assert len(extracted) > 90  # the extraction found the code's messages at all


def test_every_literal_message_of_the_code_is_in_the_catalog() -> None:
    """Babel's extractor does not see a `_("…")` inside the arguments of another `_()`: such a
    message would stay English in a Chinese run with no test noticing. Every literal `_()`
    and `N_()` of the code must be in the catalog."""
    import ast

    known = {m.id for m in _catalog() if m.id}
    unseen = []
    for path in sorted((ROOT / "policyengine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and node.args[0].value not in known):
                unseen.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value!r}")
    assert not unseen, unseen[:10]


def test_the_documented_messages_are_the_catalogs() -> None:
    """docs/diagnostics.md shows messages in both languages: each row is a message of the
    catalog with its translation (in the table a backtick is written ' and a brace single)."""
    import re

    def shown(text: str) -> str:
        return text.replace("`", "'").replace("{{", "{").replace("}}", "}")

    catalog = {shown(m.id): shown(m.string) for m in _catalog() if m.id}
    docs = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    table = docs[docs.index("### The messages in both languages"):]
    rows = re.findall(r"^\| (PE\d{3}) \| `(.*)` \| `(.*)` \|$", table, re.M)
    assert len(rows) > 100
    wrong = [(code, en) for code, en, zh in rows if catalog.get(en) != zh]
    assert not wrong, wrong[:5]


def _fields(text: str) -> list[tuple[str, str, str]]:
    # every message is a str.format string (a literal brace doubled): a stray brace fails here
    return sorted((name, spec or "", conv or "")
                  for _lit, name, spec, conv in string.Formatter().parse(text) if name is not None)


def test_both_forms_of_every_message_have_the_same_placeholders() -> None:
    for message in _catalog():
        if message.id and message.string:
            assert _fields(message.id) == _fields(message.string), message.id


def test_the_compiled_catalog_is_the_po_compiled() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog())
    assert MO.read_bytes() == compiled.getvalue(), "run: pybabel compile -d policyengine/locale -D policyengine"


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL, when set, decides
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
    ({"POLICYENGINE_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"POLICYENGINE_LANG": "zh"}, "zh"),
])
def test_the_language_comes_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert i18n.language_of_environment(env) == expected


def test_set_language_wins_over_the_environment_and_translates() -> None:
    try:
        i18n.set_language("zh")
        assert i18n._("item {id}: ", id="A1") == "条目 A1："
        assert i18n._("a message the catalog does not know") == "a message the catalog does not know"
        i18n.set_language("en")
        assert i18n._("item {id}: ", id="A1") == "item A1: "
    finally:
        i18n.set_language(None)


BAD = 'ruleset x "x"\nversion "1"\ninput 收入: number\nlet 合计 = 收入 + 未知\n'


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("POLICYENGINE_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env.update(extra)
    return env


def test_check_speaks_chinese_with_lang_zh(tmp_path: Path) -> None:
    path = tmp_path / "x.policy"
    path.write_text(BAD, encoding="utf-8")
    zh = cli("--lang", "zh", "check", str(path))
    assert zh.returncode == 2
    assert f"{path}:4:" in zh.stderr and "错误[PE" in zh.stderr
    assert zh.stdout == "已检查 1 个规则集：1 个错误，0 个警告\n"
    en = cli("check", str(path))
    assert "error[PE" in en.stderr
    assert en.stdout == "1 ruleset(s) checked: 1 error(s), 0 warning(s)\n"


def test_a_chinese_locale_gives_a_chinese_help_and_lang_en_overrides_it() -> None:
    run = [sys.executable, "-m", "policyengine"]
    zh = subprocess.run([*run, "--help"], capture_output=True, text=True, env=_env(LANG="zh_CN.UTF-8"))
    assert zh.returncode == 0
    assert "用法：" in zh.stdout and "选项:" in zh.stdout and "命令:" in zh.stdout
    assert "检查规则集的错误和规范性警告。" in zh.stdout
    assert "显示本帮助并退出。" in zh.stdout
    sub = subprocess.run([*run, "eval", "--help"], capture_output=True, text=True,
                         env=_env(POLICYENGINE_LANG="zh"))
    assert "用规则集 RULESET 评估每个案例文件 CASE，并打印结果。" in sub.stdout
    assert "只显示这个条目（可重复）。排名仍基于全部条目。" in sub.stdout
    # --lang zh is read after click made its --help option: that is Chinese too
    flag = subprocess.run([*run, "--lang", "zh", "--help"], capture_output=True, text=True, env=_env(LANG="C"))
    assert "显示本帮助并退出。" in flag.stdout and "Show this message" not in flag.stdout
    en = subprocess.run([*run, "--lang", "en", "--help"], capture_output=True, text=True,
                        env=_env(LANG="zh_CN.UTF-8"))
    assert "Usage:" in en.stdout and "Check rulesets for errors and lint warnings." in en.stdout


def test_an_english_run_never_reads_the_catalog() -> None:
    probe = ("import sys, policyengine.i18n as i, policyengine.cli as c\n"
             "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(i._catalog is None)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(LANG="C"))
    assert out.stdout.strip().endswith("True")


def test_summary_lines_and_the_test_runner_speak_chinese() -> None:
    out = cli("--lang", "zh", "eval", "tax@2010", "cases/tax/luoyang-2010.yaml", "-f", "table", "--no-pager")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    # the Luoyang case: 105 risk points (55 执法权 + 50 行政管理权)
    assert "条目：105" in lines
    assert "按 风险档次, 权力类别 计数" in lines
    assert any(line.startswith("合计") and line.split()[-1] == "105" for line in lines)
    suite = cli("--lang", "zh", "test", "cases/tax/luoyang-2010.yaml")
    assert suite.stdout.rstrip("\n").split("\n")[-1] == "1 个通过，0 个失败"


def test_a_subcommands_help_imports_only_what_it_prints() -> None:
    # `eval --help` exits while click parses the subcommand's options: nothing that reads a case
    # or builds a model is needed for it (the group's settings are applied when a command runs)
    probe = ("import sys, policyengine.cli as c\n"
             "try:\n    c.main(['--max-case-size', '3', 'eval', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('policyengine')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(LANG="C"))
    assert "Usage: " in out.stdout and "--previous" in out.stdout, out.stderr
    loaded = eval(out.stdout.strip().split("\n")[-1])
    for heavy in ("policyengine.case", "policyengine.model", "policyengine.resolve", "policyengine.evaluate"):
        assert heavy not in loaded, loaded


def test_the_group_settings_hold_for_the_command_and_end_with_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from policyengine import case, resolve
    from policyengine.cli import main

    path = tmp_path / "c.json"
    path.write_text('{"items": [{"id": "a", "x": "' + "1" * (2 << 20) + '"}]}', encoding="utf-8")
    before = resolve.CONFINED, case.MAX_CASE_BYTES
    out = CliRunner().invoke(main, ["--max-case-size", "1", "eval", "tax", str(path)])
    assert out.exit_code == 2 and "larger than 1 MiB" in out.output, out.output
    assert (resolve.CONFINED, case.MAX_CASE_BYTES) == before


def test_help_in_one_process_follows_each_runs_language() -> None:
    from click.testing import CliRunner

    from policyengine.cli import main

    runner = CliRunner()
    for lang, said, not_said in [("zh", "显示本帮助并退出。", "Show this message"),
                                 ("en", "Show this message and exit.", "显示本帮助并退出。"),
                                 ("zh", "显示本帮助并退出。", "Show this message")]:
        top = runner.invoke(main, ["--lang", lang, "--help"])
        sub = runner.invoke(main, ["--lang", lang, "eval", "--help"])
        assert said in top.output and not_said not in top.output, (lang, top.output)
        assert said in sub.output and not_said not in sub.output, (lang, sub.output)
    assert "Check rulesets for errors and lint warnings." in runner.invoke(main, ["--lang", "en", "--help"]).output
    assert "Evaluate RULESET on each CASE file" in runner.invoke(main, ["--lang", "en", "eval", "--help"]).output
    # without --lang: the environment's language (English in the tests), whatever ran before
    runner.invoke(main, ["--lang", "zh", "--help"])
    plain = runner.invoke(main, ["--help"])
    assert "Usage:" in plain.output and "用法" not in plain.output
    i18n.set_language(None)


def test_the_environments_language_is_read_once_and_again_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    decided: list[str] = []
    real = i18n.language_of_environment

    def counted(env: dict[str, str]) -> str:
        decided.append(real(env))
        return decided[-1]

    monkeypatch.setattr(i18n, "language_of_environment", counted)
    monkeypatch.setattr(i18n, "_from_environment", None, raising=False)  # what earlier tests left
    monkeypatch.setenv("POLICYENGINE_LANG", "en")
    for _n in range(50):
        assert i18n._("item {id}: ", id="A1") == "item A1: "
    assert decided == ["en"]  # fifty messages, one reading of the environment
    monkeypatch.setenv("POLICYENGINE_LANG", "zh")
    assert i18n._("item {id}: ", id="A1") == "条目 A1："
    monkeypatch.delenv("POLICYENGINE_LANG")
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.language() == "en"  # LC_ALL decides
    monkeypatch.delenv("LC_ALL")
    assert i18n.language() == "zh"
    i18n.set_language("en")  # --lang wins, and letting it go gives the environment back
    assert i18n.language() == "en"
    i18n.set_language(None)
    assert i18n.language() == "zh"
    assert decided == ["en", "zh", "en", "zh"]
