"""Reading a result written as JSON (`eval --format json -o FILE`).

A result can be a hundred thousand items (50 MB), so the usual read is the fast one:
`json.loads` with every number an exact decimal and no hook per object (a hook is a
Python call for each of the half million objects). A key given twice would then go
unnoticed, so the reader also counts the keys the text holds (`":`, the way this tool
writes them) for `read_result` to compare with the keys the decoded tree holds: when the
counts differ, or the text writes keys another way, the file is read again by the case
reader's strict parser, which refuses a key given twice at its line and column.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic
from ..i18n import _

_SPACED_KEY = re.compile(r'"[ \t\r\n]+:')


def read_json(text: str, path: Path) -> tuple[Any, int | None]:
    """The decoded tree, and the number of keys the text writes (None: not known)."""
    from . import ResultFileError

    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise ResultFileError(Diagnostic("PE351", _("invalid JSON: {msg}", msg=exc.msg), file=str(path),
                                         line=exc.lineno,
                                         column=exc.colno)) from None
    except RecursionError:
        raise ResultFileError(Diagnostic("PE351", _("JSON nested too deeply"), file=str(path))) from None
    keys = None if _SPACED_KEY.search(text) else text.count('":')
    return data, keys


def read_json_strictly(text: str, path: Path) -> Any:
    """The case reader's parser: every number an exact decimal, a key given twice refused."""
    from ..case.json import read_json as read_case_json
    from . import as_result_error

    try:
        return read_case_json(text, path)
    except CaseError as exc:
        raise as_result_error(exc) from None
