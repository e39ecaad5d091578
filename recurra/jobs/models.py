"""Work that runs after the transaction that caused it: generic jobs, and the base of every queue.

A queue row is due when ``run_at`` (simulated time, the business clock) has
come. A worker that claims it sets ``lease_until_ms`` (real epoch ms): while
the lease holds nobody else runs it; once it has expired the worker is taken
to have crashed and the row is claimed again (so work is at-least-once).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids


class QueuedWork(models.Model):
    """What :mod:`recurra.jobs.runner` needs. Concrete models redeclare ``status`` with their choices."""

    # help_text here is a note for developers (no form or page shows it): not translated.
    status = models.CharField(max_length=10)
    run_at = models.DateTimeField(
        help_text="due from this instant (simulated clock)",  # i18n: not text
    )
    attempts = models.PositiveIntegerField(
        default=0,
        help_text="runs started, counting this one",  # i18n: not text
    )
    last_error = models.TextField(blank=True)
    lease_until_ms = models.BigIntegerField(
        default=0,
        help_text="real epoch ms until which a worker owns the row; 0 when not leased",  # i18n: not text
    )

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["status", "run_at"], name="%(app_label)s_%(class)s_due")]


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(QueuedWork):
    """One unit of background work: ``kind`` picks the handler, ``payload`` is its JSON input."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("job"))
    kind = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # NULL = no dedupe; NULLs never collide in a unique index (SQLite and PostgreSQL).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} ({self.status})"
