"""Demo ledger: the city treasury and a small worked example (idempotent: fixed codes and keys)."""

from core.context import service_user

from . import services
from .models import AccountKind, TransferKind
from .services import AccountScope


def load(places: dict) -> dict:
    """The demo accounts; the domain's places give their scope as data (region paths, ids)."""
    actor = service_user("system.command")
    city = AccountScope(region_path=places["city"].path)
    township = AccountScope(region_path=places["township"].path)
    organization, federation = places.get("organization"), places.get("federation")
    treasury = services.open_account(
        actor=actor,
        kind=AccountKind.EXTERNAL,
        name="东营市财政国库",
        code="external:treasury:city",
        scope=city,
        reason="演示数据",
    )
    payee = services.open_account(
        actor=actor,
        kind=AccountKind.EXTERNAL,
        name="收款单位（演示）",
        code="external:payee:demo",
        scope=township,
        reason="演示数据",
    )
    source = services.open_account(
        actor=actor,
        kind=AccountKind.FUNDING_SOURCE,
        name="社区公益事业补助资金（演示）",
        code="demo:source:welfare",
        scope=township,
        reason="演示数据",
    )
    project = services.open_account(
        actor=actor,
        kind=AccountKind.COMMITMENT,
        name="为老服务项目承诺（演示）",
        code="demo:commitment:elderly",
        scope=township,
        reason="演示数据",
    )
    # The federation keeps the demo organization's money in custody (it has no legal
    # personality): its staff see an account and its movements, not an empty ledger.
    custody = services.open_account(
        actor=actor,
        kind=AccountKind.CUSTODIAL,
        name=f"{organization.name}代管账户（演示）" if organization else "代管账户（演示）",
        code="demo:custodial:elderly",
        scope=AccountScope(
            region_path=places["township"].path,
            federation_id=federation.pk if federation else None,
            organization_id=organization.pk if organization else None,
        ),
        reason="演示数据",
    )
    common = {"actor": actor, "source_account": source}
    steps = [
        (services.post_transfer, treasury, source, "200000.00", TransferKind.FUNDING,
         "年度补助资金拨入", "demo:ledger:funding"),
        (services.post_transfer, source, project, "50000.00", TransferKind.ALLOCATION,
         "分配至为老服务项目", "demo:ledger:alloc"),
        (services.post_transfer, project, payee, "12000.00", TransferKind.PAYMENT,
         "第一期服务费", "demo:ledger:pay1"),
        (services.reserve, project, payee, "8000.00", TransferKind.PAYMENT,
         "第二期服务费（待验收）", "demo:ledger:pay2"),
        (services.post_transfer, project, custody, "10000.00", TransferKind.DEPOSIT,
         "拨入联合会代管账户：活动经费", "demo:ledger:deposit1"),
        (services.post_transfer, custody, payee, "2600.00", TransferKind.EXPENSE,
         "活动物资采购（凭票报销）", "demo:ledger:expense1"),
    ]  # fmt: skip
    for service, from_account, to_account, amount, kind, memo, key in steps:
        service(
            **common,
            from_account=from_account,
            to_account=to_account,
            amount=amount,
            kind=kind,
            memo=memo,
            idempotency_key=key,
        )
    return {"treasury": treasury, "source": source, "commitment": project, "custody": custody}
