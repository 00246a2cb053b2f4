"""Bank reconciliation of a federation's custodial money (one bank account holds the money
of all its member organizations' custodial accounts).

- Import a month of the bank's statement (CSV or XLSX) with a column mapping: every row is
  checked first and the import is all-or-nothing (a 400 listing each row's errors).
- Lines are matched to ledger transfers (into or out of the federation's custodial accounts,
  transfers between two of them excluded) by reference first, then by amount within a date
  window; those are suggestions until federation staff confirm them. Staff may add a match
  (several for one line: a split), or remove one and add another (a correction); each is a
  history record with its reason.
- Reconciling the month records the bank's closing balance, the ledger's, and the listed
  differences: the unmatched lines on both sides.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotPermitted
from core.services import locked
from federations.models import Federation
from ledger.models import Transfer, TransferState

from .models import (
    BankLine,
    BankMatch,
    BankStatement,
    BankStatementState,
    ClaimLine,
    Deposit,
    MatchState,
)
from .selectors import (
    bank_lines_visible_to,
    bank_matches_visible_to,
    bank_statements_visible_to,
    federation_ledger_accounts,
    is_staff_of,
    transfers_of,
)
from .services import STAFF, _reason, _unknown, roles
from .statements import _instant, month_bounds

ZERO = Decimal("0.00")
WINDOW_DAYS = 3
MAX_ROWS = 20000
FIELDS = ("date", "amount", "credit", "debit", "reference", "counterparty", "memo")


# --------------------------------------------------------------------------- parsing


def _table(file) -> list[list]:
    name = (getattr(file, "name", "") or "").lower()
    data = file.read()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook  # heavy; only imports need it (a library)

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is the user's input
            raise InvalidInput(fields={"file": [_("Not a readable XLSX file.")]}) from None
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(fields={"file": [_("Not a CSV file in UTF-8 or GB18030.")]})
    return [row for row in csv.reader(io.StringIO(text))]


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y.%m.%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("not a date: %(v)s") % {"v": text[:30]})


def _amount(value, *, allow_empty=False) -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", "").replace("¥", "")
    if not text:
        if allow_empty:
            return ZERO
        raise ValueError(_("no amount"))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("not an amount: %(v)s") % {"v": text[:30]}) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("not an amount in yuan with two decimals: %(v)s") % {"v": text[:30]})
    if abs(amount) > Decimal("100000000000"):
        raise ValueError(_("amount too large"))
    return amount.quantize(Decimal("0.01"))


def _mapping(mapping, header: list[str]) -> dict[str, int]:
    if not isinstance(mapping, dict):
        raise InvalidInput(fields={"mapping": [_("An object: field → column name.")]})
    unknown = [k for k in mapping if k not in FIELDS]
    if unknown:
        raise InvalidInput(
            fields={"mapping": [_("Unknown fields: %(f)s.") % {"f": ", ".join(map(str, unknown))}]}
        )
    if "date" not in mapping or not (
        "amount" in mapping or ("credit" in mapping and "debit" in mapping)
    ):
        raise InvalidInput(fields={"mapping": [_("Map date, and amount (or credit and debit).")]})
    columns = {}
    for field, column in mapping.items():
        if not isinstance(column, str) or column.strip() not in header:
            raise InvalidInput(
                fields={"mapping": [_("No column %(c)s in the file.") % {"c": str(column)[:50]}]}
            )
        columns[field] = header.index(column.strip())
    return columns


def parse(file, mapping, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """The lines of the file, or InvalidInput listing every row's errors (nothing saved)."""
    table = _table(file)
    if not table:
        raise InvalidInput(fields={"file": [_("The file is empty.")]})
    header = [str(h or "").strip() for h in table[0]]
    columns = _mapping(mapping, header)
    body = [row for row in table[1:] if any(str(c or "").strip() for c in row)]
    if len(body) > MAX_ROWS:
        raise InvalidInput(fields={"file": [_("At most %(n)d rows.") % {"n": MAX_ROWS}]})
    lines, errors = [], []
    for number, row in enumerate(body, start=2):
        cells = {f: (row[i] if i < len(row) else None) for f, i in columns.items()}
        try:
            date = _date(cells["date"])
            if not start <= date <= end:
                raise ValueError(_("date %(d)s outside the month") % {"d": date.isoformat()})
            if "amount" in cells:
                amount = _amount(cells["amount"])
            else:
                amount = _amount(cells["credit"], allow_empty=True) - _amount(
                    cells["debit"], allow_empty=True
                )
            if not amount:
                raise ValueError(_("amount is zero"))
            texts = {
                f: str(cells.get(f) or "").strip()[:limit]
                for f, limit in (("reference", 100), ("counterparty", 200), ("memo", 300))
            }
        except ValueError as exc:
            errors.append(_("row %(n)d: %(e)s") % {"n": number, "e": exc})
            continue
        lines.append({"row": number, "date": date, "amount": amount, **texts})
    if errors:
        raise InvalidInput(
            _("%(n)d rows have errors; nothing was imported.") % {"n": len(errors)},
            code="rows_invalid",
            fields={"rows": errors[:100]},
        )
    return lines


