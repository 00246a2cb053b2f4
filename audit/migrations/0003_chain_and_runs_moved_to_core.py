"""The history seals, their column sets and the verification runs move to the kernel
(core.ChainSeal, core.ChainColumnSet, core.VerificationRun: one chain, one run record)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_triggers"),
        ("core", "0002_chain_and_verification_run"),
    ]

    operations = [
        migrations.DeleteModel(name="VerificationRun"),
        migrations.DeleteModel(name="HistorySeal"),
        migrations.DeleteModel(name="SealColumnSet"),
    ]
