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
"""

from decimal import Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("100000000000.00")  # ¥100,000,000,000.00, inclusive
# What a numeric(18, 2) column holds (exclusive).
COLUMN_BOUND = Decimal("10000000000000000.00")


def yuan(amount: Decimal) -> str:
    """¥1,234,567.89"""
    return f"¥{amount:,.2f}"
