"""Regression (issue 16, seen on the auditor's project history in the browser): a project's
description and a contract's content were labelled `_("content")`, which Django REST
framework's catalogue (earlier in INSTALLED_APPS) translates as 内容主体 (an HTTP body), so
the admin and the history showed 内容主体 instead of 项目内容 / 服务内容."""

from django.utils import translation

from projects.models import Contract, Project


def test_content_fields_read_as_the_projects_words_in_chinese():
    with translation.override("zh-hans"):
        assert str(Project._meta.get_field("description").verbose_name) == "项目内容"
        assert str(Contract._meta.get_field("content").verbose_name) == "服务内容"
        for model in (Project, Contract):
            labels = {str(f.verbose_name) for f in model._meta.fields}
            assert "内容主体" not in labels, model


def test_the_allocation_step_reads_as_the_allocation_pages_do():
    """The approvals inbox named the step 资金分配 (the ledger's transfer kind "Allocation",
    whose catalogue comes first) while every allocation page says 资金安排."""
    from approvals.registry import kind_label

    with translation.override("zh-hans"):
        assert str(kind_label("allocation")) == "资金安排"
        assert str(Project._meta.verbose_name) == "购买服务项目"


def test_an_allocation_and_its_line_read_without_bare_ids():
    """Breadcrumbs and histories showed an allocation as 3·10·888.88 and its line as
    9·文体活动·16 (ids of the project, line, budget and source)."""
    from funds.models import BudgetLine
    from projects.models import Allocation

    with translation.override("zh-hans"):
        allocation = Allocation(pk=10, project_id=3, line_id=16, amount="888.88")
        assert str(allocation) == "资金安排 #10（项目 #3，¥888.88）"
        assert str(BudgetLine(pk=16, budget_id=9, source_id=4, category="culture_sports")) == (
            "预算明细 #16 文体活动"
        )
