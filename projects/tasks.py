"""Celery tasks of projects: thin, idempotent wrappers over services (beat schedule in
config.settings: daily)."""

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import translation

from core.context import acting_as, service_user

from . import services

SERVICE_USER = "projects-reminders"


@shared_task(name="projects.remind_milestones")
def remind_milestones(today: str | None = None) -> dict:
    """Notices for milestones due within 7 days and overdue ones (once per milestone and
    kind, however often it runs)."""
    day = datetime.date.fromisoformat(today) if today else None
    # Notices and reasons are stored once, in the deployment's language.
    with (
        acting_as(username=SERVICE_USER, label=SERVICE_USER),
        translation.override(settings.LANGUAGE_CODE),
    ):
        return services.remind_milestones(today=day)


@shared_task(name="projects.release_expired_allocations")
def release_expired_allocations(today: str | None = None) -> int:
    """Release reservations past their expiry date without a signed contract."""
    day = datetime.date.fromisoformat(today) if today else None
    with (
        acting_as(username=SERVICE_USER, label=SERVICE_USER),
        translation.override(settings.LANGUAGE_CODE),
    ):
        return services.release_expired(actor=service_user(SERVICE_USER), today=day)
