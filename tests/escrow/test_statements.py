"""Statements: monthly figures made once, opening = previous closing to the fen, documents."""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from openpyxl import load_workbook

from escrow import statements, tasks
from escrow.models import Statement
from tests.escrow.factories import at, make_escrow_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(regions):
    """Money in and out of organization A's account over March and April 2026."""
    with at(2026, 2, 20):
        ew = make_escrow_world(regions, funded=None)
    with at(2026, 3, 3):
        ew.deposit("1000.37", ref="B-0303")
    with at(2026, 3, 31, 23):  # 23:00 Shanghai on the 31st is still March
        claim = ew.claim("123.45")
        ew.pay(claim, ref="PAY-0331")
    with at(2026, 4, 1, 0):
        ew.deposit("0.01", ref="B-0401")
    with at(2026, 4, 15):
        ew.pay(ew.claim("77.77", vouchers=1), ref="PAY-0415")
    return ew


def test_monthly_run_is_idempotent_and_opening_is_previous_closing(history):
    ew = history
    first = tasks.monthly_statements(2026, 3)
    assert first == {"year": 2026, "month": 3, "made": 1, "existing": 0}
    march = Statement.objects.get(account=ew.account, period_start=datetime.date(2026, 3, 1))
    assert (march.opening_balance, march.total_in, march.total_out, march.closing_balance) == (
        Decimal("0.00"), Decimal("1000.37"), Decimal("123.45"), Decimal("876.92"))  # fmt: skip
    assert march.movement_count == 2
    again = tasks.monthly_statements(2026, 3)
    assert again["made"] == 0 and again["existing"] == 1
    assert Statement.objects.filter(account=ew.account).count() == 1
    march2 = Statement.objects.get(pk=march.pk)
    assert march2.closing_balance == march.closing_balance and march2.by_source == march.by_source
    tasks.monthly_statements(2026, 4)
    april = Statement.objects.get(account=ew.account, period_start=datetime.date(2026, 4, 1))
    assert april.opening_balance == march.closing_balance  # to the fen
    assert april.closing_balance == Decimal("799.16")
    assert [s["closing"] for s in april.by_source] == ["799.16"]


def test_a_stored_statement_and_a_recomputed_one_agree(history):
    ew = history
    statement, _new = statements.statement_generate(account=ew.account, year=2026, month=4)
    fresh = statements.figures(ew.account, statement.period_start, statement.period_end)
    assert (fresh.opening, fresh.total_in, fresh.total_out, fresh.closing) == (
        statement.opening_balance, statement.total_in, statement.total_out,
        statement.closing_balance,
    )  # fmt: skip
    # Any period on demand: March 15 to April 30 holds three movements.
    some = statements.figures(ew.account, datetime.date(2026, 3, 15), datetime.date(2026, 4, 30))
    assert some.opening == Decimal("1000.37") and some.count == 3


def test_documents_list_every_movement_with_reference(history):
    ew = history
    result = statements.figures(ew.account, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    text = statements.document(ew.account, result, "csv").decode("utf-8-sig")
    assert "B-0303" in text and "PAY-0331" in text and "东营区民政局" in text
    assert "6222021234567890123" not in text and "7890123" not in text  # payees masked
    assert "代管存入" in text  # kinds by label
    book = load_workbook(io.BytesIO(statements.document(ew.account, result, "xlsx")))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "PAY-0331" in values
    pdf = statements.document(ew.account, result, "pdf")
    assert pdf.startswith(b"%PDF")


def test_the_beat_schedule_runs_the_monthly_statements():
    entry = settings.CELERY_BEAT_SCHEDULE["escrow-monthly-statements"]
    assert entry["task"] == "escrow.monthly_statements"
