"""Database roles (issue 17, item 4): the application's limited role cannot disable triggers,
insert history or forge transfers, and the application works through it.

The suite migrates as `postgres` (the owner); core's post_migrate creates the limited role
(DATABASE_APP_ROLE, `fundmgr_app` in the test settings) when missing and grants it its
privileges, so these tests need nothing set up by hand."""

import json
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from django.db import DatabaseError, connection, connections, transaction
from psycopg import errors
from rest_framework.test import APIClient

from core import history_guard, roles, triggers
from core import verification as core_verification
from core.audited import set_reason
from federations.models import Organization
from ledger import services
from ledger.models import Transfer, flow_fields
from ledger.verification import verify_ledger
from tests.ledger.factories import account, funded_source, key, move, system

# The suite's own connection stays the owner's here: these tests connect as the application's
# role themselves (app_session, as_app_role) where they show what it can and cannot do.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.owner_role]


def _app_dsn() -> str:
    s = connection.settings_dict
    return (
        f"host={s.get('HOST') or '127.0.0.1'} port={s.get('PORT') or 5432} "
        f"dbname={s['NAME']} user={roles.app_role()}"
    )


@contextmanager
def app_session():
    """A raw psycopg session as the application's role (what a stolen password gives)."""
    with psycopg.connect(_app_dsn(), autocommit=True) as conn:
        yield conn


@contextmanager
def owner_session():
    """A raw psycopg session as the owner (the suite's URL role)."""
    s = connection.settings_dict
    dsn = (
        f"host={s.get('HOST') or '127.0.0.1'} port={s.get('PORT') or 5432} "
        f"dbname={s['NAME']} user={s['USER']}"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


@contextmanager
def as_app_role():
    """Django's own connection as the application's role."""
    db = connections["default"]
    saved = dict(db.settings_dict)
    db.close()
    db.settings_dict["USER"] = roles.app_role()
    db.settings_dict["PASSWORD"] = ""
    try:
        yield
    finally:
        db.close()
        db.settings_dict.clear()
        db.settings_dict.update(saved)


def _refused(conn, sql, params=None, error=errors.InsufficientPrivilege):
    with pytest.raises(error):
        with conn.transaction():
            conn.execute(sql, params)


# ---------------------------------------------------------------- the role itself


def test_the_role_is_created_and_limited():
    assert roles.app_role() == "fundmgr_app"
    assert roles.problems(connection) == []
    with app_session() as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "fundmgr_app"
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, False, False)


def test_granting_again_is_idempotent_and_creating_again_is_harmless():
    assert roles.ensure_role(connection, "fundmgr_app") is False
    first = roles.grant(connection, "fundmgr_app")
    second = roles.grant(connection, "fundmgr_app")
    assert first.tables == second.tables > 50
    assert sorted(first.history_tables) == sorted(
        m._meta.db_table
        for m in history_guard.historical_models()
        if m._meta.db_table in connection.introspection.table_names()
    )


def test_problems_names_a_role_that_may_do_too_much():
    with connection.cursor() as cursor:
        cursor.execute('GRANT INSERT, TRUNCATE ON federations_historicalregion TO "fundmgr_app"')
    try:
        found = roles.problems(connection)
        assert "federations_historicalregion: fundmgr_app may INSERT into a history table" in found
        assert "federations_historicalregion: fundmgr_app may TRUNCATE" in found
    finally:
        roles.grant(connection, "fundmgr_app")
    assert roles.problems(connection) == []


def test_problems_names_a_direct_grant_on_a_table_written_through_a_function():
    with connection.cursor() as cursor:
        cursor.execute('GRANT INSERT, UPDATE ON ledger_transfer TO "fundmgr_app"')
        cursor.execute('GRANT UPDATE ON ledger_sourcebalance TO "fundmgr_app"')
    try:
        assert sorted(roles.problems(connection)) == [
            "ledger_sourcebalance: fundmgr_app may UPDATE directly "
            "(written only through ledger_write(jsonb))",
            "ledger_transfer: fundmgr_app may INSERT, UPDATE directly "
            "(written only through ledger_write(jsonb))",
        ]
    finally:
        roles.grant(connection, "fundmgr_app")
    assert roles.problems(connection) == []
    with app_session() as conn:  # what it has instead: SELECT, and the writer
        for table in ("ledger_transfer", "ledger_accountbalance", "ledger_sourcebalance"):
            assert conn.execute(
                "SELECT has_table_privilege(current_user, %s, 'SELECT'), "
                "has_table_privilege(current_user, %s, 'INSERT'), "
                "has_table_privilege(current_user, %s, 'UPDATE')",
                [table] * 3,
            ).fetchone() == (True, False, False)
        assert conn.execute(
            "SELECT has_function_privilege(current_user, 'ledger_write(jsonb)', 'EXECUTE')"
        ).fetchone() == (True,)
        # nobody else: PUBLIC may not call it
        assert conn.execute(
            "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a "
            "WHERE p.proname = 'ledger_write' AND a.grantee = 0"
        ).fetchone() == (0,)


