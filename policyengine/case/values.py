"""Limits and small value helpers shared by the case readers and validation."""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

MAX_LIST_LENGTH = 10_000
MAX_ERRORS = 50
MAX_NODES = 50_000_000  # what YAML aliases may expand to
ALIAS_EXPANSION = 2_000_000  # past this many values, aliases may at most double a file
ALIAS_GROWTH = 2
MAX_DIGITS = 30
MAX_MAGNITUDE = Decimal(10) ** 18
_WHOLE_YEAR = re.compile(r"[0-9]{1,6}")


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal) and v == v.to_integral_value():
        return int(v)
    return v


def _modest(v: Decimal | float) -> bool:
    """A finite number of at most MAX_DIGITS digits before the point and after it: safe to
    turn into an int or exact text (1e999999999 would take minutes and gigabytes, 1e-999999
    prints a megabyte)."""
    d = v if isinstance(v, Decimal) else Decimal(str(v)) if v == v and abs(v) != float("inf") else None
    return d is not None and d.is_finite() and d.as_tuple().exponent >= -MAX_DIGITS and (  # type: ignore[operator]
        d.is_zero() or d.adjusted() < MAX_DIGITS)


def _describe(value: Any) -> str:
    """A value a case gave, as a message names it (in the interface's language)."""
    from ..i18n import _

    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, str):
        return _('text "{text}"', text=value) if len(value) < 40 else _("text")
    if isinstance(value, (Decimal, int, float)):
        return _("number {value}", value=value)
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, _dt.date):
        return _("date {value}", value=value)
    return type(value).__name__
