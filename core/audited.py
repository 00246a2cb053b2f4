"""The audit baseline every model of the project builds on.

simple-history only sees save() and delete(), so audited models refuse the QuerySet
writes that skip them (update, bulk_update, bulk_create) with a clear error.
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.manager import HistoryDescriptor
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
        self._refuse("bulk_create")  # core.audited.bulk_create_with_history writes history

    async def aupdate(self, **kwargs):
        self._refuse("aupdate")

    async def abulk_update(self, objs, fields, batch_size=None):
        self._refuse("abulk_update")

    async def abulk_create(self, objs, *args, **kwargs):
        self._refuse("abulk_create")


class AuditedManager(models.Manager.from_queryset(AuditedQuerySet)):
    pass


class HistoricalRowQuerySet(models.QuerySet):
    """Historical rows: a bulk insert goes through the history writer too (PostgreSQL), so
    simple-history's bulk_history_create works for the application's limited role."""

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, **kwargs):
        db = connections[self.db]
        if db.vendor != "postgresql":
            return super().bulk_create(objs, batch_size, ignore_conflicts, **kwargs)
        if ignore_conflicts or kwargs.get("update_conflicts"):
            raise UnauditedWriteError("History rows are never skipped or overwritten.")
        objs = list(objs)
        if not objs:
            return objs
        meta = self.model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        rows = []
        for obj in objs:
            if not getattr(obj, "history_actor", "x") and obj.history_user_id is not None:
                obj.history_actor = actor_label(obj.history_user)  # as one by one
            rows.append((self.model, history_guard.row_of(obj, db, fields)))
        with transaction.atomic(using=self.db, savepoint=False):
            pks = history_guard.write_many(db, rows)
        for obj, pk in zip(objs, pks, strict=True):
            obj.pk = meta.pk.to_python(pk)
            obj._state.adding, obj._state.db = False, self.db
        return objs


class HistoricalActorFields(models.Model):
    """Added to every historical table: the actor's name as it was when acting."""

    history_actor = models.CharField(_("actor"), max_length=150, blank=True, default="")

    objects = models.Manager.from_queryset(HistoricalRowQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """A new history row inside `history_guard.batched()` (PostgreSQL) is queued straight
        away: what save() would add around the insert (the row's own save signals, which
        nothing here listens to for history rows, and the pk it would read back) is not
        needed for a row that goes in with the others at the end of the block. Everything
        else saves as usual."""
        using = kwargs.get("using") or DEFAULT_DB_ALIAS
        db = connections[using]
        if (
            args
            or set(kwargs) - {"using"}
            or not self._state.adding
            or self.pk is not None
            or getattr(db, "_history_batch", None) is None
            or not db.in_atomic_block
        ):
            return super().save(*args, **kwargs)
        history_guard.write(self, db, _inserted_fields(type(self)), [])
        self._state.adding, self._state.db = False, using

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        """On PostgreSQL a history row goes in through core_history_write, the one way the
        application's limited role may add one (core/history_guard.py)."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        return history_guard.write(self, connection, fields, returning_fields)


_INSERTED: dict = {}


def _inserted_fields(model) -> list:
    """The fields save() inserts for a new row of `model` (its key comes from the database)."""
    found = _INSERTED.get(model)
    if found is None:
        meta = model._meta
        found = _INSERTED[model] = [
            f for f in meta.local_concrete_fields
            if not f.generated and not (f.primary_key and f.db_returning)
        ]  # fmt: skip
    return found


class _HistoryDescriptor(HistoryDescriptor):
    """simple-history's `Model.history` descriptor, but its manager class is made once, not
    on every access (simple-history builds it with `from_queryset`, an inspect walk of the
    queryset class, and reads `instance.history` for every history row it writes)."""

    def __get__(self, instance, owner):
        manager = self.__dict__.get("_manager")
        if manager is None:
            manager = self._manager = self.manager_class.from_queryset(self.queryset_class)
        return manager(self.model, instance)


class AuditedHistoricalRecords(HistoricalRecords):
    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        found = sender.__dict__.get(self.manager_name)
        if type(found) is HistoryDescriptor:
            descriptor = _HistoryDescriptor(
                found.model, manager=found.manager_class, queryset=found.queryset_class
            )
            setattr(sender, self.manager_name, descriptor)


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
    return AuditedHistoricalRecords(**kwargs)


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


def bulk_create_with_history(objs, *, batch_size: int | None = None, using: str = "default"):
    """Create audited objects in bulk, each with the history row its save() would write
    (simple-history's post_save: who, when, why from `set_reason`), the rows in one call to
    the history writer on PostgreSQL (the application's limited role may do this). All or
    nothing, in one transaction. Returns the objects with their primary keys."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if not any(m is model for m in _registered()) or any(type(o) is not model for o in objs):
        raise ImproperlyConfigured("bulk_create_with_history: objects of one audited model.")
    with transaction.atomic(using=using), history_guard.batched(using):
        created = models.QuerySet(model, using=using).bulk_create(objs, batch_size=batch_size)
        for obj in created:
            post_save.send(
                sender=model, instance=obj, created=True, update_fields=None, raw=False,
                using=using,
            )  # fmt: skip
    return created


def _registered() -> list:
    return [m.instance_type for m in historical_models() if hasattr(m, "instance_type")]


def set_reason(instance, reason: str | None):
    """Record why, before saving (never afterwards: that would rewrite a historical row)."""
    instance._change_reason = (reason or "")[:2000]
    return instance


@receiver(pre_create_historical_record)
def _record_actor_name(sender, history_instance, history_user, **kwargs):
    if hasattr(history_instance, "history_actor"):
        history_instance.history_actor = actor_label(history_user)


@receiver(pre_save)
@receiver(pre_delete)
def _history_before_change(sender, instance, using=None, **kwargs):
    """Inside history_guard.batched(): a row about to change again first gets its queued
    history row written (while it still matches the live row)."""
    history_guard.before_change(instance, using)
