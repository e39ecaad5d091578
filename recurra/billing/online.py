"""Paying an open invoice online: the buyer on its public page, or a client through the API.

Rules of :func:`invoice_pay`:

- Only an open invoice with something due, of a subscription that accepts
  online payment, with no payment of it on its way, can be paid (409). An
  invoice without a subscription (or whose subscription was deleted) has no
  settings that accept online payment: 409 too.
- The method is a gateway ``token`` (a new method; unknown: a 422 on
  ``payment_method.token``) or ``payment_method``, a saved one of the
  invoice's contact (else a 422 on ``payment_method.id``), exactly one of
  the two; its type must be one the subscription allows (a 422 on
  ``payment_method``).
- An address the subscription collects is required: left out, a 422 on
  ``billing_address`` (``shipping_address``); given, a 422 on each missing
  part the checkout also requires (line 1, city, postal code, country).
  Addresses are stored before the charge, so a declined buyer's address is
  kept: the billing address on the invoice (and on the contact when the
  contact has none), the shipping address on the invoice.
- The amount due is charged through ``billing.retries.charge_invoices``
  (origin ``online``): racing the dunning job or a second tab, the invoice
  is charged once; the receipt and notices follow from the recorded answer.
- Declined: the failed payment stays recorded, then the checkout's
  ``PaymentDeclined`` (a 422 on ``payment_method`` with the gateway's
  reason) is raised. As for
  every failed charge, the invoice is then overdue and the subscription
  Unpaid until it is paid. No answer from the gateway: the payment stays
  ``pending`` for the reconciler to settle by its key, the subscription is
  not switched, and :class:`~recurra.core.errors.Unavailable` (503) is raised.
- ``save_payment_method`` (a 422 unless the subscription lets the buyer save
  one): when the charge is not declined (a bank debit still processing
  counts: it is authorised), the method becomes the subscription's, and a
  ``send_invoice`` subscription switches to ``charge_automatically`` (one
  ``subscription.collection_switched`` event, data before/after): its later
  invoices are charged, not emailed.
- A new method that is not kept (not saved, or declined) is detached right
  after its charge: the payment still names it (brand, last4), but it is
  never offered or charged again.
- The buyer is on the page, so the charge is made on session: a bank that
  wants them to authenticate it (3-D Secure) leaves the payment
  ``requires_action`` and raises ``PaymentNeedsAction`` (402, with the
  secret the page authenticates with). The same request again, once they
  have, records the answer as above (it charges nothing more); one they
  never finish is canceled and failed by the reconciler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from recurra.billing.charging import charge_pending
from recurra.billing.outcomes import Outcomes
from recurra.billing.retries import charge_invoices
from recurra.catalog.terms import CollectionMethod
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, Unavailable, ValidationFailed
from recurra.crm.models import REQUIRED_ADDRESS, Address, Contact
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.payments.models import IN_FLIGHT, Payment, PaymentMethod, PaymentOrigin, PaymentStatus
from recurra.payments.services import PaymentDeclined, PaymentNeedsAction, payment_method_add
from recurra.subscriptions.lifecycle import TERMINAL
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import billing_address_columns, payment_method_errors

METHOD = "payment_method"


@dataclass(frozen=True, slots=True)
class OnlineTerms:
    """How an invoice may be paid online: its subscription's settings."""

    subscription: Subscription
    allowed: tuple[str, ...]
    collect_billing_address: bool
    collect_shipping_address: bool
    can_save: bool


def online_terms(invoice: Invoice) -> OnlineTerms | None:
    """The terms of paying ``invoice`` online; None when it is not a subscription's that accepts it."""
    sub = Subscription.objects.filter(pk=invoice.subscription_id).first() if invoice.subscription_id else None
    if sub is None or not sub.accept_online_payment:
        return None
    return OnlineTerms(
        subscription=sub,
        allowed=tuple(sub.allowed_payment_methods),
        collect_billing_address=sub.collect_billing_address,
        collect_shipping_address=sub.collect_shipping_address,
        can_save=sub.save_payment_method and sub.status not in TERMINAL,
    )


def payment_on_its_way(invoice: Invoice) -> Payment | None:
    """The invoice's payment still waiting for its outcome (a bank debit processing), if any."""
    return invoice.payments.filter(status__in=IN_FLIGHT).order_by("-created_at", "-pk").first()


