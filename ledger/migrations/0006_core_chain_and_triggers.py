"""The ledger joins the kernel's one hash chain and one append-only trigger family.

Its own chain links and verification runs go (core.ChainSeal, core.VerificationRun hold
both now), and so do its own trigger functions of 0002/0005: core/triggers.py installs the
same guards from the models' declarations (Transfer: insert-only but for the one-time
pending → posted/voided change; balances: never deleted), here and after every migrate.
The posting guard function of 0003 is not a trigger and stays.
"""

from django.db import migrations

OLD_TRIGGERS = [
    ("ledger_transfer_guard", "ledger_transfer"),
    ("ledger_accountbalance_no_delete", "ledger_accountbalance"),
    ("ledger_sourcebalance_no_delete", "ledger_sourcebalance"),
    ("ledger_transfer_no_truncate", "ledger_transfer"),
    ("ledger_accountbalance_no_truncate", "ledger_accountbalance"),
    ("ledger_sourcebalance_no_truncate", "ledger_sourcebalance"),
]
OLD_FUNCTIONS = ["ledger_transfer_guard()", "ledger_insert_only()", "ledger_refuse_truncate()"]


def drop_ledger_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger, table in OLD_TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)


def drop_ledger_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in OLD_FUNCTIONS:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}", params=None)


def install_core_triggers(apps, schema_editor):
    """Guard the transfers at once (post_migrate does it again, idempotently)."""
    from core import triggers

    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_truncate_bypass_like_audit"),
        ("core", "0002_chain_and_verification_run"),
    ]

    operations = [
        migrations.RunPython(drop_ledger_triggers, migrations.RunPython.noop),
        migrations.DeleteModel(name="VerificationRun"),
        migrations.DeleteModel(name="ChainSeal"),
        migrations.RunPython(drop_ledger_functions, migrations.RunPython.noop),
        migrations.RunPython(install_core_triggers, migrations.RunPython.noop),
    ]
