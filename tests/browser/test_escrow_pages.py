"""The custody dashboard and an expense claim's admin page over the seeded demo, in Chromium."""

import pytest

from tests.browser.test_admin_pages import choice_codes, login, problems_of

pytestmark = pytest.mark.browser


def test_custody_dashboard_with_its_chart(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, demo_server, "federation")
    response = page.goto(demo_server + "/admin/escrow/custodialaccount/dashboard/")
    try:
        assert response.status == 200
        text = page.inner_text("body")
        assert "代管资金合计" in text and "按会员组织" in text and "按资金来源" in text
        assert "预支凭证逾期" in text  # the demo's overdue advance
        assert page.locator("#custody-chart rect.posted").count() == 5
        assert problems_of(text, choice_codes()) == []
        assert not errors
    finally:
        page.screenshot(path=str(screenshots / "escrow-dashboard.png"), full_page=True)
        context.close()


@pytest.mark.parametrize(("username", "full"), [("federation", True), ("orgrep", False)])
def test_claim_page_masks_the_payee_account_except_for_who_pays(
    chromium, demo_server, screenshots, username, full
):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, demo_server, username)
    page.goto(demo_server + "/admin/escrow/expenseclaim/")
    try:
        assert page.locator("#result_list tbody tr").count() >= 9
        page.get_by_text("春节慰问品（已支付）").first.click()
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        assert "ZF2026000101" in text and "发票.pdf" in text
        assert ("6222021612000123456" in text) is full
        assert ("***************3456" in text) is not full
        assert problems_of(text, choice_codes()) == []
    finally:
        page.screenshot(path=str(screenshots / f"escrow-claim-{username}.png"), full_page=True)
        context.close()
