"""ledger_verify: balances recomputed, the hash chain checked, the first bad row named."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ledger import chain, services
from ledger.models import ChainSeal, VerificationRun
from ledger.tasks import seal_chain, verify_nightly
from ledger.verification import verify_ledger

from .factories import account, funded_source, key, move, system


def _some_ledger():
    src, treasury = funded_source("1000.00")
    project = account()
    t = move(src, project, "300.00", src, kind="allocation")
    pending = services.reserve(
        actor=system(), from_account=project, to_account=account("external"),
        amount="100.00", source_account=src, idempotency_key=key(),
    )  # fmt: skip
    services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
    return src, project, t


@pytest.mark.django_db
def test_a_clean_ledger_verifies_and_the_run_is_recorded():
    _some_ledger()
    result = verify_ledger()
    assert result.ok and result.first_bad is None
    assert result.counts["transfers"] == 3
    assert result.counts["sealed_created"] == 3
    assert result.counts["sealed_resolved"] == 1
    assert result.counts["unsealed"] == 0
    head = chain.chain_head()
    assert (result.head_id, result.head_hash) == (head.id, head.hash) and head.id == 4
    run = VerificationRun.objects.get(pk=result.run_id)
    assert run.ok and run.head_hash == head.hash


@pytest.mark.django_db
def test_sealing_is_incremental_and_links_each_row_to_the_previous():
    src, project, _ = _some_ledger()
    assert seal_chain() == 4
    assert seal_chain() == 0
    move(src, project, "1.00", src)
    assert chain.seal() == 1
    links = list(ChainSeal.objects.order_by("seq"))
    assert [link.seq for link in links] == [1, 2, 3, 4, 5]
    assert links[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(links, links[1:], strict=False))


@pytest.mark.django_db
def test_command_prints_the_head_and_verifies_against_an_exported_head():
    _some_ledger()
    out = StringIO()
    call_command("ledger_verify", "--head", stdout=out)
    head = json.loads(out.getvalue())
    assert head["head_id"] == 4 and len(head["head_hash"]) == 64
    out = StringIO()
    call_command(
        "ledger_verify", "--expect-head", f"{head['head_id']}:{head['head_hash']}", stdout=out
    )
    assert "OK" in out.getvalue()
    with pytest.raises(CommandError) as caught:
        call_command("ledger_verify", "--expect-head", f"{head['head_id']}:{'0' * 64}")
    assert "differs from the exported head" in str(caught.value)
    assert VerificationRun.objects.filter(ok=False).count() == 1
    assert VerificationRun.objects.first().run_by == "command:ledger_verify"


@pytest.mark.django_db
def test_a_wrong_cached_balance_is_named():
    src, project, _ = _some_ledger()
    verify_ledger()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_sourcebalance SET posted = posted + 5 WHERE account_id = %s",
            [project.pk],
        )
    result = verify_ledger()
    assert not result.ok
    assert result.first_bad.startswith(f"ledger.SourceBalance account={project.pk} source={src.pk}")
    assert len(result.problems) == 1  # the account's own cache is still right
    with pytest.raises(CommandError) as caught:
        call_command("ledger_verify", stdout=StringIO(), stderr=StringIO())
    assert f"account={project.pk}" in str(caught.value)


@pytest.mark.django_db
def test_the_nightly_task_records_its_run():
    _some_ledger()
    outcome = verify_nightly.apply().get()
    assert outcome["ok"] is True
    assert VerificationRun.objects.get(pk=outcome["run_id"]).ok


@pytest.mark.django_db(transaction=True)
def test_a_tampered_transfer_is_found_by_ledger_verify():
    """A superuser disables the trigger and rewrites an amount and a balance; the chain
    names the row."""
    src, project, t = _some_ledger()
    call_command("ledger_verify", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_transfer DISABLE TRIGGER USER")
        try:
            cursor.execute("UPDATE ledger_transfer SET amount = 250 WHERE id = %s", [t.pk])
            # cover the tracks in the caches too: balances agree, the chain does not
            cursor.execute(
                "UPDATE ledger_accountbalance SET posted = posted + 50 WHERE account_id = %s",
                [src.pk],
            )
            cursor.execute(
                "UPDATE ledger_sourcebalance SET posted = posted + 50 "
                "WHERE account_id = %s AND source_account_id = %s",
                [src.pk, src.pk],
            )
            for table in ("accountbalance", "sourcebalance"):
                cursor.execute(
                    f"UPDATE ledger_{table} SET posted = posted - 50 WHERE account_id = %s"
                    + (" AND source_account_id = %s" if table == "sourcebalance" else ""),
                    [project.pk] + ([src.pk] if table == "sourcebalance" else []),
                )
        finally:
            cursor.execute("ALTER TABLE ledger_transfer ENABLE TRIGGER USER")
    result = verify_ledger(seal=False)
    assert not result.ok
    assert len(result.problems) == 1  # the caches were doctored to match; the chain was not
    assert result.first_bad == (
        f"ledger.Transfer id={t.pk} (chain link 2, created): contents do not match the hash chain"
    )
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ledger_verify", stdout=StringIO(), stderr=err)
    assert f"ledger.Transfer id={t.pk}" in str(caught.value)
    assert caught.value.returncode == 1
    assert Decimal("250") == Decimal(
        str(
            __import__("ledger.models", fromlist=["Transfer"])
            .Transfer.objects.values_list("amount", flat=True)
            .get(pk=t.pk)
        )
    )
