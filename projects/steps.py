"""The approval steps projects owns, registered with the engine from ProjectsConfig.ready().

Each step: a registration line and its handlers (services.*_approved / *_rejected), which
run in the database transaction of the final decision.
"""

from django.utils.translation import gettext_lazy as _

from approvals.registry import register_step

from . import services
from .models import Allocation, Contract, MilestonePayment, Project


def _describe_projects(ids: list[int]) -> dict[int, str]:
    return {
        p.pk: f"{p.purchaser.name} {p.title}"
        for p in Project.objects.filter(pk__in=ids).select_related("purchaser")
    }


def _describe_allocations(ids: list[int]) -> dict[int, str]:
    return {
        a.pk: f"{a.project.title}：{a.line.get_category_display()}·{a.line.source.name}"
        for a in Allocation.objects.filter(pk__in=ids).select_related("project", "line__source")
    }


def _describe_contracts(ids: list[int]) -> dict[int, str]:
    return {
        c.pk: f"{c.project.title}（{c.term_start}—{c.term_end}）"
        for c in Contract.objects.filter(pk__in=ids).select_related("project")
    }


def _describe_payments(ids: list[int]) -> dict[int, str]:
    return {
        p.pk: f"{p.project.title}：{p.milestone.number}. {p.milestone.title}"
        for p in MilestonePayment.objects.filter(pk__in=ids).select_related("project", "milestone")
    }


def register() -> None:
    register_step(
        services.STEP_PROJECT,
        label=_("Purchase-of-service project"),
        on_approved=services.project_approved,
        on_rejected=services.project_returned,
        on_returned=services.project_returned,
        on_withdrawn=services.project_returned,
        describe=_describe_projects,
    )
    register_step(
        services.STEP_ALLOCATION,
        label=_("Project allocation"),
        on_approved=services.allocation_approved,
        on_rejected=services.allocation_rejected,
        on_returned=services.allocation_returned,
        on_withdrawn=services.allocation_returned,
        describe=_describe_allocations,
    )
    register_step(
        services.STEP_CONTRACT,
        label=_("Contract"),
        on_approved=services.contract_approved,
        on_rejected=services.contract_rejected,
        on_returned=services.contract_returned,
        on_withdrawn=services.contract_returned,
        describe=_describe_contracts,
    )
    register_step(
        services.STEP_PAYMENT,
        label=_("Milestone payment"),
        on_approved=services.payment_approved,
        on_rejected=services.payment_rejected,
        on_returned=services.payment_rejected,
        on_withdrawn=services.payment_rejected,
        describe=_describe_payments,
    )
