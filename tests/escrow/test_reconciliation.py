"""Bank reconciliation: import all-or-nothing, match, split, correct, reconcile."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.errors import Conflict, InvalidInput
from escrow import reconciliation
from escrow.models import BankMatch, MatchState
from tests.escrow.factories import at, make_escrow_world

pytestmark = pytest.mark.django_db
MAPPING = {"date": "交易日期", "amount": "金额", "reference": "流水号", "counterparty": "对方户名"}


def csv_file(rows, name="bank.csv"):
    text = "交易日期,金额,流水号,对方户名\n" + "\n".join(",".join(r) for r in rows)
    return SimpleUploadedFile(name, text.encode("utf-8-sig"))


@pytest.fixture
def month(regions):
    with at(2026, 5, 1):
        ew = make_escrow_world(regions, funded=None)
    with at(2026, 5, 6):
        ew.deposit("5000.00", ref="B-001")
        ew.deposit("300.00", ref="B-002")
        ew.deposit("200.00", ref="B-003")
    with at(2026, 5, 20):
        ew.pay(ew.claim("1200.00"), ref="PAY-1")
    return ew


def _import(ew, rows, **kw):
    return reconciliation.bank_statement_import(
        actor=ew["staff"], federation_id=ew.r["federation_a"].pk, file=csv_file(rows),
        year=2026, month=5, opening_balance="0.00", closing_balance=kw.get("closing", "4300.00"),
        mapping=MAPPING,
    )  # fmt: skip


def test_import_is_all_or_nothing_with_row_errors(month):
    with pytest.raises(InvalidInput) as exc:
        _import(month, [["2026-05-06", "5000.00", "B-001", "民政局"], ["2026-06-01", "1", "", ""],
                        ["2026-05-07", "abc", "", ""]])  # fmt: skip
    assert exc.value.code == "rows_invalid"
    errors = exc.value.fields["rows"]
    assert len(errors) == 2 and "3" in errors[0] and "4" in errors[1]
    from escrow.models import BankStatement

    assert not BankStatement.objects.exists()
    with pytest.raises(InvalidInput):
        reconciliation.bank_statement_import(
            actor=month["staff"], federation_id=month.r["federation_a"].pk,
            file=csv_file([]), year=2026, month=5, opening_balance="0", closing_balance="0",
            mapping={"date": "日期"},
        )  # fmt: skip


def test_matching_split_correction_and_a_balanced_month(month):
    ew = month
    statement = _import(ew, [
        ["2026-05-06", "5000.00", "B-001", "民政局"],  # by reference
        ["2026-05-07", "500.00", "B-023", "民政局"],  # one bank line for two deposits: a split
        ["2026-05-21", "-1200.00", "", "文具店"],  # by amount and date window
    ])  # fmt: skip
    matches = BankMatch.objects.filter(line__statement=statement)
    assert matches.count() == 2 and set(matches.values_list("state", flat=True)) == {"suggested"}
    report = reconciliation.report(statement)
    assert not report["balanced"] and len(report["unmatched_bank"]) == 3
    for match in matches:
        reconciliation.match_confirm(actor=ew["staff"], match_id=match.pk)
    split_line = statement.lines.get(row=3)
    deposits = {d.bank_reference: d.transfer_id for d in ew.account.deposits.all()}
    reconciliation.match_add(actor=ew["staff"], line_id=split_line.pk,
                             transfer_id=deposits["B-002"], reason="合并入账")  # fmt: skip
    with pytest.raises(Conflict):  # a transfer is matched once
        reconciliation.match_add(actor=ew["staff"], line_id=split_line.pk,
                                 transfer_id=deposits["B-001"], reason="x")  # fmt: skip
    wrong = BankMatch.objects.get(transfer_id=deposits["B-002"])
    reconciliation.match_remove(actor=ew["staff"], match_id=wrong.pk, reason="更正")
    assert wrong.history.filter(history_type="-").exists()
    for ref in ("B-002", "B-003"):
        reconciliation.match_add(actor=ew["staff"], line_id=split_line.pk,
                                 transfer_id=deposits[ref], reason="合并入账")  # fmt: skip
    assert sum(m.amount for m in split_line.matches.all()) == Decimal("500.00")
    done = reconciliation.reconcile(actor=ew["staff"], statement_id=statement.pk)
    r = done.reconciliation
    assert r["bank_closing"] == r["ledger_closing"] == "4300.00"
    assert r["balanced"] and not r["unmatched_bank"] and not r["unmatched_ledger"]
    assert MatchState.CONFIRMED == BankMatch.objects.filter(line=split_line).first().state


def test_differences_are_listed(month):
    ew = month
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "收入", "支出", "流水号"])
    sheet.append([datetime.date(2026, 5, 6), 5000, None, "B-001"])
    sheet.append([datetime.date(2026, 5, 30), None, 15, "FEE"])  # a bank fee, not in the ledger
    out = io.BytesIO()
    book.save(out)
    statement = reconciliation.bank_statement_import(
        actor=ew["staff"], federation_id=ew.r["federation_a"].pk,
        file=SimpleUploadedFile("bank.xlsx", out.getvalue()), year=2026, month=5,
        opening_balance="0.00", closing_balance="4985.00",
        mapping={"date": "日期", "credit": "收入", "debit": "支出", "reference": "流水号"},
    )  # fmt: skip
    for match in BankMatch.objects.filter(line__statement=statement):
        reconciliation.match_confirm(actor=ew["staff"], match_id=match.pk)
    r = reconciliation.reconcile(actor=ew["staff"], statement_id=statement.pk).reconciliation
    assert r["difference"] == "685.00" and not r["balanced"] and r["explained"]
    assert [u["amount"] for u in r["unmatched_bank"]] == ["-15.00"]
    assert sorted(Decimal(u["amount"]) for u in r["unmatched_ledger"]) == [
        Decimal("-1200.00"), Decimal("200.00"), Decimal("300.00")]  # fmt: skip
