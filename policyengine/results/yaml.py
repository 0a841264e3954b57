"""Reading a result written as YAML (`eval --format yaml -o FILE`): the case reader's safe
YAML loader (exact decimals, a key given twice refused, alias bombs stopped), its messages
under the result codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import CaseError


def read_yaml(text: str, path: Path) -> Any:
    from ..case.yaml import read_yaml as read_case_yaml
    from . import as_result_error

    try:
        return read_case_yaml(text, path)
    except CaseError as exc:
        raise as_result_error(exc) from None
