"""The crowdfunding admin pages in headless Chromium: the campaign list with what each
campaign raised, and the donor year-end statement page (on the page, with its receipt
numbers, a void one marked)."""

import pytest

from tests.browser.test_admin_pages import login

pytestmark = pytest.mark.browser

# The demo's first donation (funds/campaigns/demo.py): an agency, receipted, then refunded.
DONOR, IDENTIFIER = "文汇街道社区卫生服务中心", "DEMO0001"


def test_campaign_list_and_donor_statement(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, demo_server, "finance.county")
    try:
        page.goto(demo_server + "/admin/funds/campaign/")
        page.screenshot(path=str(screenshots / "campaigns.png"), full_page=True)
        body = page.inner_text("#changelist")
        assert "长者爱心食堂众筹" in body and "募捐中" in body and "已结束：失败" in body
        page.goto(demo_server + "/admin/funds/donation/")
        page.click("text=捐赠人年度对账单")
        page.fill("#id_donor_name", DONOR)
        page.fill("#id_donor_identifier", IDENTIFIER)
        page.fill("#id_year", "2026")
        page.click("#statement-form input[type=submit]")
        page.wait_for_selector("#statement")
        page.screenshot(path=str(screenshots / "donor-statement.png"), full_page=True)
        rows = page.locator("#statement tbody tr")
        assert rows.count() >= 1
        text = page.inner_text("#statement")
        assert "（作废）" in text and "已退还" in text
        assert not errors, errors
    finally:
        context.close()
