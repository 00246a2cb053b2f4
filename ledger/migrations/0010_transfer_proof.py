"""Transfers carry the ledger service's proof (ledger/proof.py); existing ones get theirs.

The backfill is the only rewrite of transfers there is: it runs as the owner, who may
disable the append-only trigger on its own table for the length of this transaction (and
turns it back on, ALWAYS).
"""

from django.db import migrations, models

TRIGGER = "core_append_only"


def backfill(apps, schema_editor):
    from ledger import proof

    Transfer = apps.get_model("ledger", "Transfer")
    connection = schema_editor.connection
    if not Transfer.objects.exists():
        return
    has_trigger = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgrelid = 'ledger_transfer'::regclass "
                "AND tgname = %s",
                [TRIGGER],
            )
            has_trigger = cursor.fetchone() is not None
            if has_trigger:
                cursor.execute(f"ALTER TABLE ledger_transfer DISABLE TRIGGER {TRIGGER}")
    with connection.cursor() as cursor:
        for row in Transfer.objects.values(*proof.SELECT_COLUMNS).iterator():
            resolution = None
            if row["two_phase"] and row["state"] != "pending":
                resolution = proof.resolved(row)
            cursor.execute(
                "UPDATE ledger_transfer SET proof = %s, resolution_proof = %s WHERE id = %s",
                [proof.created(row), resolution, row["id"]],
            )
        if has_trigger:
            cursor.execute(f"ALTER TABLE ledger_transfer ENABLE ALWAYS TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_sourcebalance_flows")]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="proof",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="proof"),
        ),
        migrations.AddField(
            model_name="transfer",
            name="resolution_proof",
            field=models.CharField(
                blank=True, max_length=64, null=True, verbose_name="resolution proof"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