# ---------------------------------------------------------------- what it cannot do


def test_the_limited_role_cannot_disable_drop_or_bypass_triggers(regions):
    org = regions["org_a"]
    src, _treasury = funded_source("10.00")
    t = move(src, account(), "1.00", src, kind="allocation")
    with app_session() as conn:
        for sql in (
            "ALTER TABLE federations_organization DISABLE TRIGGER audit_capture",
            "ALTER TABLE federations_historicalorganization DISABLE TRIGGER core_append_only",
            "ALTER TABLE ledger_transfer DISABLE TRIGGER ALL",
            "DROP TRIGGER core_history_guard ON federations_historicalorganization",
            "DROP FUNCTION core_append_only() CASCADE",
            "CREATE TABLE sneaky (id int)",
            "TRUNCATE federations_historicalorganization",
            "TRUNCATE ledger_transfer",
            "CREATE TRIGGER t BEFORE UPDATE ON federations_organization "
            "FOR EACH ROW EXECUTE FUNCTION core_append_only()",
        ):
            _refused(conn, sql)
        # session_replication_role is a superuser's setting
        _refused(conn, "SET session_replication_role = replica")
        # history rows: not even UPDATE is granted
        _refused(conn, "UPDATE federations_historicalorganization SET name = 'x'")
        # the superuser path of audit.bypass does not open for it (and transfers are written
        # only through ledger_write: the UPDATE is refused before any trigger)
        with pytest.raises(errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("SET LOCAL audit.bypass = 'on'")
                conn.execute("UPDATE ledger_transfer SET amount = 1 WHERE id = %s", [t.pk])
        # a raw UPDATE of a live table is still captured (the backstop sees it)
        conn.execute("UPDATE federations_organization SET name = 'raw' WHERE id = %s", [org.pk])
    from audit.backstop import unmatched_changes

    found = unmatched_changes()["changes"]
    assert [(c["operation"], c["object_id"], c["db_user"]) for c in found] == [
        ("U", str(org.pk), "fundmgr_app")
    ]
    assert triggers.problems(connection) == []


def test_the_limited_role_cannot_insert_history_into_any_history_table(regions):
    tables = set(connection.introspection.table_names())
    history = [m._meta.db_table for m in history_guard.historical_models()]
    with app_session() as conn:
        for table in history:
            if table in tables:
                allowed = conn.execute(
                    "SELECT has_table_privilege(current_user, %s, 'INSERT')", [table]
                ).fetchone()[0]
                assert not allowed, table
        org = regions["org_a"]
        _refused(
            conn,
            "INSERT INTO federations_historicalorganization (id, name, history_date, "
            "history_type, history_actor, history_change_reason) "
            "SELECT id, name, now(), '~', 'forged', 'forged' FROM federations_organization "
            "WHERE id = %s",
            [org.pk],
        )


def _raw_update_and_forged_row(conn, org) -> dict:
    """A raw UPDATE of the organization's name, then a history row (the last one, as a
    change) that says the name did not change: a forgery the guard must refuse."""
    honest = Organization.objects.get(pk=org.pk)
    conn.execute("UPDATE federations_organization SET name = 'raw' WHERE id = %s", [org.pk])
    row = conn.execute(
        "SELECT to_jsonb(h) - 'history_id' FROM federations_historicalorganization h "
        "WHERE id = %s ORDER BY history_id DESC LIMIT 1",
        [org.pk],
    ).fetchone()[0]
    assert row["name"] == honest.name
    row["history_type"] = "~"
    return row


def test_the_writer_writes_only_true_rows_and_only_into_history_tables(regions):
    with app_session() as conn:
        # a raw UPDATE, then a history row that says the name did not change: refused
        row = _raw_update_and_forged_row(conn, regions["org_a"])
        with pytest.raises(errors.RestrictViolation, match="differs from the row"):
            conn.execute(
                "SELECT core_history_write('federations_historicalorganization', "
                "'history_id', %s::jsonb)",
                [psycopg.types.json.Jsonb(row)],
            )
        # the writer is no way into another table
        _refused(
            conn,
            "SELECT core_history_write('ledger_transfer', 'id', '{}'::jsonb)",
        )
        _refused(
            conn,
            "SELECT core_history_write('federations_organization', 'id', '{}'::jsonb)",
        )


def test_audit_bypass_holds_off_inside_the_history_writers(regions):
    """The writers run as their owner (a superuser here), so the guard they fire would take
    the superuser path of `audit.bypass`: both hold it off for their whole call."""
    with app_session() as conn:
        forged = psycopg.types.json.Jsonb(_raw_update_and_forged_row(conn, regions["org_a"]))
        for sql, params in (
            (
                "SELECT core_history_write('federations_historicalorganization', "
                "'history_id', %s::jsonb)",
                [forged],
            ),
            (
                "SELECT core_history_write_many("
                "ARRAY['federations_historicalorganization']::regclass[], "
                "ARRAY['history_id'], jsonb_build_array(jsonb_build_array(%s::jsonb)))",
                [forged],
            ),
        ):
            with pytest.raises(errors.RestrictViolation, match="differs from the row"):
                with conn.transaction():
                    conn.execute("SET LOCAL audit.bypass = 'on'")
                    conn.execute(sql, params)
        config = conn.execute(
            "SELECT proname, proconfig FROM pg_proc "
            "WHERE proname IN ('core_history_write', 'core_history_write_many') ORDER BY 1"
        ).fetchall()
    assert [(name, "audit.bypass=off" in cfg) for name, cfg in config] == [
        ("core_history_write", True),
        ("core_history_write_many", True),
    ]


def _last_history(cursor, table, object_id) -> dict:
    cursor.execute(
        f"SELECT to_jsonb(h) - 'history_id' FROM {table} h WHERE id = %s "
        "ORDER BY history_id DESC LIMIT 1",
        [object_id],
    )
    row = cursor.fetchone()[0]
    return json.loads(row) if isinstance(row, str) else row


def _insert_history(cursor, table, row):
    cols = ", ".join(f'"{k}"' for k in row)
    cursor.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} "
        f"FROM jsonb_populate_record(NULL::{table}, %s::jsonb)",
        [json.dumps(row)],
    )


