"""Payment use cases: saving a contact's payment method; a declined payment's error.

Only the gateway's id for a method and its display hints (brand, last4,
expiry) are stored; card and account numbers never reach Recurra (clients
send gateway tokens).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, RecurraError, ValidationFailed
from recurra.crm.models import Contact
from recurra.crm.selectors import contacts_with_email
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Customer, MethodDetails
from recurra.payments.models import PaymentMethod


def payment_method_add(*, contact: Contact, token: str, actor: Actor, at: datetime) -> PaymentMethod:
    """Tokenize ``token`` at the gateway, then save the method with a ``paymentmethod.created`` event.

    The gateway is called before our transaction opens; an unknown token is a
    422 on ``token`` and saves nothing.
    """
    gateway = get_gateway()
    details = gateway.tokenize(token, at=at, customer=customer_of(contact))
    return records.create(
        PaymentMethod,
        actor=actor,
        contact=contact,
        gateway=gateway.name,
        created_at=at,
        **method_columns(details),
    )


def customer_of(contact: Contact) -> Customer:
    """The gateway's view of ``contact``: whom its methods are saved for."""
    return Customer(contact_id=contact.pk, email=contact.email, name=contact.full_name)


def customer_by_email(*, email: str, name: str = "") -> Customer:
    """Whom a buyer known only by ``email`` saves methods for: the contact with that email (any
    case) when there is one, so one Customer stands for each contact."""
    contact = contacts_with_email(email).first()
    if contact is not None:
        return customer_of(contact)
    return Customer(contact_id=None, email=email, name=name.strip()[:200])


def method_columns(details: MethodDetails) -> dict[str, Any]:
    """A tokenized method's columns on ``PaymentMethod`` (its ids and display hints only)."""
    return {
        "gateway_method_id": details.gateway_method_id,
        "gateway_customer_id": details.customer_id,
        "type": details.type,
        "brand": details.brand,
        "last4": details.last4,
        "exp_month": details.exp_month,
        "exp_year": details.exp_year,
        "bank_name": details.bank_name,
        "mandate": details.mandate,
    }


class PaymentDeclined(ValidationFailed):
    """The gateway declined a checkout or pay-page payment: 422 on ``payment_method``; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        message = f"Your payment was declined: {reason}"
        super().__init__(f"payment_method: {message}", errors=[FieldError("payment_method", message)])


class PaymentNeedsAction(RecurraError):
    """An on-session payment waits for the buyer to authenticate it (3-D Secure) on the page.

    402 with ``client_secret`` (Stripe.js ``confirmCardPayment``); submitting the same attempt
    again once authenticated records the outcome. Nothing is charged twice.
    """

    status, slug, title = 402, "requires-action", "Authentication required"

    def __init__(self, client_secret: str) -> None:
        self.client_secret = client_secret
        super().__init__("Your bank asks you to confirm this payment.")

    def problem(self) -> dict[str, Any]:
        return {**super().problem(), "client_secret": self.client_secret}
