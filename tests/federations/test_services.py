"""The use-case services: explicit values, scope first, the rule checked on the locked row."""

import datetime

import pytest

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.services import UNSET, given
from federations.models import FederationStaff, Membership, Organization
from federations.services import (
    federation_register,
    federation_update,
    membership_add,
    membership_end,
    membership_update,
    organization_change_state,
    organization_register,
    organization_update,
    staff_add,
    staff_end,
    staff_update,
)
from tests.federations.factories import credit_code, make_membership, make_org, make_staff

NEW = {
    "name": "金湖社区调解队",
    "legal_status": "filed",
    "categories": ["dispute_mediation"],
    "representative_name": "陈九",
    "founded_on": datetime.date(2024, 2, 1),
}


def test_given_drops_what_was_not_given():
    assert given(a=1, b=UNSET, c=None, d="") == {"a": 1, "c": None, "d": ""}
    assert not UNSET and repr(UNSET) == "UNSET"


def test_an_update_changes_only_the_fields_given(users, regions):
    org = regions["org_a"]
    staff = users["federation_staff"]
    stale = Organization.objects.get(pk=org.pk)  # what a form read a while ago
    organization_update(
        actor=staff,
        organization_id=org.pk,
        representative_name="新负责人",
        founded_on=datetime.date(2019, 9, 1),
        reason="换届",
    )
    organization_update(actor=staff, organization_id=stale.pk, name="新名字", reason="更名")
    org.refresh_from_db()
    assert (org.name, org.representative_name) == ("新名字", "新负责人")
    reasons = list(org.history.values_list("history_change_reason", flat=True)[:2])
    assert reasons == ["更名", "换届"]
    assert sorted(org.categories.values_list("category", flat=True)) == []  # kept as it was


def test_registered_by_staff_joins_their_federation_today(users, regions):
    org = organization_register(
        actor=users["federation_staff"], community_id=regions["comm_a2"].pk, reason="登记", **NEW
    )
    membership = Membership.objects.get(organization=org)
    assert membership.federation == regions["federation_a"]
    assert membership.joined_on == datetime.date.today()
    assert membership.history.get().history_change_reason == "登记"
    by_admin = organization_register(
        actor=users["admin"], community_id=regions["comm_a2"].pk, **{**NEW, "name": "另一个"}
    )
    assert not by_admin.memberships.exists()
    dissolved = organization_register(
        actor=users["federation_staff"],
        community_id=regions["comm_a2"].pk,
        state="dissolved",
        **{**NEW, "name": "已注销的"},
    )
    assert not dissolved.memberships.exists()


def test_register_refuses_a_taken_name_and_a_federations_credit_code(users, regions):
    admin = users["admin"]
    community = regions["comm_a1"].pk
    with pytest.raises(InvalidInput) as taken:
        organization_register(
            actor=admin, community_id=community, **{**NEW, "name": "府前社区志愿服务队"}
        )
    assert "name" in taken.value.fields
    with pytest.raises(InvalidInput) as code:
        organization_register(
            actor=admin,
            community_id=community,
            **{
                **NEW,
                "legal_status": "social_group",
                "credit_code": regions["federation_a"].credit_code,
            },
        )
    assert "credit_code" in code.value.fields
    with pytest.raises(InvalidInput) as nowhere:
        organization_register(actor=admin, community_id=regions["town_a"].pk, **NEW)
    assert "community" in nowhere.value.fields


