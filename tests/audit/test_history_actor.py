"""Who and why are recorded: request users, management commands and Celery tasks."""

import pytest
from django.core.management import call_command

from access.models import User
from core.audited import set_reason
from core.context import CELERY_USERNAME, COMMAND_USERNAME, acting_as
from federations.models import Region


def test_reason_and_explicit_actor_are_recorded(regions, users):
    town = regions["town_a"]
    town.name = "文汇街道（新）"
    with acting_as(user=users["admin"]):
        set_reason(town, "renamed by the civil-affairs bureau").save()
    last = town.history.first()
    assert last.history_user == users["admin"]
    assert last.history_actor == "admin1"
    assert last.history_change_reason == "renamed by the civil-affairs bureau"
    assert last.history_type == "~"


def test_management_commands_write_as_the_command_identity(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    record = Region.history.filter(code="370500").first()
    assert record.history_user.username == COMMAND_USERNAME
    assert record.history_actor == "command:seed_demo"
    assert record.history_change_reason == "demo data"
    assert User.objects.get(username=COMMAND_USERNAME).has_usable_password() is False


def test_celery_tasks_write_as_the_celery_identity(db):
    from core.tasks import whoami

    result = whoami.apply().get()
    assert result == {"label": "celery:core.whoami", "username": CELERY_USERNAME}


def test_request_user_is_recorded(regions, users):
    from django.test import Client

    client = Client()
    client.force_login(users["admin"])
    community = regions["comm_a1"]
    response = client.post(
        f"/admin/federations/region/{community.pk}/change/",
        {
            "code": community.code,
            "name": "府前社区（改）",
            "level": "community",
            "parent": community.parent_id,
            "area_type": "urban",
            "change_reason": "名称按民政局批复更正",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/admin/federations/region/"
    record = community.history.first()
    assert record.name == "府前社区（改）"
    assert record.history_user == users["admin"]
    assert record.history_change_reason == "名称按民政局批复更正"


def test_users_are_never_deleted(users):
    from core.errors import Conflict

    with pytest.raises(Conflict):
        users["nobody"].delete()
    assert User.objects.filter(username="nobody").exists()
