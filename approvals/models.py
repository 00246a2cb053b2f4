"""Approval policies (data), requests, their requirements, decisions, delegations.

- A policy (per step kind and region) is a set of tiers: above which amount, how many
  distinct approvers of which level must approve: finance officers of the township, county
  or city, or staff of the request's federation (found from the object through the step's
  registration). Edited by administrators, audited.
- A request is one object's step waiting for approval. It keeps a frozen copy of the rule
  it was submitted under (`rule`), and one requirement row per level it needs: which
  region's officers, how many, how many have approved so far. The inbox reads those rows.
- A decision is its own insert-only row; the database refuses a second one per person and
  request, a reject or return without a reason, and any change to a decided request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from access.models import Role, ScopeFields
from core.audited import AuditedModel
from core.money import yuan
from core.scoping import Scope

from .registry import step_choices


class Level(models.TextChoices):
    """Who approves: staff of the request's federation, or the finance officers holding
    its township, county or city."""

    FEDERATION = "federation", _("Federation staff")
    TOWNSHIP = "township", _("Township finance officer")
    COUNTY = "county", _("County finance officer")
    CITY = "city", _("City finance officer")


# Most specific first (a township's policy wins over its county's, which wins over the city's;
# a person who may decide at two levels counts at the most specific one).
LEVEL_ORDER = [Level.FEDERATION, Level.TOWNSHIP, Level.COUNTY, Level.CITY]
# The levels whose approvers are finance officers holding a region.
OFFICER_LEVELS = (Level.TOWNSHIP, Level.COUNTY, Level.CITY)


class RequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Verdict(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for changes")


class ApprovalPolicy(AuditedModel):
    audit_region_lookup = "region"

    kind = models.CharField(_("step kind"), max_length=64, choices=step_choices)
    region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The city, county or township it applies to (the most specific one wins)."),
    )
    overdue_after_hours = models.PositiveIntegerField(
        _("overdue after (hours)"),
        default=72,
        help_text=_("A request waiting longer is flagged overdue and its approvers reminded."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")
        ordering = ["kind", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "region"],
                condition=Q(is_active=True),
                name="approvalpolicy_one_active_per_kind_region",
                violation_error_message=_("This region already has an active policy for it."),
            ),
            models.CheckConstraint(
                condition=Q(overdue_after_hours__gte=1) & Q(overdue_after_hours__lte=24 * 365),
                name="approvalpolicy_overdue_hours_range",
                violation_error_message=_("Overdue after 1 hour to 365 days."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"], name="approvalpolicy_kind_active")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.region}"


class ApprovalTier(AuditedModel):
    """Above `above_amount`, `count` distinct officers of `level` must approve.

    For an amount, every tier whose threshold it exceeds applies; at each level the largest
    count applies. A policy has a tier above 0 (every amount needs someone)."""

    audit_region_lookup = "policy__region"

    policy = models.ForeignKey(
        ApprovalPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="tiers"
    )
    above_amount = models.DecimalField(
        _("above amount (yuan)"), max_digits=18, decimal_places=2, default=0
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    count = models.PositiveSmallIntegerField(_("approvals needed"), default=1)

    class Meta:
        verbose_name = _("approval tier")
        verbose_name_plural = _("approval tiers")
        ordering = ["policy_id", "above_amount", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "above_amount", "level"],
                name="approvaltier_unique_threshold_level",
                violation_error_message=_("One tier per threshold and level."),
            ),
            models.CheckConstraint(
                condition=Q(above_amount__gte=0),
                name="approvaltier_threshold_not_negative",
                violation_error_message=_("The threshold is zero or more."),
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1) & Q(count__lte=9),
                name="approvaltier_count_range",
                violation_error_message=_("From 1 to 9 approvals."),
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values),
                name="approvaltier_level_known",
            ),
        ]

    def __str__(self):
        return f"> {self.above_amount}: {self.count} × {self.get_level_display()}"


def rule_text(rule: dict) -> str:
    """The frozen rule as people read it: who must approve, and how many (history pages)."""
    if not isinstance(rule, dict):
        return str(rule)
    labels = dict(Level.choices)
    parts = [
        _("%(count)s × %(level)s (%(region)s)")
        % {
            "count": need.get("count"),
            "level": labels.get(need.get("level"), need.get("level")),
            "region": (need.get("federation") or need.get("region") or {}).get("name", ""),
        }
        for need in rule.get("required", [])
    ]
    return "；".join(str(p) for p in parts)


class ApprovalRequest(ScopeFields, AuditedModel):
    """One object's step, waiting for approval; decided once.

    The object is named by `owner_type` ("app_label.model") and `owner_id`: no foreign key
    to domain tables. Its scope is one of region, federation or organization;
    `scope_region` is the region that scope lies in (for scoping reads)."""

    scope = Scope(region="scope_region", federation="federation", organization="organization")
    audit_region_lookup = "scope_region"
    history_display = {"rule": rule_text}  # core.display: the frozen rule in words

    kind = models.CharField(_("step kind"), max_length=64, choices=step_choices)
    owner_type = models.CharField(_("object type"), max_length=100)
    owner_id = models.BigIntegerField(_("object id"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    scope_region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("region of the scope"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitter"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("object created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Who made the object; like the submitter, never one of its approvers."),
    )
    reason = models.TextField(_("reason"), max_length=2000, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=16, choices=RequestState.choices, default=RequestState.PENDING
    )
    policy = models.ForeignKey(
        ApprovalPolicy,
        verbose_name=_("policy"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    rule = models.JSONField(
        _("rule submitted under"),
        help_text=_("A frozen copy of the policy's rule; later policy changes do not alter it."),
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    due_at = models.DateTimeField(_("overdue from"))
    overdue_since = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="approvalrequest_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values),
                name="approvalrequest_state_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=RequestState.PENDING, decided_at__isnull=True)
                    | (~Q(state=RequestState.PENDING) & Q(decided_at__isnull=False))
                ),
                name="approvalrequest_decided_iff_not_pending",
                violation_error_message=_("A decided request has its decision time, no other."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(region__isnull=False, federation__isnull=True, organization__isnull=True)
                    | Q(region__isnull=True, federation__isnull=False, organization__isnull=True)
                    | Q(region__isnull=True, federation__isnull=True, organization__isnull=False)
                ),
                name="approvalrequest_one_scope",
                violation_error_message=_("Exactly one of region, federation or organization."),
            ),
            models.CheckConstraint(
                condition=Q(owner_id__gt=0) & ~Q(owner_type=""),
                name="approvalrequest_owner_named",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("submitted_at")),
                name="approvalrequest_due_after_submission",
            ),
            # One open request per object and step.
            models.UniqueConstraint(
                fields=["kind", "owner_type", "owner_id"],
                condition=Q(state=RequestState.PENDING),
                name="approvalrequest_one_pending_per_object",
                violation_error_message=_("This object already waits for this approval."),
            ),
        ]
        indexes = [
            # The overdue sweep.
            models.Index(
                fields=["due_at"], name="apprequest_pending_due", condition=Q(state="pending")
            ),
            # An object's trail; a submitter's requests.
            models.Index(fields=["owner_type", "owner_id"], name="apprequest_owner"),
            models.Index(fields=["submitter", "submitted_at"], name="apprequest_submitter"),
            models.Index(fields=["scope_region", "state"], name="apprequest_scope_state"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {yuan(self.amount)}"

    @property
    def is_pending(self) -> bool:
        return self.state == RequestState.PENDING


class ApprovalRequirement(AuditedModel):
    """What a pending request still needs at one level: `needed` distinct officers holding
    `region` (at `level`), or at the federation level `needed` distinct staff of
    `federation` (`region` is then its township); `given` have approved. Open while it
    waits for someone.

    The inbox reads these rows alone: they carry copies of the request's fields it filters
    and orders by (set at submission; the request's never change, a trigger holds that)."""

    audit_region_lookup = "request__scope_region"

    request = models.ForeignKey(
        ApprovalRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="requirements",
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        "federations.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("federation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("At the federation-staff level: whose staff approve."),
    )
    needed = models.PositiveSmallIntegerField(_("approvals needed"))
    given = models.PositiveSmallIntegerField(_("approvals given"), default=0)
    is_open = models.BooleanField(_("waiting"), default=True)
    # Copies of the request's fields, for the inbox (never change).
    kind = models.CharField(_("step kind"), max_length=64, choices=step_choices, editable=False)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=18, decimal_places=2, editable=False
    )
    submitted_at = models.DateTimeField(_("submitted at"), editable=False)
    due_at = models.DateTimeField(_("overdue from"), editable=False)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitter"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("object created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )
    scope_path = models.CharField(_("path"), max_length=255, editable=False)

    class Meta:
        verbose_name = _("approval requirement")
        verbose_name_plural = _("approval requirements")
        ordering = ["request_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "level"], name="approvalrequirement_one_per_level"
            ),
            models.CheckConstraint(
                condition=Q(needed__gte=1) & Q(given__gte=0) & Q(given__lte=F("needed")),
                name="approvalrequirement_counts",
                violation_error_message=_("No more approvals than needed."),
            ),
            models.CheckConstraint(
                condition=Q(is_open=False) | Q(given__lt=F("needed")),
                name="approvalrequirement_open_only_while_short",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.FEDERATION, federation__isnull=False)
                | (~Q(level=Level.FEDERATION) & Q(federation__isnull=True)),
                name="approvalrequirement_federation_iff_staff_level",
                violation_error_message=_("A federation-staff requirement names its federation."),
            ),
        ]
        # The inbox: open requirements of the regions a user holds, by age, amount, kind or
        # due time; and a request's own rows.
        indexes = [
            models.Index(
                fields=["region", "submitted_at", "id"],
                name="appreq_open_age",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=["region", "amount", "id"],
                name="appreq_open_amount",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=["region", "kind", "submitted_at"],
                name="appreq_open_kind",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=["region", "due_at"],
                name="appreq_open_due",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=["region", "scope_path"],
                name="appreq_open_path",
                condition=Q(is_open=True),
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # Federation staff's inbox: open requirements of their federations.
            models.Index(
                fields=["federation", "submitted_at", "id"],
                name="appreq_open_federation",
                condition=Q(is_open=True, federation__isnull=False),
            ),
        ]

    def __str__(self):
        where = self.federation_id or self.region_id
        return f"{self.get_level_display()} {where}: {self.given}/{self.needed}"

    @property
    def seat(self) -> tuple[str, int]:
        """Whose approvals it waits for: ("federation", id) or ("region", id)."""
        if self.federation_id:
            return ("federation", self.federation_id)
        return ("region", self.region_id)

    @property
    def still_needed(self) -> int:
        return self.needed - self.given if self.is_open else 0


class ApprovalDecision(models.Model):
    """One person's decision on one request: insert-only, the record itself."""

    audit_append_only = True

    request = models.ForeignKey(
        ApprovalRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="approval_decisions",
    )
    user_name = models.CharField(_("name when deciding"), max_length=150)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("scope used"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("federation (staff level)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    requirement = models.ForeignKey(
        ApprovalRequirement,
        verbose_name=_("requirement"),
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    delegation = models.ForeignKey(
        "approvals.Delegation",
        verbose_name=_("acting for (delegation)"),
        on_delete=models.PROTECT,
        related_name="decisions",
        null=True,
        blank=True,
    )
    verdict = models.CharField(_("decision"), max_length=8, choices=Verdict.choices)
    reason = models.TextField(_("reason"), max_length=2000, blank=True, default="")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["request_id", "decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "user"],
                name="approvaldecision_one_per_user",
                violation_error_message=_("One decision per person and request."),
            ),
            models.CheckConstraint(
                condition=Q(verdict=Verdict.APPROVE) | Q(reason__regex=r"\S"),
                name="approvaldecision_reason_to_refuse",
                violation_error_message=_("A rejection or a return needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="approvaldecision_verdict_known"
            ),
        ]
        indexes = [models.Index(fields=["user", "decided_at"], name="appdecision_user")]

    def __str__(self):
        return f"{self.user_name}: {self.get_verdict_display()}"


class Delegation(AuditedModel):
    """An officer hands their approvals at one region to another officer holding the same
    level and region, for a date range (both ends included), until revoked. At the
    federation-staff level a staff member hands them to another staff member of the same
    federation (`federation` set; `region` is its township).

    While it is in force the delegator decides nothing there, their reminders go to the
    delegate, and the delegate's decisions there record that they act for the delegator."""

    audit_region_lookup = "region"

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegated by"),
        on_delete=models.PROTECT,
        related_name="delegations_given",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegated to"),
        on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    region = models.ForeignKey(
        "federations.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("federation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.TextField(_("reason"), max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="delegation_dates_ordered",
                violation_error_message=_("The end is on or after the start."),
            ),
            models.CheckConstraint(
                condition=~Q(from_user=F("to_user")),
                name="delegation_not_to_self",
                violation_error_message=_("Delegate to someone else."),
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="delegation_revoked_with_who",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.FEDERATION, federation__isnull=False)
                | (~Q(level=Level.FEDERATION) & Q(federation__isnull=True)),
                name="delegation_federation_iff_staff_level",
            ),
        ]
        indexes = [
            models.Index(
                fields=["from_user", "ends_on"],
                name="delegation_from_live",
                condition=Q(revoked_at__isnull=True),
            ),
            models.Index(
                fields=["to_user", "ends_on"],
                name="delegation_to_live",
                condition=Q(revoked_at__isnull=True),
            ),
            models.Index(fields=["region", "starts_on"], name="delegation_region"),
        ]

    def __str__(self):
        return f"{self.from_user} → {self.to_user} ({self.starts_on}–{self.ends_on})"

    def in_force(self, on) -> bool:
        return self.revoked_at is None and self.starts_on <= on <= self.ends_on

    @property
    def seat(self) -> tuple[str, int]:
        if self.federation_id:
            return ("federation", self.federation_id)
        return ("region", self.region_id)
