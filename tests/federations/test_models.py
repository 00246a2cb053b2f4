"""Organizations, federations, staff and memberships: rules in Python and in the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from federations.models import Federation, Membership, Organization, OrganizationCategory
from tests.federations.factories import (
    credit_code,
    make_federation,
    make_membership,
    make_org,
    make_staff,
)

D = datetime.date


def refused_by_db(obj):
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


def test_registered_legal_person_needs_a_credit_code(regions):
    org = Organization(
        name="x",
        community=regions["comm_a1"],
        legal_status="social_group",
        founded_on=D(2020, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "credit_code" in exc.value.message_dict
    refused_by_db(org)


def test_filed_organization_needs_no_credit_code(regions):
    org = make_org(regions["comm_a1"], legal_status="filed")
    assert org.credit_code == "" and not org.has_legal_personality


def test_credit_code_with_wrong_check_character_is_refused_in_full_clean(regions):
    good = credit_code("51")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    org = Organization(
        name="x",
        community=regions["comm_a1"],
        legal_status="social_group",
        credit_code=bad,
        representative_name="张三",
        founded_on=D(2020, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "校验码" in str(exc.value.message_dict["credit_code"])


def test_credit_code_prefix_matches_the_legal_status(regions):
    org = Organization(
        name="x",
        community=regions["comm_a1"],
        legal_status="foundation",
        credit_code=credit_code("51"),
        representative_name="张三",
        founded_on=D(2020, 1, 1),
    )
    with pytest.raises(ValidationError, match="53"):
        org.full_clean()


def test_credit_code_unique_where_present_in_the_database(regions):
    first = make_org(regions["comm_a1"], legal_status="social_group")
    second = Organization(
        name="y",
        community=regions["comm_a2"],
        legal_status="social_group",
        credit_code=first.credit_code,
    )
    refused_by_db(second)
    # Many filed organizations have no code at all.
    make_org(regions["comm_a1"])
    make_org(regions["comm_a2"])


def test_database_refuses_a_malformed_credit_code(regions):
    refused_by_db(Organization(name="x", community=regions["comm_a1"], credit_code="ABC"))


def test_party_building_dates(regions):
    org = make_org(regions["comm_a1"])
    org.party_form = "own_branch"
    with pytest.raises(ValidationError, match="party_established_on"):
        org.full_clean()
    refused_by_db(org)
    org.party_established_on = D(2022, 1, 1)
    org.party_ended_on = D(2021, 1, 1)
    refused_by_db(org)
    org.party_ended_on = None
    org.full_clean()
    org.save()
    assert org.party_organization_on(D(2023, 1, 1))
    assert not org.party_organization_on(D(2021, 12, 31))


def test_brand_needs_its_year(regions):
    org = make_org(regions["comm_a1"])
    org.is_brand = True
    refused_by_db(org)
    org.brand_year = 2023
    org.save()


def test_categories_are_rows_once_each(regions):
    org = make_org(regions["comm_a1"], categories=["dance", "fitness"])
    assert sorted(org.categories.values_list("category", flat=True)) == ["dance", "fitness"]
    refused_by_db(OrganizationCategory(organization=org, category="dance"))
    refused_by_db(OrganizationCategory(organization=org, category="astrology"))
    assert Organization.objects.filter(categories__category="dance").get() == org


def test_one_active_federation_per_township(regions):
    second = Federation(name="x", township=regions["town_a"], credit_code=credit_code("51"))
    with pytest.raises(ValidationError):
        second.full_clean()
    refused_by_db(second)
    old = regions["federation_a"]
    old.is_active = False
    old.save()
    make_federation(regions["town_a"], "新联合会")


def test_official_head_needs_approval_reference(regions):
    fed = regions["federation_a"]
    fed.head_is_township_official = True
    with pytest.raises(ValidationError, match="head_approval_reference"):
        fed.full_clean()
    refused_by_db(fed)
    fed.head_approval_reference = "东营区民政局〔2024〕3号"
    fed.save()


def test_federation_credit_code_is_a_civil_affairs_social_organization(regions):
    fed = regions["federation_a"]
    fed.credit_code = credit_code("91")
    with pytest.raises(ValidationError, match="51"):
        fed.full_clean()


def test_staff_dates(regions):
    staff = make_staff(regions["federation_a"])
    staff.ended_on = D(2020, 1, 1)
    refused_by_db(staff)


def test_membership_leave_not_before_join(regions):
    membership = Membership.objects.get(organization=regions["org_a"])
    membership.left_on = membership.joined_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="left_on"):
        membership.full_clean()
    refused_by_db(membership)
    membership.left_on = membership.joined_on  # same day: allowed, an empty period
    membership.save()


def test_no_two_open_memberships_in_one_federation(regions):
    again = Membership(
        federation=regions["federation_a"], organization=regions["org_a"], joined_on=D(2025, 1, 1)
    )
    with pytest.raises(ValidationError):
        again.full_clean()
    refused_by_db(again)


def test_database_refuses_overlapping_closed_periods(regions):
    org = make_org(regions["comm_a2"])
    make_membership(regions["federation_a"], org, D(2020, 1, 1), left_on=D(2021, 1, 1))
    overlapping = Membership(
        federation=regions["federation_a"],
        organization=org,
        joined_on=D(2020, 6, 1),
        left_on=D(2020, 9, 1),
    )
    with pytest.raises(ValidationError):
        overlapping.full_clean()
    refused_by_db(overlapping)  # the PostgreSQL exclusion constraint
    # Rejoining the day it left does not overlap: periods are [joined_on, left_on).
    make_membership(regions["federation_a"], org, D(2021, 1, 1), left_on=D(2022, 1, 1))


def test_member_must_be_in_the_federations_township(regions):
    membership = Membership(
        federation=regions["federation_a"], organization=regions["org_b"], joined_on=D(2024, 1, 1)
    )
    with pytest.raises(ValidationError, match="organization"):
        membership.full_clean()
