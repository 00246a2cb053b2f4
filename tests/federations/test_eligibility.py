"""Eligibility: custody (policy 四(三)) and government-transferred functions (policy 四(二))."""

import datetime

import pytest

from core.errors import DomainError
from federations.eligibility import (
    NotEligible,
    check_custody_eligibility,
    check_transferred_function_eligibility,
    custody_eligibility,
    custody_organizations,
    transferred_function_eligibility,
)
from tests.federations.factories import make_membership, make_org

D = datetime.date
ON = D(2025, 6, 1)


def test_custody_for_an_active_member_without_legal_personality(regions):
    result = custody_eligibility(
        federation=regions["federation_a"], organization=regions["org_a"], on=ON
    )
    assert result.ok and result.reasons == ()
    check_custody_eligibility(
        federation=regions["federation_a"], organization=regions["org_a"], on=ON
    )
    assert list(custody_organizations(federation=regions["federation_a"], on=ON)) == [
        regions["org_a"]
    ]


def test_custody_refused_for_a_registered_legal_person(regions):
    org = make_org(regions["comm_a1"], legal_status="private_non_enterprise")
    make_membership(regions["federation_a"], org)
    result = custody_eligibility(federation=regions["federation_a"], organization=org, on=ON)
    assert not result
    assert result.codes == ["organization_has_legal_personality"]
    assert "法人" in result.messages[0]


def test_custody_refused_for_a_non_member(regions):
    org = make_org(regions["comm_a2"])
    result = custody_eligibility(federation=regions["federation_a"], organization=org, on=ON)
    assert result.codes == ["not_a_member"]


def test_custody_refused_for_another_federations_member(regions):
    result = custody_eligibility(
        federation=regions["federation_a"], organization=regions["org_b"], on=ON
    )
    assert result.codes == ["not_a_member"]


def test_custody_refused_after_the_organization_left(regions):
    org = make_org(regions["comm_a2"])
    make_membership(regions["federation_a"], org, D(2024, 1, 1), left_on=D(2025, 5, 1))
    assert custody_eligibility(
        federation=regions["federation_a"], organization=org, on=D(2025, 4, 30)
    ).ok
    left = custody_eligibility(
        federation=regions["federation_a"], organization=org, on=D(2025, 5, 1)
    )
    assert left.codes == ["not_a_member"]


def test_custody_refused_before_the_organization_joined(regions):
    result = custody_eligibility(
        federation=regions["federation_a"], organization=regions["org_a"], on=D(2023, 12, 31)
    )
    assert result.codes == ["not_a_member"]


def test_custody_refused_for_a_suspended_organization(regions):
    org = regions["org_a"]
    org.state = "suspended"
    org.save()
    result = custody_eligibility(federation=regions["federation_a"], organization=org, on=ON)
    assert result.codes == ["organization_not_active"]


def test_custody_refused_by_an_inactive_or_unregistered_federation(regions):
    fed = regions["federation_a"]
    fed.is_active = False
    fed.credit_code = ""
    fed.save()
    result = custody_eligibility(federation=fed, organization=regions["org_a"], on=ON)
    assert result.codes == ["federation_inactive", "federation_not_registered"]
    assert list(custody_organizations(federation=fed, on=ON)) == []


def test_every_reason_is_given_at_once(regions):
    org = make_org(regions["comm_b1"], legal_status="foundation", state="dissolved")
    result = custody_eligibility(federation=regions["federation_a"], organization=org, on=ON)
    assert result.codes == [
        "organization_has_legal_personality",
        "organization_not_active",
        "not_a_member",
    ]


def test_check_raises_a_domain_error_with_the_reasons(regions):
    with pytest.raises(NotEligible) as exc:
        check_custody_eligibility(
            federation=regions["federation_a"], organization=regions["org_b"], on=ON
        )
    assert isinstance(exc.value, DomainError) and exc.value.status_code == 409
    assert exc.value.code == "not_eligible"
    assert [r.code for r in exc.value.reasons] == ["not_a_member"]
    assert exc.value.fields["reason_codes"] == ["not_a_member"]


SINCE = D(2022, 1, 1)


def party(org, form, since=SINCE, until=None):
    org.party_form = form
    org.party_established_on = since
    org.party_ended_on = until
    org.save()
    return org


@pytest.mark.parametrize("form", ["own_branch", "joint_branch"])
def test_transferred_functions_with_party_organization_in_place(regions, form):
    org = party(regions["org_a"], form)
    assert transferred_function_eligibility(organization=org, on=ON).ok
    check_transferred_function_eligibility(organization=org, on=ON)


def test_transferred_functions_refused_without_party_organization(regions):
    result = transferred_function_eligibility(organization=regions["org_a"], on=ON)
    assert result.codes == ["no_party_organization"]
    assert "党组织" in result.messages[0]
    with pytest.raises(NotEligible):
        check_transferred_function_eligibility(organization=regions["org_a"], on=ON)


def test_transferred_functions_refused_with_only_an_instructor(regions):
    org = party(regions["org_a"], "instructor")
    assert transferred_function_eligibility(organization=org, on=ON).codes == [
        "party_instructor_only"
    ]


def test_transferred_functions_refused_before_the_branch_is_set_up(regions):
    org = party(regions["org_a"], "own_branch", since=D(2025, 7, 1))
    result = transferred_function_eligibility(organization=org, on=ON)
    assert result.codes == ["party_organization_not_yet_established"]


def test_transferred_functions_refused_after_the_branch_ended(regions):
    org = party(regions["org_a"], "joint_branch", until=D(2025, 1, 1))
    result = transferred_function_eligibility(organization=org, on=ON)
    assert result.codes == ["party_organization_ended"]


def test_transferred_functions_refused_for_a_dissolved_organization(regions):
    org = party(regions["org_a"], "own_branch")
    org.state = "dissolved"
    org.save()
    result = transferred_function_eligibility(organization=org, on=ON)
    assert result.codes == ["organization_not_active"]
