"""Leave room in the balance tables' pages so that balance updates are HOT updates.

Every posting updates two account-balance rows and two source-share rows; none of the
updated columns is indexed, so with free space on the page PostgreSQL updates them in
place of the page (HOT) without touching the indexes. PostgreSQL only.
"""

from django.db import migrations

TABLES = ["ledger_accountbalance", "ledger_sourcebalance"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)", params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)", params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_posting_guard_function")]

    operations = [migrations.RunPython(forward, backward)]
