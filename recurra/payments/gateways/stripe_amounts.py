"""Amounts as Stripe expects them: its minor units per currency, and its smallest charge.

Recurra keeps ISO 4217 minor units (``core.money.exponent``). Stripe agrees
for nearly every currency, zero-decimal ones included (JPY 500 is ¥500 in
both). The exceptions are in :data:`SCALE`: ISK is zero-decimal in ISO but
two-decimal in Stripe's API (kr 5 is 500, and must divide by 100). Three-decimal
currencies (BHD, JOD, KWD, OMR, TND) must end in 0 at Stripe: Recurra does
not round a bill to make it chargeable, so such an amount is refused
(:func:`unpayable_reason`), as is one under Stripe's minimum (:data:`MINIMUM`).

>>> to_stripe(1999, "USD"), to_stripe(500, "JPY"), to_stripe(5, "ISK")
(1999, 500, 500)
>>> from_stripe(500, "ISK")
5
>>> unpayable_reason(25, "USD")
'Stripe charges at least 0.50 USD'
>>> unpayable_reason(5125, "KWD")
'Stripe charges KWD only in whole tens of its minor unit'
>>> unpayable_reason(5120, "KWD") is None
True
"""

from __future__ import annotations

from recurra.core.money import major_text

# Stripe's API units per Recurra (ISO) minor unit, where they differ.
SCALE: dict[str, int] = {"ISK": 100}

# Currencies Stripe takes in three decimals whose last digit must be 0.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# Stripe's minimum charge per settlement currency, in ISO minor units (docs.stripe.com/currencies,
# "Minimum and maximum charge amounts"). Currencies not listed: Stripe answers amount_too_small.
MINIMUM: dict[str, int] = {
    "USD": 50,
    "AED": 200,
    "AUD": 50,
    "BGN": 100,
    "BRL": 50,
    "CAD": 50,
    "CHF": 50,
    "CZK": 1500,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "HKD": 400,
    "HUF": 17500,
    "INR": 50,
    "JPY": 50,
    "MXN": 1000,
    "MYR": 200,
    "NOK": 300,
    "NZD": 50,
    "PLN": 200,
    "RON": 200,
    "SEK": 300,
    "SGD": 50,
    "THB": 1000,
}


def to_stripe(amount: int, currency: str) -> int:
    """Recurra's minor units of ``currency`` as Stripe's ``amount``."""
    return amount * SCALE.get(currency.upper(), 1)


def from_stripe(amount: int, currency: str) -> int:
    """Stripe's ``amount`` as Recurra's minor units (exact: Stripe never holds a finer amount)."""
    scale = SCALE.get(currency.upper(), 1)
    whole, rest = divmod(amount, scale)
    if rest:
        raise ValueError(f"{amount} is not a whole number of {currency} minor units")
    return whole


def unpayable_reason(amount: int, currency: str) -> str | None:
    """Why Stripe would refuse to charge ``amount`` (Recurra's minor units), else None."""
    code = currency.upper()
    if code in THREE_DECIMAL and amount % 10:
        return f"Stripe charges {code} only in whole tens of its minor unit"
    minimum = MINIMUM.get(code)
    if minimum is not None and amount < minimum:
        return f"Stripe charges at least {major_text(minimum, code)} {code}"
    return None
