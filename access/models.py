"""Users and their role assignments, each scoped to a region, a federation or an organization."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel, AuditedQuerySet, audited_history, set_reason
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
    # A login sets last_login without a historical row (access/logins.py).
    audit_backstop_ignored_fields = ["last_login"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def delete(self, *args, **kwargs):
        raise Conflict(_("Users are deactivated, never deleted."), code="user_not_deletable")

    def save(self, *args, **kwargs):
        # A new password (set_password keeps the raw one until saved) or a deactivation
        # revokes every API token, whichever path made the change (admin, API, command).
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            ApiToken.revoke_all_of(self, reason=_("password changed"))
        elif not self.is_active:
            ApiToken.revoke_all_of(self, reason=_("user deactivated"))

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
FINANCE_LEVELS = ("city", "county", "township")


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
                    {"region": _("A finance officer is scoped to a city, a county or a township.")}
                )
        if self.user_id and self.user.is_service:
            raise ValidationError({"user": _("Service identities hold no roles.")})


def token_digest(key: str) -> str:
    """Tokens are stored as their SHA-256: the database holds nothing a client can send."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(AuditedModel):
    """An API token. A user may hold several (one per login); each expires after
    API_TOKEN_IDLE_DAYS without use, and a password change or deactivation revokes all of
    them. The key is shown once, at login; the row keeps its SHA-256 and first characters.
    """

    PREFIX_LENGTH = 8
    # How often a token's last use is written (a history row each time): expiry counts
    # in days, so the hour it was last used is precise enough.
    TOUCH_INTERVAL = timedelta(hours=1)

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self):
        return f"{self.user} · {self.prefix}…"

    @classmethod
    def idle_expiry(cls) -> timedelta:
        return timedelta(days=settings.API_TOKEN_IDLE_DAYS)

    @property
    def expires_at(self):
        return self.last_used_at + self.idle_expiry()

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @classmethod
    def new(cls, *, user, name: str = "") -> tuple["ApiToken", str]:
        """An unsaved token for `user` and its key (never stored)."""
        key = secrets.token_hex(20)
        token = cls(user=user, name=name, digest=token_digest(key), prefix=key[: cls.PREFIX_LENGTH])
        return token, key

    @classmethod
    def revoke_all_of(cls, user, *, reason) -> int:
        """Revoke every live token of `user`; how many were revoked."""
        now = timezone.now()
        tokens = list(cls.objects.filter(user=user, revoked_at__isnull=True))
        for token in tokens:
            token.revoked_at = now
            set_reason(token, str(reason)).save(update_fields=["revoked_at"])
        return len(tokens)
