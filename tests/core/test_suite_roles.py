"""The suite runs as the application's limited role (tests/conftest.py, docs/testing.md):
tests in a transaction, `transaction=True` tests and the threads they start alike; only
those marked `owner_role` run as the URL's role."""

import os
import threading

import pytest
from django.conf import settings
from django.db import connection


def _limited() -> str:
    """The role tests run as (TEST_DB_ROLE=owner runs them all as the URL's)."""
    if os.environ.get("TEST_DB_ROLE", "app") != "app":
        return settings.DATABASES["default"]["USER"]
    return settings.DATABASE_APP_ROLE


def _current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def _in_a_thread() -> str:
    seen = []

    def run():
        try:
            seen.append(_current_user())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.django_db
def test_a_test_in_a_transaction_runs_as_the_limited_role():
    assert _current_user() == _limited()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_test_and_its_threads_run_as_the_limited_role():
    assert _current_user() == _limited()
    assert _in_a_thread() == _limited()
    connection.close()  # a connection opened again is limited too
    assert _current_user() == _limited()


@pytest.mark.django_db(transaction=True)
@pytest.mark.owner_role
def test_an_owner_role_transaction_test_runs_as_the_url_role():
    owner = settings.DATABASES["default"]["USER"]
    assert _current_user() == owner
    assert _in_a_thread() == owner