def buyer(invoice: Invoice) -> Actor:
    """Who pays on the public page: the buyer, known only by the invoice's link (events name it)."""
    return Actor("system", invoice.pk, "Buyer (invoice payment page)")


def invoice_pay(
    *,
    invoice: Invoice,
    token: str | None = None,
    payment_method: PaymentMethod | None = None,
    billing_address: Mapping[str, Any] | None = None,
    shipping_address: Mapping[str, Any] | None = None,
    save_payment_method: bool = False,
    actor: Actor,
    at: datetime,
) -> Payment:
    """Charge everything ``invoice`` owes to a new or saved method (see the module's rules).

    Returns the payment, ``succeeded`` or still on its way (``processing``; ``pending`` when
    the gateway did not answer and the reconciler will ask it later).
    """
    invoice = Invoice.objects.select_related("contact").get(pk=invoice.pk)
    awaiting = _awaiting_buyer(invoice)
    if awaiting is not None:  # authenticated (or not) on the page since: ask again, with the same key
        method = awaiting.payment_method
        assert method is not None, "an online payment always has its method"
        terms = online_terms(invoice)
        keep = save_payment_method and terms is not None and terms.can_save
        new = terms is None or method.pk != terms.subscription.payment_method_id
        charged = charge_pending([awaiting], at=at)
        payment = Payment.objects.get(pk=awaiting.pk)
        return _answered(payment, charged, method, terms, new=new, keep=keep, actor=actor, at=at)
    terms = _payable(invoice)
    errors: list[FieldError] = []
    if (token is None) == (payment_method is None):
        errors.append(FieldError(METHOD, "give either a token or the id of a saved payment method"))
    elif payment_method is not None:
        errors.extend(_saved_method_errors(payment_method, invoice.contact, terms.allowed))
    if save_payment_method and not terms.can_save:
        errors.append(FieldError("save_payment_method", "this subscription does not let the buyer save one"))
    billing = _address("billing_address", billing_address, terms.collect_billing_address, errors)
    shipping = _address("shipping_address", shipping_address, terms.collect_shipping_address, errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)

    with transaction.atomic():
        method = payment_method or _new_method(invoice, token or "", terms, actor=actor, at=at)
        _store_addresses(invoice, billing, shipping, actor=actor)
    new = payment_method is None
    try:
        payment, charged = _charge(invoice, method, actor=actor, at=at)
    except Conflict:
        if new:
            records.update(method, actor=actor, verb="detached", detached_at=at)
        raise
    return _answered(payment, charged, method, terms, new=new, keep=save_payment_method, actor=actor, at=at)


def _awaiting_buyer(invoice: Invoice) -> Payment | None:
    """The invoice's payment made on its page that waits for the buyer to authenticate it."""
    waiting = invoice.payments.filter(status=PaymentStatus.REQUIRES_ACTION, origin=PaymentOrigin.ONLINE)
    return waiting.select_related("payment_method").first()


def _answered(
    payment: Payment,
    charged: Outcomes,
    method: PaymentMethod,
    terms: OnlineTerms | None,
    *,
    new: bool,
    keep: bool,
    actor: Actor,
    at: datetime,
) -> Payment:
    """What the buyer is told of their payment, and whether the method stays (the module's rules)."""
    if payment.status == PaymentStatus.REQUIRES_ACTION:  # the method stays until it is answered
        raise PaymentNeedsAction(charged.actions.get(payment.pk, ""))
    declined = payment.status == PaymentStatus.FAILED
    if payment.status == PaymentStatus.PENDING:  # the gateway did not answer
        if new and not keep:
            records.update(method, actor=actor, verb="detached", detached_at=at)
        raise Unavailable(
            f"the payment processor did not answer; payment {payment.pk} is recorded once it does "
            "(it is never charged twice)"
        )
    if keep and not declined and terms is not None:
        _make_subscriptions(terms.subscription, method, actor=actor)
    elif new:  # a new method nobody asked to keep (or that was declined)
        records.update(method, actor=actor, verb="detached", detached_at=at)
    if declined:
        raise PaymentDeclined(payment.failure_message or gettext_noop("no reason was given"))
    return payment


