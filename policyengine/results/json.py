"""Reading a result written as JSON (`eval --format json -o FILE`): the case reader's JSON
parser (exact decimals, a key given twice refused), its messages under the result codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import CaseError


def read_json(text: str, path: Path) -> Any:
    from ..case.json import read_json as read_case_json
    from . import as_result_error

    try:
        return read_case_json(text, path)
    except CaseError as exc:
        raise as_result_error(exc) from None
