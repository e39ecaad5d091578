"""What a subscription's lines come to: pure arithmetic over line amounts, no database.

- The recurring amount (``next_payment_amount``) is the sum of the lines'
  totals, tax included: exactly what one period's invoice will charge, since
  invoices also round per line.
- MRR is the NET recurring amount (after discounts, before tax) normalised to
  one month with the frequency's ``per_month`` (weekly × 52/12, biweekly ×
  26/12, quarterly ÷ 3, annually ÷ 12, …), rounded once, half up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from recurra.catalog.pricing import LineAmounts
from recurra.catalog.schedule import step_for
from recurra.core.money import round_minor


@dataclass(frozen=True, slots=True)
class RecurringAmounts:
    next_payment_amount: int
    net: int
    mrr: int


def recurring_amount(lines: Iterable[LineAmounts]) -> int:
    """What one period charges: the sum of the line totals (tax included)."""
    return sum(line.total for line in lines)


def recurring_net(lines: Iterable[LineAmounts]) -> int:
    """One period's amount after discounts and before tax."""
    return sum(line.net for line in lines)


def _exact(value: Fraction) -> Decimal:
    """A fraction as a Decimal precise enough that rounding it to an integer is exact.

    The precision keeps every integer digit and ten more: a fraction with a
    small denominator (≤ 60 here) that is not exactly ``.5`` lies more than
    1/120 away from it, so the half-up decision cannot be tipped by the last
    digit; one that is ``.5`` is a terminating decimal, held exactly.
    """
    with localcontext() as context:
        context.prec = len(str(abs(value.numerator))) + 10
        return Decimal(value.numerator) / Decimal(value.denominator)


def mrr(net: int, frequency: str) -> int:
    """``net`` per period as per month, rounded once half up (ValueError for one-time items)."""
    return round_minor(_exact(net * step_for(frequency).per_month))


def recurring_amounts(lines: Iterable[LineAmounts], frequency: str) -> RecurringAmounts:
    """The amounts a subscription with these lines keeps on its row."""
    items = list(lines)
    net = recurring_net(items)
    return RecurringAmounts(next_payment_amount=recurring_amount(items), net=net, mrr=mrr(net, frequency))
