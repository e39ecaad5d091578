"""The Stripe gateway: Recurra keeps the schedule and charges saved methods through PaymentIntents.

Never a Stripe Subscription, Invoice or Price. For each payment:

1. :meth:`StripeGateway.prepare` creates its PaymentIntent unconfirmed
   (idempotency key ``<key>/create``); the caller stores the intent's id.
2. :meth:`StripeGateway.charge` confirms that stored intent, off session
   unless the buyer is on the page (idempotency key ``<key>/confirm``).
3. :meth:`StripeGateway.lookup` reads the stored intent back. An intent is
   only ever confirmed once its id is stored, so a payment without one has
   not been charged; an intent a crash orphaned is never confirmed and moves
   no money.

Stripe refusing to create an intent (its Customer or method gone) fails that
charge with Stripe's reason; it never stops the other charges of a batch.

Both keys derive from the payment's own key, so a retried attempt sends the
same keys and parameters. An intent left waiting for authentication is
canceled before Recurra records it failed, so it cannot succeed later unseen.
Refunds carry the refund's key as idempotency key and in their metadata, by
which a refund without an answer is found again.

Amounts convert through ``stripe_amounts``; outcomes through ``stripe_outcomes``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop as N_  # stored in English, shown translated

from recurra.core.errors import ValidationFailed
from recurra.payments.gateways.base import (
    Charge,
    ChargeRequest,
    Customer,
    GatewayError,
    MethodDetails,
    PaymentGateway,
    Refund,
)
from recurra.payments.gateways.models import StripeCustomer
from recurra.payments.gateways.stripe_amounts import from_stripe, to_stripe, unpayable_reason
from recurra.payments.gateways.stripe_client import answered, client, refusal
from recurra.payments.gateways.stripe_outcomes import (
    METHOD_TYPES,
    STRIPE_METHOD_TYPES,
    Attempt,
    charge_of,
)

log = logging.getLogger(__name__)

KEY_METADATA = "recurra_key"  # every PaymentIntent and Refund names the Recurra key it was made for
PROCESSING_POLL_BUSINESS_DAYS = 16  # bank debits still processing are looked up after this


class StripeGateway(PaymentGateway):
    name = "stripe"

    # -- methods -------------------------------------------------------------------------------

    def tokenize(self, token: str, *, at: datetime, customer: Customer | None = None) -> MethodDetails:
        """The PaymentMethod ``token`` (``pm_…``, made by Stripe.js), attached to ``customer``'s
        Stripe Customer. Stripe's refusal (an unknown id, a card declined on attaching, a method of
        another customer) is a 422 on ``token``; no answer is ``GatewayError``."""
        if not token.startswith("pm_"):
            raise ValidationFailed.field("token", "is not a Stripe payment method id (pm_…)")
        api = client()
        with answered():
            try:
                method = api.v1.payment_methods.retrieve(token).to_dict()
                customer_id = str(method.get("customer") or "")
                if customer is not None:
                    wanted = customer_id_for(customer, at=at)
                    if customer_id and customer_id != wanted:
                        raise ValidationFailed.field("token", "belongs to another customer")
                    if not customer_id:
                        method = api.v1.payment_methods.attach(token, params={"customer": wanted}).to_dict()
                        customer_id = wanted
            except stripe.CardError as exc:
                raise ValidationFailed.field(
                    "token", exc.user_message or N_("Your card was declined.")
                ) from exc
            except stripe.InvalidRequestError as exc:
                raise ValidationFailed.field(
                    "token", exc.user_message or N_("No such payment method.")
                ) from exc
        return method_details(method, customer_id=customer_id)

    # -- charges -------------------------------------------------------------------------------

    def prepare(self, requests: Sequence[ChargeRequest], *, at: datetime) -> list[ChargeRequest]:
        """Each request with its new, unconfirmed PaymentIntent as ``reference`` (one already
        prepared, or one Stripe would refuse, comes back as it is; one without an answer too, and
        :meth:`charge` then leaves its outcome unknown; one Stripe refuses too, and :meth:`charge`
        fails it)."""
        api = client()
        ready = []
        for request in requests:
            if request.reference or unpayable_reason(request.amount, request.currency):
                ready.append(request)
                continue
            try:
                intent = _create_intent(api, request)
            except (GatewayError, stripe.InvalidRequestError) as error:
                log.warning("Stripe: no PaymentIntent yet for %s: %s", request.idempotency_key, error)
                ready.append(request)
                continue
            ready.append(replace(request, reference=str(intent["id"])))
        return ready

    def charge(self, request: ChargeRequest, *, at: datetime) -> Charge:
        """Confirm the request's prepared PaymentIntent (see the module's steps)."""
        attempt = _attempt(request)
        reason = unpayable_reason(request.amount, request.currency)
        if reason:
            return attempt.failed(code="amount_too_small", message=reason)
        api = client()
        if not request.reference:
            return _refused(api, request, attempt)
        params: Any = {} if request.on_session else {"off_session": True}
        with answered():
            try:
                intent = api.v1.payment_intents.confirm(
                    request.reference,
                    params=params,
                    options={"idempotency_key": f"{request.idempotency_key}/confirm"},
                ).to_dict()
            except stripe.CardError as exc:
                decline_code = getattr(exc.error, "decline_code", None)
                return attempt.failed(
                    code=exc.code, decline_code=decline_code, message=exc.user_message or str(exc)
                )
            except stripe.InvalidRequestError as exc:
                # Confirmed already (a retry after a lost reply), or refused: read what it is.
                intent = api.v1.payment_intents.retrieve(request.reference).to_dict()
                if intent["status"] == "requires_confirmation":
                    return attempt.failed(
                        code=exc.code or "invalid_request", message=exc.user_message or str(exc)
                    )
        if request.on_session and intent["status"] == "requires_action":
            # Stripe answers a repeated key with its first answer: read where it stands now.
            with answered():
                intent = api.v1.payment_intents.retrieve(request.reference).to_dict()
        charge = self._answer(
            intent, request.idempotency_key, request.method_type, on_session=request.on_session
        )
        if charge is None:
            raise GatewayError(f"PaymentIntent {request.reference} is still unconfirmed; asked again later")
        return charge

    def lookup(self, idempotency_key: str, *, at: datetime, reference: str = "") -> Charge | None:
        """The stored PaymentIntent as it stands; None when none was stored (then none was confirmed)
        or it was never confirmed. One still waiting for authentication is canceled and failed."""
        if not reference:
            return None
        with answered():
            intent = (
                client()
                .v1.payment_intents.retrieve(reference, params={"expand": ["payment_method"]})
                .to_dict()
            )
        method = intent.get("payment_method")
        method_type = (
            METHOD_TYPES.get(str(method.get("type")), "card") if isinstance(method, Mapping) else "card"
        )
        return self._answer(intent, idempotency_key, method_type, on_session=False)

    def cancel_pending_action(self, *, reference: str) -> None:
        """Cancel an intent still waiting for the buyer (an abandoned 3-D Secure); one that went on
        meanwhile is left as it is (read it with :meth:`lookup`)."""
        with answered():
            try:
                client().v1.payment_intents.cancel(reference)
            except stripe.InvalidRequestError:
                pass

    def _answer(self, intent: Any, key: str, method_type: str, *, on_session: bool) -> Charge | None:
        if intent["status"] == "requires_action" and not on_session:
            self.cancel_pending_action(reference=str(intent["id"]))
            with answered():
                intent = client().v1.payment_intents.retrieve(str(intent["id"])).to_dict()
            if intent["status"] == "canceled":  # canceled by us: it failed for want of authentication
                intent = {**intent, "status": "requires_action"}
        return charge_of(intent, key=key, method_type=method_type, on_session=on_session)

    def poll_processing_from(self, started: datetime) -> datetime:
        """Stripe's webhooks tell when a bank debit settles; one silent for 16 business days is asked."""
        return business_days_after(started, PROCESSING_POLL_BUSINESS_DAYS)

    # -- refunds -------------------------------------------------------------------------------

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str, at: datetime) -> Refund:
        """Refund ``amount`` of the PaymentIntent ``charge_id``; one made before with this key (found
        by its metadata) is answered again. Stripe's refusal is a 409 (nothing refunded)."""
        api = client()
        with answered():
            try:
                existing = _refund_made(api, charge_id, idempotency_key)
                made = (
                    existing
                    or api.v1.refunds.create(
                        params={
                            "payment_intent": charge_id,
                            "amount": to_stripe(amount, _currency_of(api, charge_id)),
                            "metadata": {KEY_METADATA: idempotency_key},
                        },
                        options={"idempotency_key": idempotency_key},
                    ).to_dict()
                )
            except stripe.InvalidRequestError as exc:
                raise refusal(exc) from exc
        currency = str(made["currency"]).upper()
        return Refund(
            refund_id=str(made["id"]),
            charge_id=charge_id,
            amount=from_stripe(int(made["amount"]), currency),
            status=str(made["status"]),
        )


