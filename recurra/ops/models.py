"""One row per running worker process, beaten every few seconds (``recurra.ops.heartbeats``)."""

from __future__ import annotations

from django.db import models

from recurra.core import ids


class WorkerHeartbeat(models.Model):
    """A worker process (``recurra worker``, or ``recurra serve``'s worker thread) and its last beat.

    Times are real epoch milliseconds (``core.clock.epoch_ms``), never the test clock's: a heartbeat
    says whether a process is alive now. ``counts`` is the process's counters as of its last beat
    (``core.metrics.counts_snapshot``), which ``/metrics`` shows labelled with the worker.
    """

    # help_text here is a note for developers (no form or page shows it): not translated.
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wrk"))
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_ms = models.BigIntegerField(
        help_text="real epoch ms when its loop started",  # i18n: not text
    )
    beat_ms = models.BigIntegerField(
        db_index=True,
        help_text="real epoch ms of its last beat",  # i18n: not text
    )
    counts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
