"""Statements of custodial accounts: figures (opening, in, out, closing, by funding source)
and movements (every posted transfer of the period, with counterparty and reference).

The ledger never changes a posted transfer, and a transfer counts in the period in which it
was posted (`resolved_at`, Asia/Shanghai months), so the same period always gives the same
figures. A monthly statement is stored once per account and month (a unique constraint:
run twice, one statement); its opening balance is the previous month's closing balance.
Movements are read from the ledger in chunks (flat memory, whatever the count).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audited import set_reason
from core.documents import (
    download,
    stream_csv,
    streaming_download,
    table_xlsx,
    template_pdf,
)
from core.errors import InvalidInput, NotPermitted
from core.money import CENT
from ledger.models import Account, Transfer, TransferKind, TransferState

from .models import AccountState, ClaimLine, CustodialAccount, Deposit, Statement
from .selectors import accounts_visible_to, is_staff_of
from .services import STAFF, roles

ZERO = Decimal("0.00")
CHUNK = 2000


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, 1), datetime.date(year, month, last)


def previous_month(day: datetime.date) -> tuple[int, int]:
    first = day.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def _instant(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _window(start: datetime.date, end: datetime.date):
    return _instant(start), _instant(end + datetime.timedelta(days=1))


def _posted(ledger_id: int):
    return Transfer.objects.filter(
        Q(from_account_id=ledger_id) | Q(to_account_id=ledger_id), state=TransferState.POSTED
    )


# One statement per account and period, on the hot path of the monthly run: plain SQL (the
# ORM's query building cost more than the query), one pass over the account's transfers up to
# the period's end through the (from_account, id) and (to_account, id) indexes.
_SUMS = (
    "SELECT source_account_id, "
    "SUM(CASE WHEN resolved_at < %s THEN "
    "CASE WHEN to_account_id = %s THEN amount ELSE -amount END ELSE 0 END), "
    "SUM(CASE WHEN resolved_at >= %s AND to_account_id = %s THEN amount ELSE 0 END), "
    "SUM(CASE WHEN resolved_at >= %s AND from_account_id = %s THEN amount ELSE 0 END), "
    "SUM(CASE WHEN resolved_at >= %s THEN 1 ELSE 0 END), "
    "MAX(CASE WHEN resolved_at >= %s THEN id END) "
    "FROM ledger_transfer WHERE (from_account_id = %s OR to_account_id = %s) "
    "AND state = 'posted' AND resolved_at < %s{since} GROUP BY source_account_id"
)


def _dec(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value or 0)).quantize(CENT)  # SQLite sums are floats


def _sums(ledger_id: int, lo, hi, *, before: bool) -> dict[int, list]:
    """{source: [before, in, out, count, last id]} of the account's posted transfers: before
    `lo` (when `before`), and in [lo, hi)."""
    adapt = connection.ops.adapt_datetimefield_value
    lo, hi = adapt(lo), adapt(hi)
    params = [lo, ledger_id, lo, ledger_id, lo, ledger_id, lo, lo, ledger_id, ledger_id, hi]
    sql = _SUMS.format(since="" if before else " AND resolved_at >= %s")
    if not before:
        params.append(lo)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        source: [_dec(b), _dec(i), _dec(o), int(n or 0), last] for source, b, i, o, n, last in rows
    }


@dataclass
class Figures:
    start: datetime.date
    end: datetime.date
    opening: Decimal = ZERO
    total_in: Decimal = ZERO
    total_out: Decimal = ZERO
    count: int = 0
    last_transfer_id: int | None = None
    by_source: list[dict] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.total_in - self.total_out


def figures(
    account: CustodialAccount,
    start: datetime.date,
    end: datetime.date,
    *,
    opening_by_source: dict[int, Decimal] | None = None,
    names: dict[int, str] | None = None,
) -> Figures:
    """The period's figures, by funding source. `opening_by_source` (the previous statement's
    closing per source) saves reading the ledger before the period; `names` caches the
    sources' names across calls."""
    lo, hi = _window(start, end)
    sums = _sums(account.ledger_account_id, lo, hi, before=opening_by_source is None)
    if opening_by_source is None:
        opening_by_source = {s: v[0] for s, v in sums.items() if v[0]}
    sources = sorted(set(opening_by_source) | set(sums))
    names = {} if names is None else names
    missing = [s for s in sources if s not in names]
    if missing:
        names.update(Account.objects.filter(pk__in=missing).values_list("id", "name"))
    result = Figures(start=start, end=end)
    for source in sources:
        opening = Decimal(opening_by_source.get(source, ZERO))
        _before, inflow, outflow, count, last = sums.get(source, [ZERO, ZERO, ZERO, 0, None])
        if not (opening or count):
            continue
        result.by_source.append(
            {
                "source_account": source,
                "name": names.get(source, ""),
                "opening": str(opening),
                "in": str(inflow),
                "out": str(outflow),
                "closing": str(opening + inflow - outflow),
            }
        )
        result.opening += opening
        result.total_in += inflow
        result.total_out += outflow
        result.count += count
        if last and (result.last_transfer_id or 0) < last:
            result.last_transfer_id = last
    return result


