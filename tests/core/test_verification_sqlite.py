"""On SQLite (the demo) every verification runs or answers "not checked on this database":
never "ok" having checked nothing (the chain, the triggers and the backstop need PostgreSQL;
the ledger's balances are recomputed on any database).

The suite runs on PostgreSQL, so this test runs the demo's settings in a subprocess on a
fresh SQLite file: migrate, move some money, then the two commands, the API and the admin.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.sqlite

SCRIPT = r"""
import io, json
import django
django.setup()
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient
from access.models import User
from core import verification
from tests.ledger.factories import account, funded_source, move

def command(name):
    out = io.StringIO()
    try:
        call_command(name, stdout=out, stderr=io.StringIO())
        return [0, out.getvalue()]
    except CommandError as exc:
        return [exc.returncode, out.getvalue()]

src, _ = funded_source("100.00")
move(src, account(), "10.00", src)
result = {"ledger_verify": command("ledger_verify")}
result["audit_verify"] = command("audit_verify")  # the last run: the API and admin show it
admin = User.objects.create_superuser("sqlite_admin", password="demo-password-1")
api = APIClient()
api.force_authenticate(admin)
result["api"] = api.get("/api/v1/audit/verify/", HTTP_ACCEPT_LANGUAGE="en").json()
page = Client()
page.force_login(admin)
result["admin"] = page.get("/admin/core/verificationrun/").content.decode()
result["task"] = verification.run(triggered_by="sqlite test").status
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "demo.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "REDIS_URL": "",
        "DEBUG": "false",
    }
    root = str(settings.BASE_DIR)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True, timeout=240
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=root,
        env={**env, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_audit_verify_says_what_it_could_not_check(demo_result):
    code, out = demo_result["audit_verify"]
    assert code == 2  # neither 0 (nothing was wrong) nor 1 (something was)
    lines = out.splitlines()
    for name in ("chain", "triggers", "backstop"):
        assert f"{name}: not checked on this database (sqlite)" in lines
    assert "ledger: OK" in lines  # the balances are recomputed on SQLite too
    assert lines[-1] == "NOT CHECKED"
    assert "OK" not in lines


def test_ledger_verify_says_what_it_could_not_check(demo_result):
    code, out = demo_result["ledger_verify"]
    assert code == 2
    assert out.startswith("ledger NOT CHECKED")
    assert "chain: not checked on this database" in out


def test_the_api_shows_not_checked(demo_result):
    body = demo_result["api"]
    assert body["status"] == "not_checked" and body["ok"] is None
    statuses = {c["name"]: c["status"] for c in body["checks"]}
    assert statuses == {
        "chain": "not_checked",
        "triggers": "not_checked",
        "backstop": "not_checked",
        "ledger": "ok",
    }
    assert body["result"]["chain"]["rows_checked"] == 0


def test_the_admin_shows_not_checked_in_chinese(demo_result):
    assert "本数据库无法校验" in demo_result["admin"]
    assert demo_result["task"] == "not_checked"
