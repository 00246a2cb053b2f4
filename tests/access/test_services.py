"""Users and role assignments: written through the services, by administrators only."""

import pytest
from django.test import Client

from access.models import Role, RoleAssignment, User
from access.services import (
    role_assignment_grant,
    role_assignment_revoke,
    role_assignment_update,
    user_create,
    user_set_password,
    user_update,
)
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted


def test_users_are_created_changed_and_deactivated_with_reasons(users):
    admin = users["admin"]
    user = user_create(
        actor=admin, username="new.auditor", password="Xy7-long-password", reason="新任审计员"
    )
    assert user.check_password("Xy7-long-password")
    user_update(actor=admin, user_id=user.pk, first_name="王", reason="补录姓名")
    user_update(actor=admin, user_id=user.pk, is_active=False, reason="离职")
    user.refresh_from_db()
    assert (user.first_name, user.is_active) == ("王", False)
    assert list(
        user.history.order_by("history_id").values_list("history_change_reason", flat=True)
    ) == ["新任审计员", "补录姓名", "离职"]
    user_set_password(actor=admin, user_id=user.pk, password=None, reason="停用密码")
    user.refresh_from_db()
    assert not user.has_usable_password()
    with pytest.raises(InvalidInput) as taken:
        user_create(actor=admin, username="new.auditor", password="x")
    assert "username" in taken.value.fields
    with pytest.raises(NotFound):
        user_update(actor=admin, user_id=999_999_999, first_name="x")


def test_only_administrators_write_users_and_roles(users):
    for who in ("finance_county", "federation_staff", "auditor", "org_rep"):
        with pytest.raises(NotPermitted):
            user_create(actor=users[who], username=f"by.{who}", password="x")
        with pytest.raises(NotPermitted):
            role_assignment_grant(
                actor=users[who], user_id=users["nobody"].pk, role=Role.ADMINISTRATOR
            )


def test_roles_are_granted_corrected_and_revoked(users, regions):
    admin = users["admin"]
    nobody = users["nobody"]
    granted = role_assignment_grant(
        actor=admin,
        user_id=nobody.pk,
        role=Role.FINANCE_OFFICER,
        region_id=regions["town_a"].pk,
        reason="任命",
    )
    role_assignment_update(
        actor=admin, assignment_id=granted.pk, region_id=regions["county"].pk, reason="调任"
    )
    with pytest.raises(InvalidInput) as community:
        role_assignment_update(
            actor=admin, assignment_id=granted.pk, region_id=regions["comm_a1"].pk
        )
    assert "region" in community.value.fields
    with pytest.raises(InvalidInput) as scope:
        role_assignment_grant(actor=admin, user_id=nobody.pk, role=Role.FEDERATION_STAFF)
    assert scope.value.fields
    with pytest.raises(InvalidInput) as missing:
        role_assignment_grant(actor=admin, user_id=999_999_999, role=Role.ADMINISTRATOR)
    assert "user" in missing.value.fields
    role_assignment_revoke(actor=admin, assignment_id=granted.pk, reason="离任")
    with pytest.raises(Conflict):
        role_assignment_revoke(actor=admin, assignment_id=granted.pk, reason="再次")
    granted.refresh_from_db()
    assert granted.region == regions["county"] and not granted.is_active
    assert list(
        granted.history.order_by("history_id").values_list("history_change_reason", flat=True)
    ) == ["任命", "调任", "离任"]


def test_the_user_admin_saves_through_the_services(users, regions):
    client = Client()
    client.force_login(users["admin"])
    nobody = users["nobody"]
    response = client.post(
        f"/admin/access/user/{nobody.pk}/change/",
        {
            "username": nobody.username,
            "first_name": "无名",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "change_reason": "补录并任命",
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-0-role": Role.AUDITOR,
            "role_assignments-0-region": regions["town_b"].pk,
            "role_assignments-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    nobody.refresh_from_db()
    assert nobody.first_name == "无名"
    assert nobody.history.first().history_change_reason == "补录并任命"
    assignment = RoleAssignment.objects.get(user=nobody)
    assert (assignment.role, assignment.region) == (Role.AUDITOR, regions["town_b"])
    assert assignment.history.get().history_change_reason == "补录并任命"

    refused = client.post(
        f"/admin/access/user/{nobody.pk}/change/",
        {
            "username": nobody.username,
            "first_name": "无名",
            "is_active": "on",
            "change_reason": "x",
            "role_assignments-TOTAL_FORMS": "2",
            "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-0-id": assignment.pk,
            "role_assignments-0-user": nobody.pk,
            "role_assignments-0-role": Role.AUDITOR,
            "role_assignments-0-region": regions["town_b"].pk,
            "role_assignments-0-is_active": "on",
            "role_assignments-1-role": Role.FEDERATION_STAFF,  # no federation given
            "role_assignments-1-is_active": "on",
        },
    )
    assert refused.status_code == 200
    assert RoleAssignment.objects.filter(user=nobody).count() == 1

    password = client.post(
        f"/admin/access/user/{nobody.pk}/password/",
        {"password1": "An0ther-long-pw", "password2": "An0ther-long-pw", "usable_password": "true"},
    )
    assert password.status_code == 302, password.content.decode()[:2000]
    nobody.refresh_from_db()
    assert nobody.check_password("An0ther-long-pw")
    assert nobody.history.first().history_change_reason == "管理后台修改密码"


def test_the_role_assignment_admin_saves_through_the_services(users, regions):
    client = Client()
    client.force_login(users["admin"])
    added = client.post(
        "/admin/access/roleassignment/add/",
        {
            "user": users["nobody"].pk,
            "role": Role.ORGANIZATION_REP,
            "organization": regions["org_b"].pk,
            "is_active": "on",
            "change_reason": "任命负责人",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assignment = RoleAssignment.objects.get(user=users["nobody"])
    changed = client.post(
        f"/admin/access/roleassignment/{assignment.pk}/change/",
        {
            "role": Role.ORGANIZATION_REP,
            "organization": regions["org_b"].pk,
            "change_reason": "撤销",
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    assignment.refresh_from_db()
    assert assignment.is_active is False
    assert [h.history_change_reason for h in assignment.history.order_by("history_id")] == [
        "任命负责人",
        "撤销",
    ]
    assert User.objects.get(pk=users["nobody"].pk).role_assignments.count() == 1


def test_validate_reports_what_full_clean_reports(users, regions):
    """core.services.validate asks every CheckConstraint in one query; it finds exactly the
    errors Django's full_clean finds, constraint by constraint."""
    from django.core.exceptions import ValidationError

    from core.services import validate
    from federations.models import Organization

    cases = [
        RoleAssignment(user=users["nobody"], role=Role.ADMINISTRATOR, region=regions["city"]),
        RoleAssignment(user=users["nobody"], role=Role.FEDERATION_STAFF),
        Organization(
            name="x",
            community=regions["comm_a1"],
            representative_name="甲",
            founded_on="2020-01-01",
            is_brand=True,
            brand_year=1999,
            party_form="none",
            party_ended_on="2021-01-01",
        ),
        RoleAssignment(user=users["nobody"], role="nonsense"),
    ]
    for instance in cases:
        with pytest.raises(ValidationError) as django_says:
            instance.full_clean()
        with pytest.raises(InvalidInput) as we_say:
            validate(instance)
        assert we_say.value.fields == django_says.value.message_dict, instance
    validate(RoleAssignment(user=users["nobody"], role=Role.AUDITOR, region=regions["city"]))
