"""Regions: the tree, its rules in the database, and the scoped list."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from federations.models import Region
from tests.factories import make_region


def test_path_is_the_chain_of_codes(regions):
    assert regions["comm_a1"].path == "/370500/370502/370502001/370502001001/"


def test_database_refuses_a_root_that_is_not_a_city(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region(code="370999", name="x", level="county").save()


def test_database_refuses_a_community_without_urban_or_rural(regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region(code="370502001009", name="x", level="community", parent=regions["town_a"]).save()


def test_parent_must_be_one_level_up(regions):
    with pytest.raises(ValidationError, match="parent"):
        make_region("370502009", "x", "township", regions["city"])


def test_parent_never_changes(regions):
    town = regions["town_a"]
    town.parent = regions["other_county"]
    with pytest.raises(ValidationError):
        town.full_clean()


def test_list_is_scoped_filtered_and_has_no_n_plus_one(
    client_for, users, regions, django_assert_max_num_queries
):
    client = client_for(users["finance_county"])
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/regions/?level=community").json()
    assert [r["code"] for r in body["results"]] == ["370502001001", "370502001002", "370502100001"]
    assert body["results"][0]["level_display"] == "社区（村）"
    within = client.get(f"/api/v1/regions/?within={regions['town_b'].pk}").json()
    assert [r["code"] for r in within["results"]] == ["370502100", "370502100001"]
