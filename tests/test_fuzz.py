"""The fuzz harness (tests/fuzz/): a few examples in the default suite, many under -m slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from .fuzz.inputs import Example, examples
from .fuzz.oracle import run

SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
# the default suite must not be flaky: the short run draws the same examples every time


@settings(max_examples=8, derandomize=True, **SETTINGS)  # type: ignore[arg-type]
@given(examples())
def test_fuzz_short(tmp_path_factory: pytest.TempPathFactory, example: Example) -> None:
    run(example, tmp_path_factory.mktemp("fuzz"))


@pytest.mark.slow
@settings(max_examples=400, **SETTINGS)  # type: ignore[arg-type]
@given(examples())
def test_fuzz_long(tmp_path_factory: pytest.TempPathFactory, example: Example) -> None:
    run(example, tmp_path_factory.mktemp("fuzz"))


def test_oracle_catches_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness must be able to fail: an exception inside a verb is reported."""
    from .fuzz import oracle

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("planted")

    monkeypatch.setattr(oracle, "check_model", boom)
    example = Example("input x: number\n", "dsl", '{"items": [{"id": "I0", "x": 1}]}', "json", True, True,
                      [{"id": "I0", "x": 1}])
    with pytest.raises(oracle.Broken, match="KeyError"):
        run(example, tmp_path)
