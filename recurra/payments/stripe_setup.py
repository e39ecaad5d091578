"""SetupIntents for the buyer's pages: Stripe.js saves a card or a bank account without either ever
reaching Recurra.

A buyer page (checkout, quote, invoice, update link) asks for one just
before Stripe.js confirms the card typed into Stripe's Card Element
(``confirmCardSetup``) or the IBAN typed into the page (``confirmSepaDebitSetup``);
the ``pm_…`` it yields is then posted with the form as any gateway token is
(``tokenize`` attaches it; PCI SAQ A).

Rules:

- Only on the Stripe gateway (else a 409: the sandbox takes its test tokens).
- Of one type, ``card`` (the default) or ``sepa_debit``, that the page takes
  (``page_method_types``: cards where the page allows them; SEPA Direct Debit
  where it allows them and its currency is the euro); any other is a 422 on
  ``type`` and asks Stripe nothing.
- ``usage=off_session``: the saved card is charged later without the buyer.
- It belongs to the Stripe Customer of whom the page is for
  (``stripe.customer_id_for``), so the method lands on the same Customer
  that ``tokenize`` attaches to: a page of a known contact (an invoice, an
  update link) names its contact; a checkout names the buyer's email, and
  the contact with that email (any case) when there is one, as the
  checkout's completion finds it (``metadata.recurra_contact`` then).
- The email is checked first: a bad one is a 422 on ``email`` and asks
  Stripe nothing. No answer from Stripe is a 503; a refusal a 409.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from recurra.core.errors import Conflict, Unavailable, ValidationFailed
from recurra.payments.gateways.base import Customer, GatewayError
from recurra.payments.gateways.stripe import customer_id_for
from recurra.payments.gateways.stripe_client import answered, client, refusal
from recurra.payments.models import MethodType
from recurra.payments.services import customer_by_email

SETUP_TYPES: tuple[str, ...] = (str(MethodType.CARD), str(MethodType.SEPA_DEBIT))
SEPA_CURRENCY = "EUR"


@dataclass(frozen=True, slots=True)
class SetupStarted:
    """What the page's Stripe.js needs: the SetupIntent's client secret (and, for the record, its ids)."""

    client_secret: str
    setup_intent_id: str
    customer_id: str


def buyer_customer(*, email: str, name: str = "") -> Customer:
    """The Stripe customer of a buyer known by ``email``: its contact's when one has that email
    (as the checkout's ``tokenize`` has it). A 422 on ``email`` when it is not a valid address.

    A known contact's (an invoice's, a subscription's): ``payments.services.customer_of``.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed.field("email", "is not a valid email address") from None
    return customer_by_email(email=email, name=name)


def page_method_types(*, allowed: Iterable[str], currency: str) -> tuple[str, ...]:
    """The method types a buyer page takes through Stripe.js, cards first: cards where ``allowed``,
    SEPA Direct Debit where ``allowed`` and the page's ``currency`` is the euro (ACH: not yet).

    >>> page_method_types(allowed=["card", "ach", "sepa_debit"], currency="EUR")
    ('card', 'sepa_debit')
    >>> page_method_types(allowed=["sepa_debit", "card"], currency="USD")
    ('card',)
    >>> page_method_types(allowed=["sepa_debit"], currency="eur")
    ('sepa_debit',)
    >>> page_method_types(allowed=["ach"], currency="USD")
    ()
    """
    chosen = set(allowed)
    return tuple(
        kind
        for kind in SETUP_TYPES
        if kind in chosen and (kind != "sepa_debit" or currency.upper() == SEPA_CURRENCY)
    )


def setup_intent_create(
    *,
    customer: Customer,
    allowed: Iterable[str],
    currency: str,
    at: datetime,
    method_type: str = "card",
) -> SetupStarted:
    """A SetupIntent (``usage=off_session``) of ``method_type`` for ``customer``'s Stripe Customer, on a
    page that ``allowed`` those types in ``currency`` (module rules)."""
    if settings.RECURRA_GATEWAY != "stripe":
        raise Conflict("cards are saved through Stripe.js only when Stripe is the payment processor")
    if method_type not in SETUP_TYPES:
        raise ValidationFailed.field("type", "must be card or sepa_debit")
    if method_type not in page_method_types(allowed=allowed, currency=currency):
        raise ValidationFailed.field("type", f"{method_type} is not accepted on this page")
    params: Any = {
        "usage": "off_session",
        "payment_method_types": [method_type],
        "metadata": {"recurra_contact": customer.contact_id} if customer.contact_id else {},
    }
    try:
        with answered():
            try:
                params["customer"] = customer_id_for(customer, at=at)
                intent = client().v1.setup_intents.create(params=params).to_dict()
            except stripe.InvalidRequestError as exc:
                raise refusal(exc) from exc
    except GatewayError as exc:
        raise Unavailable(f"the payment processor did not answer; nothing was saved ({exc})") from exc
    return SetupStarted(
        client_secret=str(intent["client_secret"]),
        setup_intent_id=str(intent["id"]),
        customer_id=str(params["customer"]),
    )
