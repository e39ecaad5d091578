"""Worker heartbeats: each worker process keeps one row saying it is alive, and what it counted.

The worker loop (``recurra.worker.loop``) beats between passes, at most every
:data:`BEAT_EVERY_MS`, so a row's age is how long ago that worker last finished a pass or started
one: a long pass (a first billing run over a large import) ages it too. A worker is *stale* when its
last beat is older than ``RECURRA_WORKER_STALE_SECONDS`` (120): it crashed, hangs, or is inside a
very long pass. A worker that stops cleanly deletes its row; a crashed worker's row stays (stale)
until it is pruned, :func:`prune_after_ms` after its last beat, by any worker.

All times are real (``core.clock.epoch_ms``): the test clock moves business time, not liveness.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import Error as DatabaseFailure

from recurra.core import clock, metrics
from recurra.ops.models import WorkerHeartbeat

log = logging.getLogger("recurra.worker")

BEAT_EVERY_MS = 5_000
PRUNE_EVERY_BEATS = 60  # about every five minutes while the loop idles


def stale_after_ms() -> int:
    return int(settings.RECURRA_WORKER_STALE_SECONDS) * 1000


def prune_after_ms() -> int:
    """A crashed worker's row is kept an hour (or ten stale periods, if longer), then dropped."""
    return max(3_600_000, 10 * stale_after_ms())


class Heartbeat:
    """This process's row, beaten by its worker loop: :meth:`beat` often, :meth:`end` at the stop.

    A database error is logged and tried again at the next beat: the loop must not die of it.
    """

    def __init__(self) -> None:
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.started_ms = clock.epoch_ms()
        self.id: str | None = None
        self.last_ms = 0
        self.beats = 0

    def beat(self, *, force: bool = False) -> None:
        """Write the beat (and the counts to publish) unless one was written less than
        :data:`BEAT_EVERY_MS` ago; prune crashed workers' rows now and then."""
        now = clock.epoch_ms()
        if not force and now - self.last_ms < BEAT_EVERY_MS:
            return
        counts = metrics.counts_snapshot()
        try:
            mine = WorkerHeartbeat.objects.filter(pk=self.id) if self.id else None
            if mine is None or not mine.update(beat_ms=now, counts=counts):  # new, or pruned meanwhile
                row = WorkerHeartbeat.objects.create(
                    host=self.host, pid=self.pid, started_ms=self.started_ms, beat_ms=now, counts=counts
                )
                self.id = row.pk
            if self.beats % PRUNE_EVERY_BEATS == 0:
                heartbeats_prune(before_ms=now - prune_after_ms())
        except DatabaseFailure:
            log.warning("worker heartbeat not written; trying again", exc_info=True)
            return
        self.last_ms = now
        self.beats += 1

    def end(self) -> None:
        """The worker stopped cleanly: its row goes (a stopped worker is not a stale one)."""
        if self.id is None:
            return
        try:
            WorkerHeartbeat.objects.filter(pk=self.id).delete()
        except DatabaseFailure:
            log.warning("worker heartbeat not removed; it is pruned later", exc_info=True)


def heartbeats_prune(*, before_ms: int) -> int:
    """Delete the rows whose last beat is older than ``before_ms``; how many went."""
    deleted, _ = WorkerHeartbeat.objects.filter(beat_ms__lt=before_ms).delete()
    return deleted


@dataclass(frozen=True)
class Seen:
    """A worker as its row tells: its name (``host:pid``), its beat's age, its published counts."""

    name: str
    age_seconds: float
    stale: bool
    counts: dict[str, list[list[object]]]


def workers_seen(*, now_ms: int) -> list[Seen]:
    """Every worker with a row, youngest beat first (one query)."""
    stale_ms = stale_after_ms()
    rows = WorkerHeartbeat.objects.order_by("-beat_ms").values_list("host", "pid", "beat_ms", "counts")
    return [
        Seen(
            name=f"{host}:{pid}",
            age_seconds=max(0, now_ms - beat_ms) / 1000,
            stale=now_ms - beat_ms > stale_ms,
            counts=counts if isinstance(counts, dict) else {},
        )
        for host, pid, beat_ms, counts in rows
    ]
