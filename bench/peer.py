"""The benchmark rules for a peer engine: GoRules ZEN (Rust, with Python bindings).

ZEN evaluates one item per call and cannot rank items against each other, so it runs
the flat rules only (tax-bench-flat.policy): the two coefficient tables as decision
tables, the base score, the composite score and the fine as expressions, the grade by
score bands. ZEN's numbers are decimals too, and its round() rounds half away from zero,
which for these non-negative scores is 四舍五入; run.py checks that all three agree.

Not a dependency of policyengine: `pip install zen-engine` to include it in bench/run.py.
Field names are ASCII because ZEN's expression language has no CJK identifiers; the
conversion happens before the clock starts.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from handwritten import STRENGTH

DIMENSIONS = {"自由裁量度": "d1", "透明度": "d2", "可复核度": "d3", "制约度": "d4"}


def _node(node_id: str, kind: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id, "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = {"passThrough": True, "inputField": None, "outputPath": None,
                           "executionMode": "single", **content}
    return node


def _table(node_id: str, field: str, output: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    return _node(node_id, "decisionTableNode", {
        "hitPolicy": "first",
        "inputs": [{"id": "in", "name": field, "field": field}],
        "outputs": [{"id": "out", "name": output, "field": output}],
        "rules": [{"_id": f"{node_id}{n}", "in": test, "out": value} for n, (test, value) in enumerate(rows)],
    })


def graph() -> str:
    """The JDM graph of the flat benchmark rules."""
    by_value: dict[float, list[str]] = {}
    for power, value in STRENGTH.items():
        by_value.setdefault(value, []).append(power)
    strength = [(", ".join(f"'{p}'" for p in powers), str(value)) for value, powers in by_value.items()]
    nodes = [
        _node("input", "inputNode"),
        _table("strength", "power", "strength", [*strength, ("", "1.0")]),
        _table("frequency", "times", "frequency",
               [(">= 1000", "1.2"), (">= 100", "1.1"), (">= 10", "1.0"), ("", "0.9")]),
        _node("score", "expressionNode", {"expressions": [
            {"id": "base", "key": "base", "value": "(d1 + d2 + d3 + d4) * 5"},
            {"id": "score", "key": "score", "value": "round($.base * strength * frequency, 2)"},
            {"id": "fine", "key": "fine",
             "value": "sum(map(filter(events, #.kind == 'banquet'), #.amount * 10))"},
        ]}),
        _table("grade", "score", "grade", [(">= 100", "'高风险'"), ("< 50", "'低风险'"), ("", "'一般风险'")]),
        _node("output", "outputNode"),
    ]
    order = [n["id"] for n in nodes]
    edges = [{"id": f"e{k}", "sourceId": a, "targetId": b, "type": "edge"}
             for k, (a, b) in enumerate(pairwise(order))]
    return json.dumps({"nodes": nodes, "edges": edges}, ensure_ascii=False)


def inputs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with ASCII field names (incidents: kind and amount)."""
    out = []
    for it in items:
        row = {short: it[name] for name, short in DIMENSIONS.items()}
        row["power"] = it["权力"]
        row["times"] = it["运行次数"]
        row["events"] = [{"kind": "banquet" if e["类型"] == "接受吃请" else "other", "amount": e.get("金额", 0)}
                         for e in it.get("事件", ())]
        out.append(row)
    return out


KEY = "tax-bench-flat"


def engine() -> Any:
    """One ZEN runtime for the whole run, holding the decision: handed to it once, by ZEN's
    static loader, so that `ZenEngine.evaluate` finds it by key in the runtime with no call
    back into Python per item. (A Python loader callback handing out one parsed
    `ZenDecisionContent`, as ZEN's Python guide shows, is called on every evaluate: about
    10% slower, measured. `ZenEngine.get_decision(...).evaluate` builds a runtime per call:
    10-20× slower; not how a service calls ZEN.)"""
    import zen

    return zen.ZenEngine({"loader": {"type": "static", "content": {KEY: json.loads(graph())}}})


def assess(engine: Any, rows: list[dict[str, Any]]) -> list[tuple[Any, str, Any]]:
    """One `ZenEngine.evaluate` call per item, as a per-item rules engine is used."""
    evaluate = engine.evaluate
    out = []
    for row in rows:
        r = evaluate(KEY, row)["result"]
        out.append((r["score"], r["grade"], r["fine"]))
    return out
