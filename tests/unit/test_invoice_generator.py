"""The pure invoice generator: every missing period up to a date, priced per line, nothing twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recurra.invoicing.generator import BillingSource, LineSource, missing_invoices

PRO = LineSource("li_pro", "prod_1", "Pro", "", 1999, 2, Decimal("10"), Decimal("25"))
SEAT = LineSource("li_seat", None, "Extra seat", "", 500, 3, Decimal(0), Decimal("12.5"))


def source(**changes: object) -> BillingSource:
    values: dict[str, object] = {
        "subscription_id": "sub_1",
        "anchor": date(2027, 1, 31),
        "billing_frequency": "monthly",
        "number_of_payments": None,
        "periods_billed": 0,
        "payment_term_days": 0,
        "lines": (PRO, SEAT),
    }
    values.update(changes)
    return BillingSource(**values)  # type: ignore[arg-type]


def test_each_missing_period_from_the_anchor_up_to_the_date() -> None:
    # anchor Jan 31 ── Feb 28 ── Mar 31 ── Apr 30 ; run on Apr 30 with period 0 billed
    drafts = missing_invoices(source(periods_billed=1), through=date(2027, 4, 30))
    assert [(d.period.index, d.period.start, d.period.end) for d in drafts] == [
        (1, date(2027, 2, 28), date(2027, 3, 31)),
        (2, date(2027, 3, 31), date(2027, 4, 30)),
        (3, date(2027, 4, 30), date(2027, 5, 31)),
    ]


def test_lines_are_priced_and_rounded_per_line_so_the_total_is_their_sum() -> None:
    (draft,) = missing_invoices(source(), through=date(2027, 1, 31))
    pro, seat = draft.lines
    # Pro: 2 × 19.99 = 39.98, 10 % off = 4.00 (3.998 rounded), net 35.98, 25 % tax = 9.00 (8.995 half up)
    assert (pro.amount_discount, pro.amount_subtotal, pro.amount_tax, pro.amount_total) == (
        400,
        3598,
        900,
        4498,
    )
    # Seats: 3 × 5.00 = 15.00, tax 12.5 % = 1.875 → 1.88
    assert (seat.amount_discount, seat.amount_subtotal, seat.amount_tax, seat.amount_total) == (
        0,
        1500,
        188,
        1688,
    )
    assert (draft.subtotal, draft.discount, draft.tax, draft.total) == (5098, 400, 1088, 6186)
    assert draft.total == sum(line.amount_total for line in draft.lines)


def test_due_date_follows_the_payment_terms_from_the_issue_date() -> None:
    (draft,) = missing_invoices(source(payment_term_days=30), through=date(2027, 1, 31))
    assert (draft.issued_on, draft.due_on) == (date(2027, 1, 31), date(2027, 3, 2))


def test_nothing_before_the_anchor_and_nothing_once_billed() -> None:
    assert missing_invoices(source(), through=date(2027, 1, 30)) == []
    assert missing_invoices(source(periods_billed=1), through=date(2027, 2, 27)) == []


def test_a_fixed_term_stops_after_its_last_payment() -> None:
    drafts = missing_invoices(
        source(anchor=date(2027, 3, 1), number_of_payments=6, periods_billed=4), through=date(2030, 1, 1)
    )
    assert [d.period.start for d in drafts] == [date(2027, 7, 1), date(2027, 8, 1)]
    assert drafts[-1].period.end == date(2027, 9, 1)  # the end date of the term
