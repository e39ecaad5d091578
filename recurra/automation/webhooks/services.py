"""The use cases of outgoing webhooks (keyword-only, ``<entity>_<action>``), each in one transaction
with its audit event. Secrets never enter an audit event or a log: only the fact of their change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from recurra.accounts.selectors import account_settings, admin_recipients
from recurra.automation.models import (
    DeliveryStatus,
    EndpointStatus,
    PublicEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from recurra.automation.webhooks import addresses, catalog, failures, publishing, sealing, signing
from recurra.core import events, ids
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, NotFound, ValidationFailed
from recurra.core.models import Event
from recurra.jobs.runner import queue_run_now
from recurra.notifications.services import EmailDraft, emails_queue

ROTATION = timedelta(hours=24)
SECRET_FIELDS = ("secret_sealed", "previous_secret_sealed")
SYSTEM = Actor.system()


@dataclass(frozen=True, slots=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    live, allow_private = addresses.policy()
    problem = addresses.refusal(url, live=live, allow_private=allow_private)
    if problem:
        raise ValidationFailed.field("url", problem)
    return url


def _checked_events(types: list[str]) -> list[str]:
    if not types:
        raise ValidationFailed.field("enabled_events", 'name at least one event type, or ["*"] for all')
    unknown = catalog.unknown_types(types)
    if unknown:
        raise ValidationFailed.field(
            "enabled_events", f"unknown event type(s): {', '.join(unknown)} (see GET /webhook-event-types)"
        )
    return ["*"] if catalog.WILDCARD in types else sorted(set(types))


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return events.snapshot(endpoint, exclude=SECRET_FIELDS)


def endpoint_create(
    *, url: str, enabled_events: list[str], description: str = "", actor: Actor, at: datetime
) -> WithSecret:
    """A new enabled endpoint and its ``whsec_`` secret (shown once, here)."""
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=_checked_url(url),
        enabled_events=_checked_events(enabled_events),
        description=description.strip(),
        secret_sealed=sealing.seal(secret),
        created_at=at,
    )
    with transaction.atomic():
        endpoint.save(force_insert=True)
        events.record(type="webhookendpoint.created", obj=endpoint, actor=actor, after=_snapshot(endpoint))
    publishing.endpoints_changed()
    return WithSecret(endpoint, secret)


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: Actor,
    url: str | None = None,
    enabled_events: list[str] | None = None,
    description: str | None = None,
    status: str | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling again clears the failing streak."""
    before = _snapshot(endpoint)
    if url is not None:
        endpoint.url = _checked_url(url)
    if enabled_events is not None:
        endpoint.enabled_events = _checked_events(enabled_events)
    if description is not None:
        endpoint.description = description.strip()
    if status is not None:
        if status not in EndpointStatus.values:
            raise ValidationFailed.field("status", "enabled or disabled")
        if status == EndpointStatus.ENABLED and endpoint.status != status:
            endpoint.failing_since, endpoint.disabled_at, endpoint.disabled_reason = None, None, ""
        elif status == EndpointStatus.DISABLED and endpoint.status != status:
            endpoint.disabled_reason = "disabled by a user"
        endpoint.status = status
    with transaction.atomic():
        endpoint.save()
        events.record_update(type="webhookendpoint.updated", obj=endpoint, actor=actor, before=before)
    publishing.endpoints_changed()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    """Delete the endpoint with its delivery log."""
    with transaction.atomic():
        events.record(type="webhookendpoint.deleted", obj=endpoint, actor=actor, before=_snapshot(endpoint))
        endpoint.delete()
    publishing.endpoints_changed()


def endpoint_secret_reveal(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """The endpoint's secret, on an explicit request (the audit trail notes who asked)."""
    with transaction.atomic():
        events.record(type="webhookendpoint.secret_revealed", obj=endpoint, actor=actor)
    return sealing.unseal(endpoint.secret_sealed)


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, actor: Actor, at: datetime) -> WithSecret:
    """A new secret; the old one keeps signing beside it for 24 hours (the header then carries two
    signatures), so receivers can switch without losing a delivery."""
    secret = signing.new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret_sealed = locked.secret_sealed
        locked.previous_secret_expires_at = at + ROTATION
        locked.secret_sealed = sealing.seal(secret)
        locked.save()
        events.record(
            type="webhookendpoint.secret_rotated",
            obj=locked,
            actor=actor,
            after={"previous_secret_expires_at": events.jsonable(locked.previous_secret_expires_at)},
        )
    return WithSecret(locked, secret)


