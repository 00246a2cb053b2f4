"""The demo data, loaded by every app's demo step, leaves the audit trail complete."""

import io

from django.core.management import call_command

from audit.verification import run_verification


def test_demo_data_leaves_no_change_without_history(db):
    """Every app's demo loader writes through Django: nothing for the backstop to report."""
    call_command("seed_demo", stdout=io.StringIO())
    run = run_verification(triggered_by="test")
    assert run.result["backstop"]["count"] == 0, run.result["backstop"]["changes"][:5]
    assert run.ok, run.result
