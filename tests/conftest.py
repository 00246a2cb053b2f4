"""Shared fixtures. The suite runs on PostgreSQL and Redis and fails when either is missing,
except the SQLite pass (config.settings.test_sqlite): tests/sqlite and tests/browser, the
demo's own path, which scripts/test.sh runs after the PostgreSQL pass."""

import os
import socket

import pytest
from rest_framework.test import APIClient

from tests.factories import make_region_tree, make_user

SQLITE_FOLDERS = ("sqlite", "browser")


def _sqlite_pass() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SQLITE_TEST_PASS", False))


def pytest_ignore_collect(collection_path, config):
    """tests/sqlite and tests/browser run in the SQLite pass only, everything else in the
    PostgreSQL pass only."""
    tests = os.path.dirname(os.path.abspath(__file__))
    path = os.path.abspath(str(collection_path))
    if path == tests or not path.startswith(tests + os.sep):
        return None
    top = os.path.relpath(path, tests).split(os.sep)[0]
    if top in ("conftest.py", "__init__.py"):
        return None
    if _sqlite_pass():
        return top not in SQLITE_FOLDERS
    return True if top in SQLITE_FOLDERS else None


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run slow, deeper tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="deeper run: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say why tests were skipped (by default only the deeper runs are: --run-slow)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.section("skipped tests, and why")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count:5d}  {reason}")


def pytest_sessionstart(session):
    from django.conf import settings

    if os.environ.get("ALLOW_NON_POSTGRES_TESTS") == "1" or _sqlite_pass():
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"The tests run on PostgreSQL; DATABASE_URL gives {engine}", returncode=3)
    redis_url = settings.REDIS_URL
    if not redis_url:
        pytest.exit("The tests run with Redis; set REDIS_URL", returncode=3)
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"Redis at {redis_url} is not reachable: {exc}", returncode=3)
    host = settings.DATABASES["default"].get("HOST") or "127.0.0.1"
    port = int(settings.DATABASES["default"].get("PORT") or 5432)
    with socket.socket() as s:
        s.settimeout(2)
        if s.connect_ex((host, port)) != 0:
            pytest.exit(f"PostgreSQL at {host}:{port} is not reachable", returncode=3)


@pytest.fixture(autouse=True)
def _db_role(request):
    """Every database test runs as the application's limited role, as production does, but
    those marked `owner_role`, which tamper with the owner's rights. A test in a transaction
    (`db`): `SET ROLE`, undone with the test's rollback. A `transaction=True` test (threads,
    real commits): `SET ROLE` on its connection and on every connection opened while it runs
    (connection_created: the threads' own), `RESET ROLE` before the flush that ends it (the
    owner's). TEST_DB_ROLE=owner runs them all as the URL's role. docs/database-roles.md."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None
        and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    uses_db = marker is not None or "db" in request.fixturenames or transactional
    if (
        os.environ.get("TEST_DB_ROLE", "app") != "app"
        or _sqlite_pass()
        or not uses_db
        or request.node.get_closest_marker("owner_role")
    ):
        yield
        return
    from django.conf import settings
    from django.db import connection

    set_role = f'SET ROLE "{settings.DATABASE_APP_ROLE}"'
    if not transactional:
        request.getfixturevalue("db")
        with connection.cursor() as cursor:
            cursor.execute(set_role)
        yield
        return
    from django.db.backends.signals import connection_created

    request.getfixturevalue("transactional_db")

    def limited(sender, connection, **kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(set_role)

    with connection.cursor() as cursor:
        cursor.execute(set_role)
    connection_created.connect(limited, dispatch_uid="tests_db_role")
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid="tests_db_role")
        if connection.connection is not None and not connection.closed_in_transaction:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET ROLE")
            except Exception:  # noqa: BLE001 - a broken connection: the flush opens another
                connection.close()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request with Accept-Language leaves
    its language active in the thread (LocaleMiddleware never deactivates)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def regions(db):
    return make_region_tree()


@pytest.fixture
def users(regions):
    """One user per role, scoped inside the `regions` tree."""
    from access.models import Role

    return {
        "admin": make_user("admin1", Role.ADMINISTRATOR),
        "finance_county": make_user("fin_county", Role.FINANCE_OFFICER, region=regions["county"]),
        "finance_town": make_user("fin_town", Role.FINANCE_OFFICER, region=regions["town_a"]),
        "federation_staff": make_user(
            "fed_staff", Role.FEDERATION_STAFF, federation=regions["federation_a"]
        ),
        "org_rep": make_user("org_rep", Role.ORGANIZATION_REP, organization=regions["org_a"]),
        "auditor": make_user("auditor_city", Role.AUDITOR, region=regions["city"]),
        "auditor_town_b": make_user("auditor_b", Role.AUDITOR, region=regions["town_b"]),
        "nobody": make_user("nobody", None),
    }


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for():
    def _client(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client
