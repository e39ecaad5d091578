"""Events from Stripe's webhooks: checked, stored once by their id, then processed by a job.

Rules of :func:`stripe_event_receive` (``POST /webhooks/stripe``):

- The ``Stripe-Signature`` header is checked with the official SDK against
  ``STRIPE_WEBHOOK_SECRET``, with Stripe's tolerance of :data:`TOLERANCE_SECONDS`
  (a replay of an old delivery is refused). A missing or wrong signature, an
  old timestamp or a body that is not a Stripe event is :class:`WebhookRefused`
  (400) and stores nothing.
- An event is stored once, by Stripe's id, in the transaction that queues its
  job (:data:`JOB`, deduplicated by the event's id). Stripe delivers at least
  once and sometimes twice at the same moment: the second delivery finds the
  row (or loses the race on its primary key) and changes nothing.
- Nothing is processed while Stripe waits for the answer: the job does it
  (``recurra.commerce.stripe_events``), and marks the outcome with
  :func:`stripe_event_finish`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from recurra.core.errors import RecurraError
from recurra.jobs.queue import job_enqueue
from recurra.payments.gateways.stripe_client import answered, client
from recurra.payments.models import StripeEvent, StripeEventOutcome

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300
JOB = "stripe_event"
DETAIL_MAX = 500


class WebhookRefused(RecurraError):
    """A delivery that is not a genuine, recent Stripe event: 400, nothing stored."""

    status, slug, title = 400, "webhook-refused", "Webhook refused"


def stripe_event_receive(*, payload: bytes, signature: str | None, at: datetime) -> tuple[StripeEvent, bool]:
    """Check and store a delivery; (the stored event, whether it is new). See the module's rules."""
    try:
        stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise _refused(f"the Stripe-Signature header does not match: {_reason(exc)}") from None
    except (ValueError, AttributeError, TypeError):  # not UTF-8, not JSON, or not an object
        raise _refused("the body is not a Stripe event") from None
    event = _event_of(json.loads(payload))
    event.received_at = at
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            job_enqueue(kind=JOB, payload={"event_id": event.pk}, run_at=at, dedupe_key=f"{JOB}:{event.pk}")
    except IntegrityError:  # delivered again (or twice at once): the first one stands
        return StripeEvent.objects.get(pk=event.pk), False
    return event, True


def _refused(why: str) -> WebhookRefused:
    log.warning("a delivery to /webhooks/stripe was refused: %s", why)  # a wrong secret shows here
    return WebhookRefused(why)


def _reason(exc: stripe.SignatureVerificationError) -> str:
    message = str(exc.user_message or exc)
    if message.startswith("Timestamp outside the tolerance zone"):
        return f"it is older than {TOLERANCE_SECONDS} seconds"
    if message.startswith("No Stripe-Signature header"):
        return "there is none"
    return message.split(".")[0][:200]


def _event_of(body: Any) -> StripeEvent:
    """The row for a verified body, or :class:`WebhookRefused` when it lacks what an event has."""
    data = body.get("data") if isinstance(body, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, kind, created = (body.get(k) for k in ("id", "type", "created")) if obj else (None,) * 3
    if not (
        isinstance(obj, dict)
        and isinstance(event_id, str)
        and 0 < len(event_id) <= 255
        and isinstance(kind, str)
        and 0 < len(kind) <= 100
        and isinstance(created, int)
        and not isinstance(created, bool)
    ):
        raise _refused("the body is not a Stripe event (id, type, created and data.object)")
    object_id = obj.get("id")
    return StripeEvent(
        id=event_id,
        type=kind,
        object_id=object_id[:255] if isinstance(object_id, str) else "",
        livemode=body.get("livemode") is True,
        created=datetime.fromtimestamp(created, tz=UTC),
        payload=body,
    )


def stripe_event_finish(*, event: StripeEvent, outcome: str, detail: str, at: datetime) -> None:
    """Record how processing ended (``processed``, ``ignored`` or ``failed``) and what it did."""
    event.outcome = outcome
    event.detail = detail[:DETAIL_MAX]
    event.processed_at = at
    event.save(update_fields=["outcome", "detail", "processed_at"])


def stripe_events_recent(*, limit: int = 10) -> list[StripeEvent]:
    """The events received last, newest first (Settings → Payments)."""
    return list(StripeEvent.objects.defer("payload").order_by("-received_at", "-id")[:limit])


def newer_event_done(event: StripeEvent, *, types: tuple[str, ...]) -> bool:
    """Whether an event of ``types`` about the same object, made after ``event`` at Stripe, was
    already processed: ``event`` is then a late delivery of an older state."""
    if not event.object_id:
        return False
    return (
        StripeEvent.objects.filter(
            object_id=event.object_id,
            type__in=types,
            created__gt=event.created,
            outcome=StripeEventOutcome.PROCESSED,
        )
        .exclude(pk=event.pk)
        .exists()
    )


def refunds_of_charge(charge: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every refund of a Stripe Charge: those its event carries, else (API versions since
    2022-11-15 leave them out, and a long list is cut) the list Stripe answers for its intent
    (no answer: ``GatewayError``)."""
    listed = charge.get("refunds")
    if isinstance(listed, Mapping) and not listed.get("has_more") and isinstance(listed.get("data"), list):
        return list(listed["data"])
    params: Any = {"payment_intent": charge["payment_intent"], "limit": 100}
    with answered():
        return [r.to_dict() for r in client().v1.refunds.list(params=params).auto_paging_iter()]
