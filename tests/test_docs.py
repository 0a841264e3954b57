"""The documentation keeps its promises: every diagnostic code is documented,
and the README's test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_diagnostic_code_is_documented() -> None:
    used = set()
    for path in (ROOT / "policyengine").rglob("*.py"):  # packages too (case/, render/, …)
        used |= set(re.findall(r'"(PE\d{3})"', path.read_text(encoding="utf-8")))
    documented = set(re.findall(r"\| (PE\d{3}) \|", (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")))
    assert sorted(used - documented) == []


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- test-command", 1)[1].split("```sh\n", 1)[1].split("\n", 1)[0]
    # the browser the report tests drive comes from Debian; then the test extra, then pytest
    assert block.endswith("python3 -m pip install '.[test]' && python3 -m pytest -q")
    assert "apt-get install" in block and " chromium " in block
    assert "README.md" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_package_is_installed() -> None:
    # pyproject lists the packages by hand (the grammar and the shipped rulesets are mapped
    # from other folders): a package missing there imports from a checkout but not from a
    # wheel, where the command then fails with ModuleNotFoundError
    line = re.search(r"^packages = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert line is not None
    listed = set(re.findall(r'"([^"]+)"', line.group(1)))
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "policyengine").rglob("__init__.py")}
    assert sorted(found - listed) == []
