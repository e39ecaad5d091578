"""subscription_change: contact, payment method, address, scheduled subscriptions, previews, refusals.

Subscriptions are made at 2027-01-15 09:30 UTC (account zone UTC) by subscription_create,
send_invoice net 30, monthly 19.99; billed (period 0 Jan 15 - Feb 15) unless a test says otherwise.
"""

from __future__ import annotations

from datetime import date

import pytest

from recurra.billing.run import billing_run
from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.pausing import subscription_pause
from recurra.subscriptions.services import subscription_create
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
USER = Actor("user", "7", "Eddie Editor")


@pytest.fixture
def contact(db) -> Contact:
    return Contact.objects.create(email="ada@example.com", first_name="Ada", city="Oslo")


def subscribe(contact: Contact, *, start: date | None = None) -> Subscription:
    values = {}
    if start is not None:
        values["billing_start"] = BillingStart(type="date", date=start)
    item = LineItemInput(
        name="Pro plan", unit_amount=1999, currency="USD", billing_frequency="monthly", **values
    )
    return subscription_create(
        contact=contact,
        line_items=[item],
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=USER,
        at=T0,
    )


def change(sub: Subscription, preview: bool = False, proration: str = "none", **values) -> object:
    return subscription_change(
        subscription=sub,
        changes=SubscriptionChanges(**values),
        proration=proration,
        actor=USER,
        at=T0,
        preview=preview,
    )


def test_new_contact_gets_the_email_and_needs_their_own_method(contact):
    sub = subscribe(contact)
    other = Contact.objects.create(email="bo@example.com", first_name="Bo")
    theirs = PaymentMethod.objects.create(
        contact=other, gateway="sandbox", gateway_method_id="pm_bo", type="card", last4="4242"
    )
    mine = PaymentMethod.objects.create(
        contact=contact, gateway="sandbox", gateway_method_id="pm_ada", type="card", last4="1111"
    )
    with pytest.raises(ValidationFailed) as refused:
        change(sub, contact=other, payment_method=mine)
    assert [e.field for e in refused.value.errors] == ["payment_method_id"]

    change(sub, contact=other, payment_method=theirs)

    row = Subscription.objects.get(pk=sub.pk)
    assert (row.contact_id, row.payment_method_id) == (other.pk, theirs.pk)
    (email,) = EmailMessage.objects.filter(kind="subscription_changed")
    assert email.to == "bo@example.com"
    assert email.data["changed"] == ["contact_id", "payment_method_id"]


def test_billing_address_changes_only_the_given_parts(contact):
    sub = subscribe(contact)
    change(sub, billing_address={"line1": "Storgata 1", "country": "no"})
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.address_line1, row.city, row.country) == (
        "Storgata 1",
        "Oslo",
        "NO",
    )  # the city (from the contact) stays
    change(row, billing_address={"city": "Bergen"})
    assert Subscription.objects.get(pk=sub.pk).address["city"] == "Bergen"


def test_preview_writes_nothing_and_nothing_changed_writes_nothing(contact):
    sub = subscribe(contact)
    billing_run(at=T0)
    counts = (Event.objects.count(), EmailMessage.objects.count(), Invoice.objects.count())
    items = list(SubscriptionLineItem.objects.values_list("pk", flat=True))

    result = change(
        sub,
        preview=True,
        proration="prorate",
        line_items=[LineItemInput(name="Team plan", unit_amount=3998)],
    )
    assert result.proration.total == 1999 and not result.saved
    assert result.subscription.next_payment_amount == 3998
    change(sub, name="Pro plan")  # the same name: nothing changed

    assert (Event.objects.count(), EmailMessage.objects.count(), Invoice.objects.count()) == counts
    assert list(SubscriptionLineItem.objects.values_list("pk", flat=True)) == items
    assert Subscription.objects.get(pk=sub.pk).next_payment_amount == 1999


def test_scheduled_subscription_has_nothing_to_prorate(contact):
    sub = subscribe(contact, start=date(2027, 3, 1))
    assert sub.status == "scheduled"
    result = change(sub, proration="prorate", line_items=[LineItemInput(name="Team plan", unit_amount=3998)])
    assert result.proration is None and result.saved
    assert Invoice.objects.count() == 0
    assert Subscription.objects.get(pk=sub.pk).next_payment_amount == 3998


def test_line_items_are_replaced_with_events(contact):
    sub = subscribe(contact)
    (old,) = SubscriptionLineItem.objects.filter(subscription=sub)
    change(
        sub, line_items=[LineItemInput(name="A", unit_amount=100), LineItemInput(name="B", unit_amount=250)]
    )
    new = list(SubscriptionLineItem.objects.filter(subscription=sub))
    assert [(i.name, i.currency, i.billing_frequency) for i in new] == [
        ("A", "USD", "monthly"),
        ("B", "USD", "monthly"),
    ]
    assert Event.objects.filter(type="subscriptionlineitem.deleted", object_id=old.pk).count() == 1
    assert Event.objects.filter(type="subscriptionlineitem.created").count() == 2
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.next_payment_amount, row.mrr) == (350, 350)


def test_paused_subscriptions_cannot_be_edited(contact):
    sub = subscribe(contact)
    subscription_pause(subscription=sub, reason=None, resume_on=None, actor=USER, at=T0)
    with pytest.raises(Conflict):
        change(sub, name="New")