def _previous(account: CustodialAccount, start: datetime.date) -> Statement | None:
    year, month = previous_month(start)
    return Statement.objects.filter(
        account=account, period_start=datetime.date(year, month, 1)
    ).first()


def _closing_by_source(by_source: list[dict]) -> dict[int, Decimal]:
    return {int(s["source_account"]): Decimal(s["closing"]) for s in by_source}


def statement_generate(
    *,
    account: CustodialAccount,
    year: int,
    month: int,
    previous=None,
    checked: bool = False,
    names: dict[int, str] | None = None,
) -> tuple[Statement, bool]:
    """The monthly statement of `account` (made once: again, the stored one). Its opening
    balance is the previous month's closing balance, to the fen. The monthly run passes what
    it read for all accounts at once: `checked` (no statement yet), `previous` (the previous
    month's closing by source, or {} for none)."""
    start, end = month_bounds(year, month)
    if not checked:
        existing = Statement.objects.filter(account=account, period_start=start).first()
        if existing is not None:
            return existing, False
    if previous is None:
        found = _previous(account, start)
        previous = _closing_by_source(found.by_source) if found is not None else {}
    opening = previous or None  # none: read the ledger before the period
    result = figures(account, start, end, opening_by_source=opening, names=names)
    statement = Statement(
        account=account,
        period_start=start,
        period_end=end,
        opening_balance=result.opening,
        total_in=result.total_in,
        total_out=result.total_out,
        closing_balance=result.closing,
        movement_count=result.count,
        by_source=result.by_source,
        last_transfer_id=result.last_transfer_id,
    )
    try:
        with transaction.atomic():
            set_reason(statement, _("monthly statement")).save()
    except IntegrityError:  # made at the same moment by another run
        return Statement.objects.get(account=account, period_start=start), False
    return statement, True


@roles(STAFF)
def statement_request(*, actor, account_id: int, year: int, month: int):
    """Federation staff make an account's statement of a month that has ended (again: the
    same one). (statement, made now)."""
    account = accounts_visible_to(actor).filter(pk=account_id).first()
    if account is None:
        raise InvalidInput(
            _("No such object in your scope."),
            code="unknown_object",
            fields={"account": [_("No such object in your scope.")]},
        )
    if not is_staff_of(actor, account.federation_id):
        raise NotPermitted(
            _("Only staff of the custodian federation do this."), code="federation_staff_only"
        )
    _start, end = month_bounds(year, month)
    if end >= timezone.localdate():
        raise InvalidInput(fields={"month": [_("Only a month that has ended.")]})
    return statement_generate(account=account, year=year, month=month)


def monthly_run(*, year: int, month: int) -> dict:
    """Every custodial account's statement of that month (those not closed before it).
    What exists already and last month's closing balances are read once for all accounts."""
    start, _end = month_bounds(year, month)
    made = existing = 0
    done = set(Statement.objects.filter(period_start=start).values_list("account_id", flat=True))
    prev_year, prev_month = previous_month(start)
    previous = dict(
        Statement.objects.filter(period_start=datetime.date(prev_year, prev_month, 1))
        .values_list("account_id", "by_source")
        .iterator(chunk_size=2000)
    )
    names: dict[int, str] = {}
    accounts = (
        CustodialAccount.objects.filter(opened_at__lt=_window(start, _end)[1])
        .exclude(state=AccountState.CLOSED, closed_at__lt=_instant(start))
        .order_by("id")
    )
    for account in accounts.iterator(chunk_size=500):
        if account.pk in done:
            existing += 1
            continue
        closing = previous.get(account.pk)
        _statement, new = statement_generate(
            account=account, year=year, month=month, checked=True, names=names,
            previous=_closing_by_source(closing) if closing is not None else {},
        )  # fmt: skip
        made += int(new)
        existing += int(not new)
    return {"year": year, "month": month, "made": made, "existing": existing}


