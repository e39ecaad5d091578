"""Delivering: the job runner's ``webhooks`` queue, one attempt per claim of a delivery.

The runner claims due deliveries (``SKIP LOCKED`` on PostgreSQL, a lease, ``attempts + 1``) and
calls :func:`delivery_attempt` outside any transaction. It signs the stored body afresh (a new
``webhook-timestamp`` and signature every attempt; both secrets during a rotation), POSTs it once
through the sender port, records the attempt and the endpoint's health in one transaction, and
returns the delivery's new fields for the runner to keep under its lease:

- a 2xx answer within the timeout: ``succeeded``; the endpoint is healthy again;
- 410 Gone: ``failed`` at once (the receiver asked to stop);
- anything else: ``pending`` again at the next time of ``schedule`` (by the business clock, so the
  sandbox test clock drives retries), or ``failed`` once three days are spent; an endpoint that has
  failed for three days without a success is disabled and the super admins are told by email.

A worker killed between the POST and recording it leaves the delivery leased: once the lease
expires it is claimed again and POSTed again, with the same ``webhook-id`` (at-least-once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.automation.models import (
    DeliveryStatus,
    EndpointStatus,
    PublicEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from recurra.automation.webhooks import schedule, sending, services, signing
from recurra.automation.webhooks.sealing import unseal
from recurra.jobs import runner

log = logging.getLogger("recurra.webhooks")
QUEUE = "webhooks"
GONE = 410


class Session:
    """What one claimed batch shares: the sender's connection pool and the endpoints, read once."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self.endpoints: dict[str, WebhookEndpoint | None] = {}

    def endpoint(self, pk: str) -> WebhookEndpoint | None:
        if pk not in self.endpoints:
            self.endpoints[pk] = WebhookEndpoint.objects.filter(pk=pk).first()
        return self.endpoints[pk]


@contextmanager
def batch_session() -> Iterator[Session]:
    with sending.sender().session() as http:
        yield Session(http)


def register() -> None:
    runner.register_queue(
        QUEUE,
        WebhookDelivery,
        delivery_attempt,
        session=batch_session,
        queued=DeliveryStatus.PENDING,
        running=DeliveryStatus.SENDING,
        done=DeliveryStatus.SUCCEEDED,
        failed=DeliveryStatus.FAILED,
        finished_field="finished_at",
        batch=100,
        max_attempts=schedule.MAX_ATTEMPTS,
    )


def signing_secrets(endpoint: WebhookEndpoint, *, at: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its 24 hours."""
    found = [unseal(endpoint.secret_sealed)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and at < expires:
        found.append(unseal(endpoint.previous_secret_sealed))
    return found


def request_headers(
    delivery: WebhookDelivery, endpoint: WebhookEndpoint, body: str, *, at: datetime
) -> dict[str, str]:
    timestamp = sending.signing_seconds()
    return {
        "content-type": "application/json",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            secrets=signing_secrets(endpoint, at=at),
            msg_id=delivery.event_id,
            timestamp=timestamp,
            body=body,
        ),
    }


def delivery_attempt(delivery: WebhookDelivery, *, at: datetime, session: Session | None) -> dict[str, Any]:
    """One attempt of ``delivery`` (a row the runner claimed); the fields to keep."""
    if session is None:  # called on its own, not by the runner
        with batch_session() as own:
            return delivery_attempt(delivery, at=at, session=own)
    endpoint = session.endpoint(delivery.endpoint_id)
    first = delivery.first_attempt_at or at
    if endpoint is None or endpoint.status != EndpointStatus.ENABLED:
        return {"status": DeliveryStatus.FAILED, "last_error": "the endpoint is disabled", "finished_at": at}
    body = PublicEvent.objects.filter(pk=delivery.event_id).values_list("body", flat=True).get()
    headers = request_headers(delivery, endpoint, body, at=at)
    answer = sending.sender().post(
        url=endpoint.url,
        headers=headers,
        body=body.encode(),
        timeout=sending.timeout_seconds(),
        session=session.http,
    )
    error = answer.error or _why_failed(answer)
    fields: dict[str, Any] = {
        "first_attempt_at": first,
        "response_status": answer.status,
        "duration_ms": answer.duration_ms,
        "last_error": error,
        "updated_at": at,
    }
    if not error:
        fields |= {"status": DeliveryStatus.SUCCEEDED, "finished_at": at}
    else:
        retry = (
            None
            if answer.status == GONE
            else schedule.next_attempt(first=first, attempts=delivery.attempts, at=at)
        )
        if retry is None:
            fields |= {"status": DeliveryStatus.FAILED, "finished_at": at}
        else:
            fields |= {"status": DeliveryStatus.PENDING, "run_at": retry, "finished_at": None}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery_id=delivery.pk,
            number=delivery.attempts,  # of this round (a retry by hand starts another)
            at=at,
            url=endpoint.url,
            request_headers={k: v for k, v in headers.items()},
            response_status=answer.status,
            response_headers=dict(list(answer.headers.items())[:50]),
            response_body=answer.body.decode("utf-8", errors="replace"),
            duration_ms=answer.duration_ms,
            error=error[:500],
        )
        _endpoint_health(endpoint, ok=not error, at=at, error=error)
    return fields


def _why_failed(answer: sending.Answer) -> str:
    if answer.ok:
        return ""
    if answer.redirect is not None:
        return f"answered {answer.status} redirecting to {answer.redirect[:300]}: redirects are not followed"
    return f"answered {answer.status}"


def _endpoint_health(endpoint: WebhookEndpoint, *, ok: bool, at: datetime, error: str) -> None:
    """A success clears the endpoint's failing streak; a failure starts it, or disables the endpoint
    once it has lasted three days (and tells the super admins)."""
    rows = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if ok:
        if endpoint.failing_since is not None:  # as read for this batch: a streak to end
            rows.update(failing_since=None)
            endpoint.failing_since = None
        return
    if endpoint.failing_since is None:
        rows.filter(failing_since=None).update(failing_since=at)
    locked = rows.select_for_update().filter(status=EndpointStatus.ENABLED).first()
    if locked is None or locked.failing_since is None:
        return
    endpoint.failing_since = locked.failing_since
    if at - locked.failing_since < schedule.WINDOW:
        return
    endpoint.status = EndpointStatus.DISABLED
    services.endpoint_disable(endpoint=locked, at=at, reason=error[:300])
