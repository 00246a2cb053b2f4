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


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_in_capitals(group: int) -> str:
    """0 < group < 10,000, in capitals with inner zeros read once (1005 → 壹仟零伍)."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def in_capitals(amount) -> str:
    """An amount as written on Chinese receipts and cheques (人民币大写, the form the
    finance regulations ask for next to the figures): 1,234.56 → 壹仟贰佰叁拾肆元伍角陆分,
    100 → 壹佰元整, 0.05 → 伍分, 100,000.50 → 壹拾万元伍角 (the zero after 元 may be left out,
    支付结算办法 appendix). Negative amounts get 负."""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + in_capitals(-value)
    fen_total = int(value * 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    groups = []
    while whole:
        groups.append(whole % 10_000)
        whole //= 10_000
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        # A zero is read where a lower group is short of four digits after a higher one.
        if text and (group < 1000 or groups[index + 1] == 0):
            text += "零"
        text += _group_in_capitals(group) + _GROUP_UNITS[index]
    if text:
        text += "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text