# --------------------------------------------------------------------------- ledger side


def _signed(transfer_row, ids: set[int]) -> Decimal | None:
    """+ money into the federation's custody, − out of it, None between two of its accounts."""
    _tid, frm, to, amount = transfer_row[:4]
    if to in ids and frm not in ids:
        return amount
    if frm in ids and to not in ids:
        return -amount
    return None


def _ledger_rows(federation_id: int, start: datetime.date, end: datetime.date, *, margin=0):
    ids = set(federation_ledger_accounts(federation_id))
    lo = _instant(start - datetime.timedelta(days=margin))
    hi = _instant(end + datetime.timedelta(days=1 + margin))
    rows = transfers_of(ids, start=lo, end=hi).values_list(
        "id", "from_account_id", "to_account_id", "amount", "resolved_at", "memo"
    )
    out = []
    for row in rows:
        signed = _signed(row, ids)
        if signed is not None:
            out.append({"id": row[0], "signed": signed, "at": row[4], "memo": row[5]})
    return out


def ledger_balance(federation_id: int, at: datetime.datetime) -> Decimal:
    """The federation's custodial money in the ledger at an instant (posted)."""
    ids = federation_ledger_accounts(federation_id)
    money_field = DecimalField(max_digits=18, decimal_places=2)
    sums = Transfer.objects.filter(
        Q(to_account_id__in=ids) | Q(from_account_id__in=ids),
        state=TransferState.POSTED,
        resolved_at__lt=at,
    ).aggregate(
        inflow=Sum(Case(When(to_account_id__in=ids, then=F("amount")), default=Value(ZERO),
                        output_field=money_field)),
        outflow=Sum(Case(When(from_account_id__in=ids, then=F("amount")), default=Value(ZERO),
                         output_field=money_field)),
    )  # fmt: skip
    return (sums["inflow"] or ZERO) - (sums["outflow"] or ZERO)


def _references(transfer_ids) -> dict[int, str]:
    refs = dict(
        Deposit.objects.filter(transfer_id__in=transfer_ids)
        .exclude(bank_reference="")
        .values_list("transfer_id", "bank_reference")
    )
    refs.update(
        ClaimLine.objects.filter(
            reservation_id__in=transfer_ids, claim__payout_reference__isnull=False
        ).values_list("reservation_id", "claim__payout_reference")
    )
    return refs


def _auto_match(statement: BankStatement, actor) -> int:
    tz = timezone.get_current_timezone()
    taken = set(BankMatch.objects.values_list("transfer_id", flat=True).filter(
        line__statement__federation_id=statement.federation_id))  # fmt: skip
    candidates = [
        c
        for c in _ledger_rows(
            statement.federation_id,
            statement.period_start,
            statement.period_end,
            margin=WINDOW_DAYS,
        )  # fmt: skip
        if c["id"] not in taken
    ]
    refs = _references([c["id"] for c in candidates])
    made = 0
    for line in statement.lines.order_by("row"):
        same = [c for c in candidates if c["signed"] == line.amount and c["id"] not in taken]
        chosen = None
        if line.reference:
            chosen = next(
                (c for c in same if refs.get(c["id"]) == line.reference or
                 (line.reference in (c["memo"] or ""))), None,
            )  # fmt: skip
        if chosen is None:
            near = [
                c for c in same
                if abs((c["at"].astimezone(tz).date() - line.date).days) <= WINDOW_DAYS
            ]  # fmt: skip
            near.sort(key=lambda c: abs((c["at"].astimezone(tz).date() - line.date).days))
            chosen = near[0] if near else None
        if chosen is None:
            continue
        taken.add(chosen["id"])
        match = BankMatch(line=line, transfer_id=chosen["id"], amount=abs(chosen["signed"]))
        set_reason(match, _("suggested by amount, date and reference")).save()
        made += 1
    return made


