#!/usr/bin/env python3
"""Generate the Luoyang state-tax bureau case files (illustrative data).

    python3 cases/tax/make_luoyang_2010.py          # rewrites both case files
    python3 cases/tax/make_luoyang_2010.py --check  # exit 1 if either file is stale

Writes, next to this script:

  luoyang-2010.yaml   105 risk points, 2010 events, evaluated with rulesets/tax/2010.policy
  luoyang-2011.yaml   the same 105 risk points (same ratings and 运行次数, so that
                      `policyengine diff 2010 2011 --cases …` isolates the rule change),
                      2011 events, evaluated with rulesets/tax/2011.policy

The seed (000_df948db93874fef5.txt 第一篇) gives only the structure of the inventory:
16 classes, 105 risk points, 执法权 8 classes / 55 kinds, 行政管理权 8 classes / 50 kinds.
The names below are realistic state-tax powers, but every rating, frequency and event is
ILLUSTRATIVE, chosen by hand (no randomness) so that the golden `expect:` blocks exercise
the interesting cases: a tie at rank 10, the first item below the edge, half-up rounding
of a third decimal 5, several events per item, and both sanctions.

Only the part above the marker line EXPECT_MARKER is generated. Everything from that
line on (the hand-computed `expect:` block) is kept as it is when the file is rewritten,
so re-running the script never touches hand-written golden values.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECT_MARKER = "# ==== hand-computed expectations (kept by make_luoyang_2010.py) ===="

# Category → (id prefix, classes in seed order). Each class: (权力, id code).
CLASSES = {
    "执法权": ("ZF", [("征收权", "ZS"), ("管理权", "GL"), ("检查权", "JC"), ("强制权", "QZ"),
                      ("处罚权", "CF"), ("复议权", "FY"), ("减免权", "JM"), ("许可权", "XK")]),
    "行政管理权": ("XZ", [("人事管理权", "RS"), ("财务管理权", "CW"), ("物资管理权", "WZ"),
                          ("日常事务管理权", "RC"), ("基建管理权", "JJ"), ("纪检监察管理权", "JW"),
                          ("信息管理权", "XX"), ("后勤服务管理权", "HQ")]),
}

# One row per risk point: (权力, name, ratings, 运行次数, leader)
# ratings = "abcd" = 自由裁量度 透明度 可复核度 制约度, each 1..5.
# Ids are numbered in the order of this list within each class: ZF-ZS-01, ZF-ZS-02, …
POINTS = [
    # ---- 执法权 征收权 (10)
    ("征收权", "税款核定",                 "4334", 12000, False),
    ("征收权", "纳税申报受理",             "2232", 50000, False),
    ("征收权", "税款征收入库",             "2222", 30000, False),
    ("征收权", "延期缴纳税款审批",         "4333",   300, False),
    ("征收权", "欠税管理",                 "3333",  2000, False),
    ("征收权", "个体工商户定额核定",       "4443",  8000, False),
    ("征收权", "税款退库",                 "3332",   400, False),
    ("征收权", "代扣代缴手续费支付",       "3223",    60, False),
    ("征收权", "发票代开",                 "2323",  5000, False),
    ("征收权", "委托代征管理",             "3323",    80, False),
    # ---- 执法权 管理权 (9)
    ("管理权", "税务登记",                 "2222",  4000, False),
    ("管理权", "发票发售",                 "3223", 20000, False),
    ("管理权", "一般纳税人资格认定",       "3333",   700, False),
    ("管理权", "纳税评估",                 "4444",  3000, False),
    ("管理权", "非正常户认定",             "3233",   250, False),
    ("管理权", "税收优惠备案",             "3322",   900, False),
    ("管理权", "出口退税审核",             "4334",   500, False),
    ("管理权", "纳税信用等级评定",         "4333",   120, False),
    ("管理权", "税源监控",                 "2332",  1000, False),
    # ---- 执法权 检查权 (8)
    ("检查权", "税务稽查选案",             "5454",  1500, False),
    ("检查权", "稽查实施",                 "3434",   900, False),
    ("检查权", "稽查审理",                 "4444",   600, True),
    ("检查权", "稽查执行",                 "3333",   400, False),
    ("检查权", "日常检查",                 "3223",  2500, False),
    ("检查权", "专项检查",                 "4322",    60, False),
    ("检查权", "发票协查",                 "2232",   800, False),
    ("检查权", "案件举报受理",             "3332",   150, False),
    # ---- 执法权 强制权 (6)
    ("强制权", "税收保全措施",             "4333",    40, False),
    ("强制权", "强制执行措施",             "5334",   150, False),
    ("强制权", "阻止出境",                 "3222",     3, False),
    ("强制权", "扣押商品货物",             "4333",    25, False),
    ("强制权", "查封财产",                 "4332",    18, False),
    ("强制权", "拍卖变卖抵税财物",         "5334",     6, False),
    # ---- 执法权 处罚权 (7)
    ("处罚权", "一般程序行政处罚",         "3323",   600, False),
    ("处罚权", "简易程序处罚",             "3222",  3500, False),
    ("处罚权", "发票违章处罚",             "3322",   700, False),
    ("处罚权", "逾期申报罚款",             "2222",  4200, False),
    ("处罚权", "偷税罚款裁量",             "5444",  1200, False),
    ("处罚权", "加收滞纳金",               "1212",  9000, False),
    ("处罚权", "处罚听证",                 "2112",     8, False),
    # ---- 执法权 复议权 (4)
    ("复议权", "复议申请受理",             "1121",     9, False),
    ("复议权", "复议审理",                 "2122",     7, False),
    ("复议权", "复议决定",                 "2222",     7, True),
    ("复议权", "行政赔偿",                 "1111",     2, False),
    # ---- 执法权 减免权 (6)
    ("减免权", "减免税审批",               "5444",  1100, True),
    ("减免权", "残疾人就业减免",           "3223",   120, False),
    ("减免权", "福利企业退税",             "3333",    90, False),
    ("减免权", "增值税即征即退",           "4333",  1300, False),
    ("减免权", "企业所得税减免",           "4333",   200, False),
    ("减免权", "财产损失税前扣除审批",     "4334",    60, False),
    # ---- 执法权 许可权 (5)
    ("许可权", "专用发票最高开票限额审批", "4333",   450, False),
    ("许可权", "发票准印证核发",           "2222",     3, False),
    ("许可权", "印有企业名称发票审批",     "2212",    30, False),
    ("许可权", "延期申报核准",             "2221",   140, False),
    ("许可权", "税控装置使用审批",         "2122",     5, False),
    # ---- 行政管理权 人事管理权 (9)
    ("人事管理权", "干部选拔任用",         "5445",    40, True),
    ("人事管理权", "公务员招录",           "4334",    15, False),
    ("人事管理权", "干部交流轮岗",         "4333",    60, False),
    ("人事管理权", "职称评定",             "3333",    80, False),
    ("人事管理权", "年度考核评优",         "3323",   300, False),
    ("人事管理权", "人员调配",             "3333",    25, False),
    ("人事管理权", "工资福利核定",         "2232",   400, False),
    ("人事管理权", "教育培训选派",         "3223",    60, False),
    ("人事管理权", "离退休管理",           "2222",   150, False),
    # ---- 行政管理权 财务管理权 (9)
    ("财务管理权", "经费预算编制",         "4333",     3, True),
    ("财务管理权", "经费支出审批",         "4334",  1800, True),
    ("财务管理权", "公务接待费管理",       "4433",   600, False),
    ("财务管理权", "差旅费报销",           "2232",  3000, False),
    ("财务管理权", "专项资金管理",         "4333",    80, False),
    ("财务管理权", "银行账户管理",         "3233",    10, False),
    ("财务管理权", "代征手续费核拨",       "3333",    40, False),
    ("财务管理权", "政府采购资金支付",     "3333",   200, False),
    ("财务管理权", "财务收支审计",         "2223",     4, False),
    # ---- 行政管理权 物资管理权 (7)
    ("物资管理权", "大宗物品采购",         "4444",   150, False),
    ("物资管理权", "办公用品采购",         "3222",   200, False),
    ("物资管理权", "固定资产处置",         "4333",    35, False),
    ("物资管理权", "车辆购置",             "4333",     6, False),
    ("物资管理权", "车辆维修加油定点",     "3333",  2000, False),
    ("物资管理权", "税务票证印制采购",     "3333",     8, False),
    ("物资管理权", "资产清查",             "2222",     1, False),
    # ---- 行政管理权 日常事务管理权 (7)
    ("日常事务管理权", "公文处理",         "2112",  5000, False),
    ("日常事务管理权", "会议安排",         "1111",   300, False),
    ("日常事务管理权", "印章管理",         "2212",  2000, False),
    ("日常事务管理权", "档案管理",         "1212",   800, False),
    ("日常事务管理权", "信访接待",         "2222",   150, False),
    ("日常事务管理权", "督查督办",         "2223",    90, False),
    ("日常事务管理权", "对外宣传",         "2111",   100, False),
    # ---- 行政管理权 基建管理权 (5)
    ("基建管理权", "基建项目立项",         "4444",     4, True),
    ("基建管理权", "工程招投标",           "5444",    12, False),
    ("基建管理权", "工程款拨付",           "4344",    30, False),
    ("基建管理权", "工程变更签证",         "4434",     8, False),
    ("基建管理权", "竣工决算审计",         "3333",     3, False),
    # ---- 行政管理权 纪检监察管理权 (5)
    ("纪检监察管理权", "信访举报处理",     "3233",   260, False),
    ("纪检监察管理权", "案件调查处理",     "4333",    15, True),
    ("纪检监察管理权", "执法监察",         "3323",    40, False),
    ("纪检监察管理权", "抽查复核",         "3332",   120, False),
    ("纪检监察管理权", "廉政回访",         "2221",   500, False),
    # ---- 行政管理权 信息管理权 (4) — class name assumed (假设 A5)
    ("信息管理权", "信息系统权限分配",     "3323",   300, False),
    ("信息管理权", "涉税数据查询",         "3233",  6000, False),
    ("信息管理权", "软硬件采购",           "4333",    20, False),
    ("信息管理权", "系统运维外包",         "3333",     2, False),
    # ---- 行政管理权 后勤服务管理权 (4) — class name assumed (假设 A5)
    ("后勤服务管理权", "食堂管理",         "2223",   365, False),
    ("后勤服务管理权", "物业服务外包",     "3323",     2, False),
    ("后勤服务管理权", "办公用房分配",     "3222",     5, False),
    ("后勤服务管理权", "职工福利发放",     "3222",    12, False),
]

D = _dt.date
# Events found by 明查暗访 / 信访 in each year: id → [(类型, 金额, 日期)].
EVENTS = {
    2010: {
        "ZF-ZS-01": [("接受吃请", 800, D(2010, 5, 3))],
        "ZF-GL-02": [("接受吃请", "360.5", D(2010, 8, 12))],
        "ZF-JC-02": [("接受吃请", 1200, D(2010, 3, 18)), ("接受吃请", 650, D(2010, 9, 7))],
        "ZF-JC-05": [("信访举报", 0, D(2010, 6, 20))],           # no sanction: type not matched
        "ZF-JM-01": [("接受吃请", 2000, D(2010, 4, 22)), ("参与经商", 0, D(2010, 11, 2))],
        "XZ-WZ-01": [("接受吃请", 1500, D(2010, 10, 15))],
        "XZ-JJ-02": [("帮助亲友经商", 0, D(2010, 7, 30))],
    },
    2011: {
        "ZF-ZS-01": [("收受礼金", 2000, D(2011, 2, 1))],
        "ZF-GL-02": [("收受礼金", 1200, D(2011, 1, 28)), ("接受吃请", 300, D(2011, 6, 9))],
        "ZF-JC-02": [("接受吃请", 400, D(2011, 4, 14))],
        "ZF-CF-02": [("信访举报", 0, D(2011, 5, 5))],            # no sanction: type not matched
        "XZ-RS-01": [("收受礼金", 3000, D(2011, 1, 30))],
        "XZ-JJ-02": [("帮助亲友经商", 0, D(2011, 3, 21))],
    },
}

HEADER = {
    2010: """\
