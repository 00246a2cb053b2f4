"""The approval steps funds owns, registered with the engine from FundsConfig.ready().

Each step: a registration line and its handlers (services.*_approved / *_rejected), which
run in the database transaction of the final decision.
"""

from django.utils.translation import gettext_lazy as _

from approvals.registry import register_step

from . import services
from .models import Budget, BudgetAdjustment, CarryForward, FundingSource


def _describe_sources(ids: list[int]) -> dict[int, str]:
    return {
        s.pk: f"{s.region.name} {s.fiscal_year.year} {s.name}"
        for s in FundingSource.objects.filter(pk__in=ids).select_related("region", "fiscal_year")
    }


def _describe_budgets(ids: list[int]) -> dict[int, str]:
    return {
        b.pk: f"{b.region.name} {b.fiscal_year.year} {b.title}"
        for b in Budget.objects.filter(pk__in=ids).select_related("region", "fiscal_year")
    }


def _describe_adjustments(ids: list[int]) -> dict[int, str]:
    return {
        a.pk: f"{a.budget.title}：{a.from_line.get_category_display()} → "
        f"{a.to_line.get_category_display()}"
        for a in BudgetAdjustment.objects.filter(pk__in=ids).select_related(
            "budget", "from_line", "to_line"
        )
    }


def _describe_carry_forwards(ids: list[int]) -> dict[int, str]:
    return {
        c.pk: f"{c.source.name}（{c.source.fiscal_year.year}）"
        for c in CarryForward.objects.filter(pk__in=ids).select_related("source__fiscal_year")
    }


def register() -> None:
    register_step(
        services.STEP_SOURCE,
        label=_("Funding source"),
        on_approved=services.source_approved,
        on_rejected=services.source_rejected,
        on_returned=services.source_returned,
        on_withdrawn=services.source_returned,
        describe=_describe_sources,
    )
    register_step(
        services.STEP_BUDGET,
        label=_("Annual budget"),
        on_approved=services.budget_approved,
        on_rejected=services.budget_rejected,
        on_returned=services.budget_returned,
        on_withdrawn=services.budget_returned,
        describe=_describe_budgets,
    )
    register_step(
        services.STEP_ADJUSTMENT,
        label=_("Budget adjustment"),
        on_approved=services.adjustment_approved,
        on_rejected=services.adjustment_rejected,
        describe=_describe_adjustments,
    )
    register_step(
        services.STEP_CARRY_FORWARD,
        label=_("Carry-forward"),
        on_approved=services.carry_forward_approved,
        on_rejected=services.carry_forward_rejected,
        describe=_describe_carry_forwards,
    )
