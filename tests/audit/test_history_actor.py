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
    assert record.history_change_reason == "演示数据"  # the demo speaks Chinese
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


def test_a_service_called_from_the_shell_records_who_made_the_change(regions, users):
    """Regression: `shell` was counted among the commands that serve requests, so it ran
    with no identity and no request: a service called there with actor=admin wrote history
    rows with neither user nor actor. It now writes as the command identity, labelled
    with the shell and the operating-system user who ran it."""
    import getpass

    org = regions["org_a"]
    code = (
        "from access.models import User\n"
        "from federations.services import organization_change_state\n"
        f"organization_change_state(actor=User.objects.get(pk={users['admin'].pk}),"
        f" organization_id={org.pk}, state='suspended',"
        " reason='整改')\n"
    )
    call_command("shell", command=code)
    record = org.history.first()
    assert record.state == "suspended"
    assert record.history_user is not None
    assert record.history_user.username == COMMAND_USERNAME
    assert record.history_actor == f"command:shell ({getpass.getuser()})"
    assert record.history_change_reason == "整改"


def test_an_explicit_actor_inside_the_shell_wins(regions, users):
    code = (
        "from access.models import User\n"
        "from core.audited import set_reason\n"
        "from core.context import acting_as\n"
        "from federations.models import Region\n"
        f"town = Region.objects.get(pk={regions['town_b'].pk})\n"
        "town.name = '牛庄镇（改）'\n"
        f"with acting_as(user=User.objects.get(pk={users['admin'].pk})):\n"
        "    set_reason(town, 'renamed').save()\n"
    )
    call_command("shell", command=code)
    record = regions["town_b"].history.first()
    assert record.history_user == users["admin"]
    assert record.history_actor == "admin1"
