"""The database refuses what the services refuse: whatever goes around them."""

import datetime

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone

from approvals import services
from approvals.models import ApprovalDecision, ApprovalRequest, RequestState
from tests.approvals.conftest import written

pytestmark = pytest.mark.django_db


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql, params=(), errors=(IntegrityError, InternalError)):
    with pytest.raises(errors):
        raw(sql, params)


def test_one_decision_per_person_and_request(aw):
    req = aw.submit("600000.00")
    services.request_approve(actor=aw["county"], request_id=req.pk)
    d = ApprovalDecision.objects.get(request=req)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision(
            request=req,
            user=d.user,
            user_name="x",
            role=d.role,
            level=d.level,
            region=d.region,
            requirement=d.requirement,
            verdict="approve",
            decided_at=timezone.now(),
        ).save()


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize("verdict", ["reject", "return"])
def test_a_refusal_without_reason_is_refused_by_the_database(aw, verdict, reason):
    req = aw.submit()
    r = req.requirements.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision(
            request=req,
            user=aw["town_a"],
            user_name="x",
            role="finance_officer",
            level="township",
            region=r.region,
            requirement=r,
            verdict=verdict,
            reason=reason,
            decided_at=timezone.now(),
        ).save()


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_decisions_are_append_only(aw):
    req = aw.submit()
    services.request_approve(actor=aw["town_a"], request_id=req.pk)
    d = ApprovalDecision.objects.get(request=req)
    refused("UPDATE approvals_approvaldecision SET reason = 'x' WHERE id = %s", [d.pk])
    refused("DELETE FROM approvals_approvaldecision WHERE id = %s", [d.pk])


def test_amount_positive_with_two_decimals(aw):
    req = aw.submit()
    refused("UPDATE approvals_approvalrequest SET amount = 0 WHERE id = %s", [req.pk])
    with pytest.raises(IntegrityError):
        raw(
            "INSERT INTO approvals_approvalrequest (kind, owner_type, owner_id, amount, "
            "scope_region_id, region_id, submitter_id, reason, state, policy_id, rule, "
            "submitted_at, due_at) SELECT kind, owner_type, owner_id + 1, -5, scope_region_id, "
            "region_id, submitter_id, reason, state, policy_id, rule, submitted_at, due_at "
            "FROM approvals_approvalrequest WHERE id = %s",
            [req.pk],
        )
    # Two decimals: the column keeps two (a third is rounded by the database, refused by
    # the services and the API before that).
    col = ApprovalRequest._meta.get_field("amount")
    assert (col.max_digits, col.decimal_places) == (18, 2)


def test_a_decided_request_never_changes(aw):
    req = aw.submit()
    services.request_approve(actor=aw["town_a"], request_id=req.pk)
    refused("UPDATE approvals_approvalrequest SET state = 'rejected' WHERE id = %s", [req.pk])
    refused(
        "UPDATE approvals_approvalrequest SET state = 'pending', decided_at = NULL WHERE id = %s",
        [req.pk],
    )
    refused("UPDATE approvals_approvalrequest SET reason = 'x' WHERE id = %s", [req.pk])
    refused("DELETE FROM approvals_approvalrequest WHERE id = %s", [req.pk])
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED


def test_what_was_submitted_never_changes(aw):
    req = aw.submit()
    refused("UPDATE approvals_approvalrequest SET amount = 1 WHERE id = %s", [req.pk])
    refused("UPDATE approvals_approvalrequest SET rule = '{}' WHERE id = %s", [req.pk])
    refused(
        "UPDATE approvals_approvalrequest SET submitter_id = %s WHERE id = %s",
        [aw["town_a"].pk, req.pk],
    )
    # A pending request's state changes only with its decision time.
    refused("UPDATE approvals_approvalrequest SET state = 'approved' WHERE id = %s", [req.pk])


def test_one_pending_request_per_object(aw):
    req = aw.submit()
    refused(
        "INSERT INTO approvals_approvalrequest (kind, owner_type, owner_id, amount, "
        "scope_region_id, region_id, submitter_id, reason, state, policy_id, rule, "
        "submitted_at, due_at) SELECT kind, owner_type, owner_id, amount, scope_region_id, "
        "region_id, submitter_id, reason, state, policy_id, rule, submitted_at, due_at "
        "FROM approvals_approvalrequest WHERE id = %s",
        [req.pk],
    )


def test_requirements_never_count_past_what_is_needed(aw):
    req = aw.submit()
    r = req.requirements.get()
    refused("UPDATE approvals_approvalrequirement SET given = 2 WHERE id = %s", [r.pk])
    refused("UPDATE approvals_approvalrequirement SET given = 1 WHERE id = %s", [r.pk])


def test_audited_models_refuse_queryset_writes(aw):
    from core.errors import UnauditedWriteError

    aw.submit()
    before = written()
    with pytest.raises(UnauditedWriteError):
        ApprovalRequest.objects.update(state="approved")
    assert written() == before


def test_delegation_dates_and_self_are_refused_by_the_database(aw):
    today = timezone.localdate()
    base = (
        "INSERT INTO approvals_delegation (from_user_id, to_user_id, region_id, level, "
        "starts_on, ends_on, reason, created_at) VALUES (%s, %s, %s, 'township', %s, %s, '', now())"
    )
    r = aw.regions["town_a"].pk
    refused(base, [aw["town_a"].pk, aw["town_a2"].pk, r, today, today - datetime.timedelta(1)])
    refused(base, [aw["town_a"].pk, aw["town_a"].pk, r, today, today])
