"""The overdue reminder: flags, notifies who may decide, once per request, person and day."""

import datetime

import pytest
from django.utils import timezone

from approvals import services, tasks
from approvals.models import ApprovalRequest
from core.models import Notification

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def test_not_overdue_yet_nothing_happens(aw):
    aw.submit()
    assert tasks.remind_overdue() == {"flagged": 0, "notified": 0}
    assert Notification.objects.count() == 0


def test_overdue_requests_are_flagged_and_their_approvers_reminded_once_a_day(aw):
    small = aw.submit("1000.00", owner_id=1)  # township A's two officers
    big = aw.submit("600000.00", owner_id=2)  # township A: 1 of 2; the county: 2 of 3
    services.request_approve(actor=aw["county"], request_id=big.pk)
    # 10:00 local time four days on: past the 72-hour limit, and an hour later is still the
    # same local day whatever time the test runs (the reminder's key is the local date).
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    later = today + datetime.timedelta(days=4) + 10 * HOUR
    result = services.remind_overdue(now=later)
    assert result == {"flagged": 2, "notified": 2 + 2 + 2}  # county already decided: 2 left
    small.refresh_from_db()
    assert small.overdue_since == later
    assert small.history.latest().history_change_reason == "已逾期"
    notes = Notification.objects.filter(kind="approval_overdue")
    assert {n.user.username for n in notes.filter(obj_id=small.pk)} == {"ap_town_a", "ap_town_a2"}
    assert {n.user.username for n in notes.filter(obj_id=big.pk)} == {
        "ap_town_a",
        "ap_town_a2",
        "ap_county2",
        "ap_county3",
    }
    assert all(n.obj_type == "approvals.approvalrequest" for n in notes)
    # Again the same day: nothing new. The next day: one more each.
    assert services.remind_overdue(now=later + HOUR) == {"flagged": 0, "notified": 0}
    assert services.remind_overdue(now=later + 24 * HOUR)["notified"] == 6
    assert Notification.objects.filter(kind="approval_overdue").count() == 12


def test_makers_and_delegators_are_not_reminded(aw):
    req = aw.submit("1000.00", created_by=aw["town_a2"])
    services.delegation_grant(
        actor=aw["town_a"],
        to_user=aw["town_a2"],
        region=aw.regions["town_a"],
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    services.remind_overdue(now=timezone.now() + 100 * HOUR)
    assert not Notification.objects.filter(kind="approval_overdue").exists()
    assert ApprovalRequest.objects.get(pk=req.pk).overdue_since is not None


def test_decided_requests_are_not_reminded(aw):
    req = aw.submit()
    services.request_approve(actor=aw["town_a"], request_id=req.pk)
    assert services.remind_overdue(now=timezone.now() + 100 * HOUR)["notified"] == 0
    # The submitter heard of the decision.
    note = Notification.objects.get(user=aw["submitter"])
    assert note.kind == "approval_decided" and note.obj_id == req.pk


def test_the_task_is_in_the_beat_schedule():
    from django.conf import settings

    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "approvals.remind_overdue" in entries
