"""Writes of the access app: API tokens (issued at login, revoked by their owner)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audited import set_reason
from core.context import acting_as
from core.errors import NotFound

from .models import ApiToken


@transaction.atomic
def token_issue(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user` (who has just proved its password) and its key, shown once."""
    token, key = ApiToken.new(user=user, name=name)
    with acting_as(user=user):
        set_reason(token, _("logged in")).save()
    return token, key


@transaction.atomic
def token_revoke(*, actor, token_id: int, reason: str = "") -> ApiToken:
    """Revoke one of the actor's own tokens; anyone else's is not found."""
    token = (
        ApiToken.objects.select_for_update()
        .filter(pk=token_id, user=actor, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise NotFound(_("No such token."), code="token_not_found")
    token.revoked_at = timezone.now()
    set_reason(token, reason or _("revoked by its owner")).save(update_fields=["revoked_at"])
    return token


def token_touch(*, token: ApiToken, now=None) -> None:
    """Record that `token` was used, at most once per ApiToken.TOUCH_INTERVAL."""
    now = now or timezone.now()
    if now - token.last_used_at < ApiToken.TOUCH_INTERVAL:
        return
    token.last_used_at = now
    with acting_as(user=token.user):
        set_reason(token, _("used")).save(update_fields=["last_used_at"])
