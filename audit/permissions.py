"""API permissions: who reads the audit trail, and auditors never write."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.models import Role
from access.selectors import has_role, roles_of, sees_everything


class IsAuditorOrAdministrator(BasePermission):
    """The audit trail is read by auditors (in their regions) and administrators."""

    message = _("Only auditors and administrators read the audit trail.")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            getattr(user, "is_authenticated", False)
            and (sees_everything(user) or has_role(user, Role.AUDITOR))
        )


class AuditorsReadOnly(BasePermission):
    """In API_GUARD_PERMISSION_CLASSES: a user whose only role is auditor changes nothing.

    Checked by core.api.guards before any view runs (so before it parses input, looks an
    object up or answers 405), whatever permission list the view declares: every write
    route of the API answers an auditor 403, including routes added later. A user holding
    another role besides auditor writes under that role (its services check it). An
    auditor's own credentials are not data: logging in and revoking one's own tokens are
    allowed (the routes and methods named in OWN_CREDENTIALS).
    """

    message = _("Auditors read; they change nothing.")
    code = "auditor_read_only"
    OWN_CREDENTIALS = {("auth-token", "POST"), ("auth-token-detail", "DELETE")}

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        match = getattr(request, "resolver_match", None)
        if match is not None and (match.url_name, request.method) in self.OWN_CREDENTIALS:
            return True
        user = request.user
        if not getattr(user, "is_authenticated", False) or sees_everything(user):
            return True
        roles = roles_of(user)
        return not (roles and roles <= {Role.AUDITOR})
