"""SetupIntents for the buyer's pages (``payments.stripe_setup``), against localstripe through the proxy."""

from __future__ import annotations

from typing import Any

import pytest

from recurra.core.errors import Conflict, Unavailable, ValidationFailed
from recurra.crm.models import Contact
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.stripe import customer_id_for
from recurra.payments.services import customer_of
from recurra.payments.stripe_setup import buyer_customer, setup_intent_create
from tests.conftest import T0
from tests.localstripe import StripeWorld

pytestmark = pytest.mark.django_db

SETUP_INTENTS = r"^/v1/setup_intents$"
CARDS: dict[str, Any] = {"allowed": ("card", "ach"), "currency": "USD"}
EUROS: dict[str, Any] = {"allowed": ("card", "sepa_debit"), "currency": "EUR"}
IBAN = "DE89370400440532013000"


def confirm_card(world: StripeWorld, client_secret: str, number: str = "4242424242424242") -> str:
    """What Stripe.js's confirmCardSetup does with the secret and the typed card: the pm_ it made."""
    intent_id = client_secret.split("_secret_")[0]
    card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    confirmed = world.client().v1.setup_intents.confirm(
        intent_id,
        params={"client_secret": client_secret, "payment_method_data": {"type": "card", "card": card}},
    )
    return str(confirmed.payment_method)


