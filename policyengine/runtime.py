"""The runtime boundary: everything generated code may call, and nothing else.

Compiled rulesets are Python source produced by compile.py from the checked
model (never from user text directly: names become slot numbers and literals
become constants). That source runs with exactly this module's public names as
its globals, plus its own constants.
"""

from __future__ import annotations

import builtins as _builtins
import typing as _typing
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from .i18n import _

if _typing.TYPE_CHECKING:  # generated code sees only public names: keep imports private
    from collections.abc import Callable

# Exact arithmetic: 40 significant digits is far beyond any published figure, so
# + - * on bounded inputs never round; only division can (1/3), and then half-up.
CONTEXT = Context(
    prec=40,
    rounding=ROUND_HALF_UP,
    # magnitudes within 10^±999: a chain of lets squaring a number could otherwise reach
    # 10^999999 and print a megabyte per item (past Emax: PE406; below Emin: towards 0)
    Emax=999,
    Emin=-999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)


class RuleFailure(Exception):
    """Raised by generated code; evaluate.py turns it into an EvaluationError."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class StageFailure(Exception):
    """Generated code failed at `marker` while evaluating the item in `slots`."""

    def __init__(self, marker: int, slots: list | None, cause: BaseException):
        super().__init__(str(cause))
        self.marker = marker
        self.slots = slots
        self.cause = cause


class NoRowMatched(RuleFailure):
    def __init__(self, table: str, values: tuple):
        shown = ", ".join(show(v) for v in values)
        super().__init__("PE402", _("no row of table '{table}' matches ({values})", table=table, values=shown))
        self.table = table
        self.values = values


class RowsConflict(RuleFailure):
    """Two rows of a unique table both match, or two rows of an any table disagree (`hit`:
    "unique" or "any"); `rows` are 1-based row numbers. `say` words it again with the rows'
    lines (evaluate.py); the table's name is a value of the message, never part of its template."""

    def __init__(self, table: str, rows: tuple[int, int], hit: str):
        self.table = table
        self.rows = rows
        self.hit = hit
        super().__init__("PE403", self.say(_("rows {first} and {second}", first=rows[0], second=rows[1])))

    def say(self, rows: str) -> str:
        if self.hit == "unique":
            return _("unique table '{table}': {rows} both match", table=self.table, rows=rows)
        return _("'any' table '{table}': {rows} match but give different outputs", table=self.table, rows=rows)


class Absent:
    """The value of `previous.X` for an item that the latest earlier result does not list."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def prior(value: object, name: str) -> object:
    """`previous.NAME`: its value, or a located error for an item new this period."""
    if value is ABSENT:
        raise RuleFailure("PE435", _("previous.{name}: the item is new this period (the latest earlier result "
                                     "does not list it), so it has no previous value; test 'new' first, e.g. "
                                     "if new then … else previous.{name}", name=name))
    return value


def no_row(table: str, *values: object) -> None:
    raise NoRowMatched(table, values)


def overlap(table: str, first: int, second: int) -> None:
    raise RowsConflict(table, (first, second), "unique")


def disagree(table: str, first: int, second: int) -> None:
    raise RowsConflict(table, (first, second), "any")


def no_grade(scale: str) -> None:
    raise RuleFailure("PE408", _("no line of grade '{scale}' applies (add an 'otherwise' line)",
                                 scale=scale))


def no_cell(scale: str, row: object, column: object) -> None:
    raise RuleFailure("PE407", _("matrix of '{scale}' has no cell for ({row}, {column})",
                                 scale=scale, row=show(row), column=show(column)))


def traced_call(trace: dict, marker: int, table: str, fn: Callable[..., tuple], args: tuple,
                free: tuple) -> object:
    """Trace mode: call table `fn`, record its arguments, the row that matched and the value
    under the node (`marker`) that called it, and return the value."""
    row, value = fn(trace, marker, *args, *free)
    trace.setdefault("calls", []).append((table, row, value, args, marker))
    return value


def rnd(x: Decimal, quantum: Decimal) -> Decimal:
    """四舍五入: round half away from zero at the quantum's exponent."""
    return x.quantize(quantum, ROUND_HALF_UP)


def quantum(digits: Decimal) -> Decimal:
    if digits != digits.to_integral_value() or not -10 <= digits <= 20:
        raise RuleFailure("PE406", _("round() keeps a whole number of digits from -10 to 20, "
                                     "not {digits}",
                                     digits=digits))
    return ONE.scaleb(-int(digits))


def floor(x: Decimal) -> Decimal:
    return x.to_integral_value(ROUND_FLOOR)


def ceil(x: Decimal) -> Decimal:
    return x.to_integral_value(ROUND_CEILING)


def num(n: int) -> Decimal:
    return Decimal(n)


def fire(fired: tuple | list, sanction: tuple) -> list:
    """An item's sanctions fired so far, with one more. Until one fires they are the
    shared empty tuple, not a list per item: most items fire none, and a list per item
    was as many objects again as the items' slot lists for the garbage collector to walk."""
    if fired.__class__ is list:
        fired.append(sanction)  # type: ignore[union-attr]
        return fired  # type: ignore[return-value]
    return [*fired, sanction]


def total(values: object) -> Decimal:
    result = ZERO
    for v in values:  # type: ignore[attr-defined]
        result += v
    return result


def smallest(values: list) -> object:
    if not values:
        raise RuleFailure("PE405", _("min() of an empty list"))
    return min(values)


def largest(values: list) -> object:
    if not values:
        raise RuleFailure("PE405", _("max() of an empty list"))
    return max(values)


def average(values: list) -> Decimal:
    if not values:
        raise RuleFailure("PE405", _("mean() of an empty list"))
    return total(values) / len(values)


def share(flags: list) -> Decimal:
    """The share of true flags: `share(i in items where c)`, a count over the group's size."""
    return _share(sum(flags), len(flags))


def share_of(kept: list, group: list) -> Decimal:
    """`share(…)` in trace mode: the kept items over the group's size."""
    return _share(len(kept), len(group))


def _share(count: int, size: int) -> Decimal:
    if not size:
        raise RuleFailure("PE405", _("share() of an empty list"))
    return Decimal(count) / size


def counted(trace: dict, index: int, kept: list) -> list:
    """Record which items a rollup's aggregate kept (trace mode), and pass them on."""
    trace[("agg", index)] = kept
    return kept


def days(start: object, end: object) -> Decimal:
    return Decimal((end - start).days)  # type: ignore[operator]


def show(v: object) -> str:
    if isinstance(v, Decimal):
        return format_number(v)
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def format_number(v: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 109.20 -> 109.2, 8E+3 -> 8000."""
    text = format(v.normalize(CONTEXT), "f")
    return "0" if text == "-0" else text


def load_generated(source: str, filename: str, namespace: dict, builtins: tuple[str, ...]) -> dict:
    """Run generated source in `namespace` with only the named built-ins: no `__import__`,
    `open`, `eval` or `getattr`, so even a bug that let text into the source could not
    reach the system. Returns the namespace with the functions it defined."""
    namespace["__builtins__"] = {name: getattr(_builtins, name) for name in builtins}
    exec(compile(source, filename, "exec"), namespace)
    return namespace
