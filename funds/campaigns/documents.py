"""The printable receipt (公益事业捐赠票据) and the donor's year-end statement, through
core.documents (WeasyPrint with a Chinese font; CSV with a BOM)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core import documents
from core.money import in_capitals, yuan

from .models import Receipt


def receipt_data(receipt: Receipt) -> dict:
    """The receipt as data (the API serves it; the PDF prints it)."""
    donation = receipt.donation
    target = donation.campaign.title if donation.campaign_id else donation.fund.name
    return {
        "number": receipt.display_number,
        "issuer": receipt.issuer.name,
        "issuer_credit_code": receipt.issuer.credit_code,
        "year": receipt.year,
        "donor_name": receipt.donor_name,
        "donor_identifier": receipt.donor_identifier,
        "amount": receipt.amount,
        "amount_text": yuan(receipt.amount),
        "amount_in_capitals": in_capitals(receipt.amount),
        "purpose": target,
        "donated_on": donation.donated_on,
        "channel": donation.get_channel_display(),
        "issued_at": timezone.localtime(receipt.issued_at),
        "state": receipt.state,
        "void": receipt.state == Receipt.State.VOID,
        "void_reason": receipt.void_reason,
    }


def receipt_pdf(receipt: Receipt, **options) -> bytes:
    return documents.template_pdf("funds/receipt.html", {"r": receipt_data(receipt)}, **options)


def statement_header() -> list[str]:
    return [_("Date"), _("Campaign or fund"), _("Holder"), _("Amount (CNY)"), _("Channel"),
            _("State"), _("Receipt number")]  # fmt: skip


def statement_lines(rows: list[dict]) -> list[list]:
    return [
        [str(r["donated_on"]), r["target"], r["holder"], f"{r['amount']:.2f}", r["channel"],
         r["state_display"], r["receipt"] + (f"（{_('void')}）" if r["receipt_state"] == "void"
                                             else "")]
        for r in rows
    ]  # fmt: skip


def statement_csv(rows: list[dict], *, donor_name: str, year: int) -> bytes:
    return documents.table_csv(statement_header(), statement_lines(rows))


def statement_pdf(rows: list[dict], *, donor_name: str, donor_identifier: str, year: int,
                  **options) -> bytes:  # fmt: skip
    kept = [r for r in rows if r["state"] == "recorded"]
    context = {
        "donor_name": donor_name,
        "donor_identifier": donor_identifier,
        "year": year,
        "header": statement_header(),
        "lines": statement_lines(rows),
        "total": yuan(sum((r["amount"] for r in kept), start=0)),
        "count": len(kept),
        "printed_at": timezone.localtime(),
    }
    return documents.template_pdf("funds/donor_statement.html", context, **options)
