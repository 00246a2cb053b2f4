"""Scopes: each role sees its subtree, federation or organization; out of scope is 404."""

import pytest
from django.db import IntegrityError

from access.models import Role, RoleAssignment
from access.selectors import visible_to
from federations.models import Region
from federations.selectors import federations_visible_to, organizations_visible_to


def codes(qs):
    return sorted(r.code for r in qs)


def test_finance_officer_of_a_township_sees_its_subtree(users, regions):
    seen = visible_to(users["finance_town"], Region.objects.all(), region="self")
    assert codes(seen) == ["370502001", "370502001001", "370502001002"]


def test_city_auditor_sees_the_whole_city(users):
    assert (
        Region.objects.count()
        == visible_to(users["auditor"], Region.objects.all(), region="self").count()
    )


def test_federation_staff_see_their_federation_only(users, regions):
    feds = federations_visible_to(users["federation_staff"])
    assert list(feds) == [regions["federation_a"]]
    # Federation staff see their federation's member organizations.
    orgs = organizations_visible_to(users["federation_staff"])
    assert list(orgs) == [regions["org_a"]]


def test_organization_rep_sees_its_organization_and_its_federation(users, regions):
    assert list(organizations_visible_to(users["org_rep"])) == [regions["org_a"]]
    # The federation its organization belongs to (which holds its money), no other.
    assert list(federations_visible_to(users["org_rep"])) == [regions["federation_a"]]


def test_user_without_roles_sees_nothing(users):
    assert not visible_to(users["nobody"], Region.objects.all(), region="self").exists()


def test_deactivated_assignment_grants_nothing(users):
    assignment = users["finance_town"].role_assignments.get()
    assignment.is_active = False
    assignment.save()
    fresh = type(users["finance_town"]).objects.get(pk=users["finance_town"].pk)
    assert not visible_to(fresh, Region.objects.all(), region="self").exists()


def test_administrator_sees_everything(users):
    assert visible_to(users["admin"], Region.objects.all(), region="self").count() == 8


def test_out_of_scope_region_answers_404(client_for, users, regions):
    client = client_for(users["finance_town"])
    assert client.get(f"/api/v1/regions/{regions['town_a'].pk}/").status_code == 200
    response = client.get(f"/api/v1/regions/{regions['town_b'].pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "role,scope_key",
    [
        (Role.FINANCE_OFFICER, None),
        (Role.FEDERATION_STAFF, "region"),
        (Role.ADMINISTRATOR, "region"),
        (Role.ORGANIZATION_REP, "federation"),
    ],
)
def test_database_refuses_a_scope_that_does_not_fit_the_role(users, regions, role, scope_key):
    scope = {scope_key: regions["town_a"] if scope_key == "region" else regions["federation_a"]}
    if scope_key is None:
        scope = {}
    with pytest.raises(IntegrityError):
        RoleAssignment(user=users["nobody"], role=role, **scope).save()


def test_finance_officer_scope_must_be_county_or_township(users, regions):
    from django.core.exceptions import ValidationError

    assignment = RoleAssignment(
        user=users["nobody"], role=Role.FINANCE_OFFICER, region=regions["comm_a1"]
    )
    with pytest.raises(ValidationError, match="县区或乡镇"):
        assignment.full_clean()
