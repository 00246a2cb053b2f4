"""Tamper evidence and completeness: audit_verify finds rewritten history rows, raw SQL
changes without history, and prints the chain head."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from audit.verification import run_verification
from core import chain
from core.audited import set_reason
from core.models import ChainSeal, VerificationRun


def _verify(*args) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_clean_trail_verifies_and_head_is_printed(regions, users):
    ok, out = _verify()
    assert ok, out
    assert "chain: OK" in out and "backstop: OK, 0 change(s)" in out
    assert "triggers: OK" in out and "ledger: OK" in out
    head_out = io.StringIO()
    call_command("audit_verify", "--head", stdout=head_out)
    head = head_out.getvalue().strip()
    seal_id, digest = head.split(":")
    assert int(seal_id) == ChainSeal.objects.latest("seq").pk and len(digest) == 64
    # The head kept outside the database is still in the chain later.
    town = regions["town_a"]
    town.name = "文汇街道（改）"
    set_reason(town, "rename").save()
    ok, out = _verify("--expect-head", head)
    assert ok, out
    ok, out = _verify("--expect-head", f"{seal_id}:{'0' * 64}")
    assert not ok and "differs from the exported head" in out
    ok, out = _verify("--expect-head", f"{int(seal_id) + 10**6}:{'0' * 64}")
    assert not ok and "exported head is missing" in out


def test_seals_chain_every_historical_row_once(regions):
    sealed = chain.seal()
    assert sealed > 0
    assert chain.seal() == 0
    total = sum(m.objects.count() for m in _historical_with_table())
    assert ChainSeal.objects.count() == total
    seals = list(ChainSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == list(range(1, total + 1))
    prev = chain.GENESIS
    for seal in seals:
        prev = chain.chain_hash(prev, seal.table_name, seal.row_pk, seal.event, seal.row_digest)
        assert seal.hash == prev


def _historical_with_table():
    from audit import registry

    tables = set(connection.introspection.table_names())
    return [m for m in registry.historical_models() if m._meta.db_table in tables]


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_rewritten_history_row_fails_the_check_and_is_named(regions):
    chain.seal()
    record = regions["comm_a1"].history.first()
    with connection.cursor() as cursor:
        # A superuser disables the append-only trigger and rewrites the past.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER
        cursor.execute("ALTER TABLE federations_historicalregion DISABLE TRIGGER core_append_only")
        cursor.execute(
            "UPDATE federations_historicalregion SET name = 'forged' WHERE history_id = %s",
            [record.history_id],
        )
        cursor.execute(
            "ALTER TABLE federations_historicalregion ENABLE ALWAYS TRIGGER core_append_only"
        )
    ok, out = _verify()
    assert not ok
    assert "chain: FAILED" in out, out
    assert (
        f"federations.Region history_id={record.history_id} "
        f"object_id={regions['comm_a1'].pk} (chain link"
    ) in out
    assert "contents do not match the hash chain" in out
    run = VerificationRun.objects.latest("id")
    assert run.ok is False and run.status == "failed"
    first_bad = run.result["chain"]["first_bad"]
    assert first_bad.startswith(f"federations.Region history_id={record.history_id} ")
    problem = run.result["chain"]["problems"][0]
    assert problem["kind"] == "row_altered" and problem["history_id"] == record.history_id
    assert problem["model"] == "federations.Region"
    assert run.first_bad == f"chain: {first_bad}"


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_disabled_trigger_is_named(regions):
    """A superuser who disables a trigger leaves it disabled: verification names it."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE federations_historicalregion DISABLE TRIGGER core_append_only")
        cursor.execute("DROP TRIGGER audit_capture ON federations_organization")
    ok, out = _verify()
    assert not ok
    assert "triggers: FAILED" in out
    assert "federations_historicalregion.core_append_only: trigger disabled" in out
    assert "federations_organization.audit_capture: trigger missing" in out


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_deleted_history_row_is_named(regions):
    chain.seal()
    record = regions["org_a"].history.first()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.bypass = 'on'")  # a superuser session
        cursor.execute(
            "DELETE FROM federations_historicalorganization WHERE history_id = %s",
            [record.history_id],
        )
        cursor.execute("RESET audit.bypass")
    result = chain.verify()
    assert not result.ok
    assert result.first_bad["kind"] == "row_missing"
    assert result.first_bad["history_id"] == record.history_id


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_deleted_chain_link_is_named(regions):
    chain.seal()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.bypass = 'on'")  # a superuser session
        cursor.execute("DELETE FROM core_chainseal WHERE seq = 3")
        cursor.execute("RESET audit.bypass")
    result = chain.verify()
    assert not result.ok
    assert result.first_bad["kind"] == "link_missing" and result.first_bad["seal_id"] == 3
    assert result.first_bad["text"] == "chain (chain link 3): link missing"


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_replica_sessions_do_not_pass_the_triggers(regions):
    """`session_replication_role = replica` skips ordinary triggers, not ours (ALWAYS)."""
    from django.db import DatabaseError

    record = regions["org_a"].history.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "DELETE FROM federations_historicalorganization WHERE history_id = %s",
                [record.history_id],
            )
    org = regions["org_b"]
    with connection.cursor() as cursor:  # a raw UPDATE in replica mode: still captured
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE federations_organization SET name = 'replica' WHERE id = %s", [org.pk]
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    from audit.backstop import unmatched_changes

    assert [(c["operation"], c["object_id"]) for c in unmatched_changes()["changes"]] == [
        ("U", str(org.pk))
    ]


