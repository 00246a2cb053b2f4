"""Role checks for services: the first thing every write does."""

from django.utils.translation import gettext as _

from core.errors import NotPermitted

from .selectors import has_role, sees_everything


def require_role(user, *roles: str) -> None:
    """Refuse unless `user` holds one of `roles` (administrators hold every role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotPermitted(_("Log in first."), code="not_authenticated")
    if sees_everything(user) or has_role(user, *roles):
        return
    raise NotPermitted(
        _("This needs one of the roles: %(roles)s.") % {"roles": ", ".join(roles)},
        code="role_required",
    )
