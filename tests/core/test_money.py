"""Money for people: ¥200,000.00; the API keeps the plain decimal string."""

from decimal import Decimal

import pytest

from core.money import XLSX_FORMAT, in_capitals, yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("200000"), "¥200,000.00"),
        ("-200000.00", "-¥200,000.00"),
        ("1234.5", "¥1,234.50"),
        ("0.005", "¥0.01"),
        (0, "¥0.00"),
        (None, ""),
        ("", ""),
        ("not a number", "not a number"),
    ],
)
def test_yuan(value, shown):
    assert yuan(value) == shown


def test_xlsx_format_keeps_numbers_and_shows_yuan():
    assert XLSX_FORMAT.startswith('"¥"#,##0.00')


def test_the_api_keeps_the_plain_string(client_for, users):
    from tests.ledger import factories as ledger

    account = ledger.account("external", name="国库")
    body = client_for(users["admin"]).get(f"/api/v1/ledger/accounts/{account.pk}/").json()
    assert body["posted"] == "0.00"


def test_ledger_admin_shows_yuan(client, users):
    from ledger import services
    from ledger.models import TransferKind
    from tests.ledger import factories as ledger

    source = ledger.account("funding_source", name="补助资金")
    treasury = ledger.account("external", name="国库")
    services.post_transfer(
        actor=ledger.system(),
        from_account=treasury,
        to_account=source,
        amount="200000.00",
        source_account=source,
        kind=TransferKind.FUNDING,
        idempotency_key=ledger.key(),
    )
    client.force_login(users["admin"])
    accounts = client.get("/admin/ledger/account/").content.decode()
    assert "-¥200,000.00" in accounts and "-200000.00" not in accounts
    transfers = client.get("/admin/ledger/transfer/").content.decode()
    assert "¥200,000.00" in transfers


@pytest.mark.parametrize(
    ("value", "capitals"),
    [
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("100", "壹佰元整"),
        ("0.05", "伍分"),
        ("0", "零元整"),
        ("1.05", "壹元零伍分"),
        ("1005", "壹仟零伍元整"),
        ("10010", "壹万零壹拾元整"),
        ("105000", "壹拾万伍仟元整"),
        ("1000001", "壹佰万零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("200000.00", "贰拾万元整"),
        ("12345678901.23", "壹佰贰拾叁亿肆仟伍佰陆拾柒万捌仟玖佰零壹元贰角叁分"),
        ("0.505", "伍角壹分"),
        ("-3.20", "负叁元贰角"),
    ],
)
def test_amounts_in_chinese_capitals(value, capitals):
    assert in_capitals(value) == capitals
