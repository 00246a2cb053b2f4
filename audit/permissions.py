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
    """In DEFAULT_PERMISSION_CLASSES: a user whose only role is auditor changes nothing.

    Checked before any view parses input or looks an object up, so every write endpoint of
    the API answers an auditor 403, including endpoints added later. A user holding another
    role besides auditor writes under that role (its services check it).
    """

    message = _("Auditors read; they change nothing.")
    code = "auditor_read_only"

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not getattr(user, "is_authenticated", False) or sees_everything(user):
            return True
        roles = roles_of(user)
        return not (roles and roles <= {Role.AUDITOR})