def business_days_after(start: datetime, days: int) -> datetime:
    """``days`` weekdays (Monday to Friday) after ``start``, at the same time of day.

    >>> business_days_after(datetime(2026, 12, 4, 9), 1)  # a Friday: the next Monday
    datetime.datetime(2026, 12, 7, 9, 0)
    >>> business_days_after(datetime(2026, 12, 7, 9), 16)  # two weeks and two days
    datetime.datetime(2026, 12, 29, 9, 0)
    """
    moment = start
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def _attempt(request: ChargeRequest) -> Attempt:
    return Attempt(
        request.idempotency_key, request.reference, request.amount, request.currency, request.method_type
    )


def _intent_params(request: ChargeRequest) -> Any:
    metadata = {**request.metadata, KEY_METADATA: request.idempotency_key}
    if request.description:
        metadata["description"] = request.description[:500]
    return {
        "amount": to_stripe(request.amount, request.currency),
        "currency": request.currency.lower(),
        "customer": request.customer_id or None,
        "payment_method": request.method_id,
        "payment_method_types": [STRIPE_METHOD_TYPES.get(request.method_type, "card")],
        "metadata": metadata,
    }


def _create_intent(api: stripe.StripeClient, request: ChargeRequest) -> Any:
    with answered():
        return api.v1.payment_intents.create(
            params=_intent_params(request), options={"idempotency_key": f"{request.idempotency_key}/create"}
        ).to_dict()


