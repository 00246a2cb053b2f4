"""Demo ledger: the city treasury and a small worked example (idempotent: fixed codes and keys)."""

from audit.context import service_user

from . import services
from .models import AccountKind, TransferKind


def load(places: dict) -> dict:
    actor = service_user("system.command")
    city, township = places.get("city"), places.get("township")
    treasury = services.open_account(
        actor=actor,
        kind=AccountKind.EXTERNAL,
        name="东营市财政国库",
        code="external:treasury:city",
        region=city,
        reason="demo data",
    )
    payee = services.open_account(
        actor=actor,
        kind=AccountKind.EXTERNAL,
        name="收款单位（演示）",
        code="external:payee:demo",
        region=township,
        reason="demo data",
    )
    source = services.open_account(
        actor=actor,
        kind=AccountKind.FUNDING_SOURCE,
        name="社区公益事业补助资金（演示）",
        code="demo:source:welfare",
        region=township,
        reason="demo data",
    )
    project = services.open_account(
        actor=actor,
        kind=AccountKind.COMMITMENT,
        name="为老服务项目承诺（演示）",
        code="demo:commitment:elderly",
        region=township,
        reason="demo data",
    )
    common = {"actor": actor, "source_account": source}
    services.post_transfer(
        **common, from_account=treasury, to_account=source, amount="200000.00",
        kind=TransferKind.FUNDING, memo="年度补助资金拨入", idempotency_key="demo:ledger:funding",

    services.post_transfer(
        **common, from_account=source, to_account=project, amount="50000.00",
        kind=TransferKind.ALLOCATION, memo="分配至为老服务项目", idempotency_key="demo:ledger:alloc",

    services.post_transfer(
        **common, from_account=project, to_account=payee, amount="12000.00",
        kind=TransferKind.PAYMENT, memo="第一期服务费", idempotency_key="demo:ledger:pay1",

    services.reserve(
        **common, from_account=project, to_account=payee, amount="8000.00",
        kind=TransferKind.PAYMENT, memo="第二期服务费（待验收）", idempotency_key="demo:ledger:pay2",

    return {"treasury": treasury, "source": source, "commitment": project}
