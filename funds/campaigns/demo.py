"""Demo crowdfunding (idempotent): fundraising holders, campaigns in every state (draft,
submitted, approved, open, succeeded, failed and refunded, cancelled), a few hundred
donations of every donor type (some anonymous, a few sponsorships), receipts (one voided
by a refund), and an open community charity fund with its agreement. Made by the city
finance officer through the services, approved by a county officer through the engine."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from approvals.models import ApprovalPolicy
from approvals.services import policy_create
from core import jobs
from federations.models import Federation, Region

from ..demo import REASON, _Demo
from . import services
from .models import Campaign, CharityFund, Holder

# A one-page PDF: the agreement's "scan" in the demo.
SCAN = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
        b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")  # fmt: skip
DONORS = {
    "enterprise": ["胜利油田某服务公司", "东营银座商城", "黄河口物流有限公司", "东营某农业合作社"],
    "agency": ["东营区卫生健康局", "文汇街道社区卫生服务中心", "东营区第一中学"],
    "social_organization": ["东营市志愿者协会", "东营区老年协会", "黄河口公益联盟"],
    "resident": ["张秀英", "王建国", "李桂兰", "刘志强", "陈美华", "杨德明", "赵丽娟", "孙海涛"],
}
CHANNELS = ("bank_transfer", "cash", "online_platform")


def _policies(admin, city) -> None:
    for kind in (services.STEP_CAMPAIGN, services.STEP_CHARITY_FUND):
        if not ApprovalPolicy.objects.filter(kind=kind, region=city).exists():
            policy_create(actor=admin, kind=kind, region=city, reason=REASON,
                          tiers=[{"above_amount": "0", "level": "county", "count": 1}])  # fmt: skip


def _holder(demo, **fields) -> Holder:
    found = Holder.objects.filter(name=fields["name"]).first()
    return found or services.holder_create(actor=demo.maker, reason=REASON, **fields)


class _Donations:
    """Deterministic donors, amounts, channels and dates (no randomness: the demo is the
    same every time)."""

    def __init__(self):
        self.n = 0
        self.today = timezone.localdate()

    def give(self, demo, campaign=None, fund=None, *, count: int, base: int):
        made = []
        kinds = list(DONORS)
        for _i in range(count):
            self.n += 1
            n = self.n
            kind = kinds[n % len(kinds)]
            names = DONORS[kind]
            anonymous = kind == "resident" and n % 5 == 0
            channel = CHANNELS[n % 3]
            day = min(datetime.date(2026, 1, 5) + datetime.timedelta(days=(n * 7) % 320),
                      self.today)  # fmt: skip
            amount = Decimal(base * (1 + n % 7)) + Decimal(n % 4) * Decimal("0.50")
            if kind in ("enterprise", "agency"):
                amount *= 10
            made.append(services.donation_record(
                actor=demo.maker, idempotency_key=f"demo-donation-{n}",
                campaign=getattr(campaign, "pk", None), fund=getattr(fund, "pk", None),
                donor_type=kind, donor_name=names[n % len(names)], anonymous=anonymous,
                donor_identifier=f"DEMO{n % 23:04d}" if kind != "resident" else "",
                amount=f"{amount:.2f}", channel=channel,
                channel_reference="" if channel == "cash" else f"LS2026{n:06d}",
                donated_on=day, reason=REASON,
            ))  # fmt: skip
        return made


def _campaign(demo, county, town, holder, title, state, *, target, rule="all_or_nothing",
              category="elderly_care", purpose="") -> Campaign:  # fmt: skip
    campaign = services.campaign_create(
        actor=demo.maker, region=town.pk, holder=holder.pk, title=title,
        purpose=purpose or title, target_amount=target, starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31), outcome_rule=rule, category=category,
        reason=REASON,
    )  # fmt: skip
    if state != "draft":
        services.campaign_submit(actor=demo.maker, campaign_id=campaign.pk, reason=REASON)
    if state not in ("draft", "submitted"):
        demo.approve(campaign, "funds.campaign", county)
    if state in ("open", "closed"):
        services.campaign_open(actor=demo.maker, campaign_id=campaign.pk, reason=REASON)
    campaign.refresh_from_db()
    return campaign


def load(places: dict, *, password: str) -> list[tuple[str, str, str]]:
    demo = _Demo(places, password)
    _policies(demo.admin, demo.city)
    if Campaign.objects.exists():
        return []
    county = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    towns = list(Region.objects.filter(parent=county).order_by("code")[:2])
    if county is None or not towns:
        return []
    town, town2 = towns[0], towns[-1]
    community = Region.objects.filter(parent=town).order_by("code").first()
    charity = _holder(
        demo, kind="charity", name="东营市慈善总会", region=demo.city.pk,
        fundraising_certificate="鲁民慈募字〔2023〕5号",
        fundraising_authority="东营市民政局", fundraising_valid_from=datetime.date(2023, 6, 1),
        fundraising_valid_until=datetime.date(2028, 5, 31),
    )  # fmt: skip
    federation = Federation.objects.filter(township=town, is_active=True).first()
    fed_holder = None
    if federation is not None:
        fed_holder = _holder(demo, kind="federation", name=federation.name, region=town.pk,
                             federation=federation.pk)  # fmt: skip
    _holder(
        demo, kind="charity", name=f"{county.name}慈善协会", region=county.pk,
        fundraising_certificate="东民慈募字〔2021〕2号",
        fundraising_authority=f"{county.name}民政局",
        fundraising_valid_from=datetime.date(2021, 7, 1),
        fundraising_valid_until=datetime.date(2026, 6, 30),
    )  # fmt: skip
    gifts = _Donations()

    # Open, all-or-nothing: the busiest (about 150 donations), half receipted.
    canteen = _campaign(demo, county, town, charity, f"{town.name}长者爱心食堂众筹", "open",
                        target="200000.00", purpose="为社区高龄独居老人提供午餐")  # fmt: skip
    made = gifts.give(demo, canteen, count=150, base=20)
    for d in made[::2]:
        if not d.is_sponsorship and d.donor_name:
            services.receipt_issue(actor=demo.maker, donation_id=d.pk, reason=REASON)
    sponsor = services.donation_record(
        actor=demo.maker, idempotency_key="demo-sponsorship-1", campaign=canteen.pk,
        donor_type="enterprise", donor_name="东营某银行支行", amount="20000.00",
        channel="bank_transfer", channel_reference="LS2026SP0001",
        donated_on=min(datetime.date(2026, 3, 1), gifts.today), nature="sponsorship",
        benefit="食堂冠名及宣传海报广告位", reason=REASON,
    )  # fmt: skip
    del sponsor
    # One donor asked for its money back: refunded, its receipt voided.
    services.donation_refund(actor=demo.maker, donation_id=made[0].pk, reason="捐赠人申请退回")

    # Succeeded (target met), keep-what-you-raise (open), failed and refunded.
    library = _campaign(demo, county, town2, charity, f"{town2.name}儿童阅览室众筹", "open",
                        target="5000.00", category="children_youth")  # fmt: skip
    for d in gifts.give(demo, library, count=40, base=30):
        if d.donor_name:
            services.receipt_issue(actor=demo.maker, donation_id=d.pk, reason=REASON)
    services.campaign_close(actor=demo.maker, campaign_id=library.pk, reason="目标达成")
    if fed_holder is not None:
        keep = _campaign(
            demo, county, town, fed_holder, f"{town.name}助残康复众筹", "open",
            target="80000.00", rule="keep_what_raised", category="disability",
        )  # fmt: skip
        gifts.give(demo, keep, count=40, base=15)  # a federation without the qualification
    failed = _campaign(demo, county, town2, charity, f"{town2.name}社区篮球场翻新众筹", "open",
                       target="300000.00", category="culture_sports")  # fmt: skip
    for d in gifts.give(demo, failed, count=30, base=25)[:10]:
        if d.donor_name:
            services.receipt_issue(actor=demo.maker, donation_id=d.pk, reason=REASON)
    failed = services.campaign_close(actor=demo.maker, campaign_id=failed.pk, reason="未达目标")
    if failed.refund_job_id:
        jobs.run(str(failed.refund_job_id))  # now; the queued task then finds it finished

    # The other states.
    _campaign(demo, county, town, charity, f"{town.name}困难家庭微心愿众筹", "draft",
              target="30000.00", category="hardship_relief")  # fmt: skip
    _campaign(demo, county, town2, charity, f"{town2.name}志愿服务站众筹", "submitted",
              target="20000.00", category="volunteering")  # fmt: skip
    _campaign(demo, county, town, charity, f"{town.name}重阳节敬老活动众筹", "approved",
              target="10000.00")  # fmt: skip
    cancelled = _campaign(demo, county, town2, charity, f"{town2.name}广场舞音响众筹",
                          "approved", target="8000.00", category="culture_sports")  # fmt: skip
    services.campaign_cancel(actor=demo.maker, campaign_id=cancelled.pk, reason="活动取消")

    # A community charity fund, open, with donations.
    if community is not None and not CharityFund.objects.exists():
        fund = services.charity_fund_create(
            actor=demo.maker, region=community.pk, host=charity.pk,
            name=f"{community.name}社区慈善基金", expected_amount="50000.00",
            purpose="社区困难群众帮扶", agreement_number="东慈合〔2026〕1号",
            agreement_signed_on=datetime.date(2026, 1, 8),
            agreement_starts_on=datetime.date(2026, 1, 8),
            agreement_ends_on=datetime.date(2029, 1, 7), reason=REASON,
        )  # fmt: skip
        services.charity_fund_upload_agreement(actor=demo.maker, fund_id=fund.pk,
                                               filename="合作协议.pdf", content=SCAN)  # fmt: skip
        services.charity_fund_submit(actor=demo.maker, fund_id=fund.pk, reason=REASON)
        demo.approve(fund, "funds.charityfund", county)
        for d in gifts.give(demo, fund=fund, count=30, base=20):
            if d.donor_name:
                services.receipt_issue(actor=demo.maker, donation_id=d.pk, reason=REASON)
    return []
