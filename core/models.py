"""The kernel's own tables: background jobs, the one hash chain, verification runs.

Chain links, their column sets and verification runs are insert-only
(`audit_append_only = True`): PostgreSQL refuses UPDATE, DELETE and TRUNCATE on them
(core/triggers.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .audited import AuditedModel


class Job(AuditedModel):
    """A background job any app can start and anyone allowed can follow at /api/v1/jobs/{id}/."""

    # Progress is saved without a history row (audit/jobs.py); not a change to report.
    audit_backstop_ignored_fields = ["done", "total"]

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    params = models.JSONField(_("parameters"), default=dict)
    done = models.BigIntegerField(_("done"), default=0)
    total = models.BigIntegerField(_("total"), null=True)
    result = models.JSONField(_("result"), default=dict)
    file = models.FileField(_("file"), upload_to="jobs/%Y/%m/", blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True)
    finished_at = models.DateTimeField(_("finished at"), null=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"], name="job_owner_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__gte=0), name="job_done_not_negative"),
        ]

    def __str__(self):
        return f"{self.kind} {self.pk} {self.get_status_display()}"

    @property
    def progress(self) -> float | None:
        if not self.total:
            return 1.0 if self.status == self.Status.SUCCEEDED else None
        return min(1.0, self.done / self.total)


class ChainColumnSet(models.Model):
    """The columns one event of a chained table covers, as they were when it was sealed.

    A link records its column set, so a column added to the table later does not change the
    digest of rows sealed before it existed (core/chain.py).
    """

    audit_append_only = True

    table_name = models.CharField(_("table"), max_length=63)
    event = models.CharField(_("event"), max_length=16)
    columns = models.JSONField(_("columns"))
    # Columns covered only for rows where `extra_when` (SQL) holds, e.g. a direct posting.
    extra_columns = models.JSONField(_("conditional columns"), default=list)
    extra_when = models.TextField(_("condition"), blank=True, default="")
    digest = models.CharField(_("digest"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("chained column set")
        verbose_name_plural = _("chained column sets")

    def __str__(self):
        return f"{self.table_name}.{self.event} ({len(self.columns)})"


class ChainSeal(models.Model):
    """One link of the SHA-256 hash chain over every chained table, in sealing order.

    hash = sha256(previous hash | table | row key | event | row digest); the row digest is
    computed by PostgreSQL over the event's columns (core/chain.py).
    """

    audit_append_only = True

    seq = models.BigIntegerField(_("position"), primary_key=True)
    table_name = models.CharField(_("table"), max_length=63)
    row_pk = models.BigIntegerField(_("row key"))
    event = models.CharField(_("event"), max_length=16)
    columns = models.ForeignKey(
        ChainColumnSet,
        verbose_name=_("columns"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # read by verification through the link, never filtered on
    )
    row_digest = models.CharField(_("row digest"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        verbose_name = _("hash chain link")
        verbose_name_plural = _("hash chain links")
        ordering = ["seq"]
        constraints = [
            # one link per row and event; the sealer's NOT EXISTS and max(row_pk) use it
            models.UniqueConstraint(
                fields=["table_name", "event", "row_pk"], name="core_chainseal_once"
            ),
        ]

    def __str__(self):
        return f"{self.seq}:{self.hash}"


class VerificationRun(models.Model):
    """The record of one integrity verification: the chain, and every registered check."""

    audit_append_only = True

    class Status(models.TextChoices):
        OK = "ok", _("Passed")
        FAILED = "failed", _("FAILED")
        NOT_CHECKED = "not_checked", _("Not checked on this database")

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    status = models.CharField(_("result"), max_length=16, choices=Status.choices)
    checks = models.JSONField(_("checks"), default=list)
    triggered_by = models.CharField(_("triggered by"), max_length=150)
    head_seal_id = models.BigIntegerField(_("chain head position"), null=True)
    head_hash = models.CharField(_("chain head hash"), max_length=64, blank=True, default="")
    rows_checked = models.BigIntegerField(_("chain links checked"), default=0)
    first_bad = models.TextField(_("first bad row"), blank=True, default="")
    result = models.JSONField(_("result details"), default=dict)

    class Meta:
        verbose_name = _("verification run")
        verbose_name_plural = _("verification runs")
        ordering = ["-id"]
        # the admin's status filter, newest first
        indexes = [models.Index(fields=["status", "id"], name="core_verif_status")]

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def ok(self) -> bool | None:
        """True passed, False failed, None when something could not be checked here."""
        if self.status == self.Status.NOT_CHECKED:
            return None
        return self.status == self.Status.OK


class Notification(AuditedModel):
    """A message for one user, read or unread; one per (user, key), so whatever sends it
    again (a retried task, the same reminder on the same day) sends nothing new.

    What it is about is named, not linked: `obj_type` ("app_label.model") and `obj_id`,
    and a `link` for people to follow. The kernel references no domain table.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    key = models.CharField(
        _("key"), max_length=200, help_text=_("Sending the same key to a user again does nothing.")
    )
    kind = models.CharField(_("kind"), max_length=64)
    message = models.TextField(_("message"), max_length=2000)
    link = models.CharField(_("link"), max_length=500, blank=True, default="")
    obj_type = models.CharField(_("about (type)"), max_length=100, blank=True, default="")
    obj_id = models.BigIntegerField(_("about (id)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key"),
            models.CheckConstraint(
                condition=~models.Q(key="") & ~models.Q(message=""),
                name="notification_key_and_message",
            ),
        ]
        indexes = [
            # A user's list, newest first; and their unread ones.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_new"),
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="notification_user_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["obj_type", "obj_id"], name="notification_obj"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.message[:50]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
