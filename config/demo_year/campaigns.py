"""Crowdfunding over the year: in several townships a campaign for one of its projects
(restricted to it), open or closed by its outcome, with donations from enterprises,
agencies, social organizations and residents over the months, and receipts issued by the
charity that holds the public-fundraising qualification."""

from __future__ import annotations

import datetime
from decimal import Decimal

from access.demo import DEMO_PASSWORD
from funds import demo as funds_demo
from funds.campaigns import demo as campaigns_demo
from funds.campaigns import services
from funds.campaigns.models import Campaign, Holder
from projects.models import Project

from .common import Year, approve, clock, officers

CAMPAIGNS = 10  # at scale 1
DONATIONS = 30  # per campaign at scale 1


def steps(year: Year) -> int:
    return year.n(CAMPAIGNS, 2)


def build(year: Year, progress, places: dict) -> int:
    rng = year.rng("campaigns")
    demo = funds_demo._Demo(places, DEMO_PASSWORD)
    charity = Holder.objects.filter(name="东营市慈善总会").first()
    if charity is None:
        return 0
    projects = list(
        Project.objects.filter(
            fiscal_year__year=year.year, state__in=["in_progress", "contracted", "delivered"]
        )
        .select_related("purchaser__parent")
        .order_by("id")
    )
    made = 0
    donors = [(kind, name) for kind, names in campaigns_demo.DONORS.items() for name in names]
    serial = 0
    for c, project in enumerate(projects[: year.n(CAMPAIGNS, 2)]):
        title = f"{project.title}众筹"
        if Campaign.objects.filter(title=title).exists():
            progress.update(1)
            continue
        town = project.purchaser
        deciders = officers(town)
        target = Decimal(rng.randrange(20, 80) * 500)
        with clock(year, year.day(2, 1 + c)):
            campaign = services.campaign_create(
                actor=demo.maker, region=town.pk, holder=charity.pk, title=title,
                purpose=f"为“{project.title}”募集社会资金", target_amount=f"{target:.2f}",
                starts_on=datetime.date(year.year, 1, 1), ends_on=datetime.date(year.year, 12, 31),
                outcome_rule="keep_what_raised" if c % 2 else "all_or_nothing",
                category=project.category, reason="年度众筹计划",
            )  # fmt: skip
            services.campaign_submit(actor=demo.maker, campaign_id=campaign.pk, reason="提交审批")
            approve("funds.campaign", campaign.pk, [u for u in deciders if u.pk != demo.maker.pk])
            services.campaign_open(actor=demo.maker, campaign_id=campaign.pk, reason="开始募集")
            services.designate_project(
                campaign=campaign, project_ref=f"projects.project:{project.pk}",
                actor=demo.maker, reason="定向用于该项目",
            )  # fmt: skip
        days = sorted(year.random_day(rng, 2, 11) for _d in range(year.n(DONATIONS, 3)))
        for day in days:
            serial += 1
            kind, name = donors[rng.randrange(len(donors))]
            amount = Decimal(rng.choice((50, 100, 200, 500, 1000, 2000)))
            if kind in ("enterprise", "agency"):
                amount *= 5
            channel = campaigns_demo.CHANNELS[serial % 3]
            with clock(year, day, hour=10 + serial % 8):
                _give(demo, campaign, year.year, serial, kind, name, amount, channel, day)
        if c % 3 == 2:
            services.campaign_close(actor=demo.maker, campaign_id=campaign.pk, reason="募集期满")
        made += 1
        progress.update(1)
    return made


def _give(demo, campaign, y, serial, kind, name, amount, channel, day) -> None:
    donation = services.donation_record(
        actor=demo.maker, idempotency_key=f"year:{y}:gift:{campaign.pk}:{serial}",
        campaign=campaign.pk, donor_type=kind, donor_name=name,
        anonymous=kind == "resident" and serial % 6 == 0,
        donor_identifier="" if kind == "resident" else f"YR{serial % 31:04d}",
        amount=f"{amount:.2f}", channel=channel,
        channel_reference="" if channel == "cash" else f"LS{y}Y{serial:06d}",
        donated_on=day, reason="社会捐赠",
    )  # fmt: skip
    if donation.donor_name and serial % 4 != 0:
        services.receipt_issue(actor=demo.maker, donation_id=donation.pk, reason="开具捐赠票据")