def test_out_of_scope_is_not_found_and_other_roles_are_refused(users, regions):
    staff = users["federation_staff"]
    staff_b = make_staff(regions["federation_b"], "乙社工")
    membership_b = Membership.objects.get(organization=regions["org_b"])
    calls = [
        lambda: organization_update(actor=staff, organization_id=regions["org_b"].pk, name="x"),
        lambda: organization_change_state(
            actor=staff, organization_id=regions["org_b"].pk, state="suspended", reason="x"
        ),
        lambda: staff_end(
            actor=staff, staff_id=staff_b.pk, ended_on=datetime.date(2026, 1, 1), reason="x"
        ),
        lambda: staff_update(actor=staff, staff_id=staff_b.pk, name="x"),
        lambda: membership_end(
            actor=staff,
            membership_id=membership_b.pk,
            left_on=datetime.date(2026, 1, 1),
            reason="x",
        ),
        lambda: membership_update(
            actor=staff, membership_id=membership_b.pk, joined_on=datetime.date(2024, 2, 1)
        ),
        lambda: organization_update(actor=staff, organization_id=999_999_999, name="x"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    # An object named (not changed) out of scope is a 400 on that field, as a missing one.
    for federation_id in (regions["federation_b"].pk, 999_999_999):
        with pytest.raises(InvalidInput) as named:
            staff_add(
                actor=staff,
                federation_id=federation_id,
                name="x",
                started_on=datetime.date(2025, 1, 1),
            )
        assert named.value.fields == {"federation": ["没有此编号的联合会。"]}
    assert regions["org_b"].name != "x"
    with pytest.raises(NotPermitted):
        organization_update(actor=users["auditor"], organization_id=regions["org_a"].pk, name="x")
    with pytest.raises(NotPermitted):
        federation_update(
            actor=staff, federation_id=regions["federation_a"].pk, head_name="x", reason="x"
        )


def test_state_change_checks_the_row_it_locked(users, regions):
    admin = users["admin"]
    org = regions["org_a"]
    organization_change_state(actor=admin, organization_id=org.pk, state="dissolved", reason="解散")
    assert Membership.objects.get(organization=org).left_on == datetime.date.today()
    with pytest.raises(Conflict):
        organization_change_state(actor=admin, organization_id=org.pk, state="active", reason="x")
    with pytest.raises(Conflict):
        membership_add(
            actor=admin,
            federation_id=regions["federation_a"].pk,
            organization_id=org.pk,
            joined_on=datetime.date(2026, 1, 1),
        )


def test_staff_and_membership_lifecycle(users, regions):
    staff = users["federation_staff"]
    fed = regions["federation_a"]
    worker = staff_add(
        actor=staff,
        federation_id=fed.pk,
        name="社工乙",
        started_on=datetime.date(2025, 1, 1),
        is_social_worker=True,
        reason="入职",
    )
    staff_update(actor=staff, staff_id=worker.pk, phone="13700000000", reason="补录电话")
    ended = staff_end(
        actor=staff, staff_id=worker.pk, ended_on=datetime.date(2025, 6, 1), reason="离职"
    )
    assert (ended.phone, ended.is_social_worker) == ("13700000000", True)
    with pytest.raises(Conflict):
        staff_end(actor=staff, staff_id=worker.pk, ended_on=datetime.date(2025, 7, 1), reason="x")
    assert list(
        FederationStaff.history.filter(id=worker.pk)
        .order_by("history_id")
        .values_list("history_change_reason", flat=True)
    ) == ["入职", "补录电话", "离职"]

    loose = make_org(regions["comm_a2"], "新会员")
    joined = membership_add(
        actor=staff,
        federation_id=fed.pk,
        organization_id=loose.pk,
        joined_on=datetime.date(2025, 3, 1),
    )
    with pytest.raises(InvalidInput) as early:
        membership_end(
            actor=staff, membership_id=joined.pk, left_on=datetime.date(2025, 1, 1), reason="x"
        )
    assert "left_on" in early.value.fields
    with pytest.raises(InvalidInput) as outside:
        membership_add(
            actor=staff,
            federation_id=fed.pk,
            organization_id=regions["org_b"].pk,
            joined_on=datetime.date(2025, 3, 1),
        )
    assert "organization" in outside.value.fields


def test_federation_register_and_update(users, regions):
    from tests.factories import make_region

    admin = users["admin"]
    town_c = make_region("370502200", "龙居镇", "township", regions["county"])
    fed = federation_register(
        actor=admin,
        name="龙居镇联合会",
        township_id=town_c.pk,
        credit_code=credit_code("51"),
        head_name="周八",
        reason="成立",
    )
    with pytest.raises(InvalidInput) as twice:
        federation_register(
            actor=admin,
            name="第二个",
            township_id=town_c.pk,
            credit_code=credit_code("51"),
            head_name="周八",
        )
    assert twice.value.fields
    with pytest.raises(InvalidInput) as no_code:
        federation_update(actor=admin, federation_id=fed.pk, credit_code="")
    assert "credit_code" in no_code.value.fields
    updated = federation_update(actor=admin, federation_id=fed.pk, is_active=False, reason="撤销")
    assert updated.is_active is False and updated.head_name == "周八"


# ---------------------------------------------------------------------------------------
# Concurrency: the rule is checked on the row read under the lock
# ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ends_one_wins():
    """Both callers read the row "not ended" at the same moment; only the lock makes the
    second one see the first one's end."""
    from tests.factories import make_region_tree, make_user
    from tests.ledger.test_concurrency import run_threads

    world = make_region_tree()
    admin = make_user("admin_conc", "administrator")
    worker = make_staff(world["federation_a"], "并发社工")
    membership = make_membership(world["federation_b"], make_org(world["comm_b1"], "并发会员"))

    def end_staff(i):
        return staff_end(
            actor=admin, staff_id=worker.pk, ended_on=datetime.date(2026, 1, 1 + i), reason=f"{i}"
        )

    def end_membership(i):
        return membership_end(
            actor=admin,
            membership_id=membership.pk,
            left_on=datetime.date(2026, 1, 1 + i),
            reason=f"{i}",
        )

    for target, model in ((end_staff, FederationStaff), (end_membership, Membership)):
        outcomes = run_threads(4, target)
        assert sum(isinstance(o, Conflict) for o in outcomes) == 3, outcomes
        assert sum(isinstance(o, model) for o in outcomes) == 1, outcomes
        row_pk = worker.pk if model is FederationStaff else membership.pk
        # One ending in the history, not four overwriting each other.
        assert model.history.filter(id=row_pk, history_type="~").count() == 1
