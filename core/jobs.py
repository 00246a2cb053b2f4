"""Background jobs any app can use: start one, report progress, follow it at /api/v1/jobs/{id}/.

    @jobs.handler("myapp.report")
    def build_report(job, progress):
        for i, chunk in enumerate(chunks):
            ...
            progress(done=i, total=n)
        return {"rows": n}                  # kept as job.result; a file goes in job.file

    job = jobs.start(kind="myapp.report", owner=request.user, params={...})

The job runs in a Celery task (`core.run_job`) after the starting transaction commits.
State changes (queued, running, succeeded, failed) are saved with history; progress is
saved without a history row every couple of seconds (the backstop ignores the progress
columns), so a long job does not fill the audit trail.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from . import scoping, tasks
from .audited import set_reason
from .context import acting_as
from .models import Job

HANDLERS: dict[str, Callable] = {}
# Called when a finished job's file is downloaded (an app that logs access registers one).
DOWNLOAD_HOOKS: dict[str, Callable] = {}
PROGRESS_EVERY_SECONDS = 2.0


def handler(kind: str, *, on_download: Callable | None = None):
    def register(fn):
        HANDLERS[kind] = fn
        if on_download is not None:
            DOWNLOAD_HOOKS[kind] = on_download
        return fn

    return register


def start(*, kind: str, owner, params: dict, reason: str = "") -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"no job handler for {kind!r}")
    with transaction.atomic():
        job = Job(kind=kind, owner=owner, params=params)
        with acting_as(user=owner):
            set_reason(job, reason or f"job {kind} started").save()
        transaction.on_commit(lambda: tasks.run_job.delay(str(job.pk)))
    return job


class Progress:
    def __init__(self, job: Job):
        self.job = job
        self._saved_at = 0.0

    def __call__(self, *, done: int, total: int | None = None, force: bool = False):
        self.job.done = done
        if total is not None:
            self.job.total = total
        now = time.monotonic()
        if force or now - self._saved_at >= PROGRESS_EVERY_SECONDS:
            self.job.save_without_historical_record(update_fields=["done", "total"])
            self._saved_at = now


def run(job_id: str) -> str:
    """Run a job once (a redelivered task finds it finished and does nothing)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            return getattr(job, "status", "missing")
        job.status = Job.Status.RUNNING
        job.started_at = timezone.now()
        set_reason(job, "started").save()
    fn = HANDLERS.get(job.kind)
    try:
        if fn is None:
            raise LookupError(f"no job handler for {job.kind!r}")
        result = fn(job, Progress(job)) or {}
    except Exception as exc:  # noqa: BLE001
        job.status = Job.Status.FAILED
        job.error = f"{exc.__class__.__name__}: {exc}"[:4000]
        job.result = {"traceback": traceback.format_exc()[-4000:]}
    else:
        job.status = Job.Status.SUCCEEDED
        job.result = result
    job.finished_at = timezone.now()
    set_reason(job, str(job.get_status_display())).save()  # the label, not the raw code
    return job.status


def visible_jobs(user):
    qs = Job.objects.select_related("owner")
    if scoping.sees_everything(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(owner=user)
