"""The checkout: a buyer pays a payment link (or a payable quote) and their subscriptions begin.

In order, so that a cent is never lost nor charged twice:

1. Everything is checked first: the source is selling, the buyer's email
   and (when collected) addresses, the payment method (known to the
   gateway, of an allowed type). Nothing is written on a 422.
2. A ``pending`` :class:`Purchase` is committed with the charge's
   idempotency key (``purchase/<source>/<attempt>``: the page's attempt id,
   so a double submit is one charge).
3. Outside any transaction the gateway charges what is due today
   (``commerce.plan``), on session (the buyer is there); a gateway that
   prepares a charge first (Stripe) has its reference stored on the purchase
   before it confirms. A bank asking the buyer to authenticate it: 402
   (``PaymentNeedsAction``), the purchase stays pending, and the same attempt
   again after the buyer has authenticated records the answer. No answer:
   the gateway is asked again at once, a look-up by key, else the same
   charge with the same key. Still none: the purchase stays pending and
   ``commerce.reconcile`` settles it by key. Declined: the purchase is
   marked ``declined`` and nothing else exists; the buyer is told why.
4. Succeeded, or ``processing`` (a bank debit, authorised but not settled):
   one transaction finds the contact by email or creates it, saves the
   method, creates one subscription per group of recurring items (tied to
   the contact, its company, the link's deal and the purchase), the invoice
   of today's charge and its pending payment. Then the answer is recorded
   like any charge's (``billing.outcomes``): receipt, merchant notice, and
   each subscription's first payment counted (``billing.first_payments``).

A subscription that starts now is created with its first period billed (on
the checkout's invoice); one that starts later is ``scheduled`` and its
first payment is the billing run's, on its start date. Checkouts never
create deals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing.charging import lease_until_ms
from recurra.billing.outcomes import record_charges
from recurra.billing.run import next_payment_date_after
from recurra.catalog import schedule
from recurra.catalog.line_items import BillingStart, stored_input
from recurra.catalog.terms import BillingStartType, CollectionMethod, PaymentTerms
from recurra.commerce.models import PaymentLink, Purchase, PurchaseStatus, Quote
from recurra.commerce.plan import Plan, plan
from recurra.core import events, ids, records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, NotFound, Unavailable, ValidationFailed
from recurra.crm.models import REQUIRED_ADDRESS, Address, Contact
from recurra.crm.selectors import contacts_with_email
from recurra.invoicing.models import Invoice
from recurra.invoicing.one_off import Billed, invoice_build, invoice_save, line_source
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    Customer,
    GatewayError,
    prepared,
)
from recurra.payments.models import Payment, PaymentMethod, PaymentOrigin, PaymentStatus
from recurra.payments.services import PaymentDeclined, PaymentNeedsAction, customer_by_email
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import INVOICE_LANGUAGES, subscription_create

Source = PaymentLink | Quote


@dataclass(frozen=True)
class Buyer:
    email: str
    first_name: str = ""
    last_name: str = ""
    billing_address: Mapping[str, str] | None = None
    shipping_address: Mapping[str, str] | None = None


@dataclass
class CheckoutResult:
    purchase: Purchase
    contact: Contact | None = None
    invoice: Invoice | None = None
    payment: Payment | None = None
    subscriptions: list[Subscription] = field(default_factory=list)


def buyer_actor(purchase: Purchase) -> Actor:
    """Who acts in a checkout: the buyer, known only by their purchase (events name it)."""
    return Actor("system", purchase.pk, "Buyer (checkout)")


def source_of(purchase: Purchase) -> Source:
    return purchase.payment_link or purchase.quote  # type: ignore[return-value]


def purchase_language(purchase: Purchase, source: Source) -> str:
    """The language of what a purchase makes: the buyer's page's, else the quote's own, else (a
    payment link has none) the account's when invoices speak it, else English."""
    if purchase.language in INVOICE_LANGUAGES:
        return purchase.language
    if isinstance(source, Quote):
        return source.language
    default = account_settings().default_language
    return default if default in INVOICE_LANGUAGES else "en"


def selling(link: PaymentLink) -> None:
    """NotFound for a deleted link, Conflict for an inactive one: its page says which."""
    if link.deleted_at is not None:
        raise NotFound("this payment link has been deleted")
    if not link.active:
        raise Conflict("this payment link is not taking payments right now")


