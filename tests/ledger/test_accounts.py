"""Accounts: closed accounts move no money, and an account's scope is data the domain gives."""

from decimal import Decimal

import pytest

from core.api.exceptions import exception_handler
from core.errors import InvalidInput
from ledger import services
from ledger.errors import AccountInactive, AccountNotEmpty
from ledger.models import Account, AccountBalance, Transfer
from ledger.selectors import accounts_visible_to, balance
from ledger.services import AccountScope

from .factories import account, funded_source, key, move, system

pytestmark = pytest.mark.django_db
D = Decimal


def _close(acc, reason="closed in a test"):
    return services.close_account(actor=system(), account=acc, reason=reason)


def _nothing_written(before: int, *accounts_and_balances):
    assert Transfer.objects.count() == before
    for acc, posted in accounts_and_balances:
        assert balance(acc).posted == D(posted)


@pytest.mark.parametrize("side", ["from_account", "to_account"])
def test_a_closed_account_neither_pays_nor_receives(side):
    src, _ = funded_source("100.00")
    project = account()
    move(src, project, "40.00", src)
    payee = account("external")
    move(project, payee, "40.00", src)  # the project is empty now
    closed = _close(project if side == "from_account" else payee)
    frm, to = (closed, account("external")) if side == "from_account" else (src, closed)
    before = Transfer.objects.count()
    for service in (services.post_transfer, services.reserve):
        with pytest.raises(AccountInactive) as caught:
            service(
                actor=system(),
                from_account=frm,
                to_account=to,
                amount="1.00",
                source_account=src,
                idempotency_key=key(),
            )
        error = caught.value
        assert error.status_code == 409 and error.code == "account_inactive"
        assert closed.code in str(error.detail)
        assert list(error.fields) == [side] and closed.code in error.fields[side][0]
    _nothing_written(before, (src, "60.00"), (payee, "40.00"))


def test_a_closed_funding_source_is_not_spent_any_more():
    src, treasury = funded_source("100.00")
    project, payee = account(), account("external")
    move(src, project, "100.00", src)  # the source is empty, its money is in the project
    _close(src)
    before = Transfer.objects.count()
    with pytest.raises(AccountInactive) as caught:
        move(project, payee, "1.00", src)
    assert list(caught.value.fields) == ["source_account"]
    assert src.code in caught.value.fields["source_account"][0]
    _nothing_written(before, (project, "100.00"))


def test_an_account_closed_after_the_caller_loaded_it_is_refused_by_the_database():
    """The caller's copy says open; the posting's guarded UPDATE reads the truth."""
    src, _ = funded_source("100.00")
    project = account()
    stale_project = Account.objects.get(pk=project.pk)
    stale_source = Account.objects.get(pk=src.pk)
    move(src, project, "10.00", src)
    move(project, account("external"), "10.00", src)
    services.close_account(actor=system(), account=project.pk, reason="project closed")
    assert stale_project.is_active  # what the caller still holds
    before = Transfer.objects.count()
    with pytest.raises(AccountInactive) as caught:
        move(src, stale_project, "5.00", src)
    assert caught.value.fields.keys() == {"to_account"}
    _nothing_written(before, (src, "90.00"), (project, "0.00"))

    # The source itself, closed behind a stale copy, while neither account of the transfer.
    other = account()
    move(src, other, "90.00", src)
    services.close_account(actor=system(), account=src.pk, reason="source spent")
    before = Transfer.objects.count()
    with pytest.raises(AccountInactive) as caught:
        move(other, account(), "1.00", stale_source)
    assert caught.value.fields.keys() == {"source_account"}
    _nothing_written(before, (other, "90.00"))


def test_inside_a_callers_transaction_a_refusal_leaves_it_usable():
    from django.db import transaction

    src, _ = funded_source("100.00")
    payee = account("external")
    closed = account()
    _close(closed)
    with transaction.atomic():
        with pytest.raises(AccountInactive):
            move(src, closed, "1.00", src)
        move(src, payee, "2.00", src)  # the same transaction goes on
    assert balance(payee).posted == D("2.00")


