"""Milestone reminders: due within 7 days and overdue, one notice per milestone and kind,
also when the task runs twice."""

import datetime

from core.models import Notification
from projects import tasks
from projects.models import Milestone, MilestoneReminder
from tests.projects.factories import YEAR


def test_reminder_task_run_twice_sends_once(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00", shares=["400.00", "600.00"])
    first, second = Milestone.objects.filter(project=project).order_by("number")
    today = first.due_on - datetime.timedelta(days=3)  # first due soon
    assert second.due_on > today + datetime.timedelta(days=7)
    result = tasks.remind_milestones(today=today.isoformat())
    assert result == {"due_soon": 1, "overdue": 0}
    count = Notification.objects.filter(kind="milestone_due_soon").count()
    assert count >= 2  # the purchaser's officer and the undertaker's representative
    assert Notification.objects.filter(user=pw["rep"], kind="milestone_due_soon").exists()
    assert tasks.remind_milestones(today=today.isoformat()) == {"due_soon": 0, "overdue": 0}
    assert Notification.objects.filter(kind="milestone_due_soon").count() == count
    later = datetime.date(YEAR, 12, 31)
    assert tasks.remind_milestones(today=later.isoformat()) == {"due_soon": 0, "overdue": 2}
    assert tasks.remind_milestones(today=later.isoformat()) == {"due_soon": 0, "overdue": 0}
    assert MilestoneReminder.objects.count() == 3
