"""Writes of the access app: users and their role assignments (administrators), and API
tokens (issued at login, revoked by their owner).

Every function takes explicit values (never an instance its caller already changed) and, in
one transaction: checks the actor's role, locks the row it changes, checks the rules on the
row it read under the lock, writes, and records the reason. On an update, arguments left
`UNSET` keep their value. The admin calls these and nothing else to write.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audited import set_reason
from core.context import acting_as
from core.errors import Conflict, InvalidInput, NotFound
from core.services import UNSET, given, locked, validate

from .models import ApiToken, Role, RoleAssignment, User
from .permissions import require_role

# ---------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------


def _set_password(user: User, password: str | None) -> None:
    """A password, or none usable (None): the user then cannot log in with one."""
    if password is None:
        user.set_unusable_password()
    elif not password:
        message = _("Give a password, or none usable.")
        raise InvalidInput(message, fields={"password": [message]})
    else:
        user.set_password(password)


def user_create(
    *,
    actor,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_active: bool = True,
    is_staff: bool = False,
    is_superuser: bool = False,
    reason: str = "",
) -> User:
    """A person who may log in (`password` None: no usable password yet)."""
    require_role(actor, Role.ADMINISTRATOR)
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_active=is_active,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        _set_password(user, password)
        validate(user)
        set_reason(user, reason or _("user created")).save()
    return user


def _user_locked(user_id) -> User:
    return locked(User.objects.all(), user_id)


def user_update(
    *,
    actor,
    user_id: int,
    username: str = UNSET,
    first_name: str = UNSET,
    last_name: str = UNSET,
    email: str = UNSET,
    is_active: bool = UNSET,
    is_staff: bool = UNSET,
    is_superuser: bool = UNSET,
    reason: str = "",
) -> User:
    """Change the fields given. Users are deactivated (`is_active=False`), never deleted."""
    require_role(actor, Role.ADMINISTRATOR)
    changes = given(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    with transaction.atomic():
        user = _user_locked(user_id)
        for field, value in changes.items():
            setattr(user, field, value)
        validate(user)
        set_reason(user, reason or _("updated")).save()
    return user


def user_set_password(*, actor, user_id: int, password: str | None, reason: str = "") -> User:
    """A new password (None: no usable password; the user can no longer log in with one)."""
    require_role(actor, Role.ADMINISTRATOR)
    with transaction.atomic():
        user = _user_locked(user_id)
        _set_password(user, password)
        set_reason(user, reason or _("password changed")).save()
    return user


# ---------------------------------------------------------------------------------------
# Role assignments
# ---------------------------------------------------------------------------------------


def role_assignment_grant(
    *,
    actor,
    user_id: int,
    role: str,
    region_id: int | None = None,
    federation_id: int | None = None,
    organization_id: int | None = None,
    is_active: bool = True,
    reason: str = "",
) -> RoleAssignment:
    """Give a user a role over a scope (a region, a federation or an organization, as the
    role asks). The user's row is locked: grants to one user are made one at a time."""
    require_role(actor, Role.ADMINISTRATOR)
    with transaction.atomic():
        try:
            user = _user_locked(user_id)
        except NotFound:
            message = _("No user with this id.")
            raise InvalidInput(message, fields={"user": [message]}) from None
        assignment = RoleAssignment(
            user=user,
            role=role,
            region_id=region_id,
            federation_id=federation_id,
            organization_id=organization_id,
            is_active=is_active,
        )
        validate(assignment)
        set_reason(assignment, reason or _("role granted")).save()
    return assignment


def role_assignment_update(
    *,
    actor,
    assignment_id: int,
    role: str = UNSET,
    region_id: int | None = UNSET,
    federation_id: int | None = UNSET,
    organization_id: int | None = UNSET,
    is_active: bool = UNSET,
    reason: str = "",
) -> RoleAssignment:
    """Correct an assignment (the fields given); its user does not change."""
    require_role(actor, Role.ADMINISTRATOR)
    changes = given(
        role=role,
        region_id=region_id,
        federation_id=federation_id,
        organization_id=organization_id,
        is_active=is_active,
    )
    with transaction.atomic():
        assignment = locked(RoleAssignment.objects.all(), assignment_id, related=("user",))
        for field, value in changes.items():
            setattr(assignment, field, value)
        validate(assignment)
        set_reason(assignment, reason or _("updated")).save()
    return assignment


def role_assignment_revoke(*, actor, assignment_id: int, reason: str) -> RoleAssignment:
    """The role ends (the row stays, inactive: the history keeps who held what)."""
    require_role(actor, Role.ADMINISTRATOR)
    with transaction.atomic():
        assignment = locked(RoleAssignment.objects.all(), assignment_id)
        if not assignment.is_active:
            raise Conflict(_("This role has already been revoked."), code="already_revoked")
        assignment.is_active = False
        set_reason(assignment, reason or _("role revoked")).save()
    return assignment


# ---------------------------------------------------------------------------------------
# API tokens
# ---------------------------------------------------------------------------------------


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
