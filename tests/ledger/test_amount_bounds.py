"""Money beyond the column: one bound per amount (core/money.py), and a 4xx naming it.

Regression: amounts up to ¥9,999,999,999,999,999.99 passed validation, but a balance past
what its numeric(18, 2) column holds raised a raw `numeric field overflow` (a 500).
"""

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.exceptions import ValidationError

from core.api.serializers import MoneyField
from core.money import COLUMN_BOUND, MAX_AMOUNT
from ledger.errors import InvalidTransfer
from ledger.models import AccountBalance

from .factories import funded_source, key, system

pytestmark = pytest.mark.django_db


def test_the_bound_keeps_any_plausible_sum_inside_the_column():
    # 100,000 maximal amounts summed into one balance still fit (see core/money.py).
    assert MAX_AMOUNT * 100_000 <= COLUMN_BOUND
    assert MAX_AMOUNT == Decimal("100000000000.00")


def test_the_api_money_field_refuses_an_amount_past_the_bound_naming_it():
    field = MoneyField()
    assert field.run_validation(str(MAX_AMOUNT)) == MAX_AMOUNT
    with pytest.raises(ValidationError) as caught:
        field.run_validation("100000000000.01")
    assert "100000000000" in str(caught.value.detail[0])
    with pytest.raises(ValidationError):
        field.run_validation("9999999999999999.99")


def test_the_ledger_refuses_an_amount_past_the_bound_naming_it():
    from django.utils import translation

    src, outside = funded_source("1.00")
    with translation.override("en"), pytest.raises(InvalidTransfer) as caught:
        _fund(outside, src, "100000000000.01")
    assert caught.value.code == "amount_out_of_range"
    assert "¥100,000,000,000.00" in str(caught.value.detail)
    assert "amount" in caught.value.fields
    _fund(outside, src, str(MAX_AMOUNT))  # at the bound: moved


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_a_balance_that_would_overflow_its_column_is_a_4xx_naming_the_bound():
    src, outside = funded_source("1.00")
    # An outside account may go negative: bring it to the edge of what the column holds.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_accountbalance SET posted = %s WHERE account_id = %s",
            [Decimal("-9999999999999999.00"), outside.pk],
        )
    with pytest.raises(InvalidTransfer) as caught:
        _fund(outside, src, "100.00")
    assert caught.value.code == "amount_out_of_range"
    assert caught.value.status_code == 400
    assert AccountBalance.objects.get(account=outside).posted == Decimal("-9999999999999999.00")


def test_the_api_answers_a_remaining_numeric_overflow_with_400_naming_the_bound():
    import psycopg
    from django.db import DataError

    from core.api.exceptions import exception_handler

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::numeric(18, 2)", [Decimal("1e17")])
    except DataError as exc:
        assert isinstance(exc.__cause__, psycopg.errors.NumericValueOutOfRange)
        response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["code"] == "amount_out_of_range"
    assert "100,000,000,000.00" in response.data["detail"]


def _fund(outside, src, amount):
    from ledger import services

    return services.post_transfer(
        actor=system(),
        from_account=outside,
        to_account=src,
        amount=amount,
        source_account=src,
        kind="funding",
        idempotency_key=key(),
    )
