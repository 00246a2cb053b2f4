"""Funding sources, fiscal years, annual budgets and their lines, adjustments, carry-forwards.

The money itself is in the ledger: every approved source and every budget line is a ledger
account (`account`), and every figure of the execution report is computed from ledger
transfers (see `funds.reports`). The rows here say what the money is for and who decided
it; their amounts are what was asked and approved, kept for the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel
from core.scoping import Scope
from federations.models import Region

MONEY = {"max_digits": 18, "decimal_places": 2}


class PurchaseCategory(models.TextChoices):
    """Categories of the guiding catalogue of purchasable community services (指导性目录).

    The first five are charity-type (公益慈善类) activities: the only ones community-level
    sources may pay for (东民〔2020〕14号 四(二)).
    """

    ELDERLY_CARE = "elderly_care", _("Elderly care services")
    CHILDREN_YOUTH = "children_youth", _("Children and youth services")
    DISABILITY = "disability", _("Services for people with disabilities")
    HARDSHIP_RELIEF = "hardship_relief", _("Help for people in hardship")
    VOLUNTEERING = "volunteering", _("Volunteer services")
    COMMUNITY_GOVERNANCE = "community_governance", _("Community governance services")
    DISPUTE_MEDIATION = "dispute_mediation", _("Dispute mediation")
    CULTURE_SPORTS = "culture_sports", _("Culture and sports activities")
    HEALTH_EDUCATION = "health_education", _("Health education")
    ENVIRONMENT = "environment", _("Environmental protection")
    CAPACITY_BUILDING = "capacity_building", _("Capacity building of organizations")
    SOCIAL_WORK = "social_work", _("Social-work services")


CHARITY_CATEGORIES = frozenset(
    {
        PurchaseCategory.ELDERLY_CARE,
        PurchaseCategory.CHILDREN_YOUTH,
        PurchaseCategory.DISABILITY,
        PurchaseCategory.HARDSHIP_RELIEF,
        PurchaseCategory.VOLUNTEERING,
    }
)


class SourceKind(models.TextChoices):
    COMMUNITY_WELFARE_SUBSIDY = "community_welfare_subsidy", _("Community welfare subsidy")
    PARTY_SERVICE_FUND = "party_service_fund", _("Party-organization service fund")
    FISCAL_SPECIAL_FUND = "fiscal_special_fund", _("County fiscal special fund")
    CROWDFUNDING = "crowdfunding", _("Crowdfunding")
    COMMUNITY_CHARITY_FUND = "community_charity_fund", _("Community charity fund")
    COMMUNITY_PARTY_SUPPORT = "community_party_support", _("Community party organization support")
    RESIDENTS_COMMITTEE_SUPPORT = "residents_committee_support", _("Residents' committee support")


# Which region levels may own which kind of source (a CHECK constraint holds it too).
KIND_LEVELS: dict[str, tuple[str, ...]] = {
    SourceKind.COMMUNITY_WELFARE_SUBSIDY: ("city", "county", "township"),
    SourceKind.PARTY_SERVICE_FUND: ("county", "township", "community"),
    SourceKind.FISCAL_SPECIAL_FUND: ("county",),
    SourceKind.CROWDFUNDING: ("county", "township", "community"),
    SourceKind.COMMUNITY_CHARITY_FUND: ("community",),
    SourceKind.COMMUNITY_PARTY_SUPPORT: ("community",),
    SourceKind.RESIDENTS_COMMITTEE_SUPPORT: ("community",),
}
# Money that arrives as donations (the crowdfunding issue), not from a treasury.
DONATION_KINDS = frozenset({SourceKind.CROWDFUNDING, SourceKind.COMMUNITY_CHARITY_FUND})
# Community-level support pays only for charity-type activities.
CHARITY_ONLY_KINDS = frozenset(
    {SourceKind.COMMUNITY_PARTY_SUPPORT, SourceKind.RESIDENTS_COMMITTEE_SUPPORT}
)


class ApprovalState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class FiscalYearState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class FiscalYear(AuditedModel):
    """A calendar year of the city's books: open, or closed (no new budget, adjustment or
    allocation)."""

    State = FiscalYearState

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="open")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope = Scope()  # the city's calendar: everyone with a role sees it

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="funds_fiscalyear_range",
                violation_error_message=_("A fiscal year between 2000 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(closed_at__isnull=False),
                name="funds_fiscalyear_closed_when",
                violation_error_message=_("A closed year records when it was closed."),
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


def _kind_level_condition() -> Q:
    q = Q()
    for kind, levels in KIND_LEVELS.items():
        q |= Q(kind=kind, region_level__in=levels)
    return q


class FundingSource(AuditedModel):
    """Where money comes from: a kind, a year, an owning region, the document that
    appropriated it, and what it may pay for (restrictions as data)."""

    audit_region_lookup = "region"
    scope = Scope(region="region")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=SourceKind.choices)
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name=_("fiscal year"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("owning region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The region's level when the source was recorded (regions never change level), so the
    # database can hold the rule of which level may own which kind.
    region_level = models.CharField(
        _("region level"), max_length=16, choices=Region.Level.choices, editable=False
    )
    issuer = models.CharField(_("issuing authority"), max_length=200, blank=True, default="")
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    appropriated_amount = models.DecimalField(
        _("appropriated amount (CNY)"),
        help_text=_("For crowdfunding and charity funds: the amount expected from donations."),
        **MONEY,
    )
    # Restrictions (what the money may pay for), as data.
    allowed_categories = models.JSONField(
        _("allowed categories"),
        default=list,
        blank=True,
        help_text=_("Purchase categories this money may pay for; empty means any."),
    )
    requires_party_organization = models.BooleanField(
        _("undertaker must have its party organization in place"), default=False
    )
    charity_only = models.BooleanField(_("charity-type activities only"), default=False)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.DRAFT
    )
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried forward from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_into",
    )
    account = models.OneToOneField(
        "ledger.Account",
        verbose_name=_("ledger account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The ledger account that tags this source's money: its own account, or for money
    # carried forward, the original source's (money keeps the source it came from).
    money_tag = models.ForeignKey(
        "ledger.Account",
        verbose_name=_("money tag"),
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

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        ordering = ["-fiscal_year__year", "region__path", "id"]
        indexes = [
            models.Index(fields=["fiscal_year", "region"], name="funds_source_year_region"),
            models.Index(fields=["region", "id"], name="funds_source_region"),
            models.Index(fields=["kind", "id"], name="funds_source_kind"),
            models.Index(fields=["state", "id"], name="funds_source_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "fiscal_year", "document_number"],
                condition=~Q(document_number="") & ~Q(state="rejected"),
                name="funds_source_unique_document",
                violation_error_message=_(
                    "This issuer already has a source with this document number this year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(appropriated_amount__gt=0),
                name="funds_source_amount_positive",
                violation_error_message=_("The appropriated amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=_kind_level_condition(),
                name="funds_source_kind_level",
                violation_error_message=_("A region of this level may not own this kind."),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(CHARITY_ONLY_KINDS)) | Q(charity_only=True),
                name="funds_source_community_charity_only",
                violation_error_message=_(
                    "Community-level support pays only for charity-type activities."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(account__isnull=False),
                name="funds_source_approved_has_account",
                violation_error_message=_("An approved source has its ledger account."),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.fiscal_year_id and self.fiscal_year.year}）"

    @property
    def is_donation_funded(self) -> bool:
        return self.kind in DONATION_KINDS

    def allows_category(self, category: str) -> bool:
        if self.charity_only and category not in CHARITY_CATEGORIES:
            return False
        return not self.allowed_categories or category in self.allowed_categories


class Budget(AuditedModel):
    """A county's or township's annual budget (年度预算) of purchase-of-service lines."""

    audit_region_lookup = "region"
    scope = Scope(region="region")

    region = models.ForeignKey(
        "federations.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name=_("fiscal year"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(
        _("state"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("annual budget")
        verbose_name_plural = _("annual budgets")
        ordering = ["-fiscal_year__year", "region__path", "id"]
        indexes = [
            models.Index(fields=["region", "id"], name="funds_budget_region"),
            models.Index(fields=["fiscal_year", "state"], name="funds_budget_year_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "fiscal_year"],
                condition=~Q(state="rejected"),
                name="funds_budget_one_per_region_year",
                violation_error_message=_("This region already has a budget for this year."),
            ),
        ]

    def __str__(self):
        return self.title


class BudgetLine(AuditedModel):
    """One purchase category paid from one source. Once the budget is approved the line is
    a ledger account whose balance is what can still be allocated from it."""

    audit_region_lookup = "budget__region"
    scope = Scope(region="budget__region")

    budget = models.ForeignKey(
        Budget, verbose_name=_("budget"), on_delete=models.PROTECT, related_name="lines"
    )
    category = models.CharField(_("category"), max_length=40, choices=PurchaseCategory.choices)
    source = models.ForeignKey(
        FundingSource, verbose_name=_("funding source"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(
        _("budgeted amount (CNY)"),
        help_text=_("As approved, with every approved adjustment (each one in the history)."),
        **MONEY,
    )
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    account = models.OneToOneField(
        "ledger.Account",
        verbose_name=_("ledger account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["budget", "id"]
        indexes = [
            models.Index(fields=["source", "id"], name="funds_line_source"),
            models.Index(fields=["category", "id"], name="funds_line_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "category", "source"],
                name="funds_line_unique_category_source",
                violation_error_message=_(
                    "The budget already has a line for this category and source."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="funds_line_amount_not_negative",
                violation_error_message=_("A line's amount cannot be negative."),
            ),
        ]

    def __str__(self):
        # What people read (allocations, history): the line's number and category, no
        # bare ids of the budget and the source.
        return _("Budget line #%(id)s %(category)s") % {
            "id": self.pk, "category": self.get_category_display(),
        }  # fmt: skip


class BudgetAdjustment(AuditedModel):
    """预算调剂: money moved from one line to another of the same budget, with a reason."""

    audit_region_lookup = "budget__region"
    scope = Scope(region="budget__region")

    budget = models.ForeignKey(
        Budget, verbose_name=_("budget"), on_delete=models.PROTECT, related_name="adjustments"
    )
    from_line = models.ForeignKey(
        BudgetLine, verbose_name=_("from line"), on_delete=models.PROTECT, related_name="+"
    )
    to_line = models.ForeignKey(
        BudgetLine, verbose_name=_("to line"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(
        _("state"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.SUBMITTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget adjustment")
        verbose_name_plural = _("budget adjustments")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["budget", "id"], name="funds_adjustment_budget"),
            models.Index(fields=["state", "id"], name="funds_adjustment_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="funds_adjustment_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(from_line=models.F("to_line")),
                name="funds_adjustment_two_lines",
                violation_error_message=_("An adjustment moves money between two lines."),
            ),
        ]

    def __str__(self):
        return f"调剂 #{self.pk}"


class CarryForward(AuditedModel):
    """Carrying a closed year's unallocated money of one source into the next year: a new
    source of the next year (`carried_into`), funded by transfers naming the year."""

    audit_region_lookup = "source__region"
    scope = Scope(region="source__region")

    source = models.ForeignKey(
        FundingSource,
        verbose_name=_("source carried"),
        on_delete=models.PROTECT,
        related_name="carry_forwards",
    )
    amount = models.DecimalField(
        _("amount (CNY)"), help_text=_("Unallocated when asked; carried: at approval."), **MONEY
    )
    carried_into = models.OneToOneField(
        FundingSource,
        verbose_name=_("carried into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(
        _("state"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.SUBMITTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("carry-forward")
        verbose_name_plural = _("carry-forwards")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "id"], name="funds_carry_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="funds_carry_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=~Q(state="rejected"),
                name="funds_carry_once_per_source",
                violation_error_message=_("This source's money is already carried forward."),
            ),
        ]

    def __str__(self):
        return f"结转 #{self.pk}"


# Crowdfunding campaigns, donations, receipts and community charity funds (issue 13).
from .campaigns.models import (  # noqa: E402, F401
    Campaign,
    CharityFund,
    Donation,
    Holder,
    Receipt,
    ReceiptCounter,
)
