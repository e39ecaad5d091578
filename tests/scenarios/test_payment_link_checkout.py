"""Payment links bought through the checkout, then billed as the clock moves.

The seed's example: a link with 6 monthly payments used on 1 March ends on
1 September; a monthly and an annual item make two subscriptions from one
payment; a declined card creates nothing; a bank debit starts the
subscription while processing and a bounced one makes it Unpaid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.commerce.checkout import Buyer, checkout
from recurra.commerce.models import Purchase
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.payments.services import PaymentDeclined
from recurra.subscriptions.models import Subscription
from tests.scenarios.conftest import SYSTEM, freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = Buyer(email="mia@example.com", first_name="Mia", last_name="Hansen")


def link(*items, **settings):
    return payment_link_create(
        name="Course", line_items=list(items), actor=SYSTEM, at=clock.now(), **settings
    )


def buy(source, token="tok_visa", buyer=BUYER, attempt=None):
    return checkout(source=source, buyer=buyer, token=token, attempt=attempt, at=clock.now())


def test_the_seeds_example_six_monthly_payments_from_1_march_end_on_1_september(scenario):
    scenario.user("owner@example.com")
    freeze_at(2027, 3, 1, 10, 0)
    course = link(item(name="Course", amount=4900, payments=6))

    done = buy(course)

    (sub,) = done.subscriptions
    sub = scenario.fresh(sub)
    assert (sub.status, sub.start_date, sub.end_date) == ("active", date(2027, 3, 1), date(2027, 9, 1))
    assert (sub.payments_made, sub.periods_billed, sub.next_payment_date) == (1, 1, date(2027, 4, 1))
    assert (sub.payment_link_id, sub.purchase_id, sub.last_payment_amount) == (
        course.pk,
        done.purchase.pk,
        4900,
    )
    contact = Contact.objects.get(email="mia@example.com")
    assert (contact.first_name, contact.last_name, sub.contact_id) == ("Mia", "Hansen", contact.pk)
    invoice = Invoice.objects.get(pk=done.invoice.pk)
    assert (invoice.status, invoice.total, invoice.amount_due) == ("paid", 4900, 0)
    assert invoice.lines.get().period_start == date(2027, 3, 1)
    assert Payment.objects.get().status == "succeeded"
    assert sorted(EmailMessage.objects.values_list("kind", "to")) == [
        ("admin_payment_succeeded", "owner@example.com"),
        ("receipt", "mia@example.com"),
    ]
    scenario.advance(datetime(2027, 3, 1, 10, 0, tzinfo=UTC))  # the worker does not bill March again
    assert Invoice.objects.count() == 1

    for day in months(date(2027, 4, 1), 5):
        scenario.advance(day)
    scenario.advance(date(2027, 10, 1))
    sub = scenario.fresh(sub)
    assert (sub.status, sub.payments_made, sub.next_payment_date) == ("expired", 6, None)
    billed = [i.period_start for i in scenario.invoices(sub)]
    assert billed == [
        None,
        *months(date(2027, 4, 1), 5),
    ]  # the checkout's (its line bills March), then April on
    assert Invoice.objects.get(pk=done.invoice.pk).subscription_id == sub.pk
    scenario.check_invariants()


def test_a_monthly_and_an_annual_item_make_two_subscriptions_from_one_payment(scenario):
    freeze_at(2027, 1, 15, 12, 0)
    bundle = link(
        item(name="Support", amount=1000, frequency="monthly"),
        item(name="Licence", amount=12000, frequency="annually"),
        item(name="Setup", amount=500, frequency="one_time"),
    )

    done = buy(bundle)

    assert len(done.subscriptions) == 2
    annual, monthly = sorted(
        (scenario.fresh(s) for s in done.subscriptions), key=lambda s: s.billing_frequency
    )
    assert (annual.billing_frequency, annual.next_payment_date, annual.last_payment_amount) == (
        "annually",
        date(2028, 1, 15),
        12000,
    )
    assert (monthly.billing_frequency, monthly.next_payment_date, monthly.last_payment_amount) == (
        "monthly",
        date(2027, 2, 15),
        1000,
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.origin, payment.subscription_id) == (
        13500,
        "succeeded",
        "checkout",
        None,
    )
    assert Invoice.objects.get().total == 13500
    assert Subscription.objects.filter(purchase=done.purchase).count() == 2
    scenario.advance(date(2027, 2, 15))
    assert [i.total for i in scenario.invoices(monthly)] == [1000]
    assert scenario.invoices(annual) == []
    scenario.check_invariants()


def test_a_declined_card_creates_nothing_and_says_why(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    course = link(item(amount=4900))

    with pytest.raises(PaymentDeclined) as declined:
        buy(course, token="tok_decline")

    assert "declined" in declined.value.reason.lower()
    assert (Contact.objects.count(), Subscription.objects.count(), Invoice.objects.count()) == (0, 0, 0)
    assert (Payment.objects.count(), EmailMessage.objects.count()) == (0, 0)
    assert Purchase.objects.get().status == "declined"
    done = buy(course, token="tok_visa")  # another card, another attempt
    assert len(done.subscriptions) == 1


def test_the_same_attempt_twice_is_one_charge(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    course = link(item(amount=4900))

    first = buy(course, attempt="att_1")
    again = buy(course, attempt="att_1")

    assert again.purchase.pk == first.purchase.pk
    assert (Payment.objects.count(), Subscription.objects.count()) == (1, 1)


def test_a_bank_debit_starts_the_subscription_while_processing_and_a_bounce_makes_it_unpaid(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    course = link(item(amount=4900))

    done = buy(course, token="tok_ach_fail")

    (sub,) = done.subscriptions
    sub = scenario.fresh(sub)
    assert (sub.status, sub.payments_made, sub.next_payment_date) == ("active", 0, date(2027, 4, 1))
    assert Payment.objects.get().status == "processing"
    scenario.advance(datetime(2027, 3, 5, 12, 0, tzinfo=UTC))  # the debit bounces after 4 days
    sub = scenario.fresh(sub)
    assert (sub.status, sub.payments_made) == ("past_due", 0)
    assert Invoice.objects.get(pk=done.invoice.pk).status == "open"
    assert EmailMessage.objects.filter(kind="payment_failed", to="mia@example.com").count() == 1


def test_a_settled_bank_debit_counts_the_first_payment(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    done = buy(link(item(amount=4900)), token="tok_ach")

    scenario.advance(datetime(2027, 3, 5, 12, 0, tzinfo=UTC))

    sub = scenario.fresh(done.subscriptions[0])
    assert (sub.status, sub.payments_made, sub.total_collected) == ("active", 1, 4900)
    assert EmailMessage.objects.filter(kind="receipt").count() == 1


def test_an_existing_contact_is_found_by_email_whatever_its_case(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    known = scenario.contact("Mia@Example.com", "Mia", "Known")

    done = buy(link(item(amount=4900)))

    assert done.contact.pk == known.pk
    assert Contact.objects.count() == 1
    assert scenario.fresh(done.subscriptions[0]).contact_id == known.pk


def test_items_that_start_later_are_scheduled_and_billed_on_their_start(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    later = item(name="Hosting", amount=2000)
    later = later.__class__(
        **{**later.__dict__, "billing_start": later.billing_start.__class__("delay_months", months=2)}
    )
    done = buy(link(item(name="Setup", amount=5000, frequency="one_time"), later))

    (sub,) = done.subscriptions
    sub = scenario.fresh(sub)
    assert (sub.status, sub.start_date, sub.periods_billed, sub.payments_made) == (
        "scheduled",
        date(2027, 5, 1),
        0,
        0,
    )
    assert Payment.objects.get().amount == 5000
    scenario.advance(date(2027, 5, 1))
    sub = scenario.fresh(sub)
    assert (sub.status, sub.payments_made, sub.next_payment_date) == ("active", 1, date(2027, 6, 1))
