"""The kernel's own tables: background jobs (and, later, notifications and verification runs)."""

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
        return f"{self.kind} {self.pk} {self.status}"

    @property
    def progress(self) -> float | None:
        if not self.total:
            return 1.0 if self.status == self.Status.SUCCEEDED else None
        return min(1.0, self.done / self.total)