# --------------------------------------------------------------------------- services


def _require_staff(actor, federation_id: int) -> None:
    if not is_staff_of(actor, federation_id):
        raise NotPermitted(
            _("Only staff of the federation reconcile its bank account."),
            code="federation_staff_only",
        )


@roles(STAFF)
def bank_statement_import(
    *,
    actor,
    federation_id: int,
    file,
    year: int,
    month: int,
    opening_balance,
    closing_balance,
    mapping: dict,
    reason: str = "",
) -> BankStatement:
    """Import a month of the federation's bank statement (all rows or none), then suggest
    matches."""
    if isinstance(federation_id, bool) or not isinstance(federation_id, int):
        raise InvalidInput(fields={"federation": [_("An id.")]})
    federation = Federation.objects.filter(pk=federation_id).first()
    if federation is None or not is_staff_of(actor, federation.pk):
        raise _unknown("federation")
    if not (isinstance(year, int) and 2000 <= year <= 2100 and isinstance(month, int)
            and 1 <= month <= 12):  # fmt: skip
        raise InvalidInput(fields={"month": [_("A year and a month.")]})
    opening = _balance(opening_balance, "opening_balance")
    closing = _balance(closing_balance, "closing_balance")
    if file is None:
        raise InvalidInput(fields={"file": [_("Attach the bank's CSV or XLSX file.")]})
    start, end = month_bounds(year, month)
    lines = parse(file, mapping, start=start, end=end)
    with transaction.atomic():
        statement = BankStatement(
            federation=federation, period_start=start, period_end=end, opening_balance=opening,
            closing_balance=closing, file_name=(getattr(file, "name", "") or "")[-200:],
            column_mapping=mapping, imported_by=actor,
        )  # fmt: skip
        try:
            with transaction.atomic():
                set_reason(statement, _reason(reason, required=False) or _("imported")).save()
        except IntegrityError:
            raise Conflict(
                _("This month's bank statement is already imported."), code="already_imported"
            ) from None
        for line in lines:
            set_reason(BankLine(statement=statement, **line), _("imported")).save()
        _auto_match(statement, actor)
    return statement


