"""The one project-wide error tree. Services raise these; the API turns them into 4xx."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule was broken. Carries a stable code, a message and per-field reasons."""

    status_code = 400
    code = "domain_error"
    default_detail = _("The request breaks a rule.")

    def __init__(self, detail=None, *, code: str | None = None, fields: dict | None = None):
        self.detail = detail if detail is not None else self.default_detail
        if code is not None:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.detail))


class InvalidInput(DomainError):
    code = "invalid"
    default_detail = _("The input is invalid.")


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"
    default_detail = _("You may not do this.")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_detail = _("Not found.")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_detail = _("The request conflicts with the current state.")


class UnauditedWriteError(DomainError):
    """A write that would bypass simple-history (QuerySet.update, bulk_*)."""

    status_code = 500  # a programming error, never a user's
    code = "unaudited_write"
