"""The auditors' workbench: backstop captures and the access log. The hash chain and the
verification runs are core's (core/chain.py, core.VerificationRun).

Captures and access-log entries are insert-only (`audit_append_only = True`): PostgreSQL
refuses UPDATE, DELETE and TRUNCATE on them, as on every historical table (core/triggers.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeCapture(models.Model):
    """One row change on an audited table, written by a PostgreSQL trigger (the backstop)."""

    audit_append_only = True

    class Operation(models.TextChoices):
        INSERT = "I", _("Insert")
        UPDATE = "U", _("Update")
        DELETE = "D", _("Delete")

    table_name = models.CharField(_("table"), max_length=63)
    operation = models.CharField(_("operation"), max_length=1, choices=Operation.choices)
    row_pk = models.CharField(_("row key"), max_length=64)
    txid = models.BigIntegerField(_("transaction id"))
    captured_at = models.DateTimeField(_("captured at"))
    db_user = models.CharField(_("database user"), max_length=63)
    row_data = models.JSONField(_("row data"), null=True)

    class Meta:
        verbose_name = _("captured row change")
        verbose_name_plural = _("captured row changes")
        indexes = [models.Index(fields=["table_name", "row_pk"], name="capture_table_row")]

    def __str__(self):
        return f"{self.table_name}#{self.row_pk} {self.operation} @{self.captured_at}"


class AccessLog(models.Model):
    """Who read or exported which part of the audit trail."""

    audit_append_only = True

    class Action(models.TextChoices):
        HISTORY = "history", _("Read history")
        DIFF = "diff", _("Compared versions")
        EXPORT = "export", _("Exported history")
        DOWNLOAD = "download", _("Downloaded an export")
        VERIFY = "verify", _("Viewed verification")
        ADMIN = "admin", _("Viewed in admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    query = models.JSONField(_("query"), default=dict)
    rows = models.IntegerField(_("rows"), null=True)
    path = models.CharField(_("path"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("audit access log entry")
        verbose_name_plural = _("audit access log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "at"], name="accesslog_user_at")]

    def __str__(self):
        return f"{self.username} {self.action} {self.at:%Y-%m-%d %H:%M}"
