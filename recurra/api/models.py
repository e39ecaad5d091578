"""Stored responses of POST requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.db import models

from recurra.core import clock


class IdempotencyRecord(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETE = "complete"

    # help_text here is a note for developers (no form or page shows it): not translated.
    scope = models.CharField(
        max_length=40,
        help_text="the API key that sent the request",  # i18n: not text
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    reserved_ms = models.BigIntegerField(
        default=clock.epoch_ms,
        help_text="real time the request started running (sandbox time can jump)",  # i18n: not text
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key")]
