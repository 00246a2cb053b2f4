"""Decisions in the auditors' timeline (registered from ApprovalsConfig.ready): they are
insert-only rows, their own record, not model history."""

from django.db.models import Q

from core import timeline

from .models import ApprovalDecision
from .selectors import decisions_visible_to

DECISIONS = timeline.RecordTimeline(
    key="approvals.approvaldecision",
    model=ApprovalDecision,
    visible_to=decisions_visible_to,
    region_q=lambda path: Q(request__scope_region__path__startswith=path),
    at="decided_at",
    user="user",
    reason="reason",
    fields=("request", "verdict", "level", "region", "delegation"),
    related=("request", "region"),
    action="decision",
)


def register() -> None:
    timeline.register(DECISIONS)
