"""Reads of crowdfunding, narrowed to what the user may see (as funds' own selectors:
finance officers and auditors of the region subtree; administrators everything), and the
public figures of a campaign, where donor names of anonymous donations are hidden."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from access.selectors import sees_everything

from ..selectors import _region_q, _visible, ancestor_paths, officer_paths
from .models import (
    Campaign,
    CampaignState,
    CharityFund,
    Donation,
    DonationState,
    DonorType,
    Holder,
    Nature,
    Receipt,
)

ZERO = Decimal("0.00")
PUBLIC_STATES = (CampaignState.OPEN, CampaignState.SUCCEEDED, CampaignState.FAILED)


def holders_visible_to(user) -> QuerySet:
    """Holders registered in the user's subtree, and for finance officers those registered
    in the regions above (a city charity federation that runs a township's campaign)."""
    queryset = Holder.objects.select_related("region")
    if sees_everything(user):
        return queryset
    q = _region_q(user, "region")
    above = {p for path in officer_paths(user) for p in ancestor_paths(path)}
    if above:
        up = Q(region__path__in=sorted(above))
        q = up if q is None else q | up
    return queryset.none() if q is None else queryset.filter(q)


def campaigns_visible_to(user) -> QuerySet:
    return _visible(
        user,
        Campaign.objects.select_related("source__region", "source__fiscal_year", "holder"),
        "source__region",
    )


def charity_funds_visible_to(user) -> QuerySet:
    return _visible(
        user,
        CharityFund.objects.select_related("source__region", "source__fiscal_year", "host"),
        "source__region",
    )


def donations_visible_to(user) -> QuerySet:
    return _visible(
        user,
        Donation.objects.select_related("source__region", "campaign", "fund", "holder"),
        "source__region",
    )


def receipts_visible_to(user) -> QuerySet:
    return _visible(
        user,
        Receipt.objects.select_related(
            "issuer", "donation__source__region", "donation__campaign", "donation__fund"
        ),  # fmt: skip
        "donation__source__region",
    )


def campaigns_for_project(project_ref: str) -> QuerySet:
    """The campaigns whose money is restricted to a project (for the projects app)."""
    return Campaign.objects.filter(project_ref=project_ref)


def raised(campaign: Campaign) -> Decimal:
    """What a campaign holds from donations and sponsorship not refunded."""
    total = Donation.objects.filter(campaign=campaign, state=DonationState.RECORDED).aggregate(
        s=Sum("amount")
    )["s"]
    return total or ZERO


def totals_by_campaign(ids: list[int]) -> dict[int, dict]:
    """{campaign id: {"raised", "donations"}} for a page of campaigns, in one query."""
    rows = (
        Donation.objects.filter(campaign_id__in=ids, state=DonationState.RECORDED)
        .values("campaign_id")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    return {r["campaign_id"]: {"raised": r["total"], "donations": r["n"]} for r in rows}


def public_figures(campaign: Campaign, *, latest: int = 20) -> dict:
    """What anyone may read of an open or closed campaign: the target, what was raised,
    how many gave by donor type, and the latest gifts with the donor's name only when the
    donor did not give anonymously."""
    kept = Donation.objects.filter(campaign=campaign, state=DonationState.RECORDED)
    by_type = {
        r["donor_type"]: {"count": r["n"], "amount": r["total"]}
        for r in kept.values("donor_type").annotate(n=Count("id"), total=Sum("amount"))
    }
    totals = kept.aggregate(
        total=Sum("amount"),
        n=Count("id"),
        sponsorship=Sum("amount", filter=Q(nature=Nature.SPONSORSHIP)),
    )
    recent = kept.order_by("-donated_on", "-id").only(
        "donor_name", "anonymous", "donor_type", "amount", "donated_on", "nature"
    )[:latest]
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "purpose": campaign.purpose,
        "holder": campaign.holder.name,
        "state": campaign.state,
        "target_amount": campaign.target_amount,
        "raised": totals["total"] or ZERO,
        "sponsorship": totals["sponsorship"] or ZERO,
        "donations": totals["n"],
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "by_donor_type": [
            {
                "donor_type": t,
                "count": by_type.get(t, {}).get("count", 0),
                "amount": by_type.get(t, {}).get("amount") or ZERO,
            }
            for t in DonorType.values
        ],  # fmt: skip
        "latest": [
            {
                "donor": d.public_name,
                "donor_type": d.donor_type,
                "amount": d.amount,
                "donated_on": d.donated_on,
                "sponsorship": d.is_sponsorship,
            }
            for d in recent
        ],  # fmt: skip
    }


def donor_statement(user, *, donor_name: str, donor_identifier: str, year: int) -> list[dict]:
    """A donor's year: every donation (not sponsorship) it made in `year` in the user's
    scope, its campaign or fund and its receipt number (the issued one, else the last
    voided one, marked void)."""
    donations = list(
        donations_visible_to(user)
        .filter(
            donor_name=donor_name,
            donor_identifier=donor_identifier,
            donated_on__year=year,
            nature=Nature.DONATION,
        )
        .order_by("donated_on", "id")
    )
    receipts: dict[int, Receipt] = {}
    for r in Receipt.objects.filter(donation__in=donations).order_by("issued_at", "id"):
        current = receipts.get(r.donation_id)
        if current is None or current.state != "issued":
            receipts[r.donation_id] = r
    rows = []
    for d in donations:
        receipt = receipts.get(d.pk)
        rows.append(
            {
                "donation": d.pk,
                "donated_on": d.donated_on,
                "target": d.campaign.title if d.campaign_id else d.fund.name,
                "holder": d.holder.name,
                "amount": d.amount,
                "channel": d.get_channel_display(),
                "state": d.state,
                "state_display": d.get_state_display(),
                "receipt": receipt.display_number if receipt else "",
                "receipt_state": receipt.state if receipt else "",
            }
        )
    return rows


ZERO_MONEY = Value(0, output_field=DecimalField(max_digits=18, decimal_places=2))


def with_totals(queryset):
    """Each campaign with what it holds from donations not refunded, and how many."""
    kept = Q(donations__state=DonationState.RECORDED)
    return queryset.annotate(
        raised=Coalesce(Sum("donations__amount", filter=kept), ZERO_MONEY),
        donation_count=Count("donations", filter=kept),
    )
