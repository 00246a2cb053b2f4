"""Ledger test builders: accounts opened through the service, money moved through it."""

import itertools
import uuid

from core.context import service_user
from ledger import services
from ledger.models import Account

_seq = itertools.count(1)


def system():
    """The service identity jobs move money as (allowed to move money, holds no roles)."""
    return service_user("system.celery")


def key() -> str:
    return uuid.uuid4().hex


def account(kind="commitment", *, code=None, name=None, actor=None, **extra) -> Account:
    n = next(_seq)
    return services.open_account(
        actor=actor or system(),
        kind=kind,
        name=name or f"{kind} {n}",
        code=code or f"test-{kind}-{n}-{uuid.uuid4().hex[:6]}",
        **extra,
    )


def treasury(**extra) -> Account:
    return account("external", name="市财政国库", **extra)


def source(**extra) -> Account:
    return account("funding_source", **extra)


def funded_source(amount="1000.00", *, treasury_account=None, **extra):
    """A funding source holding `amount` of itself, paid in from an outside account."""
    src = source(**extra)
    outside = treasury_account or treasury()
    services.post_transfer(
        actor=system(),
        from_account=outside,
        to_account=src,
        amount=amount,
        source_account=src,
        kind="funding",
        idempotency_key=key(),
    )
    return src, outside


def move(from_account, to_account, amount, src, *, kind="transfer", actor=None, **kw):
    return services.post_transfer(
        actor=actor or system(),
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        source_account=src,
        kind=kind,
        idempotency_key=kw.pop("idempotency_key", None) or key(),
        **kw,
    )