def _balance(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(fields={field: [_("An amount in yuan.")]}) from None
    if (
        not amount.is_finite()
        or amount != amount.quantize(Decimal("0.01"))
        or abs(amount) > (Decimal("100000000000"))
    ):
        raise InvalidInput(fields={field: [_("An amount in yuan with two decimals.")]})
    return amount.quantize(Decimal("0.01"))


def _lock_line(actor, line_id) -> BankLine:
    line = locked(bank_lines_visible_to(actor), line_id, related=("statement",))
    _require_staff(actor, line.statement.federation_id)
    return line


@roles(STAFF)
def match_add(*, actor, line_id: int, transfer_id: int, reason: str) -> BankMatch:
    """Match a bank line to a ledger transfer by hand (again for the same line: a split)."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        line = _lock_line(actor, line_id)
        if isinstance(transfer_id, bool) or not isinstance(transfer_id, int):
            raise _unknown("transfer")
        ids = set(federation_ledger_accounts(line.statement.federation_id))
        row = (
            Transfer.objects.filter(pk=transfer_id, state=TransferState.POSTED)
            .values_list("id", "from_account_id", "to_account_id", "amount")
            .first()
        )
        signed = _signed(row, ids) if row else None
        if signed is None:
            raise _unknown("transfer")
        if BankMatch.objects.filter(transfer_id=transfer_id).exists():
            raise Conflict(_("This transfer is already matched."), code="already_matched",
                           fields={"transfer": [_("Already matched.")]})  # fmt: skip
        if (signed > 0) != (line.amount > 0):
            raise InvalidInput(
                _("The transfer goes the other way."), fields={"transfer": [_("Wrong direction.")]}
            )
        matched = line.matches.aggregate(s=Sum("amount"))["s"] or ZERO
        if matched + abs(signed) > abs(line.amount):
            raise InvalidInput(
                _("The matches would exceed the line's ¥%(a)s.") % {"a": abs(line.amount)},
                code="match_exceeds_line",
                fields={"transfer": [_("Too much for this line.")]},
            )
        match = BankMatch(
            line=line, transfer_id=transfer_id, amount=abs(signed), state=MatchState.CONFIRMED,
            decided_by=actor, decided_at=timezone.now(),
        )  # fmt: skip
        set_reason(match, reason).save()
    return match


def _lock_match(actor, match_id) -> BankMatch:
    match = locked(bank_matches_visible_to(actor), match_id, related=("line__statement",))
    _require_staff(actor, match.line.statement.federation_id)
    return match


@roles(STAFF)
def match_confirm(*, actor, match_id: int, reason: str = "") -> BankMatch:
    with transaction.atomic():
        match = _lock_match(actor, match_id)
        if match.state == MatchState.CONFIRMED:
            return match
        match.state = MatchState.CONFIRMED
        match.decided_by = actor
        match.decided_at = timezone.now()
        set_reason(match, _reason(reason, required=False) or _("match confirmed")).save()
    return match


@roles(STAFF)
def match_remove(*, actor, match_id: int, reason: str) -> None:
    """Undo a wrong match (then add the right one): recorded in the history with why."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        match = _lock_match(actor, match_id)
        set_reason(match, reason).delete()


def report(statement: BankStatement) -> dict:
    """Bank balance against ledger balance at the month's end, and every difference: lines
    not (fully) matched by confirmed matches, and ledger transfers of the month not matched."""
    start, end = statement.period_start, statement.period_end
    ledger_opening = ledger_balance(statement.federation_id, _instant(start))
    ledger_closing = ledger_balance(
        statement.federation_id, _instant(end + datetime.timedelta(days=1))
    )
    confirmed = BankMatch.objects.filter(
        line__statement__federation_id=statement.federation_id, state=MatchState.CONFIRMED
    )
    matched_by_line = dict(
        confirmed.filter(line__statement=statement)
        .values("line_id")
        .annotate(s=Sum("amount"))
        .values_list("line_id", "s")
    )
    matched_transfers = set(confirmed.values_list("transfer_id", flat=True))
    unmatched_bank = []
    for line in statement.lines.order_by("row"):
        left = abs(line.amount) - matched_by_line.get(line.pk, ZERO)
        if left:
            signed_left = left if line.amount > 0 else -left
            unmatched_bank.append(
                {
                    "line": line.pk,
                    "row": line.row,
                    "date": line.date.isoformat(),
                    "amount": str(signed_left),
                    "reference": line.reference,
                }  # fmt: skip
            )
    unmatched_ledger = [
        {
            "transfer": r["id"],
            "amount": str(r["signed"]),
            "posted_at": r["at"].isoformat(),
            "memo": r["memo"],
        }  # fmt: skip
        for r in _ledger_rows(statement.federation_id, start, end)
        if r["id"] not in matched_transfers
    ]
    bank_only = sum((Decimal(u["amount"]) for u in unmatched_bank), ZERO)
    ledger_only = sum((Decimal(u["amount"]) for u in unmatched_ledger), ZERO)
    difference = statement.closing_balance - ledger_closing
    return {
        "bank_opening": str(statement.opening_balance),
        "ledger_opening": str(ledger_opening),
        "bank_closing": str(statement.closing_balance),
        "ledger_closing": str(ledger_closing),
        "difference": str(difference),
        "balanced": difference == 0 and not unmatched_bank and not unmatched_ledger,
        "explained": difference
        == (statement.opening_balance - ledger_opening) + bank_only - ledger_only,
        "unmatched_bank": unmatched_bank,
        "unmatched_ledger": unmatched_ledger,
    }


@roles(STAFF)
def reconcile(*, actor, statement_id: int, reason: str = "") -> BankStatement:
    """Record the month's reconciliation: balances and listed differences (again: anew)."""
    with transaction.atomic():
        statement = locked(bank_statements_visible_to(actor), statement_id)
        _require_staff(actor, statement.federation_id)
        statement.reconciliation = report(statement)
        statement.state = BankStatementState.RECONCILED
        statement.reconciled_at = timezone.now()
        set_reason(statement, _reason(reason, required=False) or _("reconciled")).save()
    return statement


__all__ = [
    "bank_statement_import",
    "match_add",
    "match_confirm",
    "match_remove",
    "reconcile",
    "report",
]
