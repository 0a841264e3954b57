"""The HTML report in a real browser: Debian's Chromium, driven by Playwright (pointed at
/usr/bin/chromium; `playwright install` is never used). One browser for the module.

What is checked: the numbers on the page equal the JSON result (counts per level, matrix
cells, the table's rows and levels), sorting, filtering by level and group, searching,
paging, a row expanding into explain's trace, no console errors, hostile text shown as
text, and printing to PDF (A4 pages, the whole table, header rows repeated)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, cli

CHROMIUM = os.environ.get("POLICYENGINE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PINGLIANG = ROOT / "cases/commerce/pingliang-2010.yaml"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # no skip: CI installs Chromium (.ci/run); a machine without it fails here, saying why
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), \
        f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium chromium-driver)"
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        yield context
        context.close()


class Page:
    """A page opened from a file, collecting console errors, page errors and dialogs."""

    def __init__(self, browser: Any, path: Path):
        self.page = browser.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(path.as_uri())

    def column(self, name: str) -> list[str]:
        return self.page.evaluate("""name => {
            const table = document.querySelector('table.publication-table');
            const k = [...table.querySelectorAll('thead th')].findIndex(th => th.dataset.name === name);
            return [...table.querySelectorAll('tbody tr.item')].map(tr => tr.children[k].textContent);
        }""", name)


@pytest.fixture(scope="module")
def pingliang(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("report") / "pingliang.html"
    run = cli("report", "commerce@2010", str(PINGLIANG), "-o", str(out), "--date", "2026-01-02")
    assert run.returncode == 0, run.stderr
    result = json.loads(cli("eval", "commerce@2010", str(PINGLIANG), "-f", "json").stdout)
    return out, result


def test_the_page_shows_the_json_result(browser: Any, pingliang: tuple[Path, dict[str, Any]]) -> None:
    path, result = pingliang
    p = Page(browser, path)
    page = p.page
    # counts per level, read from the drawn bars
    bars = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        'figure.bars[data-scale="风险等级"] g.bar')].map(g => [g.dataset.level, +g.querySelector('text.count').textContent]))""")
    assert bars == result["summary"]["levels"]["风险等级"]
    # the matrix heat map: the number written in each cell, against the case's inputs
    cells = page.evaluate("""() => [...document.querySelectorAll('figure.heat[data-kind="matrix"] g.cell')]
        .map(g => [g.dataset.row, g.dataset.column, +g.querySelector('text').textContent])""")
    items = yaml.safe_load(PINGLIANG.read_text(encoding="utf-8"))["items"]
    expected = Counter((i["发生几率"], i["危害程度"]) for i in items)
    assert len(cells) == 12
    assert {(r, c): n for r, c, n in cells if n} == dict(expected)
    # the table: every item, in the JSON's order, with its level
    assert p.column("id") == [i["id"] for i in result["items"]]
    assert p.column("name") == [i["name"] for i in result["items"]]
    assert p.column("风险等级") == [i["grades"]["风险等级"]["level"] for i in result["items"]]
    assert page.locator(".item-count").text_content() == str(result["summary"]["items"]) == "530"
    assert p.problems == []


def test_sorting_filtering_searching_and_paging(browser: Any, pingliang: tuple[Path, dict[str, Any]]) -> None:
    path, result = pingliang
    p = Page(browser, path)
    page = p.page
    levels = ["三级", "二级", "一级"]  # the scale's order, most severe first
    page.click('th[data-name="风险等级"]')
    shown = p.column("风险等级")
    assert shown == sorted(shown, key=levels.index) and len(shown) == 530
    page.click('th[data-name="风险等级"]')
    assert p.column("风险等级") == sorted(shown, key=levels.index, reverse=True)
    page.click('th[data-name="id"]')
    page.click('th[data-name="id"]')
    assert p.column("id") == sorted((i["id"] for i in result["items"]), reverse=True)
    # filter by level: as many rows as the summary counts
    page.select_option('select.level-filter[data-name="风险等级"]', "二级")
    assert set(p.column("风险等级")) == {"二级"}
    assert len(p.column("id")) == result["summary"]["levels"]["风险等级"]["二级"]
    # and by group: 层面 = 科室, as the summary's `count by 风险等级, 层面` cross-table has it
    page.select_option("select.group-column", "层面")
    page.select_option("select.group-value", "科室")
    block = next(b for b in result["summary"]["counts"] if b["by"] == ["风险等级", "层面"])
    assert len(p.column("id")) == block["counts"]["二级"]["科室"]
    assert set(p.column("层面")) == {"科室"}
    # search narrows further; clearing the filters gives every row back
    page.select_option('select.level-filter[data-name="风险等级"]', "")
    page.select_option("select.group-column", "")
    page.fill("input.search", "PL-10")
    assert sorted(p.column("id")) == [f"PL-{n}" for n in range(100, 110)]
    page.fill("input.search", "")
    # paging: 50 a page
    page.select_option("select.page-size", "50")
    assert len(p.column("id")) == 50
    page.click("button.next")
    assert p.column("id")[0] == sorted((i["id"] for i in result["items"]), reverse=True)[50]
    assert "51–100" in page.locator(".page-info").text_content()
    assert p.problems == []


def test_a_row_expands_into_its_explain_trace(browser: Any, pingliang: tuple[Path, dict[str, Any]]) -> None:
    path, _ = pingliang
    p = Page(browser, path)
    p.page.click('tr.item[data-index="1"]')
    trace = p.page.locator("tr.trace pre").text_content()
    assert trace == cli("explain", "commerce@2010", str(PINGLIANG), "--item", "PL-002").stdout
    p.page.click('tr.item[data-index="1"]')
    assert p.page.locator("tr.trace").count() == 0
    assert p.problems == []


