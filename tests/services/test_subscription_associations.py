"""subscription_associate_company and subscription_associate_deal: one record at a time, replaced,
any status, the contact untouched; a repeat changes and records nothing.

Ada (at Fjordline) has one monthly 19.99 subscription made at 2027-01-15 09:30 UTC (T0) by
subscription_create; the associations happen a day later (LATER).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.catalog.line_items import LineItemInput
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal
from recurra.crm.services import company_create, contact_create, deal_create
from recurra.subscriptions.associations import subscription_associate_company, subscription_associate_deal
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
USER = Actor("user", "7", "Eddie Editor")
LATER = T0 + timedelta(days=1)


@pytest.fixture
def company(db: None) -> Company:
    return company_create(actor=SYSTEM, name="Fjordline")


@pytest.fixture
def contact(company: Company) -> Contact:
    return contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada", company_id=company.pk)


@pytest.fixture
def sub(contact: Contact) -> Subscription:
    item = LineItemInput(name="Pro plan", unit_amount=1999, currency="USD", billing_frequency="monthly")
    return subscription_create(
        contact=contact,
        company=contact.company,
        line_items=[item],
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=USER,
        at=T0,
    )


def deal(name: str, contact: Contact) -> Deal:
    return deal_create(actor=SYSTEM, name=name, contact_id=contact.pk)


def updates(sub: Subscription) -> list[Event]:
    return list(Event.objects.filter(object_id=sub.pk, type="subscription.updated").order_by("id"))


def test_a_deal_is_tied_with_one_event_and_the_rest_stays(sub: Subscription, contact: Contact) -> None:
    won = deal("Fjordline Pro", contact)

    tied = subscription_associate_deal(subscription=sub, deal=won, actor=USER, at=LATER)

    row = Subscription.objects.get(pk=sub.pk)
    assert (tied.deal_id, tied.updated_at) == (won.pk, LATER)
    assert (row.deal_id, row.contact_id, row.company_id, row.updated_at) == (
        won.pk,
        contact.pk,
        contact.company_id,
        LATER,
    )
    (event,) = updates(sub)
    assert event.data == {"before": {"deal_id": None}, "after": {"deal_id": won.pk}}
    assert (event.actor_type, event.actor_id, event.object_type) == ("user", "7", "subscription")


def test_a_deal_replaces_the_one_it_had_and_a_repeat_is_a_no_op(sub: Subscription, contact: Contact) -> None:
    first, second = deal("First", contact), deal("Second", contact)
    subscription_associate_deal(subscription=sub, deal=first, actor=USER, at=T0)

    moved = subscription_associate_deal(subscription=sub, deal=second, actor=USER, at=LATER)
    again = subscription_associate_deal(subscription=sub, deal=second, actor=SYSTEM, at=LATER + timedelta(1))

    assert moved.deal_id == again.deal_id == Subscription.objects.get().deal_id == second.pk
    assert again.updated_at == Subscription.objects.get().updated_at == LATER  # the repeat wrote nothing
    assert [e.data for e in updates(sub)] == [
        {"before": {"deal_id": None}, "after": {"deal_id": first.pk}},
        {"before": {"deal_id": first.pk}, "after": {"deal_id": second.pk}},
    ]


def test_an_ended_subscription_may_be_tied_too(sub: Subscription, contact: Contact) -> None:
    Subscription.objects.filter(pk=sub.pk).update(status="canceled", next_payment_date=None)
    won = deal("Fjordline Pro", contact)

    subscription_associate_deal(subscription=sub, deal=won, actor=USER, at=LATER)

    row = Subscription.objects.get()
    assert (row.status, row.deal_id) == ("canceled", won.pk)
    assert len(updates(sub)) == 1


def test_a_company_replaces_the_one_it_had_and_a_repeat_is_a_no_op(
    sub: Subscription, contact: Contact, company: Company
) -> None:
    other = company_create(actor=SYSTEM, name="Nordlys")

    moved = subscription_associate_company(subscription=sub, company=other, actor=SYSTEM, at=LATER)
    again = subscription_associate_company(subscription=sub, company=other, actor=SYSTEM, at=LATER)

    row = Subscription.objects.get()
    assert moved.company_id == again.company_id == row.company_id == other.pk
    assert (row.contact_id, row.deal_id, row.updated_at) == (contact.pk, None, LATER)
    (event,) = updates(sub)
    assert event.data == {"before": {"company_id": company.pk}, "after": {"company_id": other.pk}}
    assert (event.actor_type, event.object_type) == ("system", "subscription")
