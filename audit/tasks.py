"""Audit tasks (thin): seal history rows, nightly verification, exports.

`whoami` proves a worker runs tasks under the Celery service identity.
"""

from celery import shared_task

from .context import current_actor


@shared_task(name="audit.whoami")
def whoami() -> dict:
    actor = current_actor()
    user = actor.resolve() if actor else None
    return {"label": actor.label if actor else "", "username": getattr(user, "username", None)}


@shared_task(name="audit.seal_history")
def seal_history() -> int:
    from .chain import seal_pending

    return seal_pending()


@shared_task(name="audit.verify")
def verify() -> dict:
    """Nightly: verify everything and keep the result (audit.VerificationRun)."""
    from .verification import run_verification

    run = run_verification(triggered_by="celery:audit.verify")
    return {"id": run.pk, "ok": run.ok, "head": f"{run.head_seal_id or 0}:{run.head_hash}"}


@shared_task(name="audit.run_job", acks_late=True)
def run_job(job_id: str) -> str:
    from .jobs import run

    return run(job_id)