def test_a_raw_update_and_a_forged_history_row_are_refused_even_for_the_owner(regions):
    """The guard trigger fires for every role (the suite's own connection is a superuser)."""
    org = regions["org_b"]
    table = "federations_historicalorganization"
    with pytest.raises(DatabaseError, match="differs from the row"), transaction.atomic():
        with connection.cursor() as cursor:
            row = _last_history(cursor, table, org.pk)
            cursor.execute(
                "UPDATE federations_organization SET name = 'raw' WHERE id = %s", [org.pk]
            )
            _insert_history(cursor, table, {**row, "history_type": "~", "name": "not raw"})
    with pytest.raises(DatabaseError, match="still exists"), transaction.atomic():
        with connection.cursor() as cursor:
            _insert_history(cursor, table, {**_last_history(cursor, table, org.pk),
                                            "history_type": "-"})  # fmt: skip
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        with connection.cursor() as cursor:
            _insert_history(cursor, table, {**_last_history(cursor, table, org.pk),
                                            "id": 10**9})  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:  # a true row passes
        _insert_history(cursor, table, {**_last_history(cursor, table, org.pk),
                                        "history_type": "~"})  # fmt: skip


# ---------------------------------------------------------------- transfers


def _forge_transfer(conn, src, to, amount, *, proof=None):
    """A transfer inserted with plain SQL, the balance caches adjusted to match."""
    actor = system()
    transfer_id = conn.execute(
        "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, "
        "source_account_id, kind, memo, state, two_phase, idempotency_key, request_hash, "
        "created_by_id, created_at, resolved_at, proof) VALUES (%s, %s, %s, %s, 'allocation', "
        "'', 'posted', false, %s, %s, %s, now(), now(), %s) RETURNING id",
        [src.pk, to.pk, amount, src.pk, key(), "0" * 64, actor.pk, proof],
    ).fetchone()[0]
    # the share's flow totals too (ledger.models.flow_fields): every cache agrees
    out_field, in_field = flow_fields("allocation", src.kind, to.kind)
    for account_id, delta, flow in ((src.pk, -amount, out_field), (to.pk, amount, in_field)):
        conn.execute(
            "UPDATE ledger_accountbalance SET posted = posted + %s WHERE account_id = %s",
            [delta, account_id],
        )
        changed = conn.execute(
            f"UPDATE ledger_sourcebalance SET posted = posted + %s, {flow} = {flow} + %s "
            "WHERE account_id = %s AND source_account_id = %s",
            [delta, amount, account_id, src.pk],
        ).rowcount
        assert changed == 1
    return transfer_id


