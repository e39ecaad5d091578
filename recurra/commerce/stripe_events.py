"""Processing Stripe's events, each in the job its delivery queued (``payments.stripe_events``).

One handler per event type (:data:`HANDLERS`). Every handler records through
the one path Recurra already has for that change, so a duplicate, a late
event or two events racing change nothing twice:

- ``payment_intent.succeeded | processing | payment_failed``: the intent as a
  port ``Charge`` (``stripe_outcomes.charge_of``), recorded by
  ``billing.outcomes.record_charges`` for the Recurra payment it belongs to
  (by the intent's id, else its ``recurra_key``), which touches only payments
  still waiting for their outcome; or by ``commerce.checkout.purchase_settle``
  for a purchase still pending. ``payment_intent.requires_action`` records
  nothing: on session the buyer's page completes the payment; off session
  the charge's own answer (or the reconciler's look-up) cancels the intent
  before the failure is recorded, so it cannot succeed later unseen.
- ``charge.refunded``: Recurra's refunds still pending are completed
  (``payments.refunds.refund_record``); refunds made in Stripe's Dashboard are
  recorded as succeeded refunds (``refund_record_outside``).
- ``charge.dispute.*``: the payment's dispute (``payments.disputes``), with
  a notice to the super admins when a dispute opens and when it closes.
- ``setup_intent.succeeded``: a method saved for a contact named in its
  ``recurra_contact`` metadata (``payments.services.payment_method_add``).
- ``payment_method.updated | automatically_updated | detached``: the saved
  method's display hints, or its ``detached_at``; a late update changes nothing.

Any other type is stored and marked ``ignored``. A handler whose news
depends on something not yet known (no answer from Stripe, a dispute or a
refund before the payment's own outcome) fails its job, which runs again with backoff; the
domain refusing (a mismatch) marks the event ``failed`` with the reason, for
Settings → Payments to show, and is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q

from recurra.accounts.selectors import account_settings, admin_recipients
from recurra.billing.outcomes import record_charges
from recurra.commerce.checkout import purchase_settle
from recurra.commerce.models import Purchase, PurchaseStatus
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, RecurraError, Unavailable
from recurra.crm.models import Contact
from recurra.jobs.runner import job_handler
from recurra.notifications.services import emails_queue
from recurra.payments.disputes import UNSETTLED, OutcomeNotYetKnown, payment_dispute_update
from recurra.payments.gateways.base import Charge, ChargeStatus, GatewayError
from recurra.payments.gateways.base import Refund as GatewayRefund
from recurra.payments.gateways.stripe import KEY_METADATA, method_details
from recurra.payments.gateways.stripe_amounts import from_stripe
from recurra.payments.gateways.stripe_outcomes import charge_of
from recurra.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    StripeEvent,
    StripeEventOutcome,
)
from recurra.payments.refunds import refund_record, refund_record_outside
from recurra.payments.services import PaymentDeclined, payment_method_add
from recurra.payments.stripe_events import JOB, newer_event_done, refunds_of_charge, stripe_event_finish
from recurra.subscriptions import notices
from recurra.subscriptions.models import Subscription

log = logging.getLogger(__name__)

STRIPE = Actor("system", "stripe", "Stripe")  # who made the changes an event records
GATEWAY = "stripe"
RETRY_LATER = (GatewayError, Unavailable, OutcomeNotYetKnown)
METHOD_EVENTS = ("payment_method.updated", "payment_method.automatically_updated")
DONE = (StripeEventOutcome.PROCESSED, StripeEventOutcome.IGNORED)


@dataclass(frozen=True, slots=True)
class Done:
    outcome: str
    detail: str


def processed(detail: str) -> Done:
    return Done(StripeEventOutcome.PROCESSED, detail)


def ignored(detail: str) -> Done:
    return Done(StripeEventOutcome.IGNORED, detail)


Handler = Callable[[Mapping[str, Any], StripeEvent, datetime], Done]


@job_handler(JOB)
def _process_job(payload: dict[str, Any], *, at: datetime) -> None:
    stripe_event_process(event_id=payload["event_id"], at=at)


def stripe_event_process(*, event_id: str, at: datetime) -> StripeEvent:
    """Process a stored event once (see the module's rules); the event with its outcome.

    Raises what should make its job run again later (no answer from Stripe, news that waits for
    other news, an unexpected error), after marking the event ``failed`` with it.
    """
    event = StripeEvent.objects.get(pk=event_id)
    if event.outcome in DONE:
        return event
    handler = HANDLERS.get(event.type)
    if handler is None:
        stripe_event_finish(event=event, outcome=StripeEventOutcome.IGNORED, detail="not used", at=at)
        return event
    try:
        done = handler(event.payload["data"]["object"], event, at)
    except RETRY_LATER as exc:
        stripe_event_finish(
            event=event, outcome=StripeEventOutcome.FAILED, detail=f"{exc} (again later)", at=at
        )
        raise
    except RecurraError as exc:
        log.error("Stripe event %s (%s) refused: %s", event.pk, event.type, exc)
        stripe_event_finish(event=event, outcome=StripeEventOutcome.FAILED, detail=str(exc), at=at)
        return event
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        stripe_event_finish(event=event, outcome=StripeEventOutcome.FAILED, detail=detail, at=at)
        raise
    stripe_event_finish(event=event, outcome=done.outcome, detail=done.detail, at=at)
    return event


# -- payment intents ------------------------------------------------------------------------------


def _payment_of(intent_id: str, key: str = "") -> Payment | None:
    """The Recurra payment of a PaymentIntent: by the intent's id stored on it, else by its key."""
    match = Q(gateway_charge_id=intent_id) if intent_id else Q(pk=None)
    if key:
        match |= Q(idempotency_key=key)
    return Payment.objects.filter(match, gateway=GATEWAY).order_by("pk").first()


def _intent(intent: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    intent_id = str(intent["id"])
    key = str((intent.get("metadata") or {}).get(KEY_METADATA) or "")
    payment = _payment_of(intent_id, key)
    if payment is not None:
        return _intent_of_payment(payment, intent, at)
    match = Q(gateway_charge_id=intent_id) | (Q(idempotency_key=key) if key else Q(pk=None))
    purchase = Purchase.objects.filter(match, gateway=GATEWAY, status=PurchaseStatus.PENDING).first()
    if purchase is not None:
        return _intent_of_purchase(purchase, intent, at)
    return ignored(f"no Recurra payment or pending purchase has {intent_id}")


def _waits_for_buyer(intent: Mapping[str, Any]) -> bool:
    return str(intent["status"]) == "requires_action"


def _charge(
    intent: Mapping[str, Any], *, key: str, method_type: str, amount: int, currency: str
) -> Charge | None:
    """The intent as a charge of ``amount`` ``currency`` (another amount is a 409: not ours to record)."""
    charge = charge_of(intent, key=key, method_type=method_type, on_session=True)
    if charge is not None and (charge.amount, charge.currency) != (amount, currency):
        raise Conflict(
            f"{charge.charge_id} is {charge.amount} {charge.currency}, but {key} is {amount} {currency}"
        )
    return charge


def _stored_elsewhere(stored: str, intent: Mapping[str, Any], what: str) -> None:
    """An intent of the right key that is not the one stored before confirming was never confirmed
    by Recurra (see ``payments.gateways.stripe``): its news is not this payment's."""
    if stored and stored != intent["id"]:
        raise Conflict(f"{intent['id']} is not the PaymentIntent of {what} ({stored})")


def _news_for(record: Payment | Purchase, intent: Mapping[str, Any], what: str) -> Charge | Done:
    """The intent's news for ``record`` (a payment, or a pending purchase) as the charge to record,
    or why there is nothing to record."""
    _stored_elsewhere(record.gateway_charge_id, intent, what)
    if _waits_for_buyer(intent):
        return processed(f"{what} waits for the buyer's authentication: nothing to record")
    charge = _charge(
        intent,
        key=record.idempotency_key,
        method_type=record.method_type,
        amount=record.amount,
        currency=record.currency,
    )
    if charge is None:
        return processed(f"{intent['id']} is not confirmed: nothing to record")
    return charge


def _intent_of_payment(payment: Payment, intent: Mapping[str, Any], at: datetime) -> Done:
    charge = _news_for(payment, intent, f"payment {payment.pk}")
    if not isinstance(charge, Charge):
        return charge
    outcome = record_charges([(payment.pk, charge)], at=at, actor=STRIPE)
    if payment.pk in outcome.by_payment:
        return processed(f"payment {payment.pk} {outcome.by_payment[payment.pk]}")
    now = Payment.objects.get(pk=payment.pk).status
    if charge.status == ChargeStatus.SUCCEEDED and now == PaymentStatus.FAILED:
        raise Conflict(
            f"Stripe says {charge.charge_id} succeeded, but payment {payment.pk} is recorded failed"
        )
    return processed(f"payment {payment.pk} is {now} already: nothing changed")


def _intent_of_purchase(purchase: Purchase, intent: Mapping[str, Any], at: datetime) -> Done:
    charge = _news_for(purchase, intent, f"purchase {purchase.pk}")
    if not isinstance(charge, Charge):
        return charge
    try:
        result = purchase_settle(purchase, charge, at=at)
    except PaymentDeclined:
        return processed(f"purchase {purchase.pk} declined")
    payment = result.payment
    return processed(
        f"purchase {purchase.pk} {result.purchase.status}"
        + (f"; payment {payment.pk} {payment.status}" if payment else "")
    )


# -- refunds --------------------------------------------------------------------------------------


def _charge_refunded(charge: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    intent_id = str(charge.get("payment_intent") or "")
    payment = _payment_of(intent_id) if intent_id else None
    if payment is None:
        return ignored(f"no Recurra payment has {intent_id or charge.get('id')}")
    if payment.status in UNSETTLED:  # its charge's own news is late: refunds wait for it
        raise OutcomeNotYetKnown(
            f"payment {payment.pk} is {payment.status}: its refunds wait for its outcome"
        )
    currency = str(charge["currency"]).upper()
    done, refused = [], []
    refunds = [r for r in refunds_of_charge(charge) if r.get("status") in ("succeeded", "pending")]
    # Recurra's own first (they hold reservations), then those made in the Dashboard.
    refunds.sort(key=lambda r: not (r.get("metadata") or {}).get(KEY_METADATA))
    for made in refunds:
        refund_id, amount = str(made["id"]), from_stripe(int(made["amount"]), currency)
        key = str((made.get("metadata") or {}).get(KEY_METADATA) or "")
        ours = Refund.objects.filter(
            Q(gateway_refund_id=refund_id) | (Q(idempotency_key=key) if key else Q(pk=None)), payment=payment
        ).first()
        if ours is not None:
            if ours.status == Refund.Status.PENDING:
                answer = GatewayRefund(
                    refund_id=refund_id, charge_id=intent_id, amount=amount, status="succeeded"
                )
                done.append(refund_record(refund=ours, answer=answer, actor=STRIPE).pk)
            continue
        outside = refund_record_outside(
            payment=payment, gateway_refund_id=refund_id, amount=amount, actor=STRIPE, at=at
        )
        if outside is None:
            refused.append(refund_id)
        else:
            done.append(outside.pk)
    if refused:
        raise Conflict(f"payment {payment.pk} cannot take {', '.join(refused)}: it has less left to refund")
    if not done:
        return processed(f"payment {payment.pk}: its refunds are recorded already")
    return processed(f"payment {payment.pk}: refunds {', '.join(done)} recorded")


# -- disputes -------------------------------------------------------------------------------------


def _dispute(dispute: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    intent_id = str(dispute.get("payment_intent") or "")
    payment = _payment_of(intent_id) if intent_id else None
    if payment is None:
        return ignored(f"no Recurra payment has {intent_id or dispute.get('charge')}")
    with transaction.atomic():
        change = payment_dispute_update(
            payment=payment, dispute_status=str(dispute["status"]), actor=STRIPE, at=at
        )
        if change is None:
            return processed(f"payment {payment.pk}: dispute {dispute['status']} is no news")
        account = account_settings()
        if change.stage != "updated":
            currency = str(dispute["currency"]).upper()
            news = notices.DisputeNews(
                dispute_id=str(dispute["id"]),
                outcome=change.stage,
                amount=from_stripe(int(dispute["amount"]), currency),
                reason=str(dispute.get("reason") or ""),
                respond_by=_due(dispute, account.timezone),
            )
            paid = change.payment
            sub = Subscription.objects.filter(pk=paid.subscription_id).select_related("contact").first()
            recipients = admin_recipients() if account.admin_notifications_enabled else []
            drafts = notices.admin_dispute_notices(sub, paid.invoice, paid, account, recipients, dispute=news)
            emails_queue(drafts, at=at)
    return processed(
        f"payment {payment.pk} {change.payment.status} (dispute {change.payment.dispute_status})"
    )


def _due(dispute: Mapping[str, Any], zone: str) -> date | None:
    """The last day (in the account's zone) to answer a dispute with evidence, if Stripe says."""
    due = (dispute.get("evidence_details") or {}).get("due_by")
    if not isinstance(due, int) or dispute.get("status") not in ("needs_response", "warning_needs_response"):
        return None
    return datetime.fromtimestamp(due, tz=UTC).astimezone(ZoneInfo(zone)).date()


# -- payment methods ------------------------------------------------------------------------------


def _setup_intent(intent: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    contact_id = str((intent.get("metadata") or {}).get("recurra_contact") or "")
    method = intent.get("payment_method")
    method_id = str(method.get("id") if isinstance(method, Mapping) else method or "")
    if not contact_id or not method_id:
        return ignored("not made for a Recurra contact")
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return ignored(f"no contact {contact_id}")
    saved = PaymentMethod.objects.filter(gateway=GATEWAY, gateway_method_id=method_id).first()
    if saved is not None:
        return processed(f"payment method {saved.pk} was saved already")
    try:
        saved = payment_method_add(contact=contact, token=method_id, actor=STRIPE, at=at)
    except IntegrityError:  # the buyer's page saved it meanwhile
        return processed(f"{method_id} was saved already")
    return processed(f"payment method {saved.pk} saved for {contact.pk}")


def _method_updated(method: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    saved = PaymentMethod.objects.filter(gateway=GATEWAY, gateway_method_id=str(method["id"])).first()
    if saved is None:
        return ignored(f"no saved payment method is {method['id']}")
    if saved.detached_at is not None:
        return processed(f"payment method {saved.pk} is detached: left as it is")
    if newer_event_done(event, types=METHOD_EVENTS):
        return processed(f"payment method {saved.pk}: a newer update was recorded first")
    details = method_details(method, customer_id=saved.gateway_customer_id)
    hints: dict[str, Any] = {
        "brand": details.brand,
        "last4": details.last4,
        "exp_month": details.exp_month,
        "exp_year": details.exp_year,
        "bank_name": details.bank_name,
    }
    changed: dict[str, Any] = {k: v for k, v in hints.items() if getattr(saved, k) != v}
    if not changed:
        return processed(f"payment method {saved.pk}: nothing changed")
    records.update(saved, actor=STRIPE, **changed, updated_at=at)
    return processed(f"payment method {saved.pk}: {', '.join(sorted(changed))} updated")


def _method_detached(method: Mapping[str, Any], event: StripeEvent, at: datetime) -> Done:
    saved = PaymentMethod.objects.filter(gateway=GATEWAY, gateway_method_id=str(method["id"])).first()
    if saved is None:
        return ignored(f"no saved payment method is {method['id']}")
    if saved.detached_at is not None:
        return processed(f"payment method {saved.pk} was detached already")
    records.update(saved, actor=STRIPE, verb="detached", detached_at=at, updated_at=at)
    return processed(f"payment method {saved.pk} detached")


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _intent,
    "payment_intent.processing": _intent,
    "payment_intent.payment_failed": _intent,
    "payment_intent.requires_action": _intent,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
    "setup_intent.succeeded": _setup_intent,
    "payment_method.updated": _method_updated,
    "payment_method.automatically_updated": _method_updated,
    "payment_method.detached": _method_detached,
}
EVENT_TYPES = tuple(HANDLERS)  # what to select when registering the endpoint at Stripe
