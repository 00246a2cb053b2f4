"""TRUNCATE of ledger tables: the same rule as the audit tables, whatever the database's name.

0002 let any database named test_* truncate; now only a superuser session that has set
`audit.bypass = on` may (Django's flush, overridden in audit/, does so for the test suite).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('audit.bypass', true) = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger_record_immutable: % refuses TRUNCATE', TG_TABLE_NAME
        USING ERRCODE = 'LG001';
END $$;
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_database() LIKE 'test\_%'
       AND coalesce(current_setting('ledger.refuse_truncate', true), '') <> 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger_record_immutable: % refuses TRUNCATE', TG_TABLE_NAME
        USING ERRCODE = 'LG001';
END $$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_balance_fillfactor")]

    operations = [migrations.RunPython(forward, backward)]