# 洛阳市国税局 2010 年度廉政风险点评估 —— 案例文件(示例数据)
#
# 结构依据 000_df948db93874fef5.txt 第一篇 一(一):16 类 105 个风险点,
# 执法权 8 类 55 个,行政管理权 8 类 50 个。风险点名称取自国税工作实际;
# 评分、运行次数、事件均为示例(illustrative),不是该局的真实数据。
# 条目由 make_luoyang_2010.py 生成(确定性,无随机数);请改脚本后重新生成,
# 不要直接改下面的 items。文件末尾的 expect 块为手工计算,脚本不会改动它。
#
# id:ZF-<类> 执法权,XZ-<类> 行政管理权;ZS 征收 GL 管理 JC 检查 QZ 强制 CF 处罚
# FY 复议 JM 减免 XK 许可;RS 人事 CW 财务 WZ 物资 RC 日常事务 JJ 基建 JW 纪检监察
# XX 信息 HQ 后勤服务。
""",
    2011: """\
# 洛阳市国税局 2011 年度廉政风险点评估 —— 案例文件(示例数据)
#
# 与 luoyang-2010.yaml 相同的 105 个风险点、相同的评分与运行次数(便于用
# `policyengine diff rulesets/tax/2010.policy rulesets/tax/2011.policy --cases …`
# 只看规则修订带来的变化),事件为 2011 年度的(含新设的"收受礼金")。
# 评分、运行次数、事件均为示例(illustrative),不是该局的真实数据。
# 条目由 make_luoyang_2010.py 生成(确定性,无随机数);文件末尾的 expect 块为手工计算。
""",
}


def width(s: str) -> int:
    """Display width: East Asian wide/full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, w: int) -> str:
    return s + " " * (w - width(s))


