"""Production settings refuse to start without secrets and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    base.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", ALLOWED_HOSTS="fund.example.cn")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


SECRETS = {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "fund.example.cn"}
ROLES = {
    "DATABASE_URL": "postgres://fundmgr_app@127.0.0.1:5432/fundmgr",
    "DATABASE_OWNER_URL": "postgres://fundmgr_owner@127.0.0.1:5432/fundmgr",
}


def test_production_refuses_to_start_without_an_owner_url():
    result = run_manage("check", **SECRETS, DATABASE_OWNER_URL="")
    assert result.returncode != 0
    assert "Set DATABASE_OWNER_URL" in result.stderr


def test_production_refuses_to_run_the_application_as_the_owner():
    result = run_manage(
        "check", **SECRETS, DATABASE_URL=ROLES["DATABASE_OWNER_URL"],
        DATABASE_OWNER_URL=ROLES["DATABASE_OWNER_URL"],
    )  # fmt: skip
    assert result.returncode != 0
    assert "name the same role" in result.stderr


def test_production_refuses_to_start_without_database_url():
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base.update(SECRETS, DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set the DATABASE_URL environment variable" in result.stderr


def test_production_refuses_to_start_without_redis_url():
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    base.update(SECRETS, DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set the REDIS_URL environment variable" in result.stderr


def test_check_deploy_reports_nothing():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k9$Fq2!vLz@8wXr#Tn5^pYb&Hc7*Jd3(Me6)Ga1_Ru4+Sx0=Qo-Ni%Wl;Bt:Ek",
        ALLOWED_HOSTS="fund.example.cn",
        **ROLES,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_defaults_are_chinese_and_shanghai(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert "en" in dict(settings.LANGUAGES)


def test_a_log_line_is_printed_once():
    base = {k: v for k, v in os.environ.items()}
    base.update(DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="true")
    code = "import logging; logging.getLogger('django.request').warning('marker-%s', 'once')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("marker-once") == 1, result.stderr
