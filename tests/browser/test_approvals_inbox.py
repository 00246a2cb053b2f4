"""The approvals inbox page (待我审批) as a finance officer uses it, in headless Chromium."""

import re

import pytest

from .test_admin_pages import login

pytestmark = pytest.mark.browser

INBOX = "/admin/approvals/approvalrequest/inbox/"


def test_officer_approves_with_a_reason_and_sees_it_in_the_trail(
    chromium, demo_server, screenshots
):
    page = chromium.new_page(locale="zh-CN")
    try:
        login(page, demo_server, "finance.county")
        page.goto(demo_server + INBOX)
        rows = page.locator("#inbox tbody tr[id^=request-]")
        assert rows.count() >= 1, "the demo leaves adjustments waiting for the county officer"
        page.screenshot(path=str(screenshots / "approvals-inbox.png"), full_page=True)
        row = rows.first
        request_id = row.get_attribute("id").removeprefix("request-")
        assert "预算调剂" in row.inner_text()  # the step kind by its Chinese label

        # Reject asks for a reason: the browser refuses an empty one, nothing is sent.
        row.get_by_role("button", name="驳回").click()
        assert page.url.endswith(INBOX)
        assert page.locator(f"#request-{request_id}").count() == 1

        row.locator("textarea[name=reason]").fill("调剂理由充分，同意")
        row.get_by_role("button", name="同意").click()
        page.wait_for_load_state()
        message = page.locator(".messagelist").inner_text()
        assert f"#{request_id}" in message and re.search("已同意|已批准", message), message
        assert page.locator(f"#request-{request_id}").count() == 0  # no longer waiting

        page.goto(f"{demo_server}/admin/approvals/approvalrequest/{request_id}/change/")
        trail = page.locator(".approval-trail").inner_text()
        assert "调剂理由充分，同意" in trail and "同意" in trail
        assert re.search(r"finance\.county|东营区", trail)
        page.screenshot(path=str(screenshots / "approvals-trail.png"), full_page=True)
    finally:
        page.close()
