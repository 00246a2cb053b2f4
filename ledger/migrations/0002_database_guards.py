"""PostgreSQL guards: transfers and chain links are insert-only; balances are never deleted.

Only on PostgreSQL (the SQLite demo has the CHECK constraints of 0001 but no triggers).
TRUNCATE is refused too (0007: except for a superuser session with audit.bypass on, as
Django's flush in audit/ sets for the test suite).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_transfer_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.state = 'pending' AND NEW.state IN ('posted', 'voided')
       AND OLD.resolved_at IS NULL AND OLD.resolved_by_id IS NULL AND OLD.resolution_key IS NULL
       AND NEW.resolved_at IS NOT NULL
       AND (NEW.id, NEW.from_account_id, NEW.to_account_id, NEW.amount, NEW.source_account_id,
            NEW.kind, NEW.memo, NEW.two_phase, NEW.reverses_id, NEW.idempotency_key,
            NEW.request_hash, NEW.created_by_id, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.from_account_id, OLD.to_account_id, OLD.amount, OLD.source_account_id,
            OLD.kind, OLD.memo, OLD.two_phase, OLD.reverses_id, OLD.idempotency_key,
            OLD.request_hash, OLD.created_by_id, OLD.created_at)
    THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'ledger_transfer_immutable: transfer % may change only once, from pending to posted or voided', OLD.id
            USING ERRCODE = 'LG001';
    END IF;
    RAISE EXCEPTION 'ledger_transfer_immutable: transfer % is never deleted', OLD.id
        USING ERRCODE = 'LG001';
END $$;

CREATE OR REPLACE FUNCTION ledger_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_record_immutable: % refuses %', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'LG001';
END $$;

CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_database() LIKE 'test\_%'
       AND coalesce(current_setting('ledger.refuse_truncate', true), '') <> 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger_record_immutable: % refuses TRUNCATE', TG_TABLE_NAME
        USING ERRCODE = 'LG001';
END $$;

CREATE TRIGGER ledger_transfer_guard BEFORE UPDATE OR DELETE ON ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_guard();
CREATE TRIGGER ledger_chainseal_insert_only BEFORE UPDATE OR DELETE ON ledger_chainseal
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER ledger_verificationrun_insert_only BEFORE UPDATE OR DELETE ON ledger_verificationrun
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER ledger_accountbalance_no_delete BEFORE DELETE ON ledger_accountbalance
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER ledger_sourcebalance_no_delete BEFORE DELETE ON ledger_sourcebalance
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
"""

TABLES = [
    "ledger_transfer",
    "ledger_chainseal",
    "ledger_verificationrun",
    "ledger_accountbalance",
    "ledger_sourcebalance",
]

FORWARD += "".join(
    f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();\n"
    for t in TABLES
)

BACKWARD = (
    "".join(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};\n" for t in TABLES)
    + """
DROP TRIGGER IF EXISTS ledger_transfer_guard ON ledger_transfer;
DROP TRIGGER IF EXISTS ledger_chainseal_insert_only ON ledger_chainseal;
DROP TRIGGER IF EXISTS ledger_verificationrun_insert_only ON ledger_verificationrun;
DROP TRIGGER IF EXISTS ledger_accountbalance_no_delete ON ledger_accountbalance;
DROP TRIGGER IF EXISTS ledger_sourcebalance_no_delete ON ledger_sourcebalance;
DROP FUNCTION IF EXISTS ledger_transfer_guard();
DROP FUNCTION IF EXISTS ledger_insert_only();
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
"""
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
