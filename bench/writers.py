"""Writing a result: from the evaluated slot lists against building an ItemResult per item.

    python3 bench/writers.py                    # 100k items, JSON, YAML and CSV, 3 rounds
    python3 bench/writers.py --items 20000 --rounds 5 --formats yaml

The JSON, YAML and CSV writers make the text of items not read yet from their slot lists
(docs/performance.md, "Writing the result"). The other way, which every writer took before
and still takes for items already read, builds each item's ItemResult in passing and
writes that object. Both ways run here on the same evaluated result of bench/tax-bench.policy
(ranked within units, sanctions on about 4% of the items), in alternating rounds, with the
collector on (bench/measure.py); the object way is reached by handing the writers the
same slot lists without the output plan they read. The two texts must be the same bytes,
or no figure is printed. Evaluation is not timed: only writing the whole document to a
string, as `eval -o FILE` writes it in pieces.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import generate  # noqa: E402
from measure import alternating, header, load, median_ratio, spread  # noqa: E402

import policyengine as pe  # noqa: E402
from policyengine.render import csv_chunks, json_chunks, yaml_chunks  # noqa: E402

WRITERS = {"json": json_chunks, "yaml": yaml_chunks, "csv": csv_chunks}


def without_plan(result: Any) -> Any:
    """The same result, its items the same slot lists but without the output plan: every
    writer then builds each item in passing and writes the object (the way before)."""
    return dataclasses.replace(result, items=result.items.without_plan())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default="json,yaml,csv")
    options = parser.parse_args()
    rs = pe.load_ruleset(HERE / "tax-bench.policy")
    case = pe.load_case(generate.case_path(options.items))
    header(f"policyengine {pe.__version__} · {options.items:,} items · {options.rounds} rounds")
    texts: dict[str, str] = {}

    def keep(name: str) -> Any:
        return lambda text: texts.__setitem__(name, text)

    for fmt in options.formats.split(","):
        chunks = WRITERS[fmt]
        texts.clear()

        # a fresh result for each run: a result once written from objects has them all built
        runs = {"slot lists": lambda chunks=chunks: "".join(chunks([rs.evaluate(case)])),
                "objects": lambda chunks=chunks: "".join(chunks([without_plan(rs.evaluate(case))])),
                "evaluate alone": lambda: rs.evaluate(case) and None}
        times = alternating(runs, options.rounds, {"slot lists": keep("slot lists"), "objects": keep("objects")})
        if texts["slot lists"] != texts["objects"]:
            print(f"{fmt}: the two ways wrote different text")
            return 1
        alone = times["evaluate alone"]
        fast = [t - e for t, e in zip(times["slot lists"], alone, strict=True)]
        slow = [t - e for t, e in zip(times["objects"], alone, strict=True)]
        print(f"{fmt:<5} writing {options.items:,} items: from the slot lists {spread(fast)}, "
              f"building each item {spread(slow)}; {median_ratio(slow, fast):.1f}× (median of the per-round "
              f"ratios; evaluation, {spread(alone)}, subtracted round by round); same bytes")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
