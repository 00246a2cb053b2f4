"""The auditors' workbench: backstop captures, hash-chain seals, verification results,
access log and background jobs. The baseline every model builds on is in base.py.

Captures, seals, column sets, verification runs and access-log entries are insert-only
(`audit_append_only = True`): PostgreSQL refuses UPDATE, DELETE and TRUNCATE on them, as
on every historical table (see audit/db.py).
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


class SealColumnSet(models.Model):
    """The columns of a historical table that its seals hash (so a later added column
    does not change the digest of rows sealed before it existed)."""

    audit_append_only = True

    table_name = models.CharField(_("table"), max_length=63)
    columns = models.JSONField(_("columns"))
    digest = models.CharField(_("digest"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("sealed column set")
        verbose_name_plural = _("sealed column sets")

    def __str__(self):
        return f"{self.table_name} ({len(self.columns)})"


class HistorySeal(models.Model):
    """One historical row in the SHA-256 hash chain.

    chain_hash = sha256(previous chain_hash | table | row key | row digest), in id order.
    """

    audit_append_only = True

    table_name = models.CharField(_("table"), max_length=63)
    row_pk = models.BigIntegerField(_("row key"))
    columns = models.ForeignKey(
        SealColumnSet, verbose_name=_("columns"), on_delete=models.PROTECT, related_name="+"
    )
    row_digest = models.CharField(_("row digest"), max_length=64)
    chain_hash = models.CharField(_("chain hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("history seal")
        verbose_name_plural = _("history seals")
        constraints = [
            models.UniqueConstraint(fields=["table_name", "row_pk"], name="seal_one_per_row"),
        ]

    def __str__(self):
        return f"{self.pk}:{self.chain_hash}"


class VerificationRun(models.Model):
    """The result of one integrity verification (history chain, backstop, ledger)."""

    audit_append_only = True

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    ok = models.BooleanField(_("passed"))
    triggered_by = models.CharField(_("triggered by"), max_length=150)
    head_seal_id = models.BigIntegerField(_("chain head seal"), null=True)
    head_hash = models.CharField(_("chain head hash"), max_length=64, blank=True, default="")
    rows_checked = models.BigIntegerField(_("sealed rows checked"), default=0)
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("verification run")
        verbose_name_plural = _("verification runs")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M} {'OK' if self.ok else 'FAILED'}"


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
