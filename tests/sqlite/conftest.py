"""The SQLite pass: the demo's database, seeded once per session (each test rolls back)."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from access.models import User

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="session")
def demo(django_db_setup, django_db_blocker):
    """The seeded demo (seed_demo, as scripts/demo.sh runs it)."""
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return True


@pytest.fixture
def as_user(demo, db):
    def _client(username):
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        return client

    return _client
