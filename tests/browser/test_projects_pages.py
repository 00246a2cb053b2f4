"""The public disclosure page and a project's admin page over the seeded demo, in Chromium."""

import pytest

from tests.browser.test_admin_pages import choice_codes, login, problems_of

pytestmark = pytest.mark.browser


def test_public_disclosure_page_without_login(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(demo_server + "/disclosure/projects/2026/")
    try:
        assert response.status == 200
        text = page.inner_text("body")
        assert "2026 年政府购买社区服务信息公开" in text
        rows = page.locator("tbody tr").count()
        assert rows >= 6  # contracted, in progress, delivered, accepted, closed, terminated
        assert "¥11,000.00" in text
        assert "代管账户" not in text and "1380546" not in text  # no accounts, no phones
        assert problems_of(text, choice_codes()) == []
        assert not errors
    finally:
        page.screenshot(path=str(screenshots / "projects-disclosure.png"), full_page=True)
        context.close()


def test_project_admin_page_shows_the_compliance_gate(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, demo_server, "finance.town")
    page.goto(demo_server + "/admin/projects/project/")
    try:
        assert page.locator("#result_list tbody tr").count() >= 10
        page.locator("#result_list tbody tr th a").first.click()
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        assert "合规检查" in text and "先有预算、后购买" in text
        assert problems_of(text, choice_codes()) == []
    finally:
        page.screenshot(path=str(screenshots / "projects-admin-project.png"), full_page=True)
        context.close()
