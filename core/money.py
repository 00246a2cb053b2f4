"""Money: yuan with two decimals, and the one bound on any single amount.

Every money column is numeric(18, 2): it holds less than 10^16 yuan, and PostgreSQL
refuses a value past that with `numeric field overflow`. An amount is therefore bounded
here, once, for the API (core.api.serializers.MoneyField) and the ledger's input check
alike, so that no balance, which is a sum of amounts, can reach the column's bound:

    MAX_AMOUNT × plausible number of amounts summed into one balance < 10^16
    10^11 (¥100 billion)  ×  10^5  =  10^16

¥100 billion is several times the yearly budget of a large city, and a balance reaches
the column's bound only after 100,000 amounts of that size: all of China's general public
budget spending (about ¥27 trillion a year) would need some 370 years to sum to 10^16. A
real balance cannot get there; should one anyway, the ledger and the API's exception
handler answer a 400 naming the bound (`amount_out_of_range`), never a 500.

People read money as ¥200,000.00 (thousands separators, two decimals, the sign before the
currency): `yuan()` is the one formatting helper, for the admin, HTML reports, history
pages and messages; XLSX cells keep the number and use `XLSX_FORMAT`. The API keeps the
plain decimal string ("200000.00").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("100000000000.00")  # ¥100,000,000,000.00, inclusive
# What a numeric(18, 2) column holds (exclusive).
COLUMN_BOUND = Decimal("10000000000000000.00")


SYMBOL = "¥"
# openpyxl / Excel number format: the value stays a number, shown as ¥200,000.00.
XLSX_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'


def yuan(amount) -> str:
    """'¥1,234,567.89', '-¥1,234.50'; '' for None or ''; a value that is not a number is
    returned as text (never hidden)."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}{SYMBOL}{abs(value):,.2f}"


def is_money_field(field) -> bool:
    """A model field that holds yuan: DecimalField(max_digits=18, decimal_places=2)."""
    return (
        field.get_internal_type() == "DecimalField"
        and getattr(field, "decimal_places", None) == 2
        and getattr(field, "max_digits", None) == 18
    )


def money_display(attr: str, description, *, ordering: str | None = None):
    """An admin column or read-only field showing `obj.<attr>` (dotted for a related
    object: "balance.posted") as money."""

    def show(obj):
        value = obj
        for part in attr.split("."):
            value = getattr(value, part, None)
            if value is None:
                return "-"
        return yuan(value)

    show.short_description = description
    show.admin_order_field = ordering
    show.__name__ = f"{attr.replace('.', '_')}_money"
    return show
