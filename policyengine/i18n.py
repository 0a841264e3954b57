"""The interface's language: English, or Chinese (简体中文) from a GNU gettext catalog.

Every sentence a user reads goes through `_()`, written whole with named placeholders
(`_("unknown name '{name}'", name=n)`), so that a translator sees the sentence and can
move the placeholders where Chinese wants them. The catalog lives in
`policyengine/locale/zh_CN/LC_MESSAGES/policyengine.mo` (compiled from the `.po` next to
it with Babel, see docs/diagnostics.md) and is read only when a first message is
translated: `policyengine --help` and an English run never open it.

The language: `set_language()` (the CLI's `--lang zh|en`), else `POLICYENGINE_LANG`,
else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first one set, starting with
`zh`), else English. The environment's choice is remembered until one of those variables
changes.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "policyengine"
LOCALE_DIR = Path(__file__).parent / "locale"

_chosen: str | None = None
_catalog: gettext.NullTranslations | None = None


def set_language(lang: str | None) -> None:
    """Choose the language for what follows (None: back to the environment's choice)."""
    global _chosen
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    _chosen = lang


# the environment variables that decide, in the order they are read
_VARIABLES = ("POLICYENGINE_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
# The environment's choice, kept with the raw values it was made from: `_()` runs for every
# message, and reading os.environ (a key encoded, a value decoded, four times) cost more than
# the rest of it. The raw values are compared instead, in os.environ's own store, so that a
# change to the environment (a test's monkeypatch, CliRunner's env=) is still seen at once.
_from_environment: tuple[tuple[object, ...], str] | None = None


def _raw_environment() -> tuple[object, ...]:
    store = getattr(os.environ, "_data", None)
    if store is None or _KEYS is None:  # not CPython's os.environ: read it as a mapping
        return tuple(os.environ.get(name) for name in _VARIABLES)
    get = store.get
    first, second, third, fourth = _KEYS
    return get(first), get(second), get(third), get(fourth)


_encode = getattr(os.environ, "encodekey", None)
_KEYS = tuple(_encode(name) for name in _VARIABLES) if _encode is not None else None


def language() -> str:
    """`zh` or `en`, by the rule in the module's docstring."""
    global _from_environment
    if _chosen is not None:
        return _chosen
    raw = _raw_environment()
    known = _from_environment
    if known is not None and known[0] == raw:
        return known[1]
    chosen = language_of_environment(os.environ)
    _from_environment = (raw, chosen)
    return chosen


def language_of_environment(env: os._Environ[str] | dict[str, str]) -> str:
    asked = env.get("POLICYENGINE_LANG", "").strip().lower()
    if asked:
        return "zh" if asked.startswith("zh") else "en"
    # POSIX order: the first of these that is set decides (LANGUAGE is GNU's list, left to gettext)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _chinese() -> gettext.NullTranslations:
    global _catalog
    if _catalog is None:
        _catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"], fallback=True)
    return _catalog


def _(message: str, /, **values: object) -> str:
    """`message` in the interface's language, its `{name}` placeholders filled from `values`.

    Every message is a `str.format` string, with or without values: a literal brace is
    written `{{` (so the catalog test can compare the placeholders of both languages)."""
    if language() == "zh":
        message = _chinese().gettext(message)
    return message.format(**values)


def N_(message: str) -> str:
    """Marks `message` for the catalog without translating it now (for texts defined at import
    time, translated where they are shown)."""
    return message