def build_items() -> list[dict]:
    """Expand POINTS into items with ids, in class order."""
    class_info = {}
    for cat, (prefix, classes) in CLASSES.items():
        for power, code in classes:
            class_info[power] = (cat, f"{prefix}-{code}")
    counters: dict[str, int] = {}
    items = []
    for power, name, ratings, runs, leader in POINTS:
        cat, stem = class_info[power]
        counters[stem] = counters.get(stem, 0) + 1
        a, b, c, d = (int(x) for x in ratings)
        items.append({
            "id": f"{stem}-{counters[stem]:02d}", "name": name, "权力类别": cat, "权力": power,
            "运行次数": runs, "自由裁量度": a, "透明度": b, "可复核度": c, "制约度": d,
            "是否领导岗位": leader,
        })
    return items


def check(items: list[dict]) -> None:
    assert len(items) == 105, len(items)
    per_cat = {}
    for it in items:
        per_cat.setdefault(it["权力类别"], set()).add(it["权力"])
    assert sum(1 for it in items if it["权力类别"] == "执法权") == 55
    assert sum(1 for it in items if it["权力类别"] == "行政管理权") == 50
    assert len(per_cat["执法权"]) == 8 and len(per_cat["行政管理权"]) == 8
    assert len({it["id"] for it in items}) == 105
    for it in items:
        for k in ("自由裁量度", "透明度", "可复核度", "制约度"):
            assert 1 <= it[k] <= 5, it


