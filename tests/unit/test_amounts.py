"""Subscription amounts: the recurring total with tax, and MRR (net, per month, rounded once half up)."""

from decimal import Decimal

import pytest

from recurra.catalog.pricing import line_amounts
from recurra.subscriptions.amounts import (
    RecurringAmounts,
    mrr,
    recurring_amount,
    recurring_amounts,
    recurring_net,
)

# Pro 1999 × 3, 10% off = 599.7 → 600, net 5397, 25% tax = 1349.25 → 1349, total 6746
PRO = line_amounts(unit_amount=1999, quantity=3, discount_percent=Decimal(10), tax_rate_percent=Decimal(25))
# Setup 1005 × 1, 50% off = 502.5 → 503, net 502, 12.5% tax = 62.75 → 63, total 565
SETUP = line_amounts(
    unit_amount=1005, quantity=1, discount_percent=Decimal(50), tax_rate_percent=Decimal("12.5")
)


def test_recurring_amount_sums_totals_with_tax_and_net_sums_before_tax():
    assert recurring_amount([PRO, SETUP]) == 6746 + 565 == 7311
    assert recurring_net([PRO, SETUP]) == 5397 + 502 == 5899
    assert recurring_amount([]) == 0
    assert recurring_net([]) == 0


def test_recurring_amounts_use_the_net_for_mrr_not_the_total():
    assert recurring_amounts([PRO, SETUP], "monthly") == RecurringAmounts(
        next_payment_amount=7311, net=5899, mrr=5899
    )
    # 5899 / 3 = 1966.33…
    assert recurring_amounts([PRO, SETUP], "quarterly") == RecurringAmounts(7311, 5899, 1966)


@pytest.mark.parametrize(
    ("net", "frequency", "expected"),
    [
        (1999, "monthly", 1999),
        (1000, "weekly", 4333),  # 1000 × 52/12 = 4333.33…
        (1500, "weekly", 6500),  # exact
        (1000, "biweekly", 2167),  # 1000 × 26/12 = 2166.67…
        (3, "biweekly", 7),  # 3 × 26/12 = 6.5 → 7 (half up)
        (1000, "quarterly", 333),  # 333.33…
        (2000, "quarterly", 667),  # 666.67…
        (3, "per_six_months", 1),  # 0.5 → 1
        (6, "annually", 1),  # 0.5 → 1
        (30, "annually", 3),  # 2.5 → 3 (half up, not to even)
        (12000, "annually", 1000),
        (48000, "per_two_years", 2000),
        (54, "per_three_years", 2),  # 1.5 → 2
        (48, "per_four_years", 1),
        (90, "per_five_years", 2),  # 1.5 → 2
        (0, "weekly", 0),
    ],
)
def test_mrr_normalises_to_a_month_and_rounds_half_up(net, frequency, expected):
    assert mrr(net, frequency) == expected


def test_mrr_rounds_once_over_the_whole_net_not_per_line():
    # Two quarterly lines of 1000: per line 333 + 333 = 666, but once over 2000 it is 667.
    assert mrr(2000, "quarterly") == 667
    assert mrr(1000, "quarterly") + mrr(1000, "quarterly") == 666


def test_mrr_is_exact_for_the_largest_amounts():
    # 999 999 999 999 × 52/12 = 12 999 999 999 987 / 3 = 4 333 333 333 329 exactly
    assert mrr(999_999_999_999, "weekly") == 4_333_333_333_329
    # × 26/12 = 2 166 666 666 664.5 exactly → …665 (half up)
    assert mrr(999_999_999_999, "biweekly") == 2_166_666_666_665
    assert mrr(999_999_999_999, "monthly") == 999_999_999_999


def test_one_time_items_have_no_mrr():
    with pytest.raises(ValueError, match="not a recurring billing frequency"):
        mrr(1000, "one_time")
