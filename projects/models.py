"""Purchase-of-service projects (政府购买服务): needs and offers, projects and their declared
transitions, allocations (each a ledger commitment account fed from one budget line),
contracts, milestones, acceptance, payments split across sources, evaluations.

The money is in the ledger; the rows here say what it is for and who decided it. Field and
model names are a contract escrow relies on (`projects.Project`, `MilestonePayment`,
`MilestonePaymentPart.transfer`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel
from core.scoping import Scope
from core.uploads import UploadTo, get_private_storage
from funds.models import PurchaseCategory

MONEY = {"max_digits": 18, "decimal_places": 2}


# --------------------------------------------------------------------------- needs and offers


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class DemandState(models.TextChoices):
    OPEN = "open", _("Open")
    MATCHED = "matched", _("Matched to a project")
    CLOSED = "closed", _("Closed")


class OfferState(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Demand(AuditedModel):
    """A community need (社区服务需求目录)."""

    audit_region_lookup = "community"
    scope = Scope(region="community")

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=40, choices=PurchaseCategory.choices)
    community = models.ForeignKey(
        "federations.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), max_length=4000, blank=True, default="")
    beneficiaries = models.CharField(_("beneficiaries"), max_length=300, blank=True, default="")
    beneficiary_count = models.PositiveIntegerField(_("number of beneficiaries"), default=0)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=8, choices=DemandState.choices, default=DemandState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("community need")
        verbose_name_plural = _("community needs")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["community", "id"], name="projects_demand_community"),
            models.Index(fields=["category", "state"], name="projects_demand_cat_state"),
            models.Index(fields=["state", "id"], name="projects_demand_state"),
            models.Index(fields=["priority", "id"], name="projects_demand_priority"),
        ]

    def __str__(self):
        return self.title


class Offer(AuditedModel):
    """An organization's service offer (社会组织服务供给目录)."""

    audit_region_lookup = "area"
    scope = Scope(region="area", organization="organization_id")

    organization = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=40, choices=PurchaseCategory.choices)
    area = models.ForeignKey(
        "federations.Region",
        verbose_name=_("area served"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), max_length=4000, blank=True, default="")
    capacity = models.PositiveIntegerField(
        _("capacity (people served)"), default=0, help_text=_("People served per term.")
    )
    price_min = models.DecimalField(_("price from (CNY)"), **MONEY)
    price_max = models.DecimalField(_("price up to (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=10, choices=OfferState.choices, default=OfferState.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service offer")
        verbose_name_plural = _("service offers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "id"], name="projects_offer_org"),
            models.Index(fields=["category", "state"], name="projects_offer_cat_state"),
            models.Index(fields=["area", "id"], name="projects_offer_area"),
            models.Index(fields=["state", "id"], name="projects_offer_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_min__gte=0) & Q(price_max__gte=F("price_min")),
                name="projects_offer_price_range",
                violation_error_message=_("The price range runs from a lower to a higher price."),
            ),
        ]

    def __str__(self):
        return self.title


# --------------------------------------------------------------------------- projects


class ProjectState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    CONTRACTED = "contracted", _("Contracted")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    TERMINATED = "terminated", _("Terminated")


class NegativeItem(models.TextChoices):
    """Items the negative list (负面清单) forbids buying as services (财政部令第102号)."""

    NONE = "", _("None (not on the negative list)")
    CORE_GOVERNMENT_DUTY = "core_government_duty", _("Core government duties")
    GOODS_OR_WORKS = "goods_or_works", _("Goods or works")
    FINANCING = "financing", _("Financing")
    STAFF_HIRING = "staff_hiring", _("Staff hiring or labour dispatch")
    WELFARE_POSTS = "welfare_posts", _("Public-welfare posts")


class Project(AuditedModel):
    """A purchase of a service by a township or county from an undertaker.

    The undertaker is a registered organization (`undertaker`), or a federation contracting
    on behalf of a member without legal personality (`custody_federation` and `member`;
    the money then goes to the member's custodial account).
    """

    State = ProjectState

    audit_region_lookup = "purchaser"
    scope = Scope(
        region="purchaser", federation="custody_federation_id", organization="party_organization_id"
    )

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("project content"), max_length=4000, blank=True, default="")
    purchaser = models.ForeignKey(
        "federations.Region",
        verbose_name=_("purchaser (township or county)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=40, choices=PurchaseCategory.choices)
    catalogue_code = models.CharField(_("purchase catalogue code"), max_length=40)
    negative_item = models.CharField(
        _("negative-list item"),
        max_length=32,
        choices=NegativeItem.choices,
        blank=True,
        default="",
        help_text=_("What the purchase is, if it is on the negative list (refused)."),
    )
    transfers_government_function = models.BooleanField(
        _("government-transferred function"), default=False
    )
    undertaker = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("undertaker organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    custody_federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("federation undertaking with custody"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("member organization (without legal personality)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The organization doing the work (undertaker or member): for scoping and matching.
    party_organization = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("organization delivering the service"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    budget_amount = models.DecimalField(_("planned amount (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=12, choices=ProjectState.choices, default=ProjectState.DRAFT
    )
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("community need"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("service offer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase-of-service project")
        verbose_name_plural = _("purchase-of-service projects")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["purchaser", "id"], name="projects_project_purchaser"),
            models.Index(fields=["state", "id"], name="projects_project_state"),
            models.Index(fields=["fiscal_year", "id"], name="projects_project_year"),
            models.Index(fields=["category", "id"], name="projects_project_category"),
            models.Index(fields=["party_organization", "id"], name="projects_project_org"),
            models.Index(fields=["custody_federation", "id"], name="projects_project_fed"),
            models.Index(fields=["undertaker", "id"], name="projects_project_undertaker"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        undertaker__isnull=False,
                        custody_federation__isnull=True,
                        member__isnull=True,
                    )
                    | Q(
                        undertaker__isnull=True,
                        custody_federation__isnull=False,
                        member__isnull=False,
                    )
                ),
                name="projects_project_one_undertaker",
                violation_error_message=_(
                    "Either a registered organization undertakes, or a federation for a member."
                ),
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__gt=0),
                name="projects_project_amount_positive",
                violation_error_message=_("The planned amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=ProjectState.values),
                name="projects_project_state_valid",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def under_custody(self) -> bool:
        return self.custody_federation_id is not None


class ProjectTransition(AuditedModel):
    """One state change of a project: from, to, who and why (the declared table is
    `projects.transitions.TRANSITIONS`)."""

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="transitions"
    )
    from_state = models.CharField(_("from"), max_length=12, choices=ProjectState.choices)
    to_state = models.CharField(_("to"), max_length=12, choices=ProjectState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=2000, blank=True, default="")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project transition")
        verbose_name_plural = _("project transitions")
        ordering = ["project_id", "id"]
        indexes = [models.Index(fields=["project", "id"], name="projects_transition_project")]

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


# --------------------------------------------------------------------------- allocations


class AllocationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    RESERVED = "reserved", _("Approved: reserved")
    COMMITTED = "committed", _("Committed (contract signed)")
    REJECTED = "rejected", _("Rejected")
    RELEASED = "released", _("Released (cancelled or expired)")
    CLOSED = "closed", _("Closed out")


class Allocation(AuditedModel):
    """Money of one budget line committed to a project: its own ledger commitment account
    (owner "projects.allocation"), fed by one transfer from the line."""

    State = AllocationState

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="allocations"
    )
    line = models.ForeignKey(
        "funds.BudgetLine",
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=10, choices=AllocationState.choices, default=AllocationState.DRAFT
    )
    account = models.OneToOneField(
        "ledger.Account",
        verbose_name=_("commitment account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reservation = models.ForeignKey(
        "ledger.Transfer",
        verbose_name=_("reservation transfer"),
        on_delete=models.PROTECT,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    returned = models.DecimalField(_("returned at close-out (CNY)"), default=0, **MONEY)
    expires_on = models.DateField(
        _("reservation expires on"),
        null=True,
        blank=True,
        help_text=_("Without a signed contract by then, the reservation is released."),
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
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["project_id", "id"]
        indexes = [
            models.Index(fields=["project", "id"], name="projects_alloc_project"),
            models.Index(fields=["line", "id"], name="projects_alloc_line"),
            models.Index(fields=["state", "id"], name="projects_alloc_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="projects_alloc_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=F("amount")),
                name="projects_alloc_returned_range",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["reserved", "committed", "closed"])
                | (Q(account__isnull=False) & Q(reservation__isnull=False)),
                name="projects_alloc_reserved_has_ledger",
                violation_error_message=_("Reserved money has its account and transfer."),
            ),
        ]

    def __str__(self):
        # What people read (breadcrumbs, history, the timeline): no bare ids of other rows.
        return _("Allocation #%(id)s of project #%(project)s (¥%(amount)s)") % {
            "id": self.pk, "project": self.project_id, "amount": self.amount,
        }  # fmt: skip


# --------------------------------------------------------------------------- contracts


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved, to be signed")
    SIGNED = "signed", _("Signed")
    REJECTED = "rejected", _("Rejected")
    TERMINATED = "terminated", _("Terminated")


class Contract(AuditedModel):
    """The purchase contract: content, term, requirements, price, settlement, liabilities,
    signing date and signed scan (private upload)."""

    State = ContractState

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.OneToOneField(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="contract"
    )
    content = models.TextField(_("service content"), max_length=8000)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    stable_service = models.BooleanField(
        _("stable, continuous service"),
        default=False,
        help_text=_("With funding secured and budgeted year by year: a term of up to 3 years."),
    )
    funding_secured = models.BooleanField(_("funding secured year by year"), default=False)
    quantity_requirements = models.TextField(
        _("quantity requirements"), max_length=4000, blank=True, default=""
    )
    quality_requirements = models.TextField(
        _("quality requirements"), max_length=4000, blank=True, default=""
    )
    price = models.DecimalField(_("price (CNY)"), **MONEY)
    settlement_terms = models.TextField(
        _("settlement terms"), max_length=4000, blank=True, default=""
    )
    liabilities = models.TextField(_("liabilities"), max_length=4000, blank=True, default="")
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    scan = models.FileField(
        _("signed scan"),
        storage=get_private_storage,
        upload_to=UploadTo("contracts"),
        max_length=200,
        blank=True,
        default="",
    )
    scan_content_type = models.CharField(_("scan type"), max_length=40, blank=True, default="")
    scan_sha256 = models.CharField(_("scan SHA-256"), max_length=64, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=12, choices=ContractState.choices, default=ContractState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "id"], name="projects_contract_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="projects_contract_price_positive",
                violation_error_message=_("The price must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(term_end__gte=F("term_start")),
                name="projects_contract_term_order",
                violation_error_message=_("The term ends on or after it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(state="signed") | (Q(signed_on__isnull=False) & ~Q(scan="")),
                name="projects_contract_signed_has_scan",
                violation_error_message=_("A signed contract has its signing date and scan."),
            ),
        ]

    def __str__(self):
        return f"合同 #{self.pk}"


# --------------------------------------------------------------------------- milestones


class MilestoneState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    PAYMENT_SUBMITTED = "payment_submitted", _("Payment submitted")
    PAID = "paid", _("Paid")


class Milestone(AuditedModel):
    """A deliverable with a due date and a share of the price; accepted (验收) by the
    purchaser with evidence, then paid."""

    State = MilestoneState

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="milestones"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    deliverables = models.TextField(_("deliverables"), max_length=4000, blank=True, default="")
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("share of the price (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=20, choices=MilestoneState.choices, default=MilestoneState.PLANNED
    )
    progress_note = models.TextField(_("progress"), max_length=4000, blank=True, default="")
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acceptance_note = models.TextField(
        _("acceptance note"), max_length=4000, blank=True, default=""
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project_id", "number"]
        indexes = [
            models.Index(fields=["state", "due_on"], name="projects_milestone_due"),
            models.Index(fields=["project", "number"], name="projects_milestone_project"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"],
                name="projects_milestone_unique_number",
                violation_error_message=_("The project already has a milestone with this number."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="projects_milestone_amount_positive",
                violation_error_message=_("The share must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["accepted", "payment_submitted", "paid"])
                | Q(accepted_on__isnull=False),
                name="projects_milestone_accepted_when",
                violation_error_message=_("An accepted milestone records when."),
            ),
        ]

    def __str__(self):
        return f"{self.project_id}·{self.number} {self.title}"


class Evidence(AuditedModel):
    """A document proving a milestone's delivery or acceptance (private upload)."""

    audit_region_lookup = "milestone__project__purchaser"
    scope = Scope(
        region="milestone__project__purchaser",
        organization="milestone__project__party_organization_id",
    )

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(
        _("file"), storage=get_private_storage, upload_to=UploadTo("evidence"), max_length=200
    )
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("file name"), max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance evidence")
        verbose_name_plural = _("acceptance evidence")
        ordering = ["milestone_id", "id"]

    def __str__(self):
        return self.original_name or f"佐证材料 #{self.pk}"


class PaymentState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for approval")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class PayeeKind(models.TextChoices):
    EXTERNAL = "external", _("Undertaker's outside account")
    CUSTODIAL = "custodial", _("Member's custodial account (receivable)")


class MilestonePayment(AuditedModel):
    """Payment of an accepted milestone, approved through the engine, then split across the
    project's allocations (one `MilestonePaymentPart` and one ledger transfer each)."""

    State = PaymentState

    audit_region_lookup = "milestone__project__purchaser"
    scope = Scope(
        region="milestone__project__purchaser",
        organization="milestone__project__party_organization_id",
    )

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="payments"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=10, choices=PaymentState.choices, default=PaymentState.SUBMITTED
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    payee_kind = models.CharField(
        _("paid to"), max_length=10, choices=PayeeKind.choices, blank=True, default=""
    )
    payee_account = models.ForeignKey(
        "ledger.Account",
        verbose_name=_("payee account"),
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
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone payment")
        verbose_name_plural = _("milestone payments")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["project", "id"], name="projects_payment_project"),
            models.Index(fields=["state", "id"], name="projects_payment_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=~Q(state="rejected"),
                name="projects_payment_once_per_milestone",
                violation_error_message=_("This milestone is already paid or being paid."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="projects_payment_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(payee_account__isnull=False),
                name="projects_payment_paid_has_payee",
            ),
        ]

    def __str__(self):
        return f"付款 #{self.pk}"


class MilestonePaymentPart(models.Model):
    """One source's share of a payment: one ledger transfer out of one allocation's
    commitment account (to the undertaker, or a pending one to a custodial account).

    Insert-only, like the ledger transfer it names (PostgreSQL refuses UPDATE, DELETE and
    TRUNCATE: core/triggers.py): its own record, written in one statement with its
    siblings, no history row per part. Its payment's history records who and why."""

    audit_append_only = True

    audit_region_lookup = "payment__project__purchaser"
    scope = Scope(
        region="payment__project__purchaser",
        organization="payment__project__party_organization_id",
    )

    payment = models.ForeignKey(
        MilestonePayment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="parts"
    )
    allocation = models.ForeignKey(
        Allocation, verbose_name=_("allocation"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    transfer = models.ForeignKey(
        "ledger.Transfer",
        verbose_name=_("ledger transfer"),
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    pending = models.BooleanField(_("pending (receivable in custody)"), default=False)

    class Meta:
        verbose_name = _("payment part")
        verbose_name_plural = _("payment parts")
        ordering = ["payment_id", "id"]
        indexes = [models.Index(fields=["transfer"], name="projects_part_transfer")]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "allocation"], name="projects_part_one_per_allocation"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="projects_part_positive"),
        ]

    def __str__(self):
        return f"{self.payment_id}·{self.allocation_id}·{self.amount}"


# ---------------------------------------------------------------- supervision, evaluation


class SupervisionVisit(AuditedModel):
    """Federation staff's supervision visit to a custody member's project."""

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    progress = models.TextField(_("progress observed"), max_length=4000)
    issues = models.TextField(_("issues found"), max_length=4000, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        ordering = ["project_id", "-visited_on", "-id"]
        indexes = [models.Index(fields=["project", "id"], name="projects_visit_project")]

    def __str__(self):
        return f"{self.project_id}·{self.visited_on}"


class EvaluatorKind(models.TextChoices):
    PURCHASER = "purchaser", _("Purchaser")
    THIRD_PARTY = "third_party", _("Third party")
    FEDERATION = "federation", _("Federation")


class Evaluation(AuditedModel):
    """Performance evaluation (绩效评价): weighted criteria, each scored 0–100; `score` is
    the weighted total."""

    audit_region_lookup = "project__purchaser"
    scope = Scope(region="project__purchaser", organization="project__party_organization_id")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="evaluations"
    )
    # Denormalized for "latest scores of this undertaker" without walking projects.
    organization = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("organization evaluated"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    evaluator_kind = models.CharField(
        _("evaluated by"), max_length=12, choices=EvaluatorKind.choices
    )
    evaluator_name = models.CharField(_("evaluator"), max_length=200)
    criteria = models.JSONField(
        _("criteria"), default=list, help_text=_("[{name, weight, score}], weights add to 100.")
    )
    score = models.DecimalField(_("score (0–100)"), max_digits=5, decimal_places=2)
    summary = models.TextField(_("summary"), max_length=4000, blank=True, default="")
    evaluated_on = models.DateField(_("evaluated on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("performance evaluation")
        verbose_name_plural = _("performance evaluations")
        ordering = ["-evaluated_on", "-id"]
        indexes = [
            models.Index(fields=["organization", "-evaluated_on"], name="projects_eval_org"),
            models.Index(fields=["project", "id"], name="projects_eval_project"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="projects_eval_score_range",
                violation_error_message=_("A score from 0 to 100."),
            ),
        ]

    def __str__(self):
        return f"{self.evaluator_name}：{self.score}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due within 7 days")
    OVERDUE = "overdue", _("Overdue")


class MilestoneReminder(AuditedModel):
    """That a reminder of one kind was sent for a milestone: the unique key makes the
    reminder task send once, however often and on however many workers it runs."""

    audit_region_lookup = "milestone__project__purchaser"
    scope = Scope(region="milestone__project__purchaser")

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("milestone reminder")
        verbose_name_plural = _("milestone reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "kind"], name="projects_reminder_once_per_kind"
            )
        ]

    def __str__(self):
        return f"{self.milestone_id}·{self.get_kind_display()}"
