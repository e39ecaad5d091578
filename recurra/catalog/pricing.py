"""Pure line-item arithmetic, in integer minor units.

net = quantity × unit_amount − discount, where the discount is
``discount_percent`` of the gross, rounded half up to the minor unit; tax is
``tax_rate_percent`` of the net, rounded the same way; total = net + tax.
Rounding happens per line, so a document's total is the sum of its lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from recurra.core.money import round_minor

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    gross: int
    discount: int
    net: int
    tax: int
    total: int


def line_amounts(
    *, unit_amount: int, quantity: int, discount_percent: Decimal, tax_rate_percent: Decimal
) -> LineAmounts:
    gross = unit_amount * quantity
    discount = round_minor(gross * discount_percent / HUNDRED)
    net = gross - discount
    tax = round_minor(net * tax_rate_percent / HUNDRED)
    return LineAmounts(gross=gross, discount=discount, net=net, tax=tax, total=net + tax)
