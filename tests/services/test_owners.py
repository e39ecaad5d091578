"""Owners (crm.owners): assigning one, in bulk, and through the services that create and edit records.

Everything happens at 2027-01-15 09:30 UTC (the frozen clock); a monthly 19.99 send_invoice
subscription of Ada unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recurra.accounts.models import User
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm import services as crm
from recurra.crm.models import Company, Contact, Deal
from recurra.crm.owners import owner_assign, owners_assign
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.canceling import subscription_cancel
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create, subscriptions_create
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
BOSS = Actor("user", "1", "Bo Boss")


@pytest.fixture
def ada_user(db) -> User:
    return User.objects.create(username="ada", first_name="Ada", last_name="Lovelace", role="editor")


@pytest.fixture
def bob_user(db) -> User:
    return User.objects.create(username="bob", role="viewer")


@pytest.fixture
def contact(db) -> Contact:
    return Contact.objects.create(email="ada@example.com", first_name="Ada")


def subscribe(contact: Contact, **values) -> Subscription:
    item = LineItemInput(name="Pro plan", unit_amount=1999, currency="USD", billing_frequency="monthly")
    return subscription_create(
        contact=contact,
        line_items=[item],
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=BOSS,
        at=T0,
        **values,
    )


def owner_events(object_id: str) -> list[tuple[str, dict, dict, str]]:
    found = Event.objects.filter(object_id=object_id, data__after__has_key="owner_id").order_by(
        "created_at", "id"
    )
    return [(e.type, e.data["before"], e.data["after"], e.actor_name) for e in found if "before" in e.data]


def test_assign_saves_the_owner_and_writes_one_updated_event(contact, ada_user):
    sub = subscribe(contact)
    clock.freeze(T0 + timedelta(hours=1))
    assert owner_assign(obj=sub, owner_id=ada_user.pk, actor=BOSS) is True
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.owner_id, row.updated_at, row.name, row.next_payment_amount) == (
        ada_user.pk,
        T0 + timedelta(hours=1),
        "Pro plan",
        1999,
    )
    assert sub.owner_id == ada_user.pk
    assert owner_events(sub.pk) == [
        ("subscription.updated", {"owner_id": None}, {"owner_id": ada_user.pk}, "Bo Boss")
    ]
    assert EmailMessage.objects.filter(kind="subscription_changed").count() == 0


def test_the_same_owner_again_writes_nothing(contact, ada_user):
    sub = subscribe(contact, owner_id=ada_user.pk)
    before = Event.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert owner_assign(obj=sub, owner_id=ada_user.pk, actor=BOSS) is False
    assert Event.objects.count() == before
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]
    # no owner, twice: the second is no change either
    assert owner_assign(obj=sub, owner_id=None, actor=BOSS) is True
    assert owner_assign(obj=sub, owner_id=None, actor=BOSS) is False
    assert owner_events(sub.pk) == [
        ("subscription.updated", {"owner_id": ada_user.pk}, {"owner_id": None}, "Bo Boss")
    ]


def test_an_inactive_unknown_or_non_user_owner_is_refused_and_nothing_changes(contact, ada_user, bob_user):
    bob_user.is_active = False
    bob_user.save()
    sub = subscribe(contact, owner_id=ada_user.pk)
    before = Event.objects.count()
    for owner_id, message in (
        (bob_user.pk, f"user {bob_user.pk} is deactivated"),
        (999_999, "no user 999999"),
        (2**70, "must be the id of a user (a whole number)"),
        (True, "must be the id of a user (a whole number)"),
        ("7", "must be the id of a user (a whole number)"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            owner_assign(obj=sub, owner_id=owner_id, actor=BOSS)  # type: ignore[arg-type]
        assert [(e.field, e.message) for e in refused.value.errors] == [("owner_id", message)]
    assert Subscription.objects.get(pk=sub.pk).owner_id == ada_user.pk
    assert Event.objects.count() == before


def test_a_deactivated_owner_stays_until_another_is_assigned(contact, ada_user, bob_user):
    sub = subscribe(contact, owner_id=ada_user.pk)
    ada_user.is_active = False
    ada_user.save()
    assert owner_assign(obj=sub, owner_id=ada_user.pk, actor=BOSS) is False  # kept: no error
    assert owner_assign(obj=sub, owner_id=bob_user.pk, actor=BOSS) is True
    with pytest.raises(ValidationFailed):
        owner_assign(obj=sub, owner_id=ada_user.pk, actor=BOSS)  # back to a deactivated one: no


def test_a_deleted_user_leaves_their_records_without_an_owner(contact, ada_user):
    sub = subscribe(contact, owner_id=ada_user.pk)
    company = crm.company_create(actor=BOSS, name="Acme", owner_id=ada_user.pk)
    ada_user.delete()
    assert Subscription.objects.get(pk=sub.pk).owner_id is None
    assert Company.objects.get(pk=company.pk).owner_id is None


def test_every_kind_of_record_writes_its_own_updated_type(contact, ada_user):
    company = Company.objects.create(name="Acme")
    deal = Deal.objects.create(name="Big deal", currency="USD")
    sub = subscribe(contact)
    for record in (contact, company, deal, sub):
        assert owner_assign(obj=record, owner_id=ada_user.pk, actor=BOSS) is True
    types = {
        e.object_id: e.type
        for e in Event.objects.filter(data__after__has_key="owner_id")
        if "before" in e.data
    }
    assert types == {
        contact.pk: "contact.updated",
        company.pk: "company.updated",
        deal.pk: "deal.updated",
        sub.pk: "subscription.updated",
    }
    with pytest.raises(TypeError):
        owner_assign(obj=User.objects.get(pk=ada_user.pk), owner_id=ada_user.pk, actor=BOSS)


def test_bulk_assigns_in_one_go_and_counts_only_the_changed(contact, ada_user, bob_user):
    subs = [subscribe(contact) for _ in range(3)]
    owner_assign(obj=subs[0], owner_id=ada_user.pk, actor=BOSS)
    already = Event.objects.count()
    ids = [s.pk for s in subs]
    assert owners_assign(model=Subscription, ids=[*ids, ids[1]], owner_id=ada_user.pk, actor=BOSS) == 2
    assert (
        list(Subscription.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == [ada_user.pk] * 3
    )
    assert Event.objects.count() == already + 2
    assert [e[1:3] for e in owner_events(subs[1].pk)] == [({"owner_id": None}, {"owner_id": ada_user.pk})]
    assert owners_assign(model=Subscription, ids=ids, owner_id=None, actor=BOSS) == 3
    assert set(Subscription.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {None}


def test_bulk_with_an_unknown_record_or_owner_changes_nothing(contact, ada_user, bob_user):
    subs = [subscribe(contact) for _ in range(2)]
    before = Event.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        owners_assign(model=Subscription, ids=[subs[0].pk, "sub_nope"], owner_id=ada_user.pk, actor=BOSS)
    assert [(e.field, e.message) for e in refused.value.errors] == [("ids", "no subscription sub_nope")]
    bob_user.is_active = False
    bob_user.save()
    with pytest.raises(ValidationFailed) as refused:
        owners_assign(model=Subscription, ids=[s.pk for s in subs], owner_id=bob_user.pk, actor=BOSS)
    assert [e.field for e in refused.value.errors] == ["owner_id"]
    with pytest.raises(ValidationFailed):
        owners_assign(model=Subscription, ids=[], owner_id=ada_user.pk, actor=BOSS)
    assert set(Subscription.objects.values_list("owner_id", flat=True)) == {None}
    assert Event.objects.count() == before


def test_created_with_an_owner_and_the_owner_in_the_created_event(contact, ada_user, bob_user):
    sub = subscribe(contact, owner_id=ada_user.pk)
    created = Event.objects.get(type="subscription.created", object_id=sub.pk)
    assert (sub.owner_id, created.data["after"]["owner_id"]) == (ada_user.pk, ada_user.pk)
    person = crm.contact_create(actor=BOSS, email="bo@example.com", owner_id=bob_user.pk)
    deal = crm.deal_create(actor=BOSS, name="Deal", owner_id=ada_user.pk)
    company = crm.company_create(actor=BOSS, name="Acme")
    assert (person.owner_id, deal.owner_id, company.owner_id) == (bob_user.pk, ada_user.pk, None)
    bob_user.is_active = False
    bob_user.save()
    with pytest.raises(ValidationFailed) as refused:
        crm.contact_create(actor=BOSS, email="", owner_id=bob_user.pk)
    assert [e.field for e in refused.value.errors] == ["email", "owner_id"]  # every problem at once
    with pytest.raises(ValidationFailed) as refused:
        subscriptions_create(
            contact=contact,
            line_items=[
                LineItemInput(name="X", unit_amount=100, currency="USD", billing_frequency="monthly")
            ],
            collection_method="send_invoice",
            payment_terms="net_30",
            owner_id=bob_user.pk,
            actor=BOSS,
            at=T0,
        )
    assert [e.field for e in refused.value.errors] == ["owner_id"]
    assert Subscription.objects.count() == 1


def test_updating_a_record_and_its_owner_is_one_transaction(contact, ada_user):
    crm.contact_update(contact=contact, actor=BOSS, first_name="Adele", owner_id=ada_user.pk)
    row = Contact.objects.get(pk=contact.pk)
    assert (row.first_name, row.owner_id) == ("Adele", ada_user.pk)
    updates = [(e.data["before"], e.data["after"]) for e in Event.objects.filter(type="contact.updated")]
    assert updates == [
        ({"first_name": "Ada"}, {"first_name": "Adele"}),
        ({"owner_id": None}, {"owner_id": ada_user.pk}),
    ]
    # the owner alone: nothing else saved; a bad field refuses the owner too
    crm.contact_update(contact=contact, actor=BOSS, owner_id=None)
    with pytest.raises(ValidationFailed):
        crm.contact_update(contact=contact, actor=BOSS, email="bad", owner_id=ada_user.pk)
    assert Contact.objects.get(pk=contact.pk).owner_id is None
    assert Event.objects.filter(type="contact.updated").count() == 3


def test_deal_update_with_the_owner_keeps_its_line_items(ada_user):
    item = LineItemInput(name="Setup", unit_amount=5000, currency="USD", billing_frequency="one_time")
    deal = crm.deal_create(actor=BOSS, name="Deal", line_items=[item])
    crm.deal_update(deal=deal, actor=BOSS, owner_id=ada_user.pk)
    row = Deal.objects.get(pk=deal.pk)
    assert (row.owner_id, row.amount, row.line_items.count()) == (ada_user.pk, 5000, 1)
    assert (
        not Event.objects.filter(type="deal.line_items_replaced")
        .exclude(data__before__line_items=[])
        .exists()
    )


def test_editing_only_the_owner_of_a_canceled_subscription_is_no_edit(contact, ada_user):
    sub = subscribe(contact)
    subscription_cancel(subscription=sub, confirm=True, when="now", refund="none", actor=BOSS, at=T0)
    preview = subscription_change(
        subscription=sub, changes=SubscriptionChanges(owner_id=ada_user.pk), actor=BOSS, at=T0, preview=True
    )
    assert (preview.saved, preview.changed, Subscription.objects.get(pk=sub.pk).owner_id) == (
        False,
        {"owner_id": (None, ada_user.pk)},
        None,
    )
    done = subscription_change(
        subscription=sub, changes=SubscriptionChanges(owner_id=ada_user.pk), actor=BOSS, at=T0
    )
    assert (done.saved, done.changed, done.proration) == (True, {"owner_id": (None, ada_user.pk)}, None)
    assert Subscription.objects.get(pk=sub.pk).owner_id == ada_user.pk
    assert EmailMessage.objects.filter(kind="subscription_changed").count() == 0
    with pytest.raises(Conflict):  # anything more is an edit, which a canceled one refuses
        subscription_change(
            subscription=sub, changes=SubscriptionChanges(name="New", owner_id=None), actor=BOSS, at=T0
        )
    assert Subscription.objects.get(pk=sub.pk).owner_id == ada_user.pk


def test_an_edit_with_the_owner_saves_both_and_the_email_leaves_the_owner_out(contact, ada_user, bob_user):
    sub = subscribe(contact)
    result = subscription_change(
        subscription=sub, changes=SubscriptionChanges(name="Gold", owner_id=ada_user.pk), actor=BOSS, at=T0
    )
    assert sorted(result.changed) == ["name", "owner_id"]
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.name, row.owner_id) == ("Gold", ada_user.pk)
    (email,) = EmailMessage.objects.filter(kind="subscription_changed")
    assert email.data["changed"] == ["name"]
    updates = [(e.data["before"], e.data["after"]) for e in Event.objects.filter(type="subscription.updated")]
    assert updates == [
        ({"name": "Pro plan"}, {"name": "Gold"}),
        ({"owner_id": None}, {"owner_id": ada_user.pk}),
    ]
    bob_user.is_active = False
    bob_user.save()
    with pytest.raises(ValidationFailed) as refused:
        subscription_change(
            subscription=sub,
            changes=SubscriptionChanges(name="Silver", owner_id=bob_user.pk),
            actor=BOSS,
            at=T0,
        )
    assert [e.field for e in refused.value.errors] == ["owner_id"]
    assert Subscription.objects.get(pk=sub.pk).name == "Gold"


def test_an_owner_change_is_a_public_updated_event_with_the_owner_before(contact, ada_user):
    from recurra.automation.models import PublicEvent
    from recurra.automation.webhooks import services as webhooks

    sub = subscribe(contact)
    webhooks.endpoint_create(url="http://127.0.0.1:9/x", enabled_events=["*"], actor=BOSS, at=T0)
    owner_assign(obj=sub, owner_id=ada_user.pk, actor=BOSS)
    owner_assign(obj=contact, owner_id=ada_user.pk, actor=BOSS)
    found = {e.type: json.loads(e.body)["data"] for e in PublicEvent.objects.all()}
    assert set(found) == {"subscription.updated", "contact.updated"}
    for data in found.values():
        assert (data["object"]["owner_id"], data["previous_attributes"]) == (ada_user.pk, {"owner_id": None})
