"""The smallest first payment a checkout may take, per currency (processors refuse smaller charges).

USD 0.50, EUR 1.00 and GBP 0.60, as HubSpot asks; the rest follow the
processor's published minimums (Stripe's, kept in
``payments.gateways.stripe_amounts``). A currency in neither needs at least
one major unit (100 cents, 1 yen): a guess on the safe side, which an
operator can correct by adding the currency there.

>>> minimum_charge("EUR"), minimum_charge("NOK"), minimum_charge("JPY"), minimum_charge("ISK")
(100, 300, 50, 1)
"""

from __future__ import annotations

from recurra.core.money import exponent
from recurra.payments.gateways.stripe_amounts import MINIMUM as PROCESSOR_MINIMUMS

HUBSPOT_MINIMUMS = {"USD": 50, "EUR": 100, "GBP": 60}  # minor units


def minimum_charge(currency: str) -> int:
    """The minimum charge in ``currency``'s minor units."""
    code = currency.upper()
    found = HUBSPOT_MINIMUMS.get(code, PROCESSOR_MINIMUMS.get(code))
    return found if found is not None else 10 ** exponent(code)
