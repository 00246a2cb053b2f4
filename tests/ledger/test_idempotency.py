"""The same key with the same request answers the first result; a different request is a 409."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from core.api.exceptions import exception_handler
from ledger import services
from ledger.errors import IdempotencyConflict
from ledger.models import Transfer
from ledger.selectors import balance

from .factories import account, funded_source, key, move, system

D = Decimal


@pytest.mark.django_db
def test_same_key_same_request_answers_the_first_result_and_moves_nothing():
    src, _ = funded_source("1000.00")
    project = account()
    k = key()
    first = move(src, project, "100.00", src, idempotency_key=k)
    again = move(src, project, "100.00", src, idempotency_key=k)
    assert again.pk == first.pk
    assert getattr(again, "replayed", False)
    assert balance(src).posted == D("900.00")
    assert Transfer.objects.filter(idempotency_key=k).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"amount": "100.01"},
        {"memo": "other"},
        {"kind": "allocation"},
    ],
)
def test_same_key_different_request_is_a_conflict(change):
    src, _ = funded_source("1000.00")
    project = account()
    k = key()
    move(src, project, "100.00", src, idempotency_key=k)
    args = {"amount": "100.00", **change}
    amount = args.pop("amount")
    with pytest.raises(IdempotencyConflict) as caught:
        move(src, project, amount, src, idempotency_key=k, **args)
    assert caught.value.status_code == 409
    assert balance(src).posted == D("900.00")


@pytest.mark.django_db
def test_a_different_destination_with_the_same_key_is_a_conflict():
    src, _ = funded_source("1000.00")
    k = key()
    move(src, account(), "100.00", src, idempotency_key=k)
    with pytest.raises(IdempotencyConflict):
        move(src, account(), "100.00", src, idempotency_key=k)


@pytest.mark.django_db
def test_conflict_is_a_409_in_the_api_error_shape():
    response = exception_handler(IdempotencyConflict(fields={"idempotency_key": ["k"]}), {})
    assert response.status_code == 409
    assert response.data["code"] == "idempotency_conflict"
    assert response.data["fields"] == {"idempotency_key": ["k"]}


@pytest.mark.django_db
def test_commit_and_void_are_idempotent_per_key():
    src, _ = funded_source("1000.00")
    pending = services.reserve(
        actor=system(),
        from_account=src,
        to_account=account(),
        amount="100.00",
        source_account=src,
        idempotency_key=key(),
    )
    k = key()
    services.commit_pending(actor=system(), transfer=pending, idempotency_key=k)
    again = services.commit_pending(actor=system(), transfer=pending.pk, idempotency_key=k)
    assert again.state == "posted" and again.replayed
    with pytest.raises(IdempotencyConflict):
        services.void_pending(actor=system(), transfer=pending, idempotency_key=k)
    assert balance(src).posted == D("900.00")


@pytest.mark.django_db
def test_a_resolution_key_used_for_another_transfer_is_a_conflict():
    src, _ = funded_source("1000.00")
    k = key()
    first = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="1.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    second = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="1.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    services.commit_pending(actor=system(), transfer=first, idempotency_key=k)
    with pytest.raises(IdempotencyConflict):
        services.commit_pending(actor=system(), transfer=second, idempotency_key=k)
    assert Transfer.objects.get(pk=second.pk).state == "pending"


@pytest.mark.django_db
def test_reversal_is_idempotent_per_key():
    src, _ = funded_source("1000.00")
    original = move(src, account(), "100.00", src)
    k = key()
    first = services.reverse_transfer(actor=system(), transfer=original, idempotency_key=k)
    again = services.reverse_transfer(actor=system(), transfer=original, idempotency_key=k)
    assert again.pk == first.pk
    assert balance(src).posted == D("1000.00")


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_with_one_key_make_one_transfer():
    src, _ = funded_source("1000.00")
    project = account()
    actor = system()
    k = key()
    barrier = threading.Barrier(20)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            t = services.post_transfer(
                actor=actor,
                from_account=src,
                to_account=project,
                amount="10.00",
                source_account=src,
                idempotency_key=k,
            )
            results.append(t.pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 20 and len(set(results)) == 1
    assert Transfer.objects.filter(idempotency_key=k).count() == 1
    assert balance(src).posted == D("990.00")
    assert balance(project).posted == D("10.00")