def test_the_limited_role_cannot_write_transfers_or_balances_but_through_the_writer():
    src, _treasury = funded_source("1000.00")
    project = account()
    genuine = move(src, project, "100.00", src, kind="allocation")
    pending = services.reserve(
        actor=system(), from_account=src, to_account=project, amount="10.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    with app_session() as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            _forge_transfer(conn, src, project, Decimal("50.00"), proof=genuine.proof)
        for sql, params in (
            ("UPDATE ledger_accountbalance SET posted = posted + 1 WHERE account_id = %s",
             [project.pk]),
            ("UPDATE ledger_sourcebalance SET posted = posted + 1 WHERE account_id = %s",
             [project.pk]),
            ("INSERT INTO ledger_accountbalance (account_id, is_guarded, is_active, posted, "
             "pending, receivable) VALUES (%s, true, true, 5, 0, 0)", [10**9]),
            ("UPDATE ledger_transfer SET state = 'voided', resolved_at = now(), "
             "resolved_by_id = created_by_id, resolution_key = 'forged' WHERE id = %s",
             [pending.pk]),
            ("SELECT 1 FROM ledger_accountbalance WHERE account_id = %s FOR UPDATE",
             [project.pk]),
        ):  # fmt: skip
            _refused(conn, sql, params)
        assert conn.execute(  # it still reads them
            "SELECT posted FROM ledger_accountbalance WHERE account_id = %s", [project.pk]
        ).fetchone() == (Decimal("100.00"),)
    assert verify_ledger().ok


def _op(payer, payee, amount, **extra):
    op = {"op": "create", "from": payer.pk, "to": payee.pk, "amount": amount, "source": payer.pk,
          "kind": "allocation", "memo": "", "two_phase": False, "key": key(),
          "hash": "0" * 64, "by": system().pk, "at": "2026-01-01T00:00:00+00:00"}  # fmt: skip
    return {**op, **extra}


def test_the_writer_refuses_an_overdraft_and_a_posting_that_does_not_hold():
    """Called directly as the application's role: the legs are the writer's own, so the
    balances always say what the transfers say; an overdraft or a bad posting writes nothing."""
    src, _treasury = funded_source("100.00")
    project = account()
    before = verify_ledger()
    assert before.ok
    with app_session() as conn:

        def write(*ops):
            return conn.execute(
                "SELECT ledger_write(%s::jsonb)", [psycopg.types.json.Jsonb(list(ops))]
            ).fetchone()[0]

        # several postings in one call: all or none; the second overdraws
        with pytest.raises(psycopg.DatabaseError, match=f"ledger_refused:2:{src.pk}:account"):
            write(_op(src, project, "60.00"), _op(src, project, "60.00"))
        for bad, field in (
            (_op(src, project, "0"), "amount"),
            (_op(src, project, "-5.00"), "amount"),
            (_op(src, project, "1.005"), "amount"),
            (_op(src, src, "1.00"), "to_account"),
            (_op(project, src, "1.00", source=project.pk), "source_account"),
            (_op(src, project, "1.00", to=10**9), "to_account"),
            (_op(src, project, "1.00", reverses=10**9, kind="reversal"), "reverses"),
            ({"op": "resolve", "id": 1, "state": "pending"}, "state"),
            ({"op": "drop"}, "op"),
        ):
            with pytest.raises(psycopg.DatabaseError, match=f"ledger_invalid:1:{field}"):
                write(bad)
        # an account that is not empty is not closed
        with pytest.raises(psycopg.DatabaseError, match="ledger_not_empty"):
            write({"op": "close", "account": src.pk})
        # a posting that holds is written, with its legs: but without the service's key
        ids = write(_op(src, project, "40.00"), _op(src, project, "60.00"))
        assert len(ids) == 2 and None not in ids
    from ledger.selectors import balance

    assert (balance(src).posted, balance(project).posted) == (Decimal("0"), Decimal("100.00"))
    result = verify_ledger()
    assert [p for p in result.problems if "proof" not in p] == []  # the caches agree
    assert result.problems == [
        f"ledger.Transfer id={i}: not written by the ledger service (its proof is missing or wrong)"
        for i in ids
    ]


def test_a_transfer_forged_by_the_owner_is_named_by_verification():
    src, _treasury = funded_source("1000.00")
    project = account()
    genuine = move(src, project, "100.00", src, kind="allocation")
    assert verify_ledger().ok
    with owner_session() as conn:
        forged = _forge_transfer(conn, src, project, Decimal("50.00"))
        copied = _forge_transfer(conn, src, project, Decimal("100.00"), proof=genuine.proof)
    result = verify_ledger()
    assert not result.ok
    # the caches match the transfers: only the proofs tell
    assert not any("cached" in p for p in result.problems)
    assert result.problems == [
        f"ledger.Transfer id={forged}: not written by the ledger service "
        "(its proof is missing or wrong)",
        f"ledger.Transfer id={copied}: not written by the ledger service "
        "(its proof is missing or wrong)",
    ]
    assert result.first_bad == result.problems[0]


def test_a_resolution_forged_by_the_owner_is_named_by_verification():
    src, _treasury = funded_source("1000.00")
    project = account()
    pending = services.reserve(
        actor=system(), from_account=src, to_account=project, amount="10.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    with owner_session() as conn:  # the one change the trigger allows, made by hand
        conn.execute(
            "UPDATE ledger_transfer SET state = 'voided', resolved_at = now(), "
            "resolved_by_id = created_by_id, resolution_key = 'forged', resolution_proof = 'x' "
            "WHERE id = %s",
            [pending.pk],
        )
        conn.execute(
            "UPDATE ledger_accountbalance SET pending = pending - 10 WHERE account_id = %s",
            [src.pk],
        )
        conn.execute(
            "UPDATE ledger_accountbalance SET receivable = receivable - 10 WHERE account_id = %s",
            [project.pk],
        )
        conn.execute(
            "UPDATE ledger_sourcebalance SET pending = pending - 10 WHERE account_id = %s",
            [src.pk],
        )
        conn.execute(
            "UPDATE ledger_sourcebalance SET receivable = receivable - 10 WHERE account_id = %s",
            [project.pk],
        )
    result = verify_ledger()
    assert result.problems == [
        f"ledger.Transfer id={pending.pk}: resolved outside the ledger service "
        "(its resolution proof is missing or wrong)"
    ]


# ---------------------------------------------------------------- the application works


def test_the_application_works_through_the_limited_role(regions, users):
    with as_app_role():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == "fundmgr_app"
        org = Organization.objects.get(pk=regions["org_a"].pk)
        org.name = "改名的组织"
        set_reason(org, "through the limited role").save()  # history through the writer
        record = org.history.order_by("-history_id").first()
        assert (record.name, record.history_type) == ("改名的组织", "~")
        assert record.history_change_reason == "through the limited role"
        src, _treasury = funded_source("500.00")
        project = account()
        t = move(src, project, "120.00", src, kind="allocation")
        pending = services.reserve(
            actor=system(), from_account=project, to_account=account("external"),
            amount="20.00", source_account=src, idempotency_key=key(),
        )  # fmt: skip
        services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
        assert Transfer.objects.get(pk=t.pk).proof == t.proof
        run = core_verification.run(triggered_by="test")
        assert run.status == core_verification.OK, run.first_bad
        assert run.result["triggers"]["status"] == core_verification.OK
        # the API too: a login (token, login record), a password change (tokens revoked, history)
        client = APIClient()
        answer = client.post(
            "/api/v1/auth/token/", {"username": "auditor_city", "password": "pw-test-123"}
        )
        assert answer.status_code == 200, answer.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
        assert client.get("/api/v1/audit/verify/").status_code == 200
        auditor = users["auditor"]
        auditor.set_password("another-pw-456")
        set_reason(auditor, "password changed").save()
        assert client.get("/api/v1/me/").status_code == 401


# ---------------------------------------------------------------- a history model added later


@pytest.fixture
def new_history_model():
    """A model with history that no code here names, its tables created as a migration
    would, then taken away again."""
    from django.apps import apps
    from django.db import models

    from core.audited import AuditedModel

    class ProbeRecord(AuditedModel):
        __module__ = "core.models"  # as if core declared it (its history model too)
        name = models.CharField(max_length=40)

        class Meta:
            app_label = "core"

    hist = ProbeRecord.history.model
    with connection.schema_editor() as editor:
        editor.create_model(ProbeRecord)
        editor.create_model(hist)
    try:
        yield ProbeRecord
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(hist)
            editor.delete_model(ProbeRecord)
        for name in ("proberecord", "historicalproberecord"):
            apps.all_models["core"].pop(name, None)
        apps.clear_cache()


def test_a_history_model_added_later_is_covered_with_no_code_of_its_own(new_history_model):
    table = new_history_model.history.model._meta.db_table
    # what every migrate runs (core's post_migrate)
    triggers.install(connection)
    roles.apply(connection)
    installed = triggers.installed_triggers(connection)[table]
    assert {history_guard.GUARD, triggers.APPEND_ONLY_ROW} <= set(installed)
    assert roles.problems(connection) == []
    probe = new_history_model.objects.create(name="first")
    with as_app_role():  # the application writes it, with history, through the writer
        probe = new_history_model.objects.get(pk=probe.pk)
        probe.name = "second"
        set_reason(probe, "changed").save()
        assert [h.name for h in probe.history.order_by("history_id")] == ["first", "second"]
    with app_session() as conn:
        _refused(
            conn,
            f"INSERT INTO {table} (id, name, history_date, history_type, history_actor) "
            "VALUES (%s, 'forged', now(), '~', '')",
            [probe.pk],
        )
        conn.execute(f"UPDATE {new_history_model._meta.db_table} SET name = 'raw'")
        with pytest.raises(errors.RestrictViolation, match="differs from the row"):
            conn.execute(
                f"SELECT core_history_write('{table}', 'history_id', %s::jsonb)",
                [json.dumps({"id": probe.pk, "name": "second", "history_date": "2026-01-01",
                             "history_type": "~", "history_actor": ""})],
            )  # fmt: skip


# ---------------------------------------------------------------- migrate runs as the owner


def test_migrate_runs_as_the_owner_url_and_the_application_role_could_not(settings):
    from django.core.management import call_command

    s = connection.settings_dict
    owner = f"postgres://{s['USER']}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/x"
    with as_app_role():
        settings.DATABASE_OWNER_URL = ""
        with pytest.raises(DatabaseError, match="permission denied|must be owner"):
            call_command("migrate", verbosity=0)  # its post_migrate (re)creates functions: DDL
        connection.close()
        settings.DATABASE_OWNER_URL = owner
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            assert cursor.fetchone() == (s["USER"], s["NAME"])  # the owner, the same database
    assert roles.problems(connection) == []


def test_the_db_roles_command_grants_and_checks():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("db_roles", stdout=out)
    assert "role fundmgr_app:" in out.getvalue() and "limited" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute('GRANT TRUNCATE ON ledger_transfer TO "fundmgr_app"')
        cursor.execute('GRANT INSERT ON ledger_accountbalance TO "fundmgr_app"')
    err = StringIO()
    with pytest.raises(CommandError, match="must not"):
        call_command("db_roles", "--check", stdout=StringIO(), stderr=err)
    assert "ledger_transfer: fundmgr_app may TRUNCATE" in err.getvalue()
    assert (
        "ledger_accountbalance: fundmgr_app may INSERT directly "
        "(written only through ledger_write(jsonb))"
    ) in err.getvalue()
    call_command("db_roles", stdout=StringIO())  # granting again repairs it
    assert roles.problems(connection) == []


def test_many_to_many_history_is_refused_it_would_go_around_the_writer():
    from django.core.exceptions import ImproperlyConfigured

    from core.audited import audited_history

    with pytest.raises(ImproperlyConfigured, match="through model"):
        audited_history(m2m_fields=["members"])
