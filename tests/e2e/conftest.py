"""The end-to-end world: the region tree and one person per role, each created through the
access services by an administrator. Everything after that goes through HTTP."""

from __future__ import annotations

import pytest
from django.utils import translation

from access import services as access
from access.models import Role
from tests.factories import make_region_tree, make_user

PASSWORD = "E2e-Pass-2026!"

# key: (username, name people read in the history, role, scope key in the region tree)
PEOPLE = {
    "officer": ("e2e_wang", "王会计", Role.FINANCE_OFFICER, ("region", "town_a")),
    "checker": ("e2e_li", "李审批", Role.FINANCE_OFFICER, ("region", "town_a")),
    "staff": ("e2e_zhang", "张社工", Role.FEDERATION_STAFF, ("federation", "federation_a")),
    "staff2": ("e2e_chen", "陈社工", Role.FEDERATION_STAFF, ("federation", "federation_a")),
    "rep": ("e2e_zhao", "赵队长", Role.ORGANIZATION_REP, ("organization", "org_a")),
    "auditor": ("e2e_sun", "孙审计", Role.AUDITOR, ("region", "city")),
}


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def people(db):
    """{key: user}; the administrator is the one user made without a service (someone
    has to grant the first role)."""
    regions = make_region_tree()
    admin = make_user("e2e_admin", Role.ADMINISTRATOR, password=PASSWORD)
    users = {"admin": admin}
    for key, (username, name, role, (scope, where)) in PEOPLE.items():
        user = access.user_create(
            actor=admin, username=username, password=PASSWORD, first_name=name,
            reason="端到端测试开户",
        )  # fmt: skip
        access.role_assignment_grant(
            actor=admin, user_id=user.pk, role=role, **{f"{scope}_id": regions[where].pk},
            reason="端到端测试授权",
        )  # fmt: skip
        users[key] = user
    return regions, users
