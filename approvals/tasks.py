"""Approvals jobs (thin): flag overdue requests and remind their approvers, once a day each."""

from celery import shared_task

from . import services


@shared_task(name="approvals.remind_overdue")
def remind_overdue() -> dict:
    """Idempotent: one notice per request, approver and day, however often it runs."""
    return services.remind_overdue()
