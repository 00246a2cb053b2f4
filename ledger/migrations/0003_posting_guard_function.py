"""ledger_guard(ok, detail): raises when a posting's guarded UPDATE changed no row.

A posting is one statement on PostgreSQL (ledger.services._pg_posting); when one of its
guarded UPDATEs matches no row (an overdraft), this makes the whole statement fail, so
nothing it did is kept. SQLSTATE LG002; the service turns it into an Overdraft error.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_guard(ok boolean, detail text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION 'ledger_refused:% (a guarded balance would go below zero)', detail
            USING ERRCODE = 'LG002';
    END IF;
    RETURN ok;
END $$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS ledger_guard(boolean, text);"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_guards")]

    operations = [migrations.RunPython(forward, backward)]
