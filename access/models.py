"""Users and their role assignments, each scoped to a region, a federation or an organization."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel, AuditedQuerySet, audited_history
from core.errors import Conflict


class UserManager(DjangoUserManager.from_queryset(AuditedQuerySet)):
    pass


class User(AbstractUser):
    """A person, or a named service identity (Celery, management commands).

    Users are deactivated, never deleted, so every historical row keeps its author.
    """

    is_service = models.BooleanField(
        _("service identity"),
        default=False,
        help_text=_("A named identity for background jobs and commands; cannot log in."),
    )

    objects = UserManager()
    history = audited_history(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def delete(self, *args, **kwargs):
        raise Conflict(_("Users are deactivated, never deleted."), code="user_not_deletable")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    FEDERATION_STAFF = "federation_staff", _("Federation staff")
    ORGANIZATION_REP = "organization_rep", _("Organization representative")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Which scope each role is held over.
REGION_ROLES = (Role.FINANCE_OFFICER, Role.AUDITOR)
FINANCE_LEVELS = ("county", "township")


class ScopeFields(models.Model):
    """What a row is scoped to: a region subtree, a federation or an organization
    (access.selectors.visible_to reads these through each model's lookups)."""

    region = models.ForeignKey(
        "federations.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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

    class Meta:
        abstract = True


class RoleAssignment(ScopeFields, AuditedModel):
    audit_region_lookup = ("region", "federation__township", "organization__community")
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role", "id"]
        indexes = [models.Index(fields=["user", "is_active"], name="roleassign_user_active")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=[r.value for r in REGION_ROLES],
                        region__isnull=False,
                        federation__isnull=True,
                        organization__isnull=True,
                    )
                    | Q(
                        role=Role.FEDERATION_STAFF,
                        region__isnull=True,
                        federation__isnull=False,
                        organization__isnull=True,
                    )
                    | Q(
                        role=Role.ORGANIZATION_REP,
                        region__isnull=True,
                        federation__isnull=True,
                        organization__isnull=False,
                    )
                    | Q(
                        role=Role.ADMINISTRATOR,
                        region__isnull=True,
                        federation__isnull=True,
                        organization__isnull=True,
                    )
                ),
                name="roleassignment_scope_matches_role",
                violation_error_message=_(
                    "Finance officers and auditors are scoped to a region, federation staff "
                    "to a federation, representatives to an organization, administrators to "
                    "nothing."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_name}"

    @property
    def scope_kind(self) -> str:
        if self.region_id:
            return "region"
        if self.federation_id:
            return "federation"
        if self.organization_id:
            return "organization"
        return "all"

    @property
    def scope_object(self):
        return self.region or self.federation or self.organization

    @property
    def scope_name(self) -> str:
        obj = self.scope_object
        return str(obj) if obj else str(_("All"))

    @property
    def scope_path(self) -> str | None:
        """The region subtree this assignment reaches (None: everywhere)."""
        if self.region_id:
            return self.region.path
        if self.federation_id:
            return self.federation.township.path
        if self.organization_id:
            return self.organization.community.path
        return None

    def clean(self):
        super().clean()
        if self.role == Role.FINANCE_OFFICER and self.region_id:
            if self.region.level not in FINANCE_LEVELS:
                raise ValidationError(
                    {"region": _("A finance officer is scoped to a county or a township.")}
                )
        if self.user_id and self.user.is_service:
            raise ValidationError({"user": _("Service identities hold no roles.")})
