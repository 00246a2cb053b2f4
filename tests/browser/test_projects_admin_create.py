"""Creating a need and a project through the projects admin (Chinese forms calling the
projects services), over the seeded demo, in Chromium."""

import pytest

from tests.browser.test_admin_pages import choice_codes, login, problems_of

pytestmark = pytest.mark.browser


def _pick_first(page, selector):
    """Choose the first real option of a select (the empty one is "---------")."""
    value = page.eval_on_selector(
        selector, "s => [...s.options].map(o => o.value).find(v => v !== '')"
    )
    assert value, f"{selector} offers nothing to pick"
    page.select_option(selector, value)
    return value


def test_a_township_officer_creates_a_need_and_a_project(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, demo_server, "finance.town")
    codes = choice_codes()
    try:
        # A need (社区服务需求), from the list's add button.
        page.goto(demo_server + "/admin/projects/demand/")
        page.locator("a.addlink").first.click()
        page.wait_for_load_state("load")
        form_text = page.inner_text("#content")
        assert "社区" in form_text and "类别" in form_text
        assert problems_of(form_text, codes) == []
        page.screenshot(path=str(screenshots / "projects-create-demand-form.png"), full_page=True)
        _pick_first(page, "#id_community")
        page.fill("#id_title", "独居老人上门探访（浏览器测试）")
        page.select_option("#id_category", "elderly_care")
        page.fill("#id_beneficiary_count", "35")
        page.fill("#id_beneficiaries", "辖区独居老人")
        page.click("input[name=_save]")
        page.wait_for_load_state("load")
        assert page.url.endswith("/admin/projects/demand/"), page.url
        assert "独居老人上门探访（浏览器测试）" in page.inner_text("#result_list")
        page.screenshot(path=str(screenshots / "projects-create-demand-list.png"), full_page=True)

        # A project straight away: first a refused one (negative list), shown on the form.
        page.goto(demo_server + "/admin/projects/project/add/")
        page.fill("#id_title", "社区助老服务项目（浏览器测试）")
        _pick_first(page, "#id_purchaser")
        page.select_option("#id_category", "elderly_care")
        page.fill("#id_budget_amount", "12000.00")
        _pick_first(page, "#id_undertaker")
        page.select_option("#id_negative_item", "goods_or_works")
        page.click("input[name=_save]")
        page.wait_for_load_state("load")
        refused = page.inner_text("#content")
        page.screenshot(path=str(screenshots / "projects-create-project-refused.png"),
                        full_page=True)  # fmt: skip
        # Each reason on the field it is about, in Chinese, nothing typed lost.
        negative = page.locator(".form-row.field-negative_item .errorlist").inner_text()
        assert "负面清单" in negative, refused
        catalogue = page.locator(".form-row.field-catalogue_code .errorlist").inner_text()
        assert "指导性目录" in catalogue, refused
        assert problems_of(refused, codes) == []
        assert "reason_codes" not in refused
        assert page.input_value("#id_title") == "社区助老服务项目（浏览器测试）"
        page.select_option("#id_negative_item", "")
        page.fill("#id_catalogue_code", "C0399")
        page.click("input[name=_save]")
        page.wait_for_load_state("load")
        assert page.url.endswith("/admin/projects/project/"), page.url
        listing = page.inner_text("#result_list")
        assert "社区助老服务项目（浏览器测试）" in listing
        assert problems_of(page.inner_text("#content"), codes) == []
        page.screenshot(path=str(screenshots / "projects-create-project-list.png"),
                        full_page=True)  # fmt: skip
        assert not errors
    finally:
        page.screenshot(path=str(screenshots / "projects-create-last.png"), full_page=True)
        context.close()