def _refused(api: stripe.StripeClient, request: ChargeRequest, attempt: Attempt) -> Charge:
    """A request without a stored PaymentIntent: failed if Stripe refuses to create it (asked again
    with the same key, so a first one made meanwhile comes back, never another); otherwise its
    outcome is unknown (``GatewayError``) until an intent is stored and confirmed."""
    try:
        _create_intent(api, request)
    except stripe.InvalidRequestError as exc:
        return attempt.failed(code=exc.code or "invalid_request", message=exc.user_message or str(exc))
    raise GatewayError(f"no PaymentIntent stored for {request.idempotency_key}; asked again later")


def _refund_made(api: stripe.StripeClient, intent_id: str, key: str) -> Any | None:
    for refund in api.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100}).auto_paging_iter():
        found = refund.to_dict()
        if (found.get("metadata") or {}).get(KEY_METADATA) == key:
            return found
    return None


def _currency_of(api: stripe.StripeClient, intent_id: str) -> str:
    return str(api.v1.payment_intents.retrieve(intent_id)["currency"]).upper()


def method_details(method: Mapping[str, Any], *, customer_id: str) -> MethodDetails:
    """What Recurra keeps of a Stripe PaymentMethod: its ids and display hints, never a number."""
    kind = str(method["type"])
    if kind == "card":
        card = method["card"]
        return MethodDetails(
            gateway_method_id=str(method["id"]),
            type="card",
            brand=str(card.get("brand") or ""),
            last4=str(card.get("last4") or ""),
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
            customer_id=customer_id,
        )
    if kind in ("sepa_debit", "us_bank_account"):
        bank = method[kind]
        return MethodDetails(
            gateway_method_id=str(method["id"]),
            type=METHOD_TYPES[kind],
            brand="",
            last4=str(bank.get("last4") or ""),
            exp_month=None,
            exp_year=None,
            customer_id=customer_id,
            bank_name=str(bank.get("bank_name") or bank.get("bank_code") or ""),
            mandate=str(bank.get("mandate_reference") or ""),
        )
    raise ValidationFailed.field("token", f"{kind} payment methods are not accepted")


def customer_id_for(customer: Customer, *, at: datetime) -> str:
    """The Stripe Customer of ``customer``'s contact, else of its email; made when there is none.

    A contact that first bought as an email takes over that email's Customer.
    """
    contact_key = f"contact/{customer.contact_id}" if customer.contact_id else None
    email_key = f"email/{customer.email.strip().lower()}"
    keys = [k for k in (contact_key, email_key) if k]
    known = dict(StripeCustomer.objects.filter(key__in=keys).values_list("key", "customer_id"))
    if contact_key and contact_key in known:
        return known[contact_key]
    found = known.get(email_key)
    if found is None:
        first = keys[0]
        params: Any = {
            "email": customer.email,
            "name": customer.name or None,
            "metadata": {"recurra_contact": customer.contact_id or ""},
        }
        with answered():
            options: Any = {"idempotency_key": f"customer/{first}"}
            made = client().v1.customers.create(params=params, options=options).to_dict()
        found = str(made["id"])
    return _remember(contact_key or email_key, found, at=at)


def _remember(key: str, customer_id: str, *, at: datetime) -> str:
    """Store ``key`` → ``customer_id``; where a racing call stored it first, its Customer wins."""
    try:
        with transaction.atomic():
            StripeCustomer.objects.create(key=key, customer_id=customer_id, created_at=at)
    except IntegrityError:
        return StripeCustomer.objects.get(key=key).customer_id
    return customer_id
