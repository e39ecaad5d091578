"""Line arithmetic: discount and tax rounded per line, half up, in minor units."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from recurra.catalog.pricing import LineAmounts, line_amounts
from recurra.catalog.terms import STEPS, BillingFrequency, is_recurring


def test_discount_then_tax_rounded_half_up():
    # 3 × 10.00 = 30.00; 12.5% off = 3.75 → 26.25; 25% tax = 6.5625 → 6.56
    assert line_amounts(
        unit_amount=1000, quantity=3, discount_percent=Decimal("12.5"), tax_rate_percent=Decimal(25)
    ) == LineAmounts(gross=3000, discount=375, net=2625, tax=656, total=3281)


def test_half_cent_rounds_up():
    # 1 × 0.05 at 10% off: discount 0.005 → 0.01
    assert (
        line_amounts(
            unit_amount=5, quantity=1, discount_percent=Decimal(10), tax_rate_percent=Decimal(0)
        ).discount
        == 1
    )


@given(
    st.integers(0, 10**9),
    st.integers(1, 1000),
    st.decimals(0, 100, places=4),
    st.decimals(0, 100, places=4),
)
def test_line_identities(unit, qty, discount, tax):
    a = line_amounts(unit_amount=unit, quantity=qty, discount_percent=discount, tax_rate_percent=tax)
    assert a.gross == unit * qty
    assert a.net == a.gross - a.discount
    assert a.total == a.net + a.tax
    assert 0 <= a.discount <= a.gross
    assert 0 <= a.tax <= a.net


def test_every_recurring_frequency_has_one_step_and_one_time_has_none():
    assert not is_recurring(BillingFrequency.ONE_TIME)
    recurring = [f for f in BillingFrequency.values if f != BillingFrequency.ONE_TIME]
    assert sorted(STEPS) == sorted(recurring)
    for step in STEPS.values():
        assert bool(step.months) != bool(step.weeks)


def test_periods_per_month_normalise_to_a_month():
    from fractions import Fraction

    assert STEPS[BillingFrequency.WEEKLY].per_month == Fraction(52, 12)
    assert STEPS[BillingFrequency.BIWEEKLY].per_month == Fraction(26, 12)
    assert STEPS[BillingFrequency.MONTHLY].per_month == 1
    assert STEPS[BillingFrequency.ANNUALLY].per_month == Fraction(1, 12)
    assert STEPS[BillingFrequency.PER_FIVE_YEARS].per_month == Fraction(1, 60)
