"""deal_convert / items_convert: recurring items grouped into send_invoice subscriptions, one-time
items on an invoice of their own, the deal's quote, every rule before any write, converting once.

The clock is frozen at 2027-01-15 09:30 UTC (account zone UTC).

    Hosting  monthly   2000 × 2 = 4000, 25% tax 1000           → subscription "Hosting + 1 more"
    Seats    monthly    500 × 3 = 1500, no tax                   (same group: monthly, auto-renew, today)
    Support  annually 12000 × 1, 10% off = 1200 → net 10800      → subscription "Support"
    Setup    one time  5000 × 1, 12.5% tax = 625, total 5625     → invoice INV-1, due Feb 14 (net 30)
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.catalog.services import product_archive, product_create
from recurra.commerce.conversion import deal_convert, deal_plan, items_convert
from recurra.commerce.models import Quote
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal
from recurra.crm.services import company_create, contact_create, deal_create
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

TODAY = date(2027, 1, 15)
HOSTING = LineItemInput(
    name="Hosting",
    unit_amount=2000,
    currency="USD",
    quantity=2,
    tax_rate_percent=Decimal(25),
    billing_frequency="monthly",
)
SEATS = LineItemInput(name="Seats", unit_amount=500, currency="USD", quantity=3, billing_frequency="monthly")
SUPPORT = LineItemInput(
    name="Support",
    unit_amount=12000,
    currency="USD",
    discount_percent=Decimal(10),
    billing_frequency="annually",
)
SETUP = LineItemInput(
    name="Setup",
    unit_amount=5000,
    currency="USD",
    tax_rate_percent=Decimal("12.5"),
    billing_frequency="one_time",
)


@pytest.fixture
def company(db) -> Company:
    return company_create(actor=SYSTEM, name="Fjordline")


@pytest.fixture
def contact(company) -> Contact:
    return contact_create(
        actor=SYSTEM,
        email="ingrid@fjordline.example",
        first_name="Ingrid",
        company_id=company.pk,
        address={"line1": "Strandkaien 1", "city": "Bergen", "postal_code": "5013", "country": "NO"},
    )


def deal(contact: Contact | None, *items: LineItemInput, company: Company | None = None) -> Deal:
    return deal_create(
        actor=SYSTEM,
        name="Fjordline 2027",
        contact_id=contact.pk if contact else None,
        company_id=company.pk if company else None,
        line_items=list(items),
    )


def quote(of: Deal, status: str) -> Quote:
    return Quote.objects.create(
        name=f"{status} quote", status=status, deal=of, currency="USD", expires_on=date(2027, 2, 1)
    )


def counts() -> tuple[int, int, int]:
    return Subscription.objects.count(), Invoice.objects.count(), Event.objects.count()


def test_recurring_items_become_grouped_send_invoice_subscriptions_and_one_time_items_an_invoice(
    contact, company
):
    sold = deal(contact, HOSTING, SUPPORT, SETUP, SEATS, company=company)
    accepted = quote(sold, "accepted")

    done = deal_convert(deal=sold, actor=SYSTEM, at=T0)

    monthly, annual = done.subscriptions
    assert [(s.name, s.billing_frequency, s.next_payment_amount, s.mrr) for s in done.subscriptions] == [
        ("Hosting + 1 more", "monthly", 6500, 5500),
        ("Support", "annually", 10800, 900),
    ]
    assert [i.name for i in monthly.line_items.all()] == ["Hosting", "Seats"]
    for sub in (monthly, annual):
        sub = Subscription.objects.get(pk=sub.pk)
        assert (sub.status, sub.start_date, sub.next_payment_date, sub.periods_billed) == (
            "active",
            TODAY,
            TODAY,
            0,
        )
        assert (sub.collection_method, sub.payment_terms, sub.payment_method_id) == (
            "send_invoice",
            "net_30",
            None,
        )
        assert (sub.accept_online_payment, sub.allowed_payment_methods) == (True, ["card", "ach"])
        assert (sub.contact_id, sub.company_id, sub.deal_id, sub.quote_id) == (
            contact.pk,
            company.pk,
            sold.pk,
            accepted.pk,
        )
        assert (sub.address_line1, sub.city, sub.country) == ("Strandkaien 1", "Bergen", "NO")

    invoice = Invoice.objects.get()
    assert invoice == done.invoice
    assert (invoice.number, invoice.status, invoice.subscription_id, invoice.period_index) == (
        "INV-1",
        "open",
        None,
        None,
    )
    assert (invoice.contact_id, invoice.company_id, invoice.collection_method, invoice.payment_terms) == (
        contact.pk,
        company.pk,
        "send_invoice",
        "net_30",
    )
    assert (invoice.issued_on, invoice.due_on) == (TODAY, TODAY + timedelta(days=30))
    assert (invoice.subtotal, invoice.tax, invoice.total, invoice.amount_due) == (5000, 625, 5625, 5625)
    assert [(line.name, line.amount_total) for line in invoice.lines.all()] == [("Setup", 5625)]
    assert invoice.billing_address == {
        "line1": "Strandkaien 1",
        "line2": "",
        "city": "Bergen",
        "state": "",
        "postal_code": "5013",
        "country": "NO",
    }

    made = Event.objects.filter(type__in=["subscription.created", "invoice.created", "deal.converted"])
    assert sorted(made.values_list("type", "object_id")) == sorted(
        [
            ("subscription.created", monthly.pk),
            ("subscription.created", annual.pk),
            ("invoice.created", invoice.pk),
            ("deal.converted", sold.pk),
        ]
    )
    converted = Event.objects.get(type="deal.converted")
    assert converted.data == {
        "subscription_ids": [monthly.pk, annual.pk],
        "invoice_id": invoice.pk,
        "quote_id": accepted.pk,
        "payment_terms": "net_30",
    }
    assert (converted.actor_type, converted.object_type) == ("system", "deal")


def test_only_one_time_items_make_an_invoice_and_no_subscription(contact):
    done = deal_convert(deal=deal(contact, SETUP), payment_terms="net_15", actor=SYSTEM, at=T0)

    assert done.subscriptions == []
    assert Subscription.objects.count() == 0
    assert (done.invoice.number, done.invoice.total, done.invoice.payment_terms, done.invoice.due_on) == (
        "INV-1",
        5625,
        "net_15",
        date(2027, 1, 30),
    )


def test_only_recurring_items_make_no_invoice_and_take_the_payment_terms(contact):
    done = deal_convert(deal=deal(contact, SUPPORT), payment_terms="due_on_receipt", actor=SYSTEM, at=T0)

    (sub,) = done.subscriptions
    assert (done.invoice, sub.payment_terms, sub.quote_id) == (None, "due_on_receipt", None)
    assert Invoice.objects.count() == 0


def test_without_a_company_the_contacts_company_is_used(contact, company):
    done = deal_convert(deal=deal(contact, SUPPORT, SETUP), actor=SYSTEM, at=T0)

    assert (done.subscriptions[0].company_id, done.invoice.company_id) == (company.pk, company.pk)


@pytest.fixture
def ordered(monkeypatch):
    """Ids in creation order (quotes made in the same millisecond would otherwise tie)."""
    monkeypatch.setattr(clock, "epoch_ms", itertools.count(1_800_000_000_000).__next__)


@pytest.mark.parametrize(
    ("statuses", "chosen"),
    [
        (["accepted", "published"], "accepted"),  # accepted beats a newer published one
        (["converted", "accepted"], "accepted"),  # the newest of the accepted or converted
        (["published", "draft"], "published"),
        (["draft"], None),
    ],
)
def test_the_deals_quote_is_its_newest_accepted_else_newest_published(contact, statuses, chosen, ordered):
    sold = deal(contact, SUPPORT)
    quotes = [quote(sold, status) for status in statuses]

    (sub,) = deal_convert(deal=sold, actor=SYSTEM, at=T0).subscriptions

    expected = next((q.pk for q in reversed(quotes) if q.status == chosen), None)
    assert sub.quote_id == expected


def test_every_rule_is_checked_before_anything_is_written(db):
    sold = deal(None)
    before = counts()

    with pytest.raises(ValidationFailed) as caught:
        deal_convert(deal=sold, payment_terms="net_7", actor=SYSTEM, at=T0)

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("contact_id", "the deal needs a contact to convert it: add one to the deal first"),
        ("line_items", "the deal needs at least one line item to convert it"),
        ("payment_terms", "must be one of due_on_receipt, net_15, net_30, net_45, net_60, net_90"),
    ]
    assert counts() == before


def test_a_past_start_date_in_a_later_group_writes_no_subscription_and_names_the_deal_position(contact):
    late = LineItemInput(
        name="Training",
        unit_amount=900,
        currency="USD",
        billing_frequency="quarterly",
        billing_start=BillingStart(type="date", date=date(2027, 1, 1)),
    )
    sold = deal(contact, HOSTING, SETUP, late)
    before = counts()

    with pytest.raises(ValidationFailed) as caught:
        deal_convert(deal=sold, actor=SYSTEM, at=T0)

    assert [(e.field, e.message) for e in caught.value.errors] == [
        (
            "line_items[2].billing_start.date",
            "must be today (2027-01-15) or later in the account's time zone",
        )
    ]
    assert counts() == before


def test_an_item_whose_product_was_archived_since_is_refused(contact):
    product = product_create(
        actor=SYSTEM, name="Legacy", sku="L-1", unit_amount=700, currency="USD", billing_frequency="monthly"
    )
    sold = deal(contact, SETUP, LineItemInput(product_id=product.pk))
    product_archive(product=product, actor=SYSTEM, at=T0)

    with pytest.raises(ValidationFailed) as caught:
        deal_convert(deal=sold, actor=SYSTEM, at=T0)

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("line_items[1].product_id", f"product {product.pk} is archived")
    ]
    assert Invoice.objects.count() == 0


def test_a_deal_is_converted_once(contact):
    sold = deal(contact, HOSTING, SUPPORT)
    first = deal_convert(deal=sold, actor=SYSTEM, at=T0)
    before = counts()

    with pytest.raises(Conflict) as caught:
        deal_convert(deal=sold, actor=SYSTEM, at=T0)

    ids = ", ".join(sorted(s.pk for s in first.subscriptions))
    assert (
        caught.value.detail == f"deal {sold.pk} already has subscription(s) {ids}: a deal is converted once"
    )
    assert counts() == before


def test_an_invoice_only_deal_is_converted_once_too(contact):
    sold = deal(contact, SETUP)
    deal_convert(deal=sold, actor=SYSTEM, at=T0)

    with pytest.raises(Conflict) as caught:
        deal_convert(deal=sold, actor=SYSTEM, at=T0)

    assert caught.value.detail == f"deal {sold.pk} was converted into invoice INV-1: a deal is converted once"
    assert Invoice.objects.count() == 1


def test_items_convert_takes_items_directly_for_other_callers(contact):
    done = items_convert(
        contact=contact, company=None, deal=None, quote=None, items=[SEATS, SETUP], actor=SYSTEM, at=T0
    )

    (sub,) = done.subscriptions
    assert (sub.name, sub.deal_id, sub.quote_id, sub.company_id) == ("Seats", None, None, contact.company_id)
    assert done.invoice.total == 5625


def test_deal_plan_shows_what_converting_would_make(contact):
    sold = deal(contact, HOSTING, SUPPORT, SETUP, SEATS)

    plan = deal_plan(sold, at=T0)

    assert [[i.name for i in group.items] for group in plan.subscriptions] == [
        ["Hosting", "Seats"],
        ["Support"],
    ]
    assert [i.name for i in plan.invoice] == ["Setup"]
    assert counts() == (0, 0, Event.objects.count())
