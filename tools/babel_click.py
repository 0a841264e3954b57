"""Babel extractor for the command line module: the `_()`/`N_()` calls, as Babel's own
Python extractor finds them, plus every help text click shows — each command's docstring
(cleaned as click cleans it) and the `help=`/`short_help=` strings of the decorators.

Used by babel.cfg (`PYTHONPATH=tools pybabel extract -F babel.cfg …`) and by the catalog
test, so that `policyengine --help` can be translated without `_()` in the decorators
(which run at import time, before the language is known)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.extract import extract_python


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Any]:
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            doc = ast.get_docstring(node, clean=True)
            commands = [d for d in node.decorator_list if isinstance(d, ast.Call)
                        and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "group")]
            if doc and commands:
                yield node.body[0].lineno, None, doc, []
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("help", "short_help") and isinstance(kw.value, ast.Constant) \
                        and isinstance(kw.value.value, str):
                    yield kw.value.lineno, None, kw.value.value, []
