"""Ledger test builders: accounts opened through the service, money moved through it."""

import itertools
import uuid

from core.context import service_user
from ledger import services
from ledger.models import Account
from ledger.services import AccountScope

_seq = itertools.count(1)


def system():
    """The service identity jobs move money as (allowed to move money, holds no roles)."""
    return service_user("system.celery")


def key() -> str:
    return uuid.uuid4().hex


def scope(region=None, federation=None, organization=None) -> AccountScope:
    """What a domain app gives the ledger for its objects: the region's path (else the
    federation's township's, else the organization's community's) and the ids."""
    place = region or (
        federation.township if federation else organization.community if organization else None
    )
    return AccountScope(
        region_path=place.path if place else "",
        federation_id=federation.pk if federation else None,
        organization_id=organization.pk if organization else None,
    )


def account(
    kind="commitment",
    *,
    code=None,
    name=None,
    actor=None,
    region=None,
    federation=None,
    organization=None,
    **extra,
) -> Account:
    """An account opened through the service; `region`/`federation`/`organization` are
    domain objects, turned into the scope values the ledger keeps."""
    n = next(_seq)
    if region or federation or organization:
        extra["scope"] = scope(region, federation, organization)
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