def event_text(events) -> str:
    parts = [f"{{类型: {t}, 金额: {amt}, 日期: {day.isoformat()}}}" for t, amt, day in events]
    return "[" + ", ".join(parts) + "]"


def render(items: list[dict], year: int) -> str:
    events = EVENTS[year]
    known = {it["id"] for it in items}
    assert set(events) <= known, set(events) - known
    out = [HEADER[year],
           f"ruleset: ../../rulesets/tax/{year}.policy",
           f"title: 洛阳市国税局 {year} 年度廉政风险点评估(示例数据)",
           "unit: 洛阳市国税局",
           f"period: {year}",
           "items:"]
    # Flow mappings, one risk point per line, columns aligned by display width.
    fields = ["id", "name", "权力类别", "权力", "运行次数", "自由裁量度", "透明度", "可复核度",
              "制约度", "是否领导岗位"]
    cells = []
    for it in items:
        row = []
        for f in fields:
            v = it[f]
            v = ("true" if v else "false") if isinstance(v, bool) else str(v)
            row.append(f"{f}: {v},")
        row.append(f"事件: {event_text(events.get(it['id'], []))}}}")
        cells.append(row)
    widths = [max(width(r[i]) for r in cells) for i in range(len(fields))]
    last_cat = last_power = None
    for it, row in zip(items, cells, strict=True):
        if it["权力"] != last_power:
            if it["权力类别"] != last_cat:
                out.append(f"  # ---------------- {it['权力类别']}")
                last_cat = it["权力类别"]
            out.append(f"  # {it['权力']}")
            last_power = it["权力"]
        line = "  - {" + " ".join(pad(c, widths[i]) if i < len(fields) else c
                                    for i, c in enumerate(row))
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def write(path: str, generated: str, check_only: bool = False) -> bool:
    """Write `generated` + the file's kept expect block; with check_only, write nothing and
    return whether the file already holds exactly that text."""
    tail = f"\n{EXPECT_MARKER}\n"
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
        if EXPECT_MARKER in old:
            tail = "\n" + old[old.index(EXPECT_MARKER):]
    if check_only:
        return old == generated + tail
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(generated + tail)
    os.replace(tmp, path)
    return True


def main() -> int:
    check_only = "--check" in sys.argv[1:]
    items = build_items()
    check(items)
    fresh = True
    for year in (2010, 2011):
        path = os.path.join(HERE, f"luoyang-{year}.yaml")
        if not write(path, render(items, year), check_only):
            print(f"{os.path.basename(path)} is stale; rerun {os.path.basename(__file__)}",
                  file=sys.stderr)
            fresh = False
    return 0 if fresh else 1


if __name__ == "__main__":
    sys.exit(main())
