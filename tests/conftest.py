"""Shared helpers: build rulesets from text, evaluate items, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The tests read English messages whatever the developer's locale (a Chinese LANG would
# otherwise switch every message to Chinese); the Chinese interface's tests ask for it.
os.environ["POLICYENGINE_LANG"] = "en"


def ruleset(text: str, file: str = "<test>") -> Any:
    from policyengine.api import ruleset_from_text

    return ruleset_from_text(textwrap.dedent(text), file)


def evaluate(text: str, items: list[dict[str, Any]], **header: Any) -> Any:
    import policyengine as pe

    return ruleset(text).evaluate(pe.Case(items=items, **header))


def shipped_cases() -> Iterator[tuple[Path, Any, Any]]:
    """Every shipped case that names its ruleset: its path, its ruleset and the case, with
    the earlier results its `previous:` list names attached, as `eval` reads them."""
    import policyengine as pe
    from policyengine.case import load_case
    from policyengine.previous import attach_earlier

    for path in sorted(p for p in (ROOT / "cases").glob("*/*.yaml") if "ruleset:" in p.read_text(encoding="utf-8")):
        case = load_case(path)
        rs = pe.load_ruleset(case.ruleset, base=path.parent)
        attach_earlier(case, rs.id)
        yield path, rs, case


def D(x: str | int) -> Decimal:  # reads like the literal it stands for
    return Decimal(str(x))


def cli(*args: str, cwd: Path | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    """Run the installed CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "policyengine", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=timeout)


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
