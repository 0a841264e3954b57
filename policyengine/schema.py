"""The JSON Schema of a ruleset's case files (`policyengine schema`).

Editors use it to validate case files as they are typed; the test suite checks
that it accepts and rejects exactly what case.validate does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .case import MAX_DIGITS, input_type
from .model import Dimension, Input, Ruleset, TypeSpec, all_rollups, rollup_ruleset
from .runtime import format_number

_NUMERAL = re.compile(r"-?\d+(\.\d+)?")


def _num(d: Any) -> Any:
    # an exact Decimal, not a float: the JSON writer prints Decimals exactly and refuses floats
    text = format_number(d)
    return int(text) if "." not in text else Decimal(text)


def type_schema(spec: TypeSpec) -> dict[str, Any]:
    kind = spec.kind
    if kind in ("number", "integer", "range"):
        out: dict[str, Any] = {"type": "integer" if kind == "integer" else "number"}
        if spec.minimum is not None:
            out["exclusiveMinimum" if spec.min_exclusive else "minimum"] = _num(spec.minimum)
        if spec.maximum is not None:
            out["exclusiveMaximum" if spec.max_exclusive else "maximum"] = _num(spec.maximum)
        return out
    if kind == "text":
        return {"type": "string"}
    if kind == "enum":
        # a label that reads as a number may be written as one (`级别: 2`): the validator
        # accepts both, so the schema does too
        # (a case number has at most MAX_DIGITS digits: a longer numeral label is only text)
        numbers = [_num(Decimal(v)) for v in spec.values
                   if _NUMERAL.fullmatch(v) and len(v.replace("-", "").replace(".", "")) <= MAX_DIGITS]
        return {"enum": [*spec.values, *numbers]}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    if kind == "list":
        props = {f.name: type_schema(f.type) for f in spec.fields}
        required = [f.name for f in spec.fields if f.default is None]
        element: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            element["required"] = required
        return {"type": "array", "items": element, "maxItems": 10_000}
    raise AssertionError(kind)  # pragma: no cover


def item_schema(rs: Ruleset) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"type": ["string", "integer"], "description": "unique in the file"},
        "name": {"type": ["string", "number"]},
    }
    required = ["id"]
    for decl in rs.declarations:
        if not isinstance(decl, (Input, Dimension)):
            continue
        schema = type_schema(input_type(decl))
        if isinstance(decl, Dimension) or (decl.default is None and decl.type.kind != "list" and not decl.carried):
            required.append(decl.name)
        elif decl.default is not None or decl.type.kind == "list":
            # the validator reads null as "not given": the default (or an empty list) applies
            schema = {"anyOf": [schema, {"type": "null"}]}
        doc = decl.doc
        if doc:
            schema["description"] = doc
        props[decl.name] = schema
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def units_schema(rs: Ruleset) -> dict[str, Any]:
    """The case's `units:` section: per rollup, a list of its units shaped like items."""
    props = {}
    required = []
    for r in all_rollups(rs.declarations):
        props[r.name] = {"type": "array", "items": item_schema(rollup_ruleset(rs, r)),
                         "description": f"the units of rollup {r.name}: id = the items' {r.by}"}
        if any(isinstance(d, (Input, Dimension)) for d in r.declarations):
            required.append(r.name)
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def case_schema(rs: Ruleset) -> dict[str, Any]:
    schema = _case_schema(rs)
    if rs.rollups:  # a ruleset without rollups keeps the schema it always had
        schema["properties"]["units"] = units_schema(rs)
        schema["properties"]["expect_units"] = {"type": "object", "additionalProperties": {"type": "object"}}
        schema["properties"]["expect_units_summary"] = {"type": "object", "additionalProperties": {"type": "object"}}
        if "required" in schema["properties"]["units"]:
            schema["required"].append("units")
    return schema


def _case_schema(rs: Ruleset) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Case file for ruleset {rs.id}" + (f" {rs.version}" if rs.version else ""),
        "type": "object",
        "properties": {
            "ruleset": {"type": "string"},
            "title": {"type": "string"},
            "unit": {"type": "string"},
            "period": {"type": ["string", "integer"]},
            "previous": {"oneOf": [{"type": "string", "minLength": 1},
                                   # `previous: []`: a first period, for a ruleset that reads earlier results
                                   {"type": "array", "items": {"type": "string", "minLength": 1}}],
                         "description": "earlier periods, relative to the case file: results written by eval -o "
                                        "(.json, .yaml, .xlsx), or case files, evaluated first"},
            "items": {"type": "array", "items": item_schema(rs), "minItems": 1},
            "expect": {"type": "object", "additionalProperties": {"type": "object"}},
            "expect_summary": {"type": "object"},
        },
        "required": ["items"],
        "additionalProperties": False,
    }
