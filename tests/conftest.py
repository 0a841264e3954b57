"""Shared helpers: build rulesets from text, evaluate items, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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
