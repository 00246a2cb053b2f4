"""The audit baseline every model of the project builds on.

simple-history only sees save() and delete(), so audited models refuse the QuerySet
writes that skip them (update, bulk_update, bulk_create) with a clear error.
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalChanges, HistoricalRecords
from simple_history.signals import pre_create_historical_record

from . import history_guard
from .context import actor_label, history_user_for
from .errors import UnauditedWriteError


class AuditedQuerySet(models.QuerySet):
    def _refuse(self, method: str):
        raise UnauditedWriteError(
            _(
                "%(model)s.objects.%(method)s() would change rows without a history record; "
                "save each object (or use a service) instead."
            )
            % {"model": self.model.__name__, "method": method}
        )

    def update(self, **kwargs):
        self._refuse("update")

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse("bulk_update")

    def bulk_create(self, objs, *args, **kwargs):
        self._refuse("bulk_create")

    async def aupdate(self, **kwargs):
        self._refuse("aupdate")

    async def abulk_update(self, objs, fields, batch_size=None):
        self._refuse("abulk_update")

    async def abulk_create(self, objs, *args, **kwargs):
        self._refuse("abulk_create")


class AuditedManager(models.Manager.from_queryset(AuditedQuerySet)):
    pass


class HistoricalActorFields(models.Model):
    """Added to every historical table: the actor's name as it was when acting."""

    history_actor = models.CharField(_("actor"), max_length=150, blank=True, default="")

    class Meta:
        abstract = True

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        """On PostgreSQL a history row goes in through core_history_write, the one way the
        application's limited role may add one (core/history_guard.py)."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        return history_guard.write(self, connection, fields, returning_fields)


def audited_history(**kwargs) -> HistoricalRecords:
    """The one HistoricalRecords configuration every audited model uses."""
    if kwargs.get("m2m_fields"):
        # simple-history's many-to-many history tables are written by bulk_create outside
        # the history writer and guard (core/history_guard.py): not allowed.
        raise ImproperlyConfigured(
            "audited_history(m2m_fields=...) is not supported: give the relation an explicit "
            "through model that is an AuditedModel (its rows then have guarded history)."
        )
    kwargs.setdefault("bases", [HistoricalActorFields])
    kwargs.setdefault("get_user", history_user_for)
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**kwargs)


class AuditedModel(models.Model):
    """Abstract base: history with who and why, and no history-skipping QuerySet writes."""

    objects = AuditedManager()
    history = audited_history(inherit=True)

    class Meta:
        abstract = True


def historical_models() -> list[type[models.Model]]:
    """Every simple-history historical model (including m2m history), sorted by table."""
    found = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    return sorted(found, key=lambda m: m._meta.db_table)


def set_reason(instance, reason: str | None):
    """Record why, before saving (never afterwards: that would rewrite a historical row)."""
    instance._change_reason = (reason or "")[:2000]
    return instance


@receiver(pre_create_historical_record)
def _record_actor_name(sender, history_instance, history_user, **kwargs):
    if hasattr(history_instance, "history_actor"):
        history_instance.history_actor = actor_label(history_user)
