"""The documentation's console examples are true of the current code.

Every ```console block of README.md and docs/*.md is run: each `$ policyengine …`
line in-process (click's test runner, so the suite stays fast), in the project
folder, or for the README's tutorial in a scratch folder holding the files the
tutorial tells the reader to save. The lines shown under a command must be what it
prints: exactly, or, where the example leaves lines out with a line of its own
reading `…`, each shown run of lines in order and unbroken.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def console_examples() -> list[tuple[str, int, str, list[str]]]:
    """(document, line, command, shown output lines) for every `$ policyengine` line."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in BLOCK.finditer(text):
            if block.group(1) != "console":
                continue
            first_line = text.count("\n", 0, block.start(2)) + 1
            command, shown, at = None, [], first_line
            for n, line in enumerate(block.group(2).splitlines()):
                if line.startswith("$ "):
                    if command is not None:
                        found.append((doc.name, at, command, shown))
                    command, shown, at = line[2:], [], first_line + n
                elif command is not None:
                    shown.append(line)
            if command is not None:
                found.append((doc.name, at, command, shown))
    return found


def saved_files(readme: str) -> dict[str, str]:
    """The files the README's tutorial says to save: `Save this as `NAME`:` before a block."""
    files = {}
    for block in BLOCK.finditer(readme):
        before = readme[:block.start()].rstrip().rsplit("\n\n", 1)[-1]
        m = re.search(r"Save this as\s+`([^`]+)`", before)
        if m:
            files[m.group(1)] = block.group(2)
    return files


def tutorial_folder(tmp_path: Path) -> Path:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files = saved_files(readme)
    assert {"mini.policy", "mini-case.yaml", "bad-case.yaml"} <= set(files)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether the printed lines are the shown ones, `…` lines standing for any lines."""
    shown = [line.rstrip() for line in shown]
    printed = [line.rstrip() for line in printed]
    while shown and not shown[-1]:
        shown.pop()
    while printed and not printed[-1]:
        printed.pop()
    if "…" not in (line.strip() for line in shown):
        return shown == printed
    runs: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "…":
            runs.append([])
        else:
            runs[-1].append(line)
    at = 0
    for k, run in enumerate(runs):
        if not run:
            continue
        if k == 0:  # the first run starts the output
            if printed[:len(run)] != run:
                return False
            at = len(run)
            continue
        for start in range(at, len(printed) - len(run) + 1):
            if printed[start:start + len(run)] == run:
                at = start + len(run)
                break
        else:
            return False
    return not runs[-1] or at == len(printed)  # a last run ends the output


EXAMPLES = console_examples()


def test_the_documents_have_console_examples() -> None:
    docs = {doc for doc, *_ in EXAMPLES}
    assert {"README.md", "testing.md", "diff.md", "explain.md"} <= docs


@pytest.mark.parametrize(("doc", "line", "command", "shown"), EXAMPLES,
                         ids=[f"{doc}:{line}" for doc, line, *_ in EXAMPLES])
def test_console_example(doc: str, line: int, command: str, shown: list[str], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    args = shlex.split(command)
    assert args[0] == "policyengine", f"{doc}:{line}: examples run policyengine"
    tutorial = doc == "README.md" and any(a.startswith(("mini", "bad-case")) for a in args)
    folder = tutorial_folder(tmp_path) if tutorial else ROOT
    if tutorial and "check mini.policy" in command:
        # "Misspell a name": the README has the reader type 基本份 for 基本分 in 综合得分's line
        policy = folder / "mini.policy"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("round(基本分", "round(基本份"), encoding="utf-8")
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, args[1:], catch_exceptions=False)
    printed = result.output.splitlines()
    assert matches(shown, printed), (f"{doc}:{line}: `{command}` printed\n" + result.output)


def test_matching_rules() -> None:
    assert matches(["a", "b"], ["a", "b", ""])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert matches(["a", "…", "c"], ["a", "b", "b", "c"])
    assert not matches(["a", "…", "c"], ["a", "b", "c", "d"])
    assert matches(["a", "…", "c", "…"], ["a", "b", "c", "d"])
    assert not matches(["a", "…", "c", "d", "…"], ["a", "c", "x", "d"])
    assert not matches(["b", "…"], ["a", "b"])


def test_shipped_rulesets_are_named_by_the_checkout_they_came_from(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """After `pip install .` the shipped rulesets live in site-packages; run from the
    checkout (as the README's examples are), messages name `rulesets/tax/2010.policy`
    when the checkout holds the same files, and the installed file when it does not."""
    import shutil

    from policyengine import api

    installed = tmp_path / "site-packages" / "shipped"
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__init__.py", "__pycache__")
    shutil.copytree(ROOT / "rulesets", installed, ignore=ignore)
    shutil.copytree(ROOT / "rulesets", checkout / "rulesets", ignore=ignore)
    monkeypatch.setattr(api, "shipped_root", lambda: installed)
    monkeypatch.chdir(checkout)
    assert api.locate_ruleset("tax@2010") == Path("rulesets/tax/2010.policy")
    # its `extends` is read from the checkout too
    assert api.load_ruleset("tax@2011").model.lineage == ("rulesets/tax/2010.policy", "rulesets/tax/2011.policy")
    result = CliRunner().invoke(main, ["diff", "tax@2010", "tax@2011", "-f", "table"])
    assert result.output.startswith("diff tax 2010 (rulesets/tax/2010.policy) → tax 2011 "
                                    "(rulesets/tax/2011.policy)\n")
    # an edited checkout is not what is installed: the installed file is named in full
    edited = checkout / "rulesets" / "commerce" / "2010.policy"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert api.locate_ruleset("tax@2010") == installed / "tax" / "2010.policy"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no checkout at all
    assert api.locate_ruleset("tax@2010") == installed / "tax" / "2010.policy"
