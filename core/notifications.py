"""Per-user notifications: one mechanism every app's reminders use.

    notify(user=officer, key=f"approvals.overdue:{request.pk}:{today}", kind="approval_overdue",
           message=_("..."), obj=request)          # or link="/admin/..."

`notify` is idempotent by (user, key): the database holds one row per pair (a unique
constraint), and sending it again, concurrently or after a retry, returns the row there
is and writes nothing. A key that includes the date gives "one notice per day". Users read
their notifications at GET /api/v1/notifications/ and mark one read with
POST /api/v1/notifications/{id}/read/.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .audited import set_reason
from .compiled import insert
from .errors import InvalidInput, NotFound
from .models import Notification


def _obj_ref(obj) -> tuple[str, int | None]:
    if obj is None:
        return "", None
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", obj.pk


def notify(
    *, user, key: str, kind: str, message: str, link: str = "", obj=None
) -> tuple[Notification, bool]:
    """Send `message` to `user` once per `key`: (the notification, whether it is new)."""
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise InvalidInput(fields={"key": ["1 to 200 characters."]})
    if not isinstance(message, str) or not message.strip():
        raise InvalidInput(fields={"message": ["Say something."]})
    obj_type, obj_id = _obj_ref(obj)
    note = Notification(
        user=user,
        key=key,
        kind=kind[:64],
        message=message[:2000],
        link=link[:500],
        obj_type=obj_type,
        obj_id=obj_id,
    )
    set_reason(note, f"notification {kind}")
    # One statement whether it is new or not (no read first, no savepoint): the insert does
    # nothing when the (user, key) row is there, also when another transaction is adding it
    # now (it waits for that one); the history row is the one save() would write.
    with transaction.atomic(savepoint=False):
        if not insert(note, ignore_conflicts=True):
            return Notification.objects.get(user=user, key=key), False
    return note, True


def notifications_for(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again: nothing changes)."""
    if isinstance(notification_id, bool) or not isinstance(notification_id, int):
        raise NotFound()
    with transaction.atomic():
        note = notifications_for(user).select_for_update().filter(pk=notification_id).first()
        if note is None:
            raise NotFound()
        if note.read_at is None:
            note.read_at = timezone.now()
            set_reason(note, "read").save()
    return note
