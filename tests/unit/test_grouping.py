"""Grouping: same frequency, terms, start and number of payments share a subscription."""

from dataclasses import dataclass
from datetime import date

from recurra.subscriptions.grouping import GroupKey, group_items, group_key


@dataclass(frozen=True)
class Line:
    name: str
    frequency: str
    terms: str = "auto_renew"
    start: date = date(2027, 3, 1)
    payments: int | None = None


def _group(lines):
    return group_items(
        lines,
        key=lambda line: group_key(
            billing_frequency=line.frequency,
            billing_terms=line.terms,
            start_date=line.start,
            number_of_payments=line.payments,
        ),
        frequency=lambda line: line.frequency,
    )


def test_monthly_and_annual_make_two_subscriptions_one_time_makes_none():
    groups = _group(
        [
            Line("Pro", "monthly"),
            Line("Setup", "one_time"),
            Line("Support", "annually"),
            Line("Seats", "monthly"),
        ]
    )
    assert [[i.name for i in g.items] for g in groups] == [["Pro", "Seats"], ["Support"]]
    assert groups[0].key == GroupKey("monthly", "auto_renew", date(2027, 3, 1), None)


def test_any_difference_in_terms_start_or_payments_splits():
    groups = _group(
        [
            Line("a", "monthly"),
            Line("b", "monthly", terms="fixed", payments=6),
            Line("c", "monthly", terms="fixed", payments=12),
            Line("d", "monthly", start=date(2027, 4, 1)),
            Line("e", "monthly", terms="fixed", payments=6),
        ]
    )
    assert [[i.name for i in g.items] for g in groups] == [["a"], ["b", "e"], ["c"], ["d"]]


def test_auto_renew_ignores_a_stray_number_of_payments():
    assert (
        group_key(
            billing_frequency="monthly",
            billing_terms="auto_renew",
            start_date=date(2027, 1, 1),
            number_of_payments=3,
        ).number_of_payments
        is None
    )


def test_only_one_time_items_give_no_groups():
    assert _group([Line("Setup", "one_time")]) == []
