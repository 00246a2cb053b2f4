"""What the year's builders share: the deterministic random source, dates clamped to today,
demo users made cheaply, bulk inserts with their history, and approvals by whoever may."""

from __future__ import annotations

import datetime
import itertools
import random
from contextlib import contextmanager
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone

from access.demo import DEMO_PASSWORD
from access.models import Role, RoleAssignment, User
from approvals.models import ApprovalRequest
from approvals.services import request_approve
from core.audited import set_reason
from core.context import actor_label, service_user
from core.errors import DomainError

REASON = "演示数据（全年）"
COMMAND = "system.command"


class Year:
    """The year being built: its number, a seeded random source, today (clamped)."""

    def __init__(self, year: int, scale: float):
        self.year = year
        self.scale = scale
        self.today = timezone.localdate()
        self._password = None
        self.users: dict[str, User] = {}

    def rng(self, part: str) -> random.Random:
        """A random source per builder, seeded by the year: one builder's draws never
        shift another's, so a second run plans exactly what the first did."""
        return random.Random(f"{self.year}:{part}")

    def n(self, full: int, minimum: int = 1) -> int:
        """`full` at scale 1, never below `minimum`."""
        return max(minimum, round(full * self.scale))

    def day(self, month: int, day: int = 1) -> datetime.date:
        """A date of the year, never after today (the past stays the past)."""
        when = datetime.date(self.year, min(max(month, 1), 12), min(max(day, 1), 28))
        return min(when, self.today)

    def random_day(self, rng: random.Random, lo: int = 1, hi: int = 12) -> datetime.date:
        return self.day(rng.randint(lo, hi), rng.randint(1, 28))

    def password(self) -> str:
        if self._password is None:  # hashed once: a demo user's password costs nothing
            self._password = make_password(DEMO_PASSWORD)
        return self._password

    def user(self, username: str, name: str, role: str, **scope) -> User:
        """A demo login holding `role` in `scope` (made once; the same password as the rest)."""
        key = f"{username}|{role}"
        if key in self.users:
            return self.users[key]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=name, is_staff=True)
            user.password = self.password()
            set_reason(user, REASON).save()
        if not RoleAssignment.objects.filter(
            user=user, role=role, is_active=True, **scope
        ).exists():
            assignment = RoleAssignment(user=user, role=role, **scope)
            assignment.full_clean()
            set_reason(assignment, REASON).save()
        self.users[key] = user
        return user


@contextmanager
def clock(year: Year, day: datetime.date, hour: int = 9):
    """Run a step as if on `day` (the past stays the past: a day from today on is today),
    so the ledger, the history and the statements spread over the year. Only on SQLite, the
    demo's database: on PostgreSQL the triggers, the chain and the backstop keep the
    database's own clock and the step runs now."""
    if connection.vendor != "sqlite" or day >= year.today:
        yield
        return
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    ticks = itertools.count()

    def now():  # a millisecond further at every reading: times stay in order
        return start + datetime.timedelta(milliseconds=next(ticks))

    with mock.patch("django.utils.timezone.now", now):
        yield


def officers(region) -> list[User]:
    """Finance officers of `region` and the regions above it, nearest first."""
    found = []
    while region is not None:
        found += [
            a.user
            for a in RoleAssignment.objects.filter(
                role=Role.FINANCE_OFFICER, region=region, is_active=True
            )
            .select_related("user")
            .order_by("id")
        ]
        region = region.parent
    return found


def approve(owner_type: str, owner_id: int, candidates: list[User], reason: str = "同意") -> bool:
    """Approve the object's pending request with as many of `candidates` as it needs (each
    tried once; one that may not decide is skipped). True when nothing is pending after."""
    for candidate in candidates:
        request = ApprovalRequest.objects.filter(
            owner_type=owner_type, owner_id=owner_id, state="pending"
        ).first()
        if request is None:
            return True
        if candidate.pk in (request.created_by_id, request.submitter_id):
            continue
        try:
            request_approve(actor=candidate, request_id=request.pk, reason=reason)
        except DomainError:
            continue
    return not ApprovalRequest.objects.filter(
        owner_type=owner_type, owner_id=owner_id, state="pending"
    ).exists()


def pending_request(owner_type: str, owner_id: int) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        owner_type=owner_type, owner_id=owner_id, state="pending"
    ).first()


def bulk_save(model: type[models.Model], objs: list, reason: str = REASON) -> list:
    """Insert `objs` with one history row each (who, why). On SQLite in bulk (simple-history's
    bulk history); elsewhere one save each, so PostgreSQL's history guard sees every row."""
    if not objs:
        return objs
    if connection.vendor != "sqlite":
        for obj in objs:
            set_reason(obj, reason).save()
        return objs
    actor = service_user(COMMAND)
    created = models.QuerySet(model).bulk_create(objs, batch_size=500)
    model.history.bulk_history_create(
        created,
        batch_size=500,
        default_user=actor,
        default_change_reason=reason,
        custom_historical_attrs={"history_actor": actor_label(actor)},
    )
    return created
