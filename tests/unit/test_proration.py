"""Proration of a change of recurring amount: credit for the old, charge for the new, same days.

period 0 (monthly, anchor Jan 1)
──┬──────────┬─────────────────────────────┬──
 Jan 1     Jan 11 (change)               Feb 1
  │ 10 days  │ 21 days left: credit -21/31 × old, charge 21/31 × new
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recurra.catalog.schedule import Period, period, step_for
from recurra.catalog.terms import BillingFrequency
from recurra.core.money import quantize
from recurra.subscriptions.proration import share, swap, unused

JANUARY = Period(0, date(2027, 1, 1), date(2027, 2, 1))
CURRENCIES = ("JPY", "USD", "KWD")  # 0, 2 and 3 decimals


def _half_up(value: Fraction) -> int:
    """The exact fraction rounded half up (away from zero), computed without Decimal."""
    sign = -1 if value < 0 else 1
    whole, rest = divmod(abs(value.numerator), value.denominator)
    return sign * (whole + (1 if 2 * rest >= value.denominator else 0))


def test_upgrade_on_jan_11_charges_the_difference_for_21_of_31_days() -> None:
    result = swap(3000, 6000, JANUARY, date(2027, 1, 11))
    assert result.days == 21
    assert result.credit == -2032  # 3000 × 21/31 = 2032.26 → 2032, what a prorated refund gives
    # the difference 2032.26 → 2032 plus the credit back: 4064, where 6000 × 21/31 alone is
    # 4064.52 → 4065; the charge absorbs the rounding so the invoice adds up to the difference
    assert result.charge == 4064
    assert result.difference == 2032 == share(3000, JANUARY, 21)


def test_downgrade_is_a_negative_difference() -> None:
    result = swap(6000, 3000, JANUARY, date(2027, 1, 11))
    assert (result.credit, result.charge, result.difference) == (-4065, 2033, -2032)


def test_rounding_goes_into_the_charge_not_a_third_rounding() -> None:
    # 1/3 and 2/3 of a minor unit: rounded separately, 0 - 1 = -1 (wrong); the difference is 0.
    third = Period(0, date(2027, 1, 1), date(2027, 1, 4))
    result = swap(1, 1, third, date(2027, 1, 2))
    assert (result.credit, result.charge, result.difference) == (-1, 1, 0)


def test_no_days_left_or_before_the_period_starts() -> None:
    assert swap(3000, 6000, JANUARY, date(2027, 2, 1)) == swap(3000, 6000, JANUARY, date(2027, 3, 5))
    assert swap(3000, 6000, JANUARY, date(2027, 2, 1)).difference == 0
    whole = swap(3000, 6000, JANUARY, date(2026, 12, 20))
    assert (whole.days, whole.credit, whole.charge) == (31, -3000, 6000)


amounts_major = st.decimals(min_value=0, max_value=Decimal("99999.999"), places=3, allow_nan=False)


@pytest.mark.parametrize("currency", CURRENCIES)
@given(
    old_major=amounts_major,
    new_major=amounts_major,
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    frequency=st.sampled_from(
        [
            BillingFrequency.WEEKLY,
            BillingFrequency.MONTHLY,
            BillingFrequency.QUARTERLY,
            BillingFrequency.ANNUALLY,
        ]
    ),
    offset=st.integers(min_value=0, max_value=400),
)
def test_credit_plus_charge_is_the_price_difference_for_the_days_left(
    currency: str, old_major: Decimal, new_major: Decimal, anchor: date, frequency: str, offset: int
) -> None:
    old, new = quantize(old_major, currency), quantize(new_major, currency)
    billed = period(anchor, step_for(frequency), 0)
    on = anchor + timedelta(days=offset)
    result = swap(old, new, billed, on)
    length = (billed.end - billed.start).days
    days = max(min((billed.end - on).days, length), 0)
    assert result.days == days
    # credit + charge == the price difference for the remaining days, to the minor unit, exactly
    assert result.credit + result.charge == _half_up(Fraction(new - old) * days / length)
    # the credit is what a prorated cancellation refund of the old price gives back
    assert result.credit == -unused(old, billed, on)
    # the charge is the new price's share, off by at most one minor unit (the rounding it absorbs)
    assert abs(result.charge - _half_up(Fraction(new) * days / length)) <= 1
