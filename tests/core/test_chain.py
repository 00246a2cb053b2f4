"""The one hash chain (core/chain.py): what is chained, sealing after commit, the head,
verification naming the first bad row, for history rows and ledger transfers alike."""

import pytest
from django.db import connection

from core import chain
from core.audited import set_reason
from core.models import ChainColumnSet, ChainSeal
from federations.models import Region
from ledger import services
from ledger.models import Transfer
from tests.ledger.factories import account, funded_source, key, move, system

pytestmark = pytest.mark.django_db


def _raw(sql, params=()):
    """A superuser rewriting rows behind the triggers' back."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL audit.bypass = 'on'")
        cursor.execute(sql, params)
        cursor.execute("RESET audit.bypass")


def test_history_tables_are_chained_by_themselves_and_transfers_by_registration():
    chained = {c.table: c for c in chain.chained()}
    assert "federations_historicalregion" in chained
    assert [e.name for e in chained["federations_historicalregion"].events] == ["created"]
    assert [e.name for e in chained["ledger_transfer"].events] == ["created", "resolved"]


def test_a_posting_adds_no_link_until_a_sealing_pass():
    src, _ = funded_source("100.00")
    before = ChainSeal.objects.count()
    move(src, account(), "10.00", src)
    assert ChainSeal.objects.count() == before  # never sealed inside the posting
    assert chain.seal(models=[Transfer]) == 2


def test_head_is_the_last_link_and_parses_back():
    assert chain.head() == chain.Head(0, chain.GENESIS)
    funded_source("10.00")
    chain.seal()
    last = ChainSeal.objects.order_by("-seq").first()
    head = chain.head()
    assert (head.seq, head.hash) == (last.seq, last.hash)
    assert chain.parse_head(str(head)) == (head.seq, head.hash)
    for bad in ("", "12", "x:" + "0" * 64, "3:abc"):
        with pytest.raises(ValueError):
            chain.parse_head(bad)


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_column_added_later_does_not_change_old_digests(regions):
    chain.seal()
    _raw("ALTER TABLE federations_historicalregion ADD COLUMN later_note text DEFAULT 'x'")
    town = Region.objects.get(pk=regions["town_a"].pk)
    town.name = "改名以后"
    set_reason(town, "rename").save()
    assert chain.seal() == 1
    result = chain.verify()
    assert result.ok, result.problems[:3]
    # the new row was sealed over the wider column set, the old ones over theirs
    sets = ChainColumnSet.objects.filter(table_name="federations_historicalregion")
    assert sorted("later_note" in s.columns for s in sets) == [False, True]


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_direct_postings_resolution_is_covered_by_its_created_link():
    src, _ = funded_source("100.00")
    t = move(src, account(), "10.00", src)
    chain.seal()
    _raw(
        "UPDATE ledger_transfer SET resolved_at = resolved_at + interval '1 hour' WHERE id = %s",
        [t.pk],
    )
    result = chain.verify(models=[Transfer])
    assert not result.ok
    assert result.first_bad["kind"] == "row_altered"
    assert result.first_bad["text"].startswith(f"ledger.Transfer id={t.pk} (chain link ")
    assert result.first_bad["text"].endswith("created): contents do not match the hash chain")


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_resolution_is_covered_by_its_resolved_link():
    src, _ = funded_source("100.00")
    pending = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="5.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    chain.seal()
    services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
    assert chain.seal() == 1  # the resolved link (the created one is not touched)
    assert chain.verify().ok
    _raw("UPDATE ledger_transfer SET resolved_at = resolved_at - interval '1 day' WHERE id = %s",
         [pending.pk])  # fmt: skip
    result = chain.verify()
    assert [p["event"] for p in result.problems] == ["resolved"]
    assert result.first_bad["row_pk"] == pending.pk


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_a_rewritten_link_is_named():
    funded_source("10.00")
    chain.seal()
    _raw("UPDATE core_chainseal SET row_digest = repeat('0', 64) WHERE seq = 1")
    result = chain.verify()
    kinds = [p["kind"] for p in result.problems]
    assert "link_altered" in kinds and result.first_bad["seal_id"] == 1


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_pending_transfer_may_change_once_and_only_its_resolution():
    """The declared exception of the append-only family (core/triggers.py)."""
    from django.db import IntegrityError, transaction

    src, _ = funded_source("100.00")
    pending = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="5.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    for sql in (
        "UPDATE ledger_transfer SET state = 'posted', resolved_at = now(), memo = 'x' "
        "WHERE id = %s",  # something else changes along with it
        "UPDATE ledger_transfer SET state = 'pending', resolution_key = 'k' WHERE id = %s",
        "UPDATE ledger_transfer SET state = 'reversed' WHERE id = %s",  # not a target
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [pending.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_transfer SET state = 'voided', resolved_at = now(), "
            "resolution_key = 'once' WHERE id = %s",
            [pending.pk],
        )
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_transfer SET resolution_key = 'twice' WHERE id = %s", [pending.pk]
            )
