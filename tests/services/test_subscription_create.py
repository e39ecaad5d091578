"""subscription_create: grouping, start and status, fixed-term end, collection rules, defaults, audit;
subscription_draft: the same subscription, written nowhere; subscriptions_create: one per group of items.

The clock is frozen at 2027-01-15 09:30 UTC (the account's zone is UTC unless a test changes it).
Amounts: Pro 1999 × 2, 10% off = 399.8 → 400, net 3598, 25% tax = 899.5 → 900, total 4498.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from recurra.accounts.models import AccountSettings
from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.core.errors import ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.services import (
    subscription_create,
    subscription_draft,
    subscriptions_create,
    subscriptions_draft,
)
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

SAME = "; a different one makes another subscription"


def item(**values) -> LineItemInput:
    base = {"name": "Pro plan", "unit_amount": 1999, "currency": "USD", "billing_frequency": "monthly"}
    return LineItemInput(**{**base, **values})


@pytest.fixture
def company(db) -> Company:
    return Company.objects.create(name="Acme")


@pytest.fixture
def contact(company) -> Contact:
    return Contact.objects.create(
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        company=company,
        city="Oslo",
        country="NO",
    )


def method(contact: Contact, type_: str = "card", **values) -> PaymentMethod:
    return PaymentMethod.objects.create(
        contact=contact,
        gateway="sandbox",
        gateway_method_id=f"gw_{PaymentMethod.objects.count()}",
        type=type_,
        brand="Visa" if type_ == "card" else "",
        last4="4242",
        **values,
    )


@pytest.fixture
def card(contact) -> PaymentMethod:
    return method(contact)


def create(contact: Contact, line_items: list[LineItemInput], **values) -> Subscription:
    values.setdefault("collection_method", "send_invoice")
    values.setdefault("payment_terms", "net_30")
    return subscription_create(contact=contact, line_items=line_items, actor=SYSTEM, at=T0, **values)


def refused(contact: Contact, line_items: list[LineItemInput], **values) -> list[tuple[str, str]]:
    """The (field, message) pairs of the refusal; and nothing was written."""
    with pytest.raises(ValidationFailed) as caught:
        create(contact, line_items, **values)
    assert Subscription.objects.count() == 0
    assert SubscriptionLineItem.objects.count() == 0
    assert not Event.objects.filter(object_type="subscription").exists()
    return [(e.field, e.message) for e in caught.value.errors]


def test_an_item_starting_at_purchase_is_active_with_its_amounts_and_no_billing_yet(contact, card, company):
    sub = create(
        contact,
        [item(quantity=2, discount_percent=Decimal(10), tax_rate_percent=Decimal(25))],
        collection_method="charge_automatically",
        payment_method=card,
        payment_terms=None,
    )

    sub.refresh_from_db()
    assert sub.id.startswith("sub_")
    assert (sub.status, sub.name, sub.currency) == ("active", "Pro plan", "USD")
    assert (sub.contact, sub.company, sub.deal) == (contact, company, None)
    assert (sub.billing_frequency, sub.billing_terms, sub.number_of_payments) == (
        "monthly",
        "auto_renew",
        None,
    )
    assert (sub.start_date, sub.next_payment_date, sub.end_date) == (
        date(2027, 1, 15),
        date(2027, 1, 15),
        None,
    )
    assert (sub.periods_billed, sub.payments_made, sub.total_collected, sub.last_payment_amount) == (
        0,
        0,
        0,
        None,
    )
    assert (sub.next_payment_amount, sub.mrr) == (4498, 3598)
    assert (sub.collection_method, sub.payment_method, sub.payment_terms) == (
        "charge_automatically",
        card,
        "due_on_receipt",
    )
    assert sub.allowed_payment_methods == ["card", "ach"]
    assert sub.address == {
        "line1": "",
        "line2": "",
        "city": "Oslo",
        "state": "",
        "postal_code": "",
        "country": "NO",
    }
    assert sub.invoice_language == "en"
    # Billing is the billing run's job: nothing invoiced or charged here.
    assert Invoice.objects.count() == 0
    assert Payment.objects.count() == 0


def test_line_items_are_copied_in_order_and_the_name_counts_the_others(contact):
    sub = create(contact, [item(), item(name="Seats", unit_amount=500, quantity=3), item(name="Support")])

    lines = list(sub.line_items.order_by("position"))
    assert [(line.name, line.position, line.quantity) for line in lines] == [
        ("Pro plan", 0, 1),
        ("Seats", 1, 3),
        ("Support", 2, 1),
    ]
    assert sub.name == "Pro plan + 2 more"
    assert (sub.next_payment_amount, sub.mrr) == (1999 + 1500 + 1999, 1999 + 1500 + 1999)


def test_one_created_event_holds_the_subscription_and_its_line_items(contact):
    sub = create(contact, [item()])

    events = list(Event.objects.filter(object_id=sub.pk))
    assert [e.type for e in events] == ["subscription.created"]
    after = events[0].data["after"]
    assert (after["id"], after["status"], after["start_date"], after["next_payment_amount"]) == (
        sub.pk,
        "active",
        "2027-01-15",
        1999,
    )
    assert [(li["name"], li["unit_amount"], li["position"]) for li in after["line_items"]] == [
        ("Pro plan", 1999, 0)
    ]
    assert after["line_items"][0]["id"] == sub.line_items.get().pk
    assert (events[0].actor_type, events[0].data.get("before")) == ("system", None)


def test_a_fixed_term_starting_later_is_scheduled_and_ends_after_its_last_period(contact):
    start = BillingStart(type="date", date=date(2027, 3, 1))
    sub = create(contact, [item(billing_terms="fixed", number_of_payments=6, billing_start=start)])

    assert (sub.status, sub.start_date, sub.next_payment_date) == (
        "scheduled",
        date(2027, 3, 1),
        date(2027, 3, 1),
    )
    assert (sub.billing_terms, sub.number_of_payments, sub.end_date) == ("fixed", 6, date(2027, 9, 1))


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (BillingStart(type="delay_days", days=30), date(2027, 2, 14)),
        (BillingStart(type="delay_months", months=2), date(2027, 3, 15)),
        (BillingStart(type="date", date=date(2027, 1, 16)), date(2027, 1, 16)),
    ],
)
def test_delayed_starts_are_scheduled(contact, start, expected):
    sub = create(contact, [item(billing_start=start)])
    assert (sub.status, sub.start_date, sub.next_payment_date) == ("scheduled", expected, expected)


def test_a_start_date_of_today_is_active(contact):
    sub = create(contact, [item(billing_start=BillingStart(type="date", date=date(2027, 1, 15)))])
    assert (sub.status, sub.start_date) == ("active", date(2027, 1, 15))


def test_today_is_a_date_in_the_accounts_zone(contact):
    AccountSettings.objects.update_or_create(pk=1, defaults={"timezone": "America/Los_Angeles"})
    at = datetime(2027, 1, 15, 5, 0, tzinfo=UTC)  # 2027-01-14 21:00 in Los Angeles
    sub = subscription_create(
        contact=contact,
        line_items=[item()],
        collection_method="send_invoice",
        payment_terms="net_15",
        actor=SYSTEM,
        at=at,
    )
    assert (sub.status, sub.start_date, sub.payment_terms) == ("active", date(2027, 1, 14), "net_15")


def test_a_start_date_before_today_is_refused(contact):
    start = BillingStart(type="date", date=date(2027, 1, 14))
    assert refused(contact, [item(billing_start=start)]) == [
        ("line_items[0].billing_start.date", "must be today (2027-01-15) or later in the account's time zone")
    ]


@pytest.mark.parametrize(
    ("second", "field", "message"),
    [
        (
            item(billing_frequency="annually"),
            "billing_frequency",
            "every line item of a subscription needs the same billing frequency (monthly)" + SAME,
        ),
        (
            item(billing_terms="fixed", number_of_payments=6),
            "billing_terms",
            "every line item of a subscription needs the same billing terms (auto_renew)" + SAME,
        ),
        (
            item(billing_start=BillingStart(type="delay_days", days=1)),
            "billing_start",
            "every line item of a subscription needs the same start date (2027-01-15)" + SAME,
        ),
    ],
)
def test_items_that_would_make_another_subscription_are_refused(contact, second, field, message):
    assert refused(contact, [item(), second]) == [(f"line_items[1].{field}", message)]


def test_a_different_number_of_payments_is_refused_and_every_differing_item_is_named(contact):
    fixed = {"billing_terms": "fixed", "number_of_payments": 6}
    items = [item(**fixed), item(**fixed), item(billing_terms="fixed", number_of_payments=12), item()]
    assert refused(contact, items) == [
        (
            "line_items[2].number_of_payments",
            "every line item of a subscription needs the same number of payments (6)" + SAME,
        ),
        (
            "line_items[3].billing_terms",
            "every line item of a subscription needs the same billing terms (fixed)" + SAME,
        ),
    ]


def test_the_same_start_reached_two_ways_is_one_group(contact):
    items = [
        item(billing_start=BillingStart(type="delay_days", days=31)),
        item(billing_start=BillingStart(type="date", date=date(2027, 2, 15))),
        item(billing_start=BillingStart(type="delay_months", months=1)),
    ]
    sub = create(contact, items)
    assert (sub.start_date, sub.line_items.count()) == (date(2027, 2, 15), 3)


def test_one_time_items_are_refused(contact):
    assert refused(contact, [item(), item(name="Setup", billing_frequency="one_time")]) == [
        ("line_items[1].billing_frequency", "one-time items are invoiced, not subscribed")
    ]


def test_no_line_items_is_refused(contact):
    assert refused(contact, []) == [("line_items", "a subscription needs at least one recurring line item")]


def test_line_item_errors_come_from_the_shared_rules(contact):
    assert refused(contact, [item(), item(currency="EUR")]) == [
        ("line_items[1].currency", "every line item must be in USD")
    ]


def test_charging_automatically_needs_a_payment_method(contact):
    assert refused(contact, [item()], collection_method="charge_automatically", payment_terms=None) == [
        ("payment_method_id", "is required to charge automatically")
    ]


def test_the_payment_method_must_be_the_contacts_own(contact, company):
    other = Contact.objects.create(email="bob@example.com")
    theirs = method(other)
    assert refused(contact, [item()], collection_method="charge_automatically", payment_method=theirs) == [
        ("payment_method_id", f"payment method {theirs.pk} belongs to another contact")
    ]


def test_a_removed_payment_method_is_refused(contact):
    removed = method(contact, detached_at=T0)
    assert refused(contact, [item()], collection_method="charge_automatically", payment_method=removed) == [
        ("payment_method_id", f"payment method {removed.pk} has been removed")
    ]


def test_the_payment_method_type_must_be_allowed(contact):
    ach = method(contact, "ach")
    errors = refused(
        contact,
        [item()],
        collection_method="charge_automatically",
        payment_method=ach,
        allowed_payment_methods=["card"],
    )
    assert errors == [
        ("payment_method_id", f"payment method {ach.pk} is ach, which allowed_payment_methods leaves out")
    ]


def test_an_allowed_ach_method_is_kept(contact):
    ach = method(contact, "ach")
    sub = create(
        contact, [item()], collection_method="charge_automatically", payment_method=ach, payment_terms=None
    )
    assert (sub.payment_method, sub.payment_terms, sub.allowed_payment_methods) == (
        ach,
        "due_on_receipt",
        ["card", "ach"],
    )


def test_sending_invoices_needs_payment_terms_and_no_payment_method(contact):
    assert refused(contact, [item()], payment_terms=None) == [
        ("payment_terms", "is required to send invoices")
    ]
    sub = create(contact, [item()], payment_terms="net_60")
    assert (sub.collection_method, sub.payment_terms, sub.payment_method) == ("send_invoice", "net_60", None)


def test_unknown_methods_and_an_empty_choice_are_refused(contact):
    assert refused(contact, [item()], allowed_payment_methods=["card", "cash"]) == [
        ("allowed_payment_methods[1]", "must be card, ach or sepa_debit")
    ]
    assert refused(contact, [item()], allowed_payment_methods=[]) == [
        ("allowed_payment_methods", "needs at least one payment method")
    ]
    sub = create(contact, [item()], allowed_payment_methods=[], accept_online_payment=False)
    assert (sub.allowed_payment_methods, sub.accept_online_payment) == ([], False)


def test_every_problem_is_reported_at_once(contact):
    errors = refused(
        contact,
        [item(name="Setup", billing_frequency="one_time")],
        collection_method="charge_automatically",
        invoice_settings={"language": "de"},
    )
    assert [field for field, _ in errors] == [
        "line_items[0].billing_frequency",
        "payment_method_id",
        "invoice_settings.language",
    ]


def test_given_name_company_address_and_invoice_settings_are_kept(contact):
    other = Company.objects.create(name="Globex")
    sub = create(
        contact,
        [item()],
        name="  Team plan  ",
        company=other,
        billing_address={"line1": "Karl Johans gate 1", "city": "Oslo", "country": "no"},
        invoice_settings={
            "comments": "Thanks!",
            "footer": "Org 123",
            "po_number": "PO-9",
            "tax_id": "NO123",
            "language": "nb",
        },
        collect_billing_address=True,
        collect_shipping_address=True,
        save_payment_method=False,
    )
    sub.refresh_from_db()
    assert (sub.name, sub.company) == ("Team plan", other)
    assert sub.address == {
        "line1": "Karl Johans gate 1",
        "line2": "",
        "city": "Oslo",
        "state": "",
        "postal_code": "",
        "country": "NO",
    }
    assert (
        sub.invoice_comments,
        sub.invoice_footer,
        sub.invoice_po_number,
        sub.invoice_tax_id,
        sub.invoice_language,
    ) == (
        "Thanks!",
        "Org 123",
        "PO-9",
        "NO123",
        "nb",
    )
    assert (sub.collect_billing_address, sub.collect_shipping_address, sub.save_payment_method) == (
        True,
        True,
        False,
    )


def test_a_contact_without_company_makes_a_subscription_without_one(contact):
    loner = Contact.objects.create(email="solo@example.com")
    assert create(loner, [item()]).company is None


def test_the_invoice_language_defaults_to_the_accounts(contact):
    AccountSettings.objects.update_or_create(pk=1, defaults={"default_language": "nb"})
    assert create(contact, [item()]).invoice_language == "nb"


def test_a_bad_country_and_too_long_texts_are_refused(contact):
    errors = refused(
        contact,
        [item()],
        billing_address={"country": "N1"},
        invoice_settings={"po_number": "x" * 101},
    )
    assert errors == [
        ("billing_address.country", "must be a two-letter ISO 3166 country code"),
        ("invoice_settings.po_number", "must be at most 100 characters"),
    ]


def test_a_long_first_name_is_cut_to_fit_the_count(contact):
    sub = create(contact, [item(name="A" * 200), item()])
    assert sub.name == "A" * 191 + " + 1 more"
    assert len(sub.name) == 200


def test_a_generated_name_is_written_in_the_subscriptions_language(contact):
    """The buyer reads the name in every email: " + 2 more" is written as its invoices are."""
    sub = create(contact, [item(name="Grunnpakke"), item(), item()], invoice_settings={"language": "nb"})
    assert sub.name == "Grunnpakke + 2 til"


def test_a_draft_is_the_subscription_create_would_make_and_writes_nothing(contact):
    terms = {"billing_terms": "fixed", "number_of_payments": 3}
    start = BillingStart(type="delay_months", months=1)
    values = {
        "contact": contact,
        "line_items": [
            item(**terms, billing_start=start),
            item(name="Seats", quantity=2, **terms, billing_start=start),
        ],
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
        "at": T0,
    }

    draft = subscription_draft(**values)

    assert Subscription.objects.count() == 0
    assert SubscriptionLineItem.objects.count() == 0
    assert not Event.objects.exists()
    sub = draft.subscription
    assert (sub.name, sub.status, sub.start_date, sub.next_payment_date, sub.end_date) == (
        "Pro plan + 1 more",
        "scheduled",
        date(2027, 2, 15),
        date(2027, 2, 15),
        date(2027, 5, 15),
    )
    assert (sub.next_payment_amount, sub.line_items_mrr, sub.mrr) == (1999 * 3, 1999 * 3, 0)  # not started
    assert [(li.name, li.quantity, li.amounts.total, li.subscription) for li in draft.line_items] == [
        ("Pro plan", 1, 1999, sub),
        ("Seats", 2, 3998, sub),
    ]
    created = subscription_create(actor=SYSTEM, **values)
    assert (created.name, created.status, created.end_date, created.next_payment_amount) == (
        sub.name,
        sub.status,
        sub.end_date,
        sub.next_payment_amount,
    )


def test_a_draft_is_refused_like_a_creation(contact):
    with pytest.raises(ValidationFailed) as caught:
        subscription_draft(
            contact=contact,
            line_items=[item(billing_start=BillingStart(type="date", date=date(2027, 1, 14)))],
            collection_method="send_invoice",
            at=T0,
        )
    assert [e.field for e in caught.value.errors] == ["line_items[0].billing_start.date", "payment_terms"]


# subscriptions_create: the grouping rule splits the items ------------------------------------------


def test_items_that_differ_make_one_subscription_per_group_in_the_order_groups_appear(contact):
    items = [
        item(name="Basic", unit_amount=2500),
        item(name="Archive", unit_amount=12000, billing_frequency="annually"),
        item(name="Seats", unit_amount=500, quantity=3),
        item(name="Course", unit_amount=9000, billing_terms="fixed", number_of_payments=3),
    ]

    made = subscriptions_create(
        contact=contact,
        line_items=items,
        name="Acme",
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=SYSTEM,
        at=T0,
    )

    shown = [
        (s.name, s.billing_frequency, s.number_of_payments, s.end_date, s.next_payment_amount, s.mrr)
        for s in made
    ]
    assert shown == [
        ("Acme", "monthly", None, None, 4000, 4000),
        ("Acme", "annually", None, None, 12000, 1000),
        ("Acme", "monthly", 3, date(2027, 4, 15), 9000, 9000),
    ]
    assert [[i.name for i in s.line_items.order_by("position")] for s in made] == [
        ["Basic", "Seats"],
        ["Archive"],
        ["Course"],
    ]
    assert [s.pk for s in Subscription.objects.order_by("id")] == [s.pk for s in made]
    created = Event.objects.filter(type="subscription.created").order_by("id")
    assert [e.object_id for e in created] == [s.pk for s in made]


def test_one_group_is_one_subscription_as_subscription_create_makes_it(contact):
    [draft] = subscriptions_draft(
        contact=contact,
        line_items=[item(), item(name="Seats", unit_amount=500)],
        collection_method="send_invoice",
        payment_terms="net_30",
        at=T0,
    )
    assert (draft.subscription.name, [i.name for i in draft.line_items]) == (
        "Pro plan + 1 more",
        ["Pro plan", "Seats"],
    )
    assert Subscription.objects.count() == 0


def test_every_groups_errors_are_named_once_by_the_items_place_and_nothing_is_written(contact):
    past = BillingStart(type="date", date=date(2027, 1, 1))
    items = [
        item(),
        item(billing_frequency="annually"),
        item(billing_frequency="annually", billing_start=past),
        item(name="Setup", billing_frequency="one_time"),
    ]

    with pytest.raises(ValidationFailed) as caught:
        subscriptions_create(
            contact=contact, line_items=items, collection_method="charge_automatically", actor=SYSTEM, at=T0
        )

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("line_items[3].billing_frequency", "one-time items are invoiced, not subscribed"),
        ("payment_method_id", "is required to charge automatically"),
        (
            "line_items[2].billing_start.date",
            "must be today (2027-01-15) or later in the account's time zone",
        ),
    ]
    assert Subscription.objects.count() == 0
    assert SubscriptionLineItem.objects.count() == 0
    assert not Event.objects.filter(object_type="subscription").exists()
