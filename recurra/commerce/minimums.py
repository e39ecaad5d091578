"""The smallest first payment a checkout may take, per currency (processors refuse smaller charges).

USD 0.50, EUR 1.00 and GBP 0.60, as HubSpot asks; the rest follow the
processors' published minimums. A currency missing from the table needs at
least one major unit (100 cents, 1 yen): a guess on the safe side, which an
operator can correct by adding the currency here.
"""

from __future__ import annotations

from decimal import Decimal

from recurra.core.money import exponent

MINIMUMS = {
    "USD": "0.50",
    "EUR": "1.00",
    "GBP": "0.60",
    "AED": "2.00",
    "AUD": "0.50",
    "BGN": "1.00",
    "BRL": "0.50",
    "CAD": "0.50",
    "CHF": "0.50",
    "CZK": "15.00",
    "DKK": "2.50",
    "HKD": "4.00",
    "HUF": "175.00",
    "INR": "0.50",
    "JPY": "50",
    "MXN": "10.00",
    "MYR": "2.00",
    "NOK": "3.00",
    "NZD": "0.50",
    "PLN": "2.00",
    "RON": "2.00",
    "SEK": "3.00",
    "SGD": "0.50",
    "THB": "10.00",
}
_FALLBACK = "1"


def minimum_charge(currency: str) -> int:
    """The minimum charge in ``currency``'s minor units."""
    major = Decimal(MINIMUMS.get(currency.upper(), _FALLBACK))
    return int(major.scaleb(exponent(currency)))
