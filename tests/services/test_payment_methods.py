"""Saving payment methods: only the gateway's id and display hints are kept, with an event."""

from __future__ import annotations

import pytest
from django.db import transaction

from recurra.core.actors import Actor
from recurra.core.errors import ValidationFailed
from recurra.core.models import Event
from recurra.crm.services import contact_create
from recurra.payments import selectors
from recurra.payments.gateways.models import SandboxMethod
from recurra.payments.models import PaymentMethod
from recurra.payments.services import payment_method_add
from tests.conftest import T0

pytestmark = pytest.mark.django_db
ALICE = Actor("user", "7", "Alice")


@pytest.fixture
def contact():
    return contact_create(actor=ALICE, email="ada@example.com")


def test_a_card_is_saved_with_display_hints_and_an_event(contact):
    method = payment_method_add(contact=contact, token="tok_visa", actor=ALICE, at=T0)

    stored = PaymentMethod.objects.get()
    assert stored.pk == method.pk and method.pk.startswith("pm_")
    assert (stored.contact_id, stored.gateway, stored.type, stored.brand, stored.last4) == (
        contact.pk,
        "sandbox",
        "card",
        "visa",
        "4242",
    )
    assert (stored.exp_month, stored.exp_year, stored.created_at, stored.detached_at) == (1, 2030, T0, None)
    assert SandboxMethod.objects.filter(pk=stored.gateway_method_id, token="tok_visa").exists()
    event = Event.objects.get(object_id=method.pk)
    assert event.type == "paymentmethod.created"
    assert (event.actor_type, event.actor_id) == ("user", "7")
    assert event.data["after"]["gateway_method_id"] == stored.gateway_method_id
    assert event.data["after"]["last4"] == "4242"


def test_a_bank_debit_has_no_expiry(contact):
    method = payment_method_add(contact=contact, token="tok_ach", actor=ALICE, at=T0)

    assert (method.type, method.brand, method.last4, method.exp_month, method.exp_year) == (
        "ach",
        "Test Bank",
        "6789",
        None,
        None,
    )


def test_nothing_but_tokens_and_hints_is_stored(contact):
    method = payment_method_add(contact=contact, token="tok_mastercard", actor=ALICE, at=T0)

    after = Event.objects.get(object_id=method.pk).data["after"]
    assert set(after) == {
        "id",
        "contact_id",
        "gateway",
        "gateway_method_id",
        "gateway_customer_id",
        "type",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "bank_name",
        "mandate",
        "detached_at",
        "created_at",
        "updated_at",
    }
    assert "5555555555554444" not in str(after)


def test_an_unknown_token_is_a_422_and_saves_nothing(contact):
    with pytest.raises(ValidationFailed) as raised:
        payment_method_add(contact=contact, token="4242424242424242", actor=ALICE, at=T0)

    assert [e.field for e in raised.value.errors] == ["token"]
    assert not PaymentMethod.objects.exists()
    assert not SandboxMethod.objects.exists()
    assert not Event.objects.filter(type="paymentmethod.created").exists()


def test_it_may_be_called_inside_a_transaction(contact):
    """The API's Idempotency-Key middleware runs each request in one."""
    with transaction.atomic():
        method = payment_method_add(contact=contact, token="tok_visa", actor=ALICE, at=T0)

    assert PaymentMethod.objects.filter(pk=method.pk).exists()


def test_the_list_is_the_contacts_own_newest_first_without_detached_ones(contact):
    other = contact_create(actor=ALICE, email="grace@example.com")
    first = payment_method_add(contact=contact, token="tok_visa", actor=ALICE, at=T0)
    second = payment_method_add(contact=contact, token="tok_ach", actor=ALICE, at=T0)
    detached = payment_method_add(contact=contact, token="tok_mastercard", actor=ALICE, at=T0)
    PaymentMethod.objects.filter(pk=detached.pk).update(detached_at=T0)
    payment_method_add(contact=other, token="tok_visa", actor=ALICE, at=T0)

    assert list(selectors.payment_method_list(contact=contact)) == [second, first]
    assert list(selectors.payment_method_list(contact=contact, include_detached=True)) == [
        detached,
        second,
        first,
    ]