# --------------------------------------------------------------------------- movements


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def movements(account: CustodialAccount, start: datetime.date, end: datetime.date,
              opening: Decimal) -> Iterator[list]:  # fmt: skip
    """Each movement: [posted at, kind, counterparty, reference, memo, source, in, out,
    balance], in posting order; read in chunks (flat memory)."""
    ledger_id = account.ledger_account_id
    lo, hi = _window(start, end)
    rows = (
        _posted(ledger_id)
        .filter(resolved_at__gte=lo, resolved_at__lt=hi)
        .order_by("resolved_at", "id")
        .values_list(
            "id", "resolved_at", "from_account_id", "to_account_id", "amount",
            "source_account_id", "kind", "memo",
        )
        .iterator(chunk_size=CHUNK)
    )  # fmt: skip
    names: dict[int, str] = {}
    balance = opening
    tz = timezone.get_current_timezone()
    kinds = {k: str(label) for k, label in TransferKind.choices}
    # The references of the period's movements, read once (no list of ids sent).
    refs = dict(
        Deposit.objects.filter(
            account=account, transfer__resolved_at__gte=lo, transfer__resolved_at__lt=hi
        )
        .exclude(bank_reference="")
        .values_list("transfer_id", "bank_reference")
    )
    refs.update(
        ClaimLine.objects.filter(
            claim__account=account, claim__payout_reference__isnull=False,
            reservation__resolved_at__gte=lo, reservation__resolved_at__lt=hi,
        ).values_list("reservation_id", "claim__payout_reference")
    )  # fmt: skip
    for chunk in _chunks(rows, CHUNK):
        wanted = {r[2] for r in chunk} | {r[3] for r in chunk} | {r[5] for r in chunk}
        missing = wanted - set(names)
        if missing:
            names.update(Account.objects.filter(pk__in=missing).values_list("id", "name"))
        for tid, at, frm, to, amount, source, kind, memo in chunk:
            incoming = to == ledger_id
            balance = balance + amount if incoming else balance - amount
            yield [
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                kinds.get(kind, kind),
                names.get(frm if incoming else to, ""),
                refs.get(tid) or f"#{tid}",
                memo,
                names.get(source, ""),
                amount if incoming else ZERO,
                ZERO if incoming else amount,
                balance,
            ]


def header() -> list[str]:
    return [
        _("Posted at"), _("Kind"), _("Counterparty"), _("Reference"), _("Memo"),
        _("Funding source"), _("In"), _("Out"), _("Balance"),
    ]  # fmt: skip


def _summary_rows(account: CustodialAccount, result: Figures) -> list[list]:
    rows = [
        [_("Account"), str(account)],
        [_("Period"), f"{result.start.isoformat()} – {result.end.isoformat()}"],
        [_("Opening balance"), result.opening],
        [_("Money in"), result.total_in],
        [_("Money out"), result.total_out],
        [_("Closing balance"), result.closing],
    ]
    for s in result.by_source:
        rows.append(
            [
                _("Source: %(name)s") % {"name": s["name"]},
                s["opening"],
                s["in"],
                s["out"],
                s["closing"],
            ]  # fmt: skip
        )
    return rows


def _title(account: CustodialAccount, result: Figures) -> str:
    return _("Statement of %(account)s, %(start)s – %(end)s") % {
        "account": account.organization.name,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
    }


def _table_rows(account: CustodialAccount, result: Figures):
    yield from _summary_rows(account, result)
    yield []
    yield header()
    yield from movements(account, result.start, result.end, result.opening)


def csv_chunks(account: CustodialAccount, result: Figures):
    """The statement as CSV, chunk by chunk (flat memory, whatever the movements)."""
    return stream_csv([_title(account, result)], _table_rows(account, result))


def document(account: CustodialAccount, result: Figures, file_type: str) -> bytes:
    """The statement as CSV, XLSX or PDF (core.documents)."""
    title = _title(account, result)
    if file_type == "csv":
        return b"".join(csv_chunks(account, result))
    if file_type == "xlsx":
        return table_xlsx([title], _table_rows(account, result), title=_("Statement"))
    return template_pdf(
        "escrow/statement.html",
        {"title": title, "account": account, "f": result, "header": header(),
         "rows": movements(account, result.start, result.end, result.opening)},
    )  # fmt: skip


def response(account: CustodialAccount, result: Figures, file_type: str, filename: str):
    """The HTTP download: CSV streamed, XLSX and PDF whole."""
    if file_type == "csv":
        return streaming_download(csv_chunks(account, result), filename, "csv")
    return download(document(account, result, file_type), filename, file_type)


def stored_figures(statement: Statement) -> Figures:
    return Figures(
        start=statement.period_start,
        end=statement.period_end,
        opening=statement.opening_balance,
        total_in=statement.total_in,
        total_out=statement.total_out,
        count=statement.movement_count,
        last_transfer_id=statement.last_transfer_id,
        by_source=statement.by_source,
    )
