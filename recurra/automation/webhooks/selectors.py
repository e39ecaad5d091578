"""Reads behind the webhook API and pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from recurra.automation.models import PublicEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def endpoint_get(pk: str) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=pk).first()


def delivery_list(*, endpoint_id: str, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries with their event and how many attempts each made (newest first)."""
    qs = (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
        .select_related("event")
        .annotate(attempt_count=Count("attempt_rows"))
    )
    if status == "pending":
        qs = qs.filter(status__in=["pending", "sending"])
    elif status:
        qs = qs.filter(status=status)
    return qs


def delivery_get(pk: str) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(pk=pk)
        .select_related("event", "endpoint")
        .annotate(attempt_count=Count("attempt_rows"))
        .first()
    )


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(WebhookAttempt.objects.filter(delivery=delivery).order_by("-number"))


def public_event_list(
    *, type: str | None = None, object_id: str | None = None, created_after: datetime | None = None
) -> QuerySet[PublicEvent]:
    qs = PublicEvent.objects.exclude(type="ping")
    if type:
        qs = qs.filter(type=type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if created_after:
        qs = qs.filter(created_at__gt=created_after)
    return qs
