"""The budget execution page (预算执行情况) as a city finance officer reads it, in Chromium:
the chart and the table, then the drill-down from the city to a county and to a township's
lines, the trail back up, and the exports offered for what is shown."""

import pytest

from .test_admin_pages import login

pytestmark = pytest.mark.browser

PAGE = "/admin/funds/budget/execution/"


def _show(page, region_label: str):
    page.select_option("#id_region", label=region_label)
    _follow(page, page.locator("#content input[type=submit]"))


def _follow(page, locator):
    with page.expect_navigation():
        locator.click()


def test_city_report_drills_down_to_a_townships_lines(chromium, demo_server, screenshots):
    page = chromium.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
    try:
        login(page, demo_server, "finance.city")
        page.goto(demo_server + PAGE)
        assert "预算执行情况" in page.locator("h1").inner_text()
        _show(page, "东营市")
        # One bar per figure for each county that has money, each with its tooltip.
        bars = page.locator("#execution-chart rect")
        assert bars.count() >= 4
        assert "预算" in page.locator("#execution-chart rect title").first.text_content()
        table = page.locator("table.execution")
        assert "东营区" in table.inner_text()
        total = table.locator("tfoot td").nth(2).inner_text()  # budgeted
        assert total.replace(",", "") not in {"0", "0.00"}
        page.screenshot(path=str(screenshots / "execution-city.png"), full_page=True)

        _follow(page, page.locator("table.execution a", has_text="东营区"))
        trail = page.locator("p.trail").inner_text()
        assert "东营市" in trail and "东营区" in trail
        township = page.locator("table.execution tbody a").first
        township_name = township.inner_text()
        _follow(page, township)
        assert township_name in page.locator("p.trail").inner_text()
        # A township is shown by budget line (region · category · source) and the money still
        # at its sources; no further drill.
        rows = page.locator("table.execution tbody tr").all_inner_texts()
        assert any("·" in row for row in rows) and any("尚未编入预算" in row for row in rows)
        assert page.locator("table.execution tbody a").count() == 0
        exports = page.locator("a.button")
        assert {exports.nth(i).inner_text() for i in range(exports.count())} >= {
            "导出 CSV", "导出 XLSX"}  # fmt: skip
        page.screenshot(path=str(screenshots / "execution-township.png"), full_page=True)

        # The trail leads back to the city's figures.
        _follow(page, page.locator("p.trail a", has_text="东营市"))
        assert page.locator("table.execution").inner_text().count("东营区") == 1
    finally:
        page.close()
