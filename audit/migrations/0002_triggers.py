"""Append-only and backstop triggers on every historical / audited table that exists.

The same installer runs after every migrate (audit.apps post_migrate), so tables that
later migrations create are covered too. PostgreSQL only; nothing on SQLite.
"""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from audit.db import install as install_triggers

    install_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