def _payable(invoice: Invoice) -> OnlineTerms:
    name = invoice.number or invoice.pk
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
        raise Conflict(f"invoice {name} has nothing left to pay")
    terms = online_terms(invoice)
    if terms is None:
        raise Conflict(f"invoice {name} cannot be paid online")
    if payment_on_its_way(invoice) is not None:
        raise Conflict("a payment of this invoice is on its way: wait for its answer")
    return terms


def _address(
    field: str, given: Mapping[str, Any] | None, collected: bool, errors: list[FieldError]
) -> dict[str, str] | None:
    """The address's parts, checked as a subscription's billing address is; None when none is given."""
    if given is None:
        if collected:
            errors.append(FieldError(field, "is required"))
        return None
    found: list[FieldError] = []
    # the contact stands in only for a missing address
    columns = billing_address_columns(given, Contact(), found)
    errors.extend(FieldError(field + e.field.removeprefix("billing_address"), e.message) for e in found)
    parts = {part: columns[Address.column(part)] for part in Address.ADDRESS_FIELDS}
    if collected:
        errors.extend(
            FieldError(f"{field}.{part}", "is required") for part in REQUIRED_ADDRESS if not parts[part]
        )
    return parts if any(parts.values()) else None


def _saved_method_errors(
    method: PaymentMethod, contact: Contact, allowed: tuple[str, ...]
) -> list[FieldError]:
    """A saved method must be the contact's and not removed (``.id``), of an allowed type."""
    return [
        FieldError(METHOD if method.type not in allowed else f"{METHOD}.id", e.message)
        for e in payment_method_errors(method, contact, list(allowed))
    ]


def _new_method(
    invoice: Invoice, token: str, terms: OnlineTerms, *, actor: Actor, at: datetime
) -> PaymentMethod:
    """Tokenize and save ``token`` for the contact (inside the caller's transaction: a 422 keeps nothing)."""
    try:
        method = payment_method_add(contact=invoice.contact, token=token, actor=actor, at=at)
    except ValidationFailed as exc:
        moved = [FieldError(f"{METHOD}.token", e.message) for e in exc.errors]
        raise ValidationFailed(exc.detail, errors=moved) from exc
    if method.type not in terms.allowed:
        names = " or ".join(terms.allowed) or "none"
        raise ValidationFailed.field(METHOD, f"a {method.type} payment method is not accepted here ({names})")
    return method


def _store_addresses(
    invoice: Invoice, billing: dict[str, str] | None, shipping: dict[str, str] | None, *, actor: Actor
) -> None:
    """Under the invoice's lock (the charge's outcome may be recorded at the same time)."""
    given = {"billing_address": billing, "shipping_address": shipping}
    changes: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    if not changes:
        return
    locked = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    records.update(locked, actor=actor, **changes)
    if billing is None:
        return
    contact = Contact.objects.select_for_update().get(pk=invoice.contact_id)
    if not any(contact.address.values()):
        records.update(contact, actor=actor, **{Address.column(p): v for p, v in billing.items()})


def _charge(
    invoice: Invoice, method: PaymentMethod, *, actor: Actor, at: datetime
) -> tuple[Payment, Outcomes]:
    """The attempt this call made (outside any transaction) and its answers; 409 when another
    caller's came first."""
    earlier = set(invoice.payments.values_list("pk", flat=True))
    charged = charge_invoices([invoice.pk], origin=PaymentOrigin.ONLINE, actor=actor, at=at, method=method)
    made = (
        invoice.payments.filter(origin=PaymentOrigin.ONLINE, payment_method=method)
        .exclude(pk__in=earlier)
        .order_by("-created_at", "-pk")
        .first()
    )
    if made is None:
        raise Conflict("this invoice was paid meanwhile, or another payment of it is on its way")
    return made, charged


def _make_subscriptions(sub: Subscription, method: PaymentMethod, *, actor: Actor) -> None:
    """``method`` becomes the subscription's; a ``send_invoice`` one now charges it automatically."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=sub.pk)
        if locked.status in TERMINAL:  # ended meanwhile: nothing to charge later
            return
        if locked.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY:
            records.update(locked, actor=actor, payment_method=method)
            return
        records.update(
            locked,
            actor=actor,
            verb="collection_switched",
            payment_method=method,
            collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
        )
