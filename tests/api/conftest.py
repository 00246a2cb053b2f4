"""The API tests' world: the region tree, one user per role (with a token each), and the
objects other apps' endpoints need, seeded once per test."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import override_settings

from access.models import Role
from access.services import token_issue
from tests.factories import make_region_tree, make_user

# The roles every API operation is fuzzed and checked as (demo-like users, see access/demo.py).
# "auditor" is city-wide; "finance_town", "federation_staff" and "organization_rep" sit in
# township A, so township B's objects are out of their scope.
ROLES = (
    "administrator",
    "finance_county",
    "finance_town",
    "federation_staff",
    "organization_rep",
    "auditor",
    "anonymous",
)


@dataclass
class World:
    objects: dict
    users: dict
    tokens: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.objects[name]

    def headers(self, role: str) -> dict:
        token = self.tokens.get(role)
        return {"Authorization": f"Token {token}"} if token else {}


def build_world() -> World:
    objects = make_region_tree()
    users = {
        "administrator": make_user("api_admin", Role.ADMINISTRATOR),
        "finance_county": make_user(
            "api_fin_county", Role.FINANCE_OFFICER, region=objects["county"]
        ),
        "finance_town": make_user("api_fin_town", Role.FINANCE_OFFICER, region=objects["town_a"]),
        "federation_staff": make_user(
            "api_fed_staff", Role.FEDERATION_STAFF, federation=objects["federation_a"]
        ),
        "organization_rep": make_user(
            "api_org_rep", Role.ORGANIZATION_REP, organization=objects["org_a"]
        ),
        "auditor": make_user("api_auditor", Role.AUDITOR, region=objects["city"]),
    }
    world = World(objects=objects, users=users)
    for role, user in users.items():
        token, world.tokens[role] = token_issue(user=user, name="tests")
        objects[f"token_{role}"] = token
    from tests.api.seeds import seed_other_apps

    seed_other_apps(world)
    return world


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once per test module inside a transaction rolled back at its end.

    Each test's own transaction (the `db` fixture) nests inside it as a savepoint, so a
    test sees the world and leaves it as it found it; building it per test cost seconds.
    """
    media = override_settings(  # job files; private uploads (contract scans, evidence)
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private"),
    )
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()


@pytest.fixture
def world(module_world, db) -> World:
    return module_world


@contextlib.contextmanager
def wsgi_in_test_transaction():
    """Let requests sent straight to the WSGI app share the test's transaction.

    Django's WSGI handler closes "old" connections at the start and end of each request,
    which would close the test's connection mid-transaction; Django's own test client
    switches that off the same way.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def pytest_terminal_summary(terminalreporter):
    from tests.api.fuzzing import STATS

    if STATS["examples"]:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(STATS["statuses"].items()))
        terminalreporter.write_line(
            f"API fuzzing: {len(STATS['operations'])} operations, "
            f"{STATS['examples']} examples sent; statuses {statuses}"
        )
