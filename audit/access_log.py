"""Every read of the audit trail is itself recorded: who, when, which query, how many rows."""

from .models import AccessLog


def log_access(request, action: str, query: dict, rows: int | None = None) -> None:
    user = request.user
    AccessLog.objects.create(
        user=user,
        username=user.get_username(),
        action=action,
        query=query,
        rows=rows,
        path=request.get_full_path()[:500],
    )
