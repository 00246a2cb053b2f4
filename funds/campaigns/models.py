"""Crowdfunding campaigns (社会众筹), donations, receipts (公益事业捐赠票据) and community
charity funds (社区慈善基金).

A campaign and a charity fund are each a funding source (`funds.FundingSource`, kinds
`crowdfunding` and `community_charity_fund`) with its own ledger account; the rows here say
who holds the money, what it is restricted to and how the campaign ends. Every donation is
one ledger transfer from the donors' outside account into that account (`transfer`), and a
refund is its reversing transfer (`refund_transfer`). Rules that protect money or numbers
are constraints here as well as checks in the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel
from core.scoping import Scope
from core.uploads import UploadTo, get_private_storage

MONEY = {"max_digits": 18, "decimal_places": 2}


def _choices_q(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _label in choices]})


def _purchase_categories():
    """funds' purchase categories (imported when asked: funds.models imports this module)."""
    from ..models import PurchaseCategory

    return PurchaseCategory.choices


# --------------------------------------------------------------------------- holders


class HolderKind(models.TextChoices):
    CHARITY = "charity", _("Charitable organization")
    FEDERATION = "federation", _("Federation")
    ORGANIZATION = "organization", _("Organization with legal personality")


class Holder(AuditedModel):
    """Who holds donated money and issues its receipts (募捐主体): a charitable organization
    (慈善组织), a federation, or an organization with legal personality. A charitable
    organization may issue donation receipts; another holder only with that qualification
    recorded (`receipt_qualification`). A charitable organization with a public-fundraising
    qualification (公开募捐资格证书) may host community charity funds."""

    Kind = HolderKind
    audit_region_lookup = "region"
    scope = Scope(region="region")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=HolderKind.choices)
    federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("federation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("region where registered"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, default=""
    )
    receipt_qualification = models.CharField(
        _("receipt qualification"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "For a holder that is not a charitable organization: the document that lets it "
            "issue donation receipts; empty: it issues none."
        ),
    )
    fundraising_certificate = models.CharField(
        _("public-fundraising qualification certificate number"),
        max_length=100,
        blank=True,
        default="",
    )
    fundraising_authority = models.CharField(
        _("issuing authority of the qualification"), max_length=200, blank=True, default=""
    )
    fundraising_valid_from = models.DateField(_("qualification valid from"), null=True, blank=True)
    fundraising_valid_until = models.DateField(
        _("qualification valid until"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fundraising holder")
        verbose_name_plural = _("fundraising holders")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["region", "id"], name="funds_holder_region"),
            models.Index(fields=["kind", "id"], name="funds_holder_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="charity", federation__isnull=True, organization__isnull=True)
                    | Q(kind="federation", federation__isnull=False, organization__isnull=True)
                    | Q(kind="organization", organization__isnull=False, federation__isnull=True)
                ),
                name="funds_holder_kind_link",
                violation_error_message=_(
                    "A federation holder names its federation, an organization holder its "
                    "organization, a charitable organization neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(fundraising_certificate="")
                | (
                    Q(kind="charity")
                    & ~Q(fundraising_authority="")
                    & Q(fundraising_valid_from__isnull=False)
                    & Q(fundraising_valid_until__gte=F("fundraising_valid_from"))
                ),
                name="funds_holder_qualification_complete",
                violation_error_message=_(
                    "A public-fundraising qualification belongs to a charitable organization "
                    "and has its issuing authority and a validity period."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def may_issue_receipts(self) -> bool:
        return self.kind == HolderKind.CHARITY or bool(self.receipt_qualification)

    def fundraising_valid_on(self, day) -> bool:
        return bool(
            self.fundraising_certificate
            and self.fundraising_valid_from
            and self.fundraising_valid_until
            and self.fundraising_valid_from <= day <= self.fundraising_valid_until
        )


# --------------------------------------------------------------------------- campaigns


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    OPEN = "open", _("Open for donations")
    SUCCEEDED = "succeeded", _("Closed: succeeded")
    FAILED = "failed", _("Closed: failed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class OutcomeRule(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing (refund if the target is missed)")
    KEEP = "keep_what_raised", _("Keep what is raised")


class Campaign(AuditedModel):
    """A crowdfunding campaign: a funding source of kind crowdfunding with its own ledger
    account once approved. Restricted to one service category and, once the projects app
    designates one, to a project (`project_ref`, an opaque reference funds never follows)."""

    State = CampaignState
    Outcome = OutcomeRule
    audit_region_lookup = "source__region"
    scope = Scope(region="source__region")

    source = models.OneToOneField(
        "funds.FundingSource",
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="campaign",
    )
    holder = models.ForeignKey(
        Holder, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=500)
    target_amount = models.DecimalField(_("target amount (CNY)"), **MONEY)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    outcome_rule = models.CharField(_("outcome rule"), max_length=20, choices=OutcomeRule.choices)
    category = models.CharField(
        _("restricted to service category"), max_length=40, choices=_purchase_categories
    )
    project_ref = models.CharField(
        _("restricted to project"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("Set by the projects app (designate_project); empty until designated."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    refund_job = models.ForeignKey(
        "core.Job",
        verbose_name=_("refund job"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("crowdfunding campaign")
        verbose_name_plural = _("crowdfunding campaigns")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="funds_campaign_state"),
            models.Index(fields=["holder", "id"], name="funds_campaign_holder"),
            models.Index(fields=["category", "id"], name="funds_campaign_category"),
            models.Index(fields=["outcome_rule", "id"], name="funds_campaign_outcome"),
            models.Index(fields=["project_ref"], name="funds_campaign_project"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0),
                name="funds_campaign_target_positive",
                violation_error_message=_("The target amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="funds_campaign_dates",
                violation_error_message=_("A campaign ends on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=_choices_q("state", CampaignState.choices),
                name="funds_campaign_state_valid",
                violation_error_message=_("Unknown campaign state."),
            ),
            models.CheckConstraint(
                condition=_choices_q("outcome_rule", OutcomeRule.choices),
                name="funds_campaign_outcome_valid",
                violation_error_message=_("Unknown outcome rule."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def takes_donations(self) -> bool:
        return self.state == CampaignState.OPEN


# --------------------------------------------------------------------------- charity funds


class CharityFundState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    OPEN = "open", _("Open")
    REJECTED = "rejected", _("Rejected")


class CharityFund(AuditedModel):
    """社区慈善基金: a community's fund hosted by a charitable organization with a valid
    public-fundraising qualification, under a cooperation agreement with the community; a
    funding source of kind community charity fund with its own ledger account once open."""

    State = CharityFundState
    audit_region_lookup = "source__region"
    scope = Scope(region="source__region")

    source = models.OneToOneField(
        "funds.FundingSource",
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="charity_fund",
    )
    host = models.ForeignKey(
        Holder,
        verbose_name=_("hosting charitable organization"),
        on_delete=models.PROTECT,
        related_name="charity_funds",
    )
    name = models.CharField(_("name"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True, default="")
    agreement_number = models.CharField(
        _("cooperation agreement number"), max_length=100, blank=True, default=""
    )
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_starts_on = models.DateField(_("agreement valid from"), null=True, blank=True)
    agreement_ends_on = models.DateField(_("agreement valid until"), null=True, blank=True)
    agreement_scan = models.FileField(
        _("agreement scan"),
        storage=get_private_storage,
        upload_to=UploadTo("agreements"),
        blank=True,
        default="",
        max_length=200,
    )
    agreement_scan_type = models.CharField(
        _("agreement scan type"), max_length=40, blank=True, default=""
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CharityFundState.choices, default="draft"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("community charity fund")
        verbose_name_plural = _("community charity funds")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="funds_charityfund_state"),
            models.Index(fields=["host", "id"], name="funds_charityfund_host"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement_starts_on__isnull=True)
                | Q(agreement_ends_on__isnull=True)
                | Q(agreement_ends_on__gte=F("agreement_starts_on")),
                name="funds_charityfund_agreement_dates",
                violation_error_message=_("The agreement ends on or after it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(state="open")
                | (
                    ~Q(agreement_number="")
                    & ~Q(agreement_scan="")
                    & Q(agreement_ends_on__isnull=False)
                ),
                name="funds_charityfund_open_has_agreement",
                violation_error_message=_("An open fund has its cooperation agreement."),
            ),
        ]

    def __str__(self):
        return self.name


# --------------------------------------------------------------------------- donations


class DonorType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise in the area")
    AGENCY = "agency", _("Government agency or public institution")
    SOCIAL_ORGANIZATION = "social_organization", _("Social organization")
    RESIDENT = "resident", _("Resident")


class Channel(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    ONLINE = "online_platform", _("Online platform")


class Nature(models.TextChoices):
    DONATION = "donation", _("Donation")
    SPONSORSHIP = "sponsorship", _("Sponsorship or other benefit to the payer (赞助/摊派)")


class DonationState(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    REFUNDED = "refunded", _("Refunded")


class Donation(AuditedModel):
    """Money given to a campaign or a charity fund: one ledger transfer from the donors'
    outside account into the fund's account (recorded once per idempotency key). A payment
    with a benefit back to the payer is recorded as sponsorship and gets no receipt."""

    DonorType = DonorType
    Channel = Channel
    Nature = Nature
    State = DonationState
    audit_region_lookup = "source__region"
    scope = Scope(region="source__region")

    source = models.ForeignKey(
        "funds.FundingSource",
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
    )
    fund = models.ForeignKey(
        CharityFund,
        verbose_name=_("charity fund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
    )
    holder = models.ForeignKey(
        Holder, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    donor_type = models.CharField(_("donor type"), max_length=20, choices=DonorType.choices)
    donor_name = models.CharField(_("donor name"), max_length=200, blank=True, default="")
    donor_identifier = models.CharField(
        _("donor identifier"),
        max_length=32,
        blank=True,
        default="",
        help_text=_("Unified social credit code or identity card number."),
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    channel_reference = models.CharField(
        _("channel reference"), max_length=100, blank=True, default=""
    )
    donated_on = models.DateField(_("donated on"))
    nature = models.CharField(
        _("nature"), max_length=12, choices=Nature.choices, default=Nature.DONATION
    )
    benefit = models.CharField(_("benefit to the payer"), max_length=300, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=10, choices=DonationState.choices, default="recorded"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    request_hash = models.CharField(_("request hash"), max_length=64, editable=False)
    transfer = models.OneToOneField(
        "ledger.Transfer",
        verbose_name=_("ledger transfer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_transfer = models.OneToOneField(
        "ledger.Transfer",
        verbose_name=_("refund transfer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_reason = models.CharField(_("refund reason"), max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["campaign", "id"], name="funds_donation_campaign"),
            models.Index(fields=["fund", "id"], name="funds_donation_fund"),
            models.Index(fields=["donor_name", "donor_identifier"], name="funds_donation_donor"),
            models.Index(fields=["donor_type", "id"], name="funds_donation_type"),
            models.Index(fields=["state", "id"], name="funds_donation_state"),
            models.Index(fields=["nature", "id"], name="funds_donation_nature"),
            models.Index(fields=["donated_on", "id"], name="funds_donation_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="funds_donation_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(campaign__isnull=False, fund__isnull=True)
                | Q(campaign__isnull=True, fund__isnull=False),
                name="funds_donation_one_target",
                violation_error_message=_("A donation goes to one campaign or one charity fund."),
            ),
            models.CheckConstraint(
                condition=Q(anonymous=True) | ~Q(donor_name=""),
                name="funds_donation_named",
                violation_error_message=_("A donor who is not anonymous gives a name."),
            ),
            models.CheckConstraint(
                condition=Q(nature="donation") | ~Q(benefit=""),
                name="funds_donation_sponsorship_benefit",
                violation_error_message=_("Sponsorship names the benefit to the payer."),
            ),
            models.CheckConstraint(
                condition=Q(state="recorded", refund_transfer__isnull=True)
                | Q(state="refunded", refund_transfer__isnull=False),
                name="funds_donation_refund_transfer",
                violation_error_message=_("A refunded donation has its refund transfer."),
            ),
            models.CheckConstraint(
                condition=_choices_q("donor_type", DonorType.choices)
                & _choices_q("channel", Channel.choices)
                & _choices_q("nature", Nature.choices),
                name="funds_donation_choices_valid",
                violation_error_message=_("Unknown donor type, channel or nature."),
            ),
        ]

    def __str__(self):
        return f"捐赠 #{self.pk}"

    @property
    def is_sponsorship(self) -> bool:
        return self.nature == Nature.SPONSORSHIP

    @property
    def public_name(self) -> str:
        return str(_("Anonymous")) if self.anonymous else self.donor_name


# --------------------------------------------------------------------------- receipts


class ReceiptState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")


class ReceiptCounter(AuditedModel):
    """The last receipt number an issuer gave in a year; locked while the next is taken,
    so numbers have no gap and no duplicate."""

    audit_region_lookup = "issuer__region"
    scope = Scope(region="issuer__region")

    issuer = models.ForeignKey(
        Holder, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="funds_receiptcounter_unique"),
        ]

    def __str__(self):
        return f"{self.issuer_id}/{self.year}: {self.last_number}"


class Receipt(AuditedModel):
    """公益事业捐赠票据: numbered per issuer and year without gaps or duplicates; a voided
    receipt keeps its number and shows as void."""

    State = ReceiptState
    audit_region_lookup = "donation__source__region"
    scope = Scope(region="donation__source__region")

    issuer = models.ForeignKey(
        Holder, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="receipts"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    donation = models.ForeignKey(
        Donation, verbose_name=_("donation"), on_delete=models.PROTECT, related_name="receipts"
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    donor_name = models.CharField(_("donor name"), max_length=200)
    donor_identifier = models.CharField(
        _("donor identifier"), max_length=32, blank=True, default=""
    )
    state = models.CharField(
        _("state"), max_length=8, choices=ReceiptState.choices, default="issued"
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("donation receipt")
        verbose_name_plural = _("donation receipts")
        ordering = ["-year", "issuer", "-number"]
        indexes = [
            models.Index(fields=["state", "id"], name="funds_receipt_state"),
            models.Index(fields=["year", "id"], name="funds_receipt_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"],
                name="funds_receipt_unique_number",
                violation_error_message=_("This issuer already used this number this year."),
            ),
            models.UniqueConstraint(
                fields=["donation"],
                condition=Q(state="issued"),
                name="funds_receipt_one_per_donation",
                violation_error_message=_("This donation already has a receipt."),
            ),
            models.CheckConstraint(
                condition=Q(number__gt=0) & Q(amount__gt=0),
                name="funds_receipt_positive",
                violation_error_message=_("A receipt has a positive number and amount."),
            ),
            models.CheckConstraint(
                condition=Q(state="issued") | Q(voided_at__isnull=False),
                name="funds_receipt_void_when",
                violation_error_message=_("A void receipt records when it was voided."),
            ),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.year}-{self.issuer_id:04d}-{self.number:06d}"
