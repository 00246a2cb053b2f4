"""Escrow jobs (thin, idempotent): the monthly statements and the overdue-advance reminder."""

import datetime

from celery import shared_task
from django.utils import timezone

from . import services, statements


@shared_task(name="escrow.monthly_statements")
def monthly_statements(year: int | None = None, month: int | None = None) -> dict:
    """Last month's statement of every custodial account (run again: nothing new)."""
    if year is None or month is None:
        year, month = statements.previous_month(timezone.localdate())
    return statements.monthly_run(year=int(year), month=int(month))


@shared_task(name="escrow.remind_overdue_advances")
def remind_overdue_advances(on: str | None = None) -> int:
    """One notice per overdue advance, person and day."""
    day = datetime.date.fromisoformat(on) if on else None
    return services.remind_overdue_advances(on=day)
