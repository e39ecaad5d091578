"""Outgoing webhooks: endpoints, the public events written for them, deliveries and their attempts.

A :class:`PublicEvent` is written in the transaction of the change it tells of (from its audit
event, whose id it takes), only while an enabled endpoint wants its type; its ``body`` is the exact
JSON every delivery sends. A :class:`WebhookDelivery` is one event for one endpoint, a row of the
job runner's ``webhooks`` queue; each POST leaves a :class:`WebhookAttempt` with the answer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids
from recurra.core.models import Timestamped
from recurra.jobs.models import QueuedWork


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class WebhookEndpoint(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("we"))
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    enabled_events = models.JSONField(
        default=list,
        help_text='["*"] or a list of event types',  # i18n: not text
    )
    status = models.CharField(max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED)
    secret_sealed = models.TextField(
        help_text="the whsec_ secret, sealed (automation.webhooks.sealing)",  # i18n: not text
    )
    previous_secret_sealed = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="first failure since the last success",  # i18n: not text
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.url} ({self.status})"


class PublicEvent(models.Model):
    """A public event: ``{id, type, created_at, sequence, data: {object, previous_attributes}}``."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH)  # the audit event's (or a new evt_)
    type = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=ids.ID_LENGTH)
    sequence = models.PositiveBigIntegerField(
        help_text="per object: 1, 2, 3... in the order of changes",  # i18n: not text
    )
    body = models.TextField(help_text="the JSON sent, byte for byte")  # i18n: not text
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["object_id", "sequence"], name="public_event_object"),
            models.Index(fields=["type", "id"], name="public_event_type"),
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")  # claimed by a worker (leased); shown as pending
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(QueuedWork):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("whd"))
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(PublicEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            *QueuedWork.Meta.indexes,
            models.Index(fields=["endpoint", "-id"], name="delivery_by_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wha"))
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(help_text="when it was made (the business clock)")  # i18n: not text
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, help_text="at most 64 KB of the answer")  # i18n: not text
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
