"""Audit tasks. `whoami` proves a worker runs tasks under the Celery service identity."""

from celery import shared_task

from .context import current_actor


@shared_task(name="audit.whoami")
def whoami() -> dict:
    actor = current_actor()
    user = actor.resolve() if actor else None
    return {"label": actor.label if actor else "", "username": getattr(user, "username", None)}