def test_a_contacts_setup_intent_is_off_session_on_its_customer_and_tokenize_takes_its_card(
    stripe_gateway: StripeWorld,
) -> None:
    ada = Contact.objects.create(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    customer = customer_of(ada)
    assert (customer.contact_id, customer.email, customer.name) == (ada.pk, "ada@example.com", "Ada Lovelace")

    started = setup_intent_create(customer=customer, **CARDS, at=T0)

    intent = stripe_gateway.client().v1.setup_intents.retrieve(started.setup_intent_id)
    assert started.customer_id == customer_id_for(customer, at=T0) and started.customer_id.startswith("cus_")
    assert (intent.usage, intent.customer, intent.payment_method_types) == (
        "off_session",
        started.customer_id,
        ["card"],
    )
    assert intent.metadata.to_dict() == {"recurra_contact": ada.pk}
    assert started.client_secret == intent.client_secret
    # The card it saves lands on the same Customer that tokenize attaches to: no "another customer".
    details = get_gateway().tokenize(
        confirm_card(stripe_gateway, started.client_secret), at=T0, customer=customer
    )
    assert (details.customer_id, details.brand, details.last4) == (started.customer_id, "visa", "4242")
    assert len(stripe_gateway.proxy.calls("POST", r"^/v1/customers$")) == 1


def test_a_buyer_is_their_contacts_customer_by_email_in_any_case_else_the_emails() -> None:
    ada = Contact.objects.create(email="ada@example.com", first_name="Ada")
    assert buyer_customer(email=" ADA@example.com ", name="Ada L") == customer_of(ada)
    stranger = buyer_customer(email="mia@example.com", name=" Mia Hansen ")
    assert (stranger.contact_id, stranger.email, stranger.name) == (None, "mia@example.com", "Mia Hansen")


def test_a_new_buyers_setup_intent_names_no_contact(stripe_gateway: StripeWorld) -> None:
    started = setup_intent_create(customer=buyer_customer(email="mia@example.com"), **CARDS, at=T0)
    intent = stripe_gateway.client().v1.setup_intents.retrieve(started.setup_intent_id)
    assert intent.metadata.to_dict() == {}
    customer = stripe_gateway.client().v1.customers.retrieve(started.customer_id)
    assert customer.email == "mia@example.com"


@pytest.mark.parametrize("email", ["", "mia", "mia@", "a b@example.com"])
def test_a_bad_email_is_a_422_on_email_and_asks_stripe_nothing(
    stripe_gateway: StripeWorld, email: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        setup_intent_create(customer=buyer_customer(email=email), **CARDS, at=T0)
    assert [(e.field, e.message) for e in caught.value.errors] == [("email", "is not a valid email address")]
    assert stripe_gateway.proxy.requests == []


def test_no_answer_from_stripe_is_a_503(stripe_gateway: StripeWorld) -> None:
    stripe_gateway.proxy.no_answer(SETUP_INTENTS)
    with pytest.raises(Unavailable):
        setup_intent_create(customer=buyer_customer(email="mia@example.com"), **CARDS, at=T0)


def test_on_the_sandbox_there_is_no_setup_intent(settings: object) -> None:
    with pytest.raises(Conflict):
        setup_intent_create(customer=buyer_customer(email="mia@example.com"), **CARDS, at=T0)


def confirm_iban(world: StripeWorld, client_secret: str, iban: str = IBAN) -> str:
    """What Stripe.js's confirmSepaDebitSetup does with the secret, the IBAN and the holder: the pm_."""
    intent_id = client_secret.split("_secret_")[0]
    data = {
        "type": "sepa_debit",
        "sepa_debit": {"iban": iban},
        "billing_details": {"name": "Eva Weber", "email": "eva@example.com"},
    }
    confirmed = world.client().v1.setup_intents.confirm(
        intent_id, params={"client_secret": client_secret, "payment_method_data": data}
    )
    return str(confirmed.payment_method)


def test_a_sepa_debit_setup_intent_on_a_euro_page_that_allows_it_saves_an_iban_with_its_mandate(
    stripe_gateway: StripeWorld,
) -> None:
    eva = Contact.objects.create(email="eva@example.com", first_name="Eva", last_name="Weber")
    customer = customer_of(eva)

    started = setup_intent_create(customer=customer, **EUROS, method_type="sepa_debit", at=T0)

    intent = stripe_gateway.client().v1.setup_intents.retrieve(started.setup_intent_id)
    assert (intent.usage, intent.customer, intent.payment_method_types) == (
        "off_session",
        started.customer_id,
        ["sepa_debit"],
    )
    details = get_gateway().tokenize(
        confirm_iban(stripe_gateway, started.client_secret), at=T0, customer=customer
    )
    assert (details.type, details.last4, details.mandate, details.customer_id) == (
        "sepa_debit",
        "3000",
        "NXDSYREGC9PSMKWY",
        started.customer_id,
    )


def test_a_pages_setup_intent_is_a_card_unless_it_asks_for_sepa_debit(stripe_gateway: StripeWorld) -> None:
    started = setup_intent_create(customer=buyer_customer(email="eva@example.com"), **EUROS, at=T0)
    intent = stripe_gateway.client().v1.setup_intents.retrieve(started.setup_intent_id)
    assert intent.payment_method_types == ["card"]
    only_sepa = {"allowed": ("sepa_debit",), "currency": "eur"}
    started = setup_intent_create(
        customer=buyer_customer(email="eva@example.com"), **only_sepa, method_type="sepa_debit", at=T0
    )
    intent = stripe_gateway.client().v1.setup_intents.retrieve(started.setup_intent_id)
    assert intent.payment_method_types == ["sepa_debit"]


@pytest.mark.parametrize(
    ("page", "method_type", "message"),
    [
        (
            {"allowed": ("card", "ach"), "currency": "EUR"},
            "sepa_debit",
            "sepa_debit is not accepted on this page",
        ),
        (
            {"allowed": ("card", "sepa_debit"), "currency": "USD"},
            "sepa_debit",
            "sepa_debit is not accepted on this page",
        ),
        ({"allowed": ("sepa_debit",), "currency": "EUR"}, "card", "card is not accepted on this page"),
        (EUROS, "ach", "must be card or sepa_debit"),
        (EUROS, "ideal", "must be card or sepa_debit"),
    ],
)
def test_a_type_the_page_does_not_take_is_a_422_on_type_and_asks_stripe_nothing(
    stripe_gateway: StripeWorld, page: dict[str, Any], method_type: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        setup_intent_create(
            customer=buyer_customer(email="eva@example.com"), **page, method_type=method_type, at=T0
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [("type", message)]
    assert stripe_gateway.proxy.requests == []