def _address(
    given: Mapping[str, str] | None, name: str, required: bool, errors: list[FieldError]
) -> dict[str, str]:
    values = {part: (given or {}).get(part) or "" for part in Address.ADDRESS_FIELDS}
    values = {part: value.strip() for part, value in values.items()}
    unknown = sorted(set(given or {}) - set(Address.ADDRESS_FIELDS))
    errors.extend(FieldError(f"{name}.{part}", "is not a known field") for part in unknown)
    if required:
        errors.extend(
            FieldError(f"{name}.{part}", "is required") for part in REQUIRED_ADDRESS if not values[part]
        )
    values["country"] = values["country"].upper()
    if values["country"] and (len(values["country"]) != 2 or not values["country"].isalpha()):
        errors.append(FieldError(f"{name}.country", "must be a two-letter ISO 3166 country code"))
    return values if any(values.values()) else {}


def _buyer_errors(source: Source, buyer: Buyer) -> tuple[Buyer, list[FieldError]]:
    errors: list[FieldError] = []
    email = (buyer.email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors.append(FieldError("email", "is not a valid email address"))
    cleaned = Buyer(
        email=email,
        first_name=(buyer.first_name or "").strip()[:100],
        last_name=(buyer.last_name or "").strip()[:100],
        billing_address=_address(
            buyer.billing_address, "billing_address", source.collect_billing_address, errors
        ),
        shipping_address=_address(
            buyer.shipping_address, "shipping_address", source.collect_shipping_address, errors
        ),
    )
    return cleaned, errors


def checkout_plan(source: Source, at: datetime) -> Plan:
    """What buying ``source`` at ``at`` charges today and starts (the account's date)."""
    return plan(list(source.line_items.all()), schedule.local_date(at, account_zone()))


def checkout(
    *,
    source: Source,
    buyer: Buyer,
    token: str,
    attempt: str | None = None,
    language: str | None = None,
    at: datetime,
) -> CheckoutResult:
    """Buy ``source`` for ``buyer`` with the method ``token`` stands for (see the module's steps).

    ``attempt``: the checkout page's id for this try; the same attempt again
    answers the first one's result (a completed purchase) and charges nothing.
    ``language``: the one the buyer's page was in: their invoice, subscriptions and emails speak
    it (one Recurra's invoices do not speak, or None: the source's, ``purchase_language``).
    """
    if isinstance(source, PaymentLink):
        selling(source)
    buyer, errors = _buyer_errors(source, buyer)
    bought = checkout_plan(source, at)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    if not bought.due_today:
        raise Conflict("nothing is due today, so this cannot be bought now")
    key = f"purchase/{source.pk}/{attempt or ids.new_id('att')}"
    existing = Purchase.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _again(existing, at)
    gateway = get_gateway()
    try:
        details = gateway.tokenize(token, at=at, customer=_customer(buyer))
    except ValidationFailed as exc:
        raise ValidationFailed.field(
            "payment_method.token", exc.errors[0].message if exc.errors else str(exc)
        ) from None
    if details.type not in source.allowed_payment_methods:
        accepted = " or ".join(source.allowed_payment_methods)
        raise ValidationFailed.field(
            "payment_method", f"{details.type} is not accepted here (only {accepted})"
        )
    purchase = Purchase(
        **{"payment_link" if isinstance(source, PaymentLink) else "quote": source},
        email=buyer.email,
        first_name=buyer.first_name,
        last_name=buyer.last_name,
        billing_address=buyer.billing_address or {},
        shipping_address=buyer.shipping_address or {},
        language=language if language in INVOICE_LANGUAGES else "",
        gateway=gateway.name,
        gateway_method_id=details.gateway_method_id,
        gateway_customer_id=details.customer_id,
        bank_name=details.bank_name,
        mandate=details.mandate,
        method_type=details.type,
        brand=details.brand,
        last4=details.last4,
        exp_month=details.exp_month,
        exp_year=details.exp_year,
        amount=bought.amount_today,
        currency=source.currency,
        idempotency_key=key,
        created_at=at,
    )
    try:
        with transaction.atomic():
            purchase.save(force_insert=True)
            events.record(
                type="purchase.started",
                obj=purchase,
                actor=buyer_actor(purchase),
                after=events.snapshot(purchase),
            )
    except IntegrityError:  # the same attempt, submitted twice at once: the first one answers
        return _again(Purchase.objects.get(idempotency_key=key), at)
    return charge_and_complete(purchase, at)


def _again(purchase: Purchase, at: datetime) -> CheckoutResult:
    if purchase.status == PurchaseStatus.DECLINED:
        raise _declined(purchase)
    if purchase.status == PurchaseStatus.PENDING:
        return charge_and_complete(purchase, at)
    return result_of(purchase)


def _declined(purchase: Purchase) -> PaymentDeclined:
    return PaymentDeclined(purchase.failure_message or gettext_noop("no reason was given"))


def _customer(buyer: Buyer) -> Customer:
    """Whom the gateway saves the method for (``payments.services.customer_by_email``)."""
    return customer_by_email(email=buyer.email, name=f"{buyer.first_name} {buyer.last_name}")


def charge_and_complete(purchase: Purchase, at: datetime) -> CheckoutResult:
    """Charge a pending purchase by its key (at most once at the gateway), then settle it.

    The buyer is on the page: a charge their bank wants them to authenticate raises
    :class:`PaymentNeedsAction` and leaves the purchase pending; the same attempt again
    (once authenticated) records the outcome.
    """
    request = ChargeRequest(
        idempotency_key=purchase.idempotency_key,
        amount=purchase.amount,
        currency=purchase.currency,
        method_id=purchase.gateway_method_id,
        description=source_of(purchase).name,
        method_type=purchase.method_type,
        customer_id=purchase.gateway_customer_id,
        reference=purchase.gateway_charge_id,
        metadata={"purchase": purchase.pk},
        on_session=True,
    )
    gateway = get_gateway()

    def store(reference: str) -> None:
        Purchase.objects.filter(pk=purchase.pk).update(gateway_charge_id=reference)
        purchase.gateway_charge_id = reference

    try:
        request = prepared(gateway, request, store=store, at=at)
        charge: Charge | None = gateway.charge(request, at=at)
    except GatewayError:
        charge = _ask_again(request, at)
    if charge is None:
        raise Unavailable(
            f"the payment processor did not answer; purchase {purchase.pk} is completed or "
            "cancelled automatically once it does (you are never charged twice)"
        )
    return purchase_settle(purchase, charge, at=at)


def _ask_again(request: ChargeRequest, at: datetime) -> Charge | None:
    """After a charge without an answer, while the buyer waits: look the key up at once (a lost
    reply is found), else charge once more with the same key (at most one charge per key);
    None while still unknown (``commerce.reconcile`` settles it later)."""
    gateway = get_gateway()
    try:
        found = gateway.lookup(request.idempotency_key, at=at, reference=request.reference)
        return found or gateway.charge(request, at=at)
    except GatewayError:
        return None


def purchase_settle(purchase: Purchase, charge: Charge, *, at: datetime) -> CheckoutResult:
    """Record the gateway's answer to a purchase's charge: declined, or the whole purchase
    (one still waiting for the buyer to authenticate: :class:`PaymentNeedsAction`)."""
    if charge.status == ChargeStatus.REQUIRES_ACTION:
        raise PaymentNeedsAction(charge.action_secret)
    if charge.status == ChargeStatus.FAILED:
        with transaction.atomic():
            locked = Purchase.objects.select_for_update().get(pk=purchase.pk)
            if locked.status == PurchaseStatus.PENDING:
                records.update(
                    locked,
                    actor=buyer_actor(locked),
                    verb="declined",
                    status=PurchaseStatus.DECLINED,
                    failure_code=charge.failure_code or "",
                    failure_message=charge.failure_message,
                )
        raise _declined(locked)
    done = _complete(purchase.pk, at)
    if done.payment is not None and done.payment.status == PaymentStatus.PENDING:
        record_charges([(done.payment.pk, charge)], at=at, actor=buyer_actor(done.purchase))
    return result_of(Purchase.objects.get(pk=purchase.pk))


def _complete(purchase_id: str, at: datetime) -> CheckoutResult:
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
        if purchase.status != PurchaseStatus.PENDING:
            return result_of(purchase)
        actor = buyer_actor(purchase)
        source = source_of(purchase)
        bought_at = purchase.created_at
        bought = checkout_plan(source, bought_at)
        contact = _contact(purchase, actor, at)
        method = _method(purchase, contact, actor, at)
        subs = [
            _subscription(purchase, source, contact, method, group, actor, bought_at)
            for group in bought.groups
        ]
        invoice = _invoice(purchase, source, contact, bought, subs, actor)
        if invoice.total != purchase.amount:
            raise Conflict(
                f"purchase {purchase.pk} charged {purchase.amount} but its items now come to {invoice.total}"
            )
        payment = records.create(
            Payment,
            actor=actor,
            invoice=invoice,
            subscription_id=invoice.subscription_id,  # one subscription's purchase: it owns the payment
            contact=contact,
            payment_method=method,
            amount=purchase.amount,
            currency=purchase.currency,
            method_type=purchase.method_type,
            status=PaymentStatus.PENDING,
            gateway=purchase.gateway,
            idempotency_key=purchase.idempotency_key,
            origin=PaymentOrigin.CHECKOUT,
            lease_until_ms=lease_until_ms(),
            created_at=at,
        )
        records.update(
            purchase,
            actor=actor,
            verb="completed",
            status=PurchaseStatus.COMPLETED,
            contact=contact,
            invoice=invoice,
            payment=payment,
            completed_at=at,
        )
    return CheckoutResult(purchase, contact, invoice, payment, subs)


def _contact(purchase: Purchase, actor: Actor, at: datetime) -> Contact:
    """The contact with the buyer's email (any case), else a new one with the buyer's details.

    An existing contact's blank names and address are filled in; nothing they have is overwritten.
    """
    address = {Address.column(part): value for part, value in purchase.billing_address.items()}
    contact = contacts_with_email(purchase.email).select_for_update().first()
    if contact is None:
        return records.create(
            Contact,
            actor=actor,
            unique_field="email",
            email=purchase.email,
            first_name=purchase.first_name,
            last_name=purchase.last_name,
            created_at=at,
            **address,
        )
    blanks = {"first_name": purchase.first_name, "last_name": purchase.last_name}
    if not any(contact.address.values()):
        blanks.update(address)
    changes = {name: value for name, value in blanks.items() if value and not getattr(contact, name)}
    return records.update(contact, actor=actor, **changes) if changes else contact


def _method(purchase: Purchase, contact: Contact, actor: Actor, at: datetime) -> PaymentMethod:
    """The checkout's method, saved on the contact; removed at once when the buyer's method is not
    to be kept (``save_payment_method`` off: it pays today only)."""
    keep = source_of(purchase).save_payment_method
    return records.create(
        PaymentMethod,
        actor=actor,
        contact=contact,
        gateway=purchase.gateway,
        gateway_method_id=purchase.gateway_method_id,
        gateway_customer_id=purchase.gateway_customer_id,
        bank_name=purchase.bank_name,
        mandate=purchase.mandate,
        type=purchase.method_type,
        brand=purchase.brand,
        last4=purchase.last4,
        exp_month=purchase.exp_month,
        exp_year=purchase.exp_year,
        detached_at=None if keep else at,
        created_at=at,
    )


def _subscription(
    purchase: Purchase,
    source: Source,
    contact: Contact,
    method: PaymentMethod,
    group: Any,
    actor: Actor,
    bought_at: datetime,
) -> Subscription:
    start: date = group.key.start_date
    pinned = BillingStart(type=BillingStartType.DATE, date=start)  # the start the plan settled on
    origin: dict[str, Any] = {"purchase": purchase}
    origin["payment_link" if isinstance(source, PaymentLink) else "quote"] = source
    sub = subscription_create(
        contact=contact,
        company=contact.company,
        deal=source.deal,
        origin=origin,
        line_items=[dataclasses.replace(stored_input(item), billing_start=pinned) for item in group.items],
        collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
        payment_method=method,
        payment_terms=PaymentTerms.DUE_ON_RECEIPT,
        billing_address=purchase.billing_address or None,
        allowed_payment_methods=source.allowed_payment_methods,
        collect_billing_address=source.collect_billing_address,
        collect_shipping_address=source.collect_shipping_address,
        save_payment_method=source.save_payment_method,
        invoice_settings={"language": purchase_language(purchase, source)},
        actor=actor,
        at=bought_at,
    )
    if start <= schedule.local_date(bought_at, account_zone()):  # its first period is paid today
        sub.periods_billed = 1
        sub.next_payment_date = next_payment_date_after(sub, 1)
        sub.save(update_fields=["periods_billed", "next_payment_date"])
    return sub


def _invoice(
    purchase: Purchase, source: Source, contact: Contact, bought: Plan, subs: list[Subscription], actor: Actor
) -> Invoice:
    billed = [Billed(line_source(item)) for item in bought.one_time]
    for sub in subs:
        if sub.periods_billed:
            first = schedule.period(sub.start_date, schedule.step_for(sub.billing_frequency), 0)
            billed.extend(
                Billed(line_source(item, line_item_id=item.pk), first.start, first.end, sub.pk)
                for item in sub.line_items.all()
            )
    invoice, lines = invoice_build(
        contact=contact,
        company=contact.company,
        currency=purchase.currency,
        billed=billed,
        collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
        payment_terms=PaymentTerms.DUE_ON_RECEIPT,
        issued_on=bought.purchased_on,
        name=source.name,
        language=purchase_language(purchase, source),
        billing_address=purchase.billing_address or None,
    )
    return invoice_save(invoice, lines, actor=actor)


def result_of(purchase: Purchase) -> CheckoutResult:
    """A purchase as the checkout answers it (a completed one with its contact, payment, subscriptions)."""
    if purchase.status == PurchaseStatus.DECLINED:
        raise _declined(purchase)
    return CheckoutResult(
        purchase=purchase,
        contact=purchase.contact,
        invoice=purchase.invoice,
        payment=Payment.objects.filter(pk=purchase.payment_id).first(),
        subscriptions=list(Subscription.objects.filter(purchase=purchase).order_by("pk")),
    )