def endpoint_disable(*, endpoint: WebhookEndpoint, at: datetime, reason: str) -> None:
    """Disable a failing endpoint (inside the caller's transaction) and email the super admins;
    ``reason`` is the last attempt's failure as stored (English: ``failures`` says it)."""
    before = _snapshot(endpoint)
    endpoint.status, endpoint.disabled_at, endpoint.disabled_reason = EndpointStatus.DISABLED, at, reason
    endpoint.save()
    events.record_update(type="webhookendpoint.disabled", obj=endpoint, actor=SYSTEM, before=before)
    account = account_settings()
    with translation.override(account.default_language):  # the language the email is written in
        said = failures.failure_text(reason)
    data = {
        "business_name": account.business_name,
        "url": endpoint.url,
        "failing_since": (endpoint.failing_since or at).date().isoformat(),
        "reason": said,
        "app_url": _page_url(endpoint),
    }
    drafts = [
        EmailDraft(
            kind="admin_webhook_disabled",
            to=to,
            language=account.default_language,
            data=data,
            dedupe_key=f"webhook-disabled:{endpoint.pk}:{at.isoformat()}:{to}"[:200],
        )
        for to in admin_recipients()
    ]
    if drafts:
        emails_queue(drafts, at=at)
    publishing.endpoints_changed()  # this process reads the endpoints afresh (a rollback only costs a read)


def _page_url(endpoint: WebhookEndpoint) -> str:
    try:
        return settings.RECURRA_BASE_URL + reverse("web:webhook_endpoint", args=[endpoint.pk])
    except NoReverseMatch:
        return settings.RECURRA_BASE_URL


def endpoint_ping(*, endpoint: WebhookEndpoint, at: datetime) -> WebhookDelivery:
    """A ``ping`` event for this endpoint alone, queued now (the caller may send it at once)."""
    event_id = ids.new_id(events.EVENT_ID_PREFIX)
    obj = {"endpoint_id": endpoint.pk, "url": endpoint.url, "message": "a test from Recurra"}
    with transaction.atomic():
        event = PublicEvent.objects.create(
            id=event_id,
            type="ping",
            object_type="webhook_endpoint",
            object_id=endpoint.pk,
            sequence=1,
            body=publishing.envelope(
                event_id=event_id, type="ping", created_at=at, sequence=1, obj=obj, previous=None
            ),
            created_at=at,
        )
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, run_at=at, created_at=at, updated_at=at
        )


def endpoint_test(*, endpoint: WebhookEndpoint, at: datetime) -> WebhookDelivery:
    """A ``ping`` sent now, in the caller's thread, as a worker would send it (retried by the worker
    if it fails); the delivery as it then is."""
    made = endpoint_ping(endpoint=endpoint, at=at)
    queue_run_now(queue="webhooks", pk=made.pk, at=at)
    made.refresh_from_db()
    return made


def delivery_retry(*, delivery: WebhookDelivery, at: datetime, send_now: bool = False) -> WebhookDelivery:
    """Try again now: a pending one at once, a finished one (failed or succeeded) with a fresh
    schedule of retries. 409 while a worker is sending it. ``send_now``: sent in the caller's thread
    (a person waits on a page), else by the worker."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == DeliveryStatus.SENDING:
            raise Conflict(f"delivery {locked.pk} is being sent right now")
        if locked.endpoint.status != EndpointStatus.ENABLED:
            raise Conflict(f"endpoint {locked.endpoint_id} is disabled: enable it first")
        fields = {"status": DeliveryStatus.PENDING, "run_at": at, "updated_at": at}
        if locked.status != DeliveryStatus.PENDING:
            fields |= {"attempts": 0, "first_attempt_at": None, "finished_at": None, "lease_until_ms": 0}
        WebhookDelivery.objects.filter(pk=locked.pk).update(**fields)
    if send_now:
        queue_run_now(queue="webhooks", pk=locked.pk, at=at)
    locked.refresh_from_db()
    return locked


def event_resend(
    *, event_id: str, endpoint: WebhookEndpoint, at: datetime, send_now: bool = False
) -> WebhookDelivery:
    """A new delivery of the event to ``endpoint``, due now (delivered before or not); ``send_now``
    as in :func:`delivery_retry`. An event no endpoint wanted when it happened is made public now,
    its object as it is now."""
    made = _resend(event_id=event_id, endpoint=endpoint, at=at)
    if send_now:
        queue_run_now(queue="webhooks", pk=made.pk, at=at)
        made.refresh_from_db()
    return made


def _resend(*, event_id: str, endpoint: WebhookEndpoint, at: datetime) -> WebhookDelivery:
    if endpoint.status != EndpointStatus.ENABLED:
        raise Conflict(f"endpoint {endpoint.pk} is disabled: enable it first")
    with transaction.atomic():
        public = PublicEvent.objects.filter(pk=event_id).first()
        if public is None:
            audit = Event.objects.filter(pk=event_id).first()
            if audit is None:
                raise NotFound(f"no event {event_id}")
            made = publishing.publish(
                [audit],
                publishing.Subscribers(((endpoint.pk, frozenset({catalog.WILDCARD})),), frozenset({"*"})),
            )
            if not made:
                raise ValidationFailed.field("event_id", f"{audit.type} is not a public event type")
            return WebhookDelivery.objects.filter(event=made[0], endpoint=endpoint).latest("pk")
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event=public, run_at=at, created_at=at, updated_at=at
        )
