"""Calling the gateway for payments already written as ``pending``.

The payment row and its idempotency key are committed before this runs, and
this runs outside any transaction: the gateway is an external system. If the
call fails without an answer (``GatewayError``), or the process dies before
the answer is recorded, the payment stays ``pending`` and its lease runs out;
``billing.reconcile`` then asks the gateway by the same key, so the charge is
neither lost nor made twice. When only some charges of a group go unanswered
(``PartlyAnswered``), the others' answers are recorded at once.

A gateway that prepares its charges (Stripe's PaymentIntents) has each
reference stored on its payment (committed) before any is confirmed.
The buyer is on the page for a payment made on the invoice's page: only
those may come back waiting for the buyer to authenticate them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from django.conf import settings

from recurra.billing.outcomes import Outcomes, record_charges
from recurra.billing.written import Written
from recurra.core import clock
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Charge, ChargeRequest, GatewayError, PartlyAnswered
from recurra.payments.models import Payment, PaymentOrigin

log = logging.getLogger(__name__)


def lease_until_ms() -> int:
    """Until when (real ms) a payment's writer owns its gateway call; the reconciler waits that long."""
    return clock.epoch_ms() + settings.RECURRA_LEASE_SECONDS * 1000


ON_SESSION = frozenset({PaymentOrigin.ONLINE})  # the buyer is on the page and can authenticate


def request_for(payment: Payment) -> ChargeRequest:
    method = payment.payment_method
    assert method is not None, "a pending payment always has its method"
    metadata = {"invoice": payment.invoice_id, "payment": payment.pk, "origin": payment.origin}
    if payment.subscription_id:
        metadata["subscription"] = payment.subscription_id
    return ChargeRequest(
        idempotency_key=payment.idempotency_key,
        amount=payment.amount,
        currency=payment.currency,
        method_id=method.gateway_method_id,
        description=f"Invoice {payment.invoice_id}",
        method_type=method.type,
        customer_id=method.gateway_customer_id,
        reference=payment.gateway_charge_id,
        metadata=metadata,
        on_session=payment.origin in ON_SESSION,
    )


def store_references(payments: Sequence[Payment], requests: Sequence[ChargeRequest]) -> list[ChargeRequest]:
    """Commit each prepared request's new reference on its payment; the requests to confirm.

    A payment that already has one (stored meanwhile by a racing caller) keeps it, and its request
    takes it: only a stored reference is ever confirmed.
    """
    ready = []
    for payment, request in zip(payments, requests, strict=True):
        if request.reference and request.reference != payment.gateway_charge_id:
            rows = Payment.objects.filter(pk=payment.pk, gateway_charge_id="")
            if not rows.update(gateway_charge_id=request.reference):
                stored = Payment.objects.values_list("gateway_charge_id", flat=True).get(pk=payment.pk)
                request = replace(request, reference=stored)
            payment.gateway_charge_id = request.reference
        ready.append(request)
    return ready


def charge_pending(payments: Sequence[Payment], *, at: datetime, written: Written | None = None) -> Outcomes:
    """Charge each payment through its gateway with its key, then record every answer
    (``written``: see :func:`~recurra.billing.outcomes.record_charges`)."""
    by_gateway: dict[str, list[Payment]] = defaultdict(list)
    for payment in payments:
        by_gateway[payment.gateway].append(payment)
    answers: list[tuple[str, Charge]] = []
    for name, group in by_gateway.items():
        gateway = get_gateway(name)
        charges: list[Charge | None]
        requests = store_references(group, gateway.prepare([request_for(p) for p in group], at=at))
        try:
            charges = list(gateway.charge_many(requests, at=at))
        except PartlyAnswered as partly:
            charges = partly.charges
            log.warning("gateway %s: %s; reconcile those later", name, partly)
        except GatewayError:
            log.warning("gateway %s did not answer for %d payments; reconcile later", name, len(group))
            continue
        answers.extend((p.pk, c) for p, c in zip(group, charges, strict=True) if c is not None)
    return record_charges(answers, at=at, written=written)