def test_a_pending_transfer_is_committed_only_while_its_source_is_open_but_always_voidable():
    src, _ = funded_source("100.00")
    project, payee = account(), account("external")
    move(src, project, "100.00", src)
    first = services.reserve(
        actor=system(), from_account=project, to_account=payee, amount="30.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    second = services.reserve(
        actor=system(), from_account=project, to_account=payee, amount="20.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    _close(src)  # the source holds nothing and has no reservations of its own
    with pytest.raises(AccountInactive):
        services.commit_pending(actor=system(), transfer=first.pk, idempotency_key=key())
    assert Transfer.objects.get(pk=first.pk).state == "pending"
    voided = services.void_pending(actor=system(), transfer=second.pk, idempotency_key=key())
    assert voided.state == "voided"
    assert balance(project).pending == D("30.00")


def test_close_account_refuses_money_and_reservations_and_keeps_the_reason():
    src, treasury = funded_source("100.00")
    with pytest.raises(AccountNotEmpty) as caught:
        _close(src)
    assert caught.value.status_code == 409 and src.code in str(caught.value.detail)
    project = account()
    services.reserve(
        actor=system(), from_account=src, to_account=project, amount="5.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    with pytest.raises(AccountNotEmpty):
        _close(project)  # a receivable is outstanding
    with pytest.raises(InvalidInput):
        services.close_account(actor=system(), account=treasury, reason=" ")
    closed = _close(treasury, reason="treasury account replaced")  # outside: may hold a balance
    assert not closed.is_active and balance(treasury).posted == D("-100.00")
    assert not AccountBalance.objects.get(account=treasury).is_active
    assert closed.history.first().history_change_reason == "treasury account replaced"
    assert _close(treasury).pk == treasury.pk  # closing twice answers the closed account


def test_account_inactive_answers_in_the_error_shape():
    closed = account()
    _close(closed)
    src, _ = funded_source("10.00")
    with pytest.raises(AccountInactive) as caught:
        move(src, closed, "1.00", src)
    response = exception_handler(caught.value, {})
    assert response.status_code == 409
    assert response.data["code"] == "account_inactive"
    assert closed.code in response.data["detail"]
    assert list(response.data["fields"]) == ["to_account"]


def test_open_account_keeps_the_scope_the_domain_gives(users, regions):
    town_a = regions["town_a"]
    scoped = services.open_account(
        actor=system(),
        kind="custodial",
        name="custody",
        scope=AccountScope(
            region_path=town_a.path,
            federation_id=regions["federation_a"].pk,
            organization_id=None,
        ),
    )
    scoped.refresh_from_db()
    assert (scoped.region_path, scoped.federation_id, scoped.organization_id) == (
        town_a.path,
        regions["federation_a"].pk,
        None,
    )
    assert scoped in accounts_visible_to(users["finance_town"])
    assert scoped in accounts_visible_to(users["federation_staff"])
    assert scoped not in accounts_visible_to(users["auditor_town_b"])
    assert scoped not in accounts_visible_to(users["org_rep"])


@pytest.mark.parametrize(
    "scope, field",
    [
        (AccountScope(region_path="370500"), "region_path"),
        (AccountScope(region_path="/370500/'; --"), "region_path"),
        (AccountScope(federation_id="7"), "federation_id"),
        (AccountScope(organization_id=0), "organization_id"),
    ],
)
def test_a_malformed_scope_is_refused_naming_the_field(scope, field):
    before = Account.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.open_account(actor=system(), kind="commitment", name="x", scope=scope)
    assert field in caught.value.fields
    assert Account.objects.count() == before


def test_rescope_moves_the_account_and_records_why(users, regions):
    acc = account(region=regions["town_b"])
    assert acc not in accounts_visible_to(users["finance_town"])
    services.rescope_account(
        actor=system(),
        account=acc,
        scope=AccountScope(region_path=regions["comm_a1"].path),
        reason="the community moved townships",
    )
    assert acc in accounts_visible_to(users["finance_town"])
    assert acc.history.first().history_change_reason == "the community moved townships"
