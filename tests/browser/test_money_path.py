"""The money path in the browser (issue 16, part 2), over the seeded demo in headless
Chromium: a finance officer approves an allocation with a reason in 待我审批 and finds it in
the allocation's history; federation staff pay an approved expense claim in the admin; an
auditor opens the project's history and the difference between two versions.

The data is made through the services on top of the demo (`money_path_data.py`, run in the
demo's environment). Screenshots of the key pages (and of the page a failure stopped on)
go to artifacts/browser/money-path-*.png."""

import json
import re

import pytest
from django.urls import reverse

from tests.browser.conftest import in_demo
from tests.browser.test_admin_pages import choice_codes, login, problems_of

pytestmark = pytest.mark.browser

INBOX = "/admin/approvals/approvalrequest/inbox/"


@pytest.fixture(scope="module")
def prepared(demo_server, demo_env):
    out = in_demo(demo_env, "from tests.browser.money_path_data import main; main()")
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def browse(chromium, demo_server, screenshots):
    """browse(username) → a logged-in page; every page is photographed when the test ends
    (named money-path-<username>.png), so a failure shows where it stopped."""
    opened = []

    def _open(username):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
                if r.status >= 400 else None)  # fmt: skip
        # A failed load is named by the response above (with its URL); the browser's own
        # favicon request has no page response and is no page's fault.
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)  # fmt: skip
        page.errors = errors
        login(page, demo_server, username)
        opened.append((username, context, page))
        return page

    yield _open
    for username, context, page in opened:
        page.screenshot(path=str(screenshots / f"money-path-{username}.png"), full_page=True)
        context.close()


def shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"money-path-{name}.png"), full_page=True)


def readable(page) -> str:
    text = page.inner_text("body")
    assert problems_of(text, choice_codes()) == [], page.url
    assert not page.errors, page.errors
    return text


def test_officer_approves_an_allocation_and_finds_it_in_its_history(
    browse, demo_server, prepared, screenshots
):
    page = browse("finance.county")
    page.goto(demo_server + INBOX)
    row = page.locator(f"#inbox tbody tr#request-{prepared['approval']}")
    assert row.count() == 1, "the allocation waits in the county officer's inbox"
    assert "888.88" in row.inner_text() and "资金安排" in row.inner_text()
    readable(page)
    shot(page, screenshots, "inbox")
    row.locator("textarea[name=reason]").fill("督导经费必要，预算充足，同意")
    row.get_by_role("button", name="同意").click()
    page.wait_for_load_state()
    message = page.locator(".messagelist").inner_text()
    assert f"#{prepared['approval']}" in message, message
    assert page.locator(f"#request-{prepared['approval']}").count() == 0

    page.goto(f"{demo_server}/admin/projects/allocation/{prepared['allocation']}/history/")
    text = readable(page)
    assert "督导经费必要，预算充足，同意" in text, text
    assert "区财务审批员" in text or "finance.county" in text
    shot(page, screenshots, "allocation-history")
    page.goto(f"{demo_server}/admin/projects/allocation/{prepared['allocation']}/change/")
    text = readable(page)
    assert re.search("已预留|预留", text), text


def test_federation_staff_pay_a_claim_in_the_admin(browse, demo_server, prepared, screenshots):
    page = browse("federation")
    page.goto(demo_server + "/admin/escrow/expenseclaim/")
    page.check(f"input[name=_selected_action][value='{prepared['claim']}']")
    page.select_option("select[name=action]", "pay")
    page.click("button[name=index]")
    page.wait_for_load_state()
    readable(page)
    shot(page, screenshots, "pay-form")
    page.fill("input[name=payout_reference]", "ZF2026E2E001")
    page.fill("textarea[name=reason]", "已通过网银转账")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    message = page.locator(".messagelist").inner_text()
    assert "ZF2026E2E001" in message and "已支付" in message, message

    page.goto(f"{demo_server}/admin/escrow/expenseclaim/{prepared['claim']}/change/")
    text = readable(page)
    assert "ZF2026E2E001" in text and "已支付" in text, text
    shot(page, screenshots, "claim-paid")


def test_auditor_opens_the_projects_history_and_a_difference(
    browse, demo_server, prepared, screenshots
):
    page = browse("auditor")
    timeline = reverse("admin:audit_timeline")
    page.goto(f"{demo_server}{timeline}?model=projects.project&object_id={prepared['project']}")
    text = readable(page)
    rows = page.locator("#audit-timeline tbody tr")
    assert rows.count() >= 3, text  # created, submitted, approved
    assert "邻里矛盾调解" in text and "同意" in text
    shot(page, screenshots, "project-history")
    page.locator("#audit-timeline a", has_text="与上一版本比较").first.click()
    page.wait_for_load_state()
    comparison = page.locator("#audit-comparison")
    assert comparison.count() == 1
    diff = comparison.inner_text()
    assert "状态" in diff and "→" in page.inner_text("body"), diff
    readable(page)
    shot(page, screenshots, "project-diff")
