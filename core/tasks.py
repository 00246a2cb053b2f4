"""Kernel tasks (thin): run a background job, seal the hash chain; `whoami` proves the
Celery identity."""

from celery import shared_task

from . import chain, jobs
from .context import current_actor


@shared_task(name="core.whoami")
def whoami() -> dict:
    actor = current_actor()
    user = actor.resolve() if actor else None
    return {"label": actor.label if actor else "", "username": getattr(user, "username", None)}


@shared_task(name="core.run_job", acks_late=True)
def run_job(job_id: str) -> str:
    return jobs.run(job_id)


@shared_task(name="core.seal_chain")
def seal_chain() -> int:
    """Append hash-chain links for newly committed rows (a cheap regular pass; idempotent,
    one sealer at a time). The nightly verification makes a full pass."""
    return chain.seal(full=False)