def test_hostile_text_is_shown_as_text(browser: Any, write, tmp_path: Path) -> None:
    from .test_report import HOSTILE, LEVEL, _hostile

    rs, case = _hostile(write)
    out = tmp_path / "evil.html"
    assert cli("report", str(rs), str(case), "-o", str(out), "--date", "2026-01-02").returncode == 0
    p = Page(browser, out)
    assert p.column("id")[0] == HOSTILE
    assert p.column("name")[:2] == [HOSTILE, '"><svg onload=alert(3)>']
    assert LEVEL in p.column(HOSTILE)
    assert p.page.evaluate("document.scripts.length") == 2
    assert p.problems == []  # no alert() dialog, no error


def test_print_to_pdf(browser: Any, pingliang: tuple[Path, dict[str, Any]]) -> None:
    from pypdf import PdfReader

    path, result = pingliang
    p = Page(browser, path)
    page = p.page
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('table.publication-table thead')).display") \
        == "table-header-group"  # header rows repeat on every printed page
    assert page.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "none"
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    pages = len(pdf.pages)
    # 530 rows of ~4.6 mm at 10 px on 273 mm of A4 height: at least 9 pages of table; the
    # charts and supervisor lists add some; far fewer than one page per row
    assert 12 <= pages <= 40, pages  # 21 with Debian's Chromium and its fonts
    for pg in pdf.pages:  # A4 portrait: 595 x 842 points
        assert (round(float(pg.mediabox.width)), round(float(pg.mediabox.height))) == (595, 842)
    text = "".join(pg.extract_text() for pg in pdf.pages)
    assert result["items"][-1]["id"] in text and result["items"][0]["id"] in text
    assert p.problems == []


def test_diff_report_opens_clean(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    case = ROOT / "cases/tax/luoyang-2010.yaml"
    run = cli("diff", "tax@2010", "tax@2011", "--cases", str(case), "-o", str(out), "--date",
              dt.date(2026, 1, 2).isoformat())
    assert run.returncode == 0, run.stderr
    data = json.loads(cli("diff", "tax@2010", "tax@2011", "--cases", str(case), "-f", "json").stdout)
    p = Page(browser, out)
    assert p.page.locator("#impact-changed").text_content() == str(len(data["impact"]["items_changed"]))
    assert p.page.locator("div.change").count() == len(data["changes"])
    assert p.problems == []


def test_a_large_table_prints_the_page_on_screen_and_says_so(browser: Any, write, tmp_path: Path) -> None:
    from .test_report import PLAIN

    rs = write("big.policy", PLAIN)
    case = write("big.json", json.dumps({"items": [{"id": f"I{n:05}", "分数": n % 10} for n in range(5001)]}))
    out = tmp_path / "big.html"
    assert cli("--lang", "zh", "report", str(rs), str(case), "-o", str(out), "--date", "2026-01-02").returncode == 0
    p = Page(browser, out)
    assert len(p.column("id")) == 100  # 5001 items: paged, 100 a page
    p.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert len(p.column("id")) == 100
    assert "超过 5000 行" in p.page.locator(".print-note").text_content()
    # filtered to the 高 rows (fewer than 5000): all of them print
    p.page.select_option('select.level-filter[data-name="等级"]', "高")
    p.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert len(p.column("id")) == 2500  # n % 10 in 5..9: 500 per 1000 of the 5000, none of 5000 itself
    assert p.page.locator(".print-note").text_content() == ""
    p.page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert len(p.column("id")) == 100
    assert p.problems == []


def test_the_report_in_english_and_in_chinese(browser: Any, tmp_path: Path) -> None:
    """`--lang en` gives an English page (headers, controls, the table's own columns, the paging
    line JavaScript writes); `--lang zh` the same page in Chinese. The ruleset's own names stay."""
    pages = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"{lang}.html"
        run = cli("--lang", lang, "report", "commerce@2010", str(PINGLIANG), "-o", str(out), "--date", "2026-01-02")
        assert run.returncode == 0, run.stderr
        p = Page(browser, out)
        pages[lang] = p.page.evaluate("""() => ({
            lang: document.documentElement.lang,
            h3: [...document.querySelectorAll('section.publication h3')].map(h => h.textContent),
            th: [...document.querySelectorAll('table.publication-table thead th')].map(th => th.textContent),
            sanctions: [...document.querySelectorAll('table.sanctions thead th')].map(th => th.textContent),
            info: document.querySelector('.page-info').textContent,
            prev: document.querySelector('button.prev').textContent,
        })""")
        assert p.problems == []
    result = json.loads(cli("eval", "commerce@2010", str(PINGLIANG), "-f", "json").stdout)
    n = len(result["items"])
    en, zh = pages["en"], pages["zh"]
    assert en["lang"] == "en" and zh["lang"] == "zh-CN"
    assert en["h3"][:3] == ["Levels", "Counts", "Public table"] and zh["h3"][:3] == ["等级分布", "分类统计", "公示表"]
    assert "Supervision duties" in en["h3"] and "监督责任" in zh["h3"]
    assert en["th"][:2] == ["ID", "Name"] and zh["th"][:2] == ["编号", "名称"]
    assert "风险等级" in en["th"] and "风险等级" in zh["th"]  # the ruleset's names as written
    if en["sanctions"]:
        assert en["sanctions"][0] == "Sanction" and zh["sanctions"][0] == "处置"
    # every item on one page (fewer than the page size): "Items 1–n, n after filtering, of n"
    assert en["info"] == f"Items 1–{n}, {n} after filtering, of {n}"
    assert zh["info"] == f"第 1–{n} 项,筛选后 {n} 项,共 {n} 项"
    assert en["prev"] == "Previous" and zh["prev"] == "上一页"
