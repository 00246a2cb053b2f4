"""The approval steps of crowdfunding campaigns and community charity funds (registered
from FundsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from approvals.registry import register_step

from . import services
from .models import Campaign, CharityFund


def _describe_campaigns(ids: list[int]) -> dict[int, str]:
    return {
        c.pk: f"{c.source.region.name} {c.title}（{c.holder.name}）"
        for c in Campaign.objects.filter(pk__in=ids).select_related("source__region", "holder")
    }


def _describe_funds(ids: list[int]) -> dict[int, str]:
    return {
        f.pk: f"{f.source.region.name} {f.name}（{f.host.name}）"
        for f in CharityFund.objects.filter(pk__in=ids).select_related("source__region", "host")
    }


def register() -> None:
    register_step(
        services.STEP_CAMPAIGN,
        label=_("Crowdfunding campaign"),
        on_approved=services.campaign_approved,
        on_rejected=services.campaign_rejected,
        on_returned=services.campaign_returned,
        on_withdrawn=services.campaign_returned,
        describe=_describe_campaigns,
    )
    register_step(
        services.STEP_CHARITY_FUND,
        label=_("Community charity fund"),
        on_approved=services.charity_fund_approved,
        on_rejected=services.charity_fund_rejected,
        on_returned=services.charity_fund_returned,
        on_withdrawn=services.charity_fund_returned,
        describe=_describe_funds,
    )