def test_raw_sql_update_without_history_is_reported(regions):
    org = regions["org_b"]
    assert run_verification(triggered_by="test").ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE federations_organization SET name = 'changed behind history' WHERE id = %s",
            [org.pk],
        )
    ok, out = _verify()
    assert not ok
    assert f"U federations.Organization id={org.pk}" in out
    run = VerificationRun.objects.latest("id")
    assert run.result["backstop"]["status"] == "failed"
    assert run.result["backstop"]["count"] == 1
    change = run.result["backstop"]["changes"][0]
    assert change["model"] == "federations.Organization" and change["operation"] == "U"


def test_raw_insert_and_delete_are_reported_and_saves_are_not(regions):
    region = regions["comm_a2"]
    region.name = "金湖社区（改）"
    set_reason(region, "rename").save()  # through Django: has history
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO federations_region (code, name, level, parent_id, area_type, path) "
            "VALUES ('370502001009', 'ghost', 'community', %s, 'urban', %s) RETURNING id",
            [region.parent_id, region.parent.path + "370502001009/"],
        )
        ghost = cursor.fetchone()[0]
        cursor.execute("DELETE FROM federations_region WHERE id = %s", [ghost])
    from audit.backstop import unmatched_changes

    found = unmatched_changes()
    assert {(c["operation"], c["object_id"]) for c in found["changes"]} == {
        ("I", str(ghost)),
        ("D", str(ghost)),
    }


@pytest.mark.django_db(transaction=True)
def test_autocommit_saves_match_their_history_by_content(regions):
    """Outside a transaction, save() and its history row commit separately."""
    region = regions["comm_b1"]
    region.name = "王家村（改）"
    set_reason(region, "rename").save()
    from audit.backstop import unmatched_changes

    assert unmatched_changes()["count"] == 0
    connection.close()


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_nightly_task_keeps_the_result(regions):
    from audit.tasks import verify

    result = verify.apply().get()
    assert result["ok"] is True
    run = VerificationRun.objects.get(pk=result["id"])
    assert run.triggered_by == "celery:audit.verify"
    assert run.result["ledger"]["status"] == "ok"
    assert run.checks == ["chain", "triggers", "backstop", "ledger"]
    with pytest.raises(IntegrityError), transaction.atomic():
        run.delete()


def test_beat_schedules_one_sealer_and_one_nightly_verification():
    from django.conf import settings

    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert sorted(t for t in tasks if "seal" in t or "verif" in t) == [
        "audit.verify",
        "core.seal_chain",
    ]


def test_the_api_shows_each_checks_status_and_the_head(client_for, users, regions):
    empty = client_for(users["auditor"]).get("/api/v1/audit/verify/").json()
    assert empty["id"] is None and empty["status"] is None and empty["checks"] == []
    run = run_verification(triggered_by="test")
    body = client_for(users["auditor"]).get("/api/v1/audit/verify/").json()
    assert body["id"] == run.pk and body["status"] == "ok" and body["ok"] is True
    assert [(c["name"], c["status"]) for c in body["checks"]] == [
        ("chain", "ok"),
        ("triggers", "ok"),
        ("backstop", "ok"),
        ("ledger", "ok"),
    ]
    assert body["checks"][0]["label"] == "哈希链" and body["checks"][0]["status_display"] == "通过"
    assert body["head"] == {"seal_id": run.head_seal_id, "hash": run.head_hash}
    assert body["current_head"]["seal_id"] == chain.head().seq


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_the_admin_names_a_failed_check(regions, users, client):
    from django.test import Client

    auditor = users["auditor"]
    auditor.is_staff = True
    auditor.save()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE federations_historicalregion DISABLE TRIGGER core_append_only")
    run_verification(triggered_by="test")
    page = Client()
    page.force_login(auditor)
    html = page.get("/admin/core/verificationrun/").content.decode()
    assert "未通过" in html and "数据库触发器" in html
    assert "federations_historicalregion.core_append_only: trigger disabled" in html
