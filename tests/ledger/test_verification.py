"""ledger_verify: balances recomputed, the hash chain checked, the first bad row named."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core import chain
from core.models import ChainSeal, VerificationRun
from core.tasks import seal_chain
from ledger import services
from ledger.models import Transfer
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
    head = chain.head()
    assert (result.head_id, result.head_hash) == (head.seq, head.hash) and head.seq >= 4
    run = VerificationRun.objects.get(pk=result.run_id)
    assert run.ok and run.head_hash == head.hash
    assert run.checks == ["chain", "ledger"]


def _transfer_links():
    return list(ChainSeal.objects.filter(table_name="ledger_transfer").order_by("seq"))


@pytest.mark.django_db
def test_sealing_is_incremental_and_links_each_row_to_the_previous():
    src, project, _ = _some_ledger()
    assert chain.seal(models=[Transfer]) == 4  # three created, one resolved
    assert chain.seal(models=[Transfer]) == 0
    seal_chain()  # the beat task: the history rows too
    assert seal_chain() == 0
    move(src, project, "1.00", src)
    assert chain.seal() == 1
    links = _transfer_links()
    assert [link.event for link in links] == ["created"] * 3 + ["resolved", "created"]
    everything = list(ChainSeal.objects.order_by("seq"))
    assert [link.seq for link in everything] == list(range(1, len(everything) + 1))
    prev = chain.GENESIS
    for link in everything:
        prev = chain.chain_hash(prev, link.table_name, link.row_pk, link.event, link.row_digest)
        assert link.hash == prev


@pytest.mark.django_db(transaction=True)
def test_a_transfer_committed_late_is_sealed_by_the_next_pass():
    """A transfer whose transaction takes its id first but commits after a later one was
    sealed: the next regular pass picks it up."""
    import threading

    from django.db import transaction

    src, project, _ = _some_ledger()
    other_src, _ = funded_source("10.00")  # no account in common: no lock to wait for
    other = account()
    chain.seal(models=[Transfer])
    inserted, release, done = threading.Event(), threading.Event(), []

    def slow_writer():
        try:
            with transaction.atomic():
                done.append(move(src, project, "2.00", src))
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    newer = move(other_src, other, "3.00", other_src)
    chain.seal(models=[Transfer])  # seals `newer`; `late` is not committed yet
    release.set()
    writer.join()
    late = done[0]
    assert late.pk < newer.pk
    sealed = {link.row_pk for link in _transfer_links()}
    assert newer.pk in sealed and late.pk not in sealed
    assert chain.seal(models=[Transfer]) == 1  # the regular pass looks below the highest
    assert late.pk in {link.row_pk for link in _transfer_links()}
    assert verify_ledger().ok


@pytest.mark.django_db
def test_command_prints_the_head_and_verifies_against_an_exported_head():
    _some_ledger()
    out = StringIO()
    call_command("ledger_verify", "--head", stdout=out)
    head = json.loads(out.getvalue())
    assert head["head_id"] == chain.head().seq >= 4 and len(head["head_hash"]) == 64
    out = StringIO()
    call_command(
        "ledger_verify", "--expect-head", f"{head['head_id']}:{head['head_hash']}", stdout=out
    )
    assert "OK" in out.getvalue()
    with pytest.raises(CommandError) as caught:
        call_command("ledger_verify", "--expect-head", f"{head['head_id']}:{'0' * 64}")
    assert "differs from the exported head" in str(caught.value)
    assert VerificationRun.objects.filter(status="failed").count() == 1
    assert VerificationRun.objects.first().triggered_by == "command:ledger_verify"


@pytest.mark.django_db
@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
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
def test_the_nightly_verification_checks_the_ledger_once():
    from audit.tasks import verify

    _some_ledger()
    outcome = verify.apply().get()
    assert outcome["ok"] is True
    run = VerificationRun.objects.get(pk=outcome["id"])
    assert run.checks.count("ledger") == 1 and run.result["ledger"]["status"] == "ok"
    assert run.result["chain"]["counts"]["ledger_transfer.created"] == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.owner_role  # a superuser's tampering (docs/database-roles.md)
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
                "UPDATE ledger_sourcebalance SET posted = posted + 50, "
                f"out_{project.kind} = out_{project.kind} - 50 "
                "WHERE account_id = %s AND source_account_id = %s",
                [src.pk, src.pk],
            )
            cursor.execute(
                "UPDATE ledger_accountbalance SET posted = posted - 50 WHERE account_id = %s",
                [project.pk],
            )
            cursor.execute(
                "UPDATE ledger_sourcebalance SET posted = posted - 50, "
                "in_funding_source = in_funding_source - 50 "
                "WHERE account_id = %s AND source_account_id = %s",
                [project.pk, src.pk],
            )
        finally:
            cursor.execute("ALTER TABLE ledger_transfer ENABLE TRIGGER USER")
    result = verify_ledger(seal=False)
    assert not result.ok
    # the caches were doctored to match; the chain and the ledger service's proof were not
    assert len(result.problems) == 2
    assert result.problems[1] == (
        f"ledger.Transfer id={t.pk}: not written by the ledger service "
        "(its proof is missing or wrong)"
    )
    link = ChainSeal.objects.get(table_name="ledger_transfer", row_pk=t.pk, event="created")
    assert result.first_bad == (
        f"ledger.Transfer id={t.pk} (chain link {link.seq}, created): "
        "contents do not match the hash chain"
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
