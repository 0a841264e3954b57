"""Deterministic generator of a tax-like workload for the benchmarks.

N risk points in units of about 105 (as the Luoyang bureau's 16 classes and 105 risk
points), each with the four 1..5 ratings, its power class (权力类别 + 权力), a yearly
frequency (运行次数) and, for a few, incidents found by inspections — mostly accepted
banquets (接受吃请) with an amount in yuan. The same N always gives the same bytes.

    python bench/generate.py 100000 bench/data/tax-100000.json
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SEED = 20100101
UNIT_SIZES = range(90, 121)  # a unit has about 105 risk points

# power -> class, with how often it occurs among a unit's risk points (55 enforcement, 50
# administrative in Luoyang's list)
POWERS: list[tuple[str, str, int]] = [
    ("征收权", "执法权", 10), ("管理权", "执法权", 9), ("检查权", "执法权", 8),
    ("强制权", "执法权", 6), ("处罚权", "执法权", 7), ("复议权", "执法权", 4),
    ("减免权", "执法权", 5), ("许可权", "执法权", 6),
    ("人事管理权", "行政管理权", 8), ("财务管理权", "行政管理权", 8),
    ("物资管理权", "行政管理权", 6), ("日常事务管理权", "行政管理权", 7),
    ("基建管理权", "行政管理权", 5), ("纪检监察管理权", "行政管理权", 6),
    ("信息管理权", "行政管理权", 5), ("后勤服务管理权", "行政管理权", 5),
]
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = (1, 3, 4, 3, 1)


def items(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """The first n risk points of the workload, as JSON-ready dicts (amounts as floats with
    at most 2 decimals: their shortest repr is the exact decimal text)."""
    rng = random.Random(seed)
    names = [p[0] for p in POWERS]
    weights = [p[2] for p in POWERS]
    classes = {p[0]: p[1] for p in POWERS}
    made = 0
    unit_number = 0
    while made < n:
        unit_number += 1
        unit = f"U{unit_number:05d}"
        size = min(rng.choice(UNIT_SIZES), n - made)
        for k in range(1, size + 1):
            power = rng.choices(names, weights)[0]
            item: dict[str, Any] = {
                "id": f"{unit}-{k:03d}",
                "单位": unit,
                "权力类别": classes[power],
                "权力": power,
                "运行次数": int(10 ** rng.uniform(0, 4.7)),
            }
            for dim in ("自由裁量度", "透明度", "可复核度", "制约度"):
                item[dim] = rng.choices(RATINGS, RATING_WEIGHTS)[0]
            if rng.random() < 0.04:
                events = []
                for _ in range(rng.choice((1, 1, 1, 2, 3))):
                    if rng.random() < 0.7:
                        amount = rng.randrange(5000, 500000) / 100  # 50.00 .. 4999.99 yuan
                        events.append({"类型": "接受吃请", "金额": amount})
                    else:
                        events.append({"类型": "信访举报"})
                item["事件"] = events
            made += 1
            yield item


def write_case(n: int, path: Path) -> Path:
    """Write an n-item JSON case file, one item per line (streamed: 1M items never sit in
    memory at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(f'{{"title": "基准测试 {n} 个风险点", "unit": "某省税务系统", "period": 2010,\n'
                  ' "items": [\n')
        first = True
        for item in items(n):
            if not first:
                out.write(",\n")
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            first = False
        out.write("\n]}\n")
    tmp.replace(path)
    return path


def case_path(n: int, folder: Path | None = None) -> Path:
    """The cached case file for n items, generated on first use."""
    folder = folder or Path(__file__).resolve().parent / "data"
    path = folder / f"tax-{n}.json"
    if not path.exists():
        write_case(n, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/generate.py N OUT.json")
    write_case(int(sys.argv[1]), Path(sys.argv[2]))
