"""The one claim/run/retry engine behind every queue (jobs, emails; later webhooks).

``run_due(at=...)`` is what the worker (``recurra.worker``) and the test clock call. For each
registered queue, in registration order, it repeatedly:

1. claims due rows (``run_at <= at``, and ``queued`` or ``running`` with an
   expired lease, i.e. a crashed worker) in one short transaction: on
   PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent workers take
   disjoint rows (SQLite has one writer and ignores the clause). Claiming sets
   the running status, a real-time lease and ``attempts + 1``;
2. runs each handler outside any transaction (it may talk to SMTP or a
   gateway): success stores the handler's fields and the done status; an
   exception keeps ``last_error`` and schedules the next attempt 1 min, 5 min,
   30 min, 2 h, 12 h later (in simulated time), ``failed`` after 6 attempts.
   Failed rows stay in their table: nothing is lost.

Outcomes are kept under the batch's lease (a row whose lease was lost keeps the
other worker's). A queue may keep them ``keep_every`` rows at a time, in one
UPDATE (the email queue: 100, or whatever ran within ``KEEP_MS`` of real time,
whichever comes first); the rest of a batch given back and the end of a batch
keep what is pending first.

Work is at-least-once: a worker that dies mid-handler leaves the row leased, and
it runs again once the lease has expired; a worker that dies with outcomes not
yet kept runs those rows again too (at most ``keep_every`` rows, or
``KEEP_MS``' worth, per worker). Handlers must be idempotent (dedupe
keys, unique constraints) wherever a second run would do harm. A queue whose
work can outlast a lease (an export) takes one row per batch and hands its
handler the :class:`Lease` to renew as it goes; the outcome is kept under the
lease it then holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, Q

from recurra.core import clock
from recurra.core.bulk import update_rows
from recurra.core.due import not_before
from recurra.jobs.models import Job, JobStatus, QueuedWork

logger = logging.getLogger("recurra.jobs")

LEASE_MS = 5 * 60 * 1000
LEASE_MARGIN_MS = 60 * 1000  # stop starting items this close to the lease's end; release the rest
KEEP_MS = 1000  # a queue keeping outcomes several at a time keeps them at least this often
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
ERROR_MAX_CHARS = 2000

# handle(item, *, at, session[, lease]) -> extra fields to store on success (may include "status").
Handle = Callable[..., dict[str, Any] | None]


@dataclass
class Lease:
    """A claimed row's lease: the worker owns the row while its stored ``lease_until_ms`` is ``until``."""

    model: type[QueuedWork]
    pk: Any
    until: int

    def renew(self) -> bool:
        """Extend the lease by :data:`LEASE_MS` from now; False when it was lost (another worker took
        the row after it expired): the handler should stop, its outcome would not be kept."""
        new = clock.epoch_ms() + LEASE_MS
        if not self.model._default_manager.filter(pk=self.pk, lease_until_ms=self.until).update(
            lease_until_ms=new
        ):
            return False
        self.until = new
        return True


@contextmanager
def no_session() -> Iterator[None]:
    yield None


@dataclass(frozen=True)
class Queue:
    """A table of queued work and how to run one row of it.

    ``session`` opens a resource shared by one claimed batch (an SMTP connection),
    passed to ``handle``. ``finished_field`` is set to ``at`` when a row ends.
    """

    name: str
    model: type[QueuedWork]
    handle: Handle
    session: Callable[[], AbstractContextManager[Any]] = no_session
    queued: str = "queued"
    running: str = "running"
    done: str = "done"
    failed: str = "failed"
    finished_field: str | None = None
    batch: int | None = None  # rows claimed at once (default: run_due's limit)
    renews: bool = False  # the handler takes ``lease=`` (a Lease) and renews it while it runs
    keep_every: int = 1  # outcomes kept in one UPDATE per this many rows (at most; see KEEP_MS)
    given_up: Callable[[Any], dict[str, Any]] | None = None  # more fields to store on a row that failed
    max_attempts: int = MAX_ATTEMPTS  # a queue that schedules its own retries (webhooks) allows more

    def stamp(self, at: datetime, *, finished: bool = False) -> dict[str, Any]:
        """``updated_at`` (when the model has one) and, for an ending row, ``finished_field``."""
        fields: dict[str, Any] = {}
        names = {f.name for f in self.model._meta.concrete_fields}
        if "updated_at" in names:
            fields["updated_at"] = at
        if finished and self.finished_field:
            fields[self.finished_field] = at
        return fields


_QUEUES: dict[str, Queue] = {}
_JOB_HANDLERS: dict[str, Callable[..., None]] = {}


def register_queue(name: str, model: type[QueuedWork], handle: Handle, **options: Any) -> Queue:
    """Add (or replace) a queue that :func:`run_due` works through; options are :class:`Queue` fields."""
    queue = Queue(name=name, model=model, handle=handle, **options)
    _QUEUES[name] = queue
    return queue


def queues() -> Sequence[Queue]:
    return tuple(_QUEUES.values())


def job_handler(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(payload, *, at)`` as the handler of jobs of ``kind``."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _JOB_HANDLERS[kind] = fn
        return fn

    return register


def handle_job(job: Job, *, at: datetime, session: object = None) -> None:
    handler = _JOB_HANDLERS.get(job.kind)
    if handler is None:
        raise LookupError(f"no handler registered for job kind {job.kind!r}")
    handler(job.payload, at=at)


def register_jobs() -> None:
    """The generic job queue (called from the jobs app's ``ready``)."""
    register_queue(
        "jobs",
        Job,
        handle_job,
        queued=JobStatus.QUEUED,
        running=JobStatus.RUNNING,
        done=JobStatus.DONE,
        failed=JobStatus.FAILED,
        finished_field="finished_at",
    )


def run_due(*, at: datetime, limit: int = 500, stop: Event | None = None) -> int:
    """Run every item of every queue due at ``at``, in batches of ``limit``, until none is due.

    Work that a handler queues for ``at`` or earlier runs in the same call. Returns how many
    handlers ran (successes and failures). A set ``stop`` (the worker shutting down) ends it
    between items: the rows claimed but not started are given back as if never claimed.
    """
    ran = 0
    while True:
        claimed = 0
        for queue in queues():
            if stop is not None and stop.is_set():
                return ran
            batch_claimed, batch_ran = _run_batch(queue, at=at, limit=limit, stop=stop)
            claimed += batch_claimed
            ran += batch_ran
        if not claimed:
            return ran


def job_run_now(*, dedupe_key: str, at: datetime) -> bool:
    """Run the queued job of ``dedupe_key`` now, in the caller's thread, as a worker would: claimed
    with a lease, its failure kept and retried with backoff. This is how the follow-up that a change
    queued runs right after its commit, for the person waiting on it; the worker is the backstop.

    False when nothing ran: no such job queued, or another worker holds it.
    """
    queue = _QUEUES["jobs"]
    items, lease, _ = _claim(queue, at=at, limit=1, where=Q(dedupe_key=dedupe_key))
    for job in items:
        _run_one(queue, job, at=at, lease=lease, session=None)
    return bool(items)


def queue_run_now(*, queue: str, pk: Any, at: datetime) -> bool:
    """Run row ``pk`` of ``queue`` now, in the caller's thread, as a worker would (claimed with a
    lease, its outcome kept under it): a test webhook sent while its sender waits. False when the
    row is not due or another worker holds it."""
    found = _QUEUES[queue]
    items, lease, _ = _claim(found, at=at, limit=1, where=Q(pk=pk))
    with found.session() as session:
        for item in items:
            _run_one(found, item, at=at, lease=lease, session=session)
    return bool(items)


def jobs_next_due(*, after: datetime) -> datetime | None:
    """When :func:`run_due` next has a row to run (``core.due``): the earliest ``run_at`` of a
    queued row; at once when a crashed worker's lease has expired (real time)."""
    firsts = []
    now_ms = clock.epoch_ms()
    for queue in queues():  # one query per queue
        found = queue.model._default_manager.filter(status__in=[queue.queued, queue.running]).aggregate(
            t=Min("run_at", filter=Q(status=queue.queued)),
            stale=Count("pk", filter=Q(status=queue.running, lease_until_ms__lt=now_ms)),
        )
        if found["stale"]:
            return after
        firsts.append(found["t"])
    return not_before(min((t for t in firsts if t is not None), default=None), after=after)


def _run_batch(queue: Queue, *, at: datetime, limit: int, stop: Event | None = None) -> tuple[int, int]:
    items, lease, claimed = _claim(queue, at=at, limit=min(limit, queue.batch or limit))
    ran = 0
    if not items:
        return claimed, ran
    pending = _Pending(queue)
    try:
        with queue.session() as session:
            for index, item in enumerate(items):
                stopping = stop is not None and stop.is_set()
                if stopping or clock.epoch_ms() > lease - LEASE_MARGIN_MS:
                    pending.keep()
                    _release(queue, items[index:], lease=lease)
                    break
                pending.add(_outcome(queue, item, at=at, lease=lease, session=session))
                ran += 1
    finally:
        pending.keep()
    return claimed, ran


def _claim(queue: Queue, *, at: datetime, limit: int, where: Q | None = None) -> tuple[list[Any], int, int]:
    """Take up to ``limit`` due rows (of those ``where`` picks): (rows to run, their lease, rows taken
    in all)."""
    manager = queue.model._default_manager
    now_ms = clock.epoch_ms()
    lease = now_ms + LEASE_MS
    due = (Q(status=queue.queued) | Q(status=queue.running, lease_until_ms__lt=now_ms)) & (where or Q())
    if not manager.filter(due, run_at__lte=at).exists():  # one query, not a locking transaction
        return [], lease, 0
    with transaction.atomic():
        rows = list(
            manager.select_for_update(skip_locked=True)
            .filter(due, run_at__lte=at)
            .order_by("run_at", "pk")[:limit]
        )
        spent = [r.pk for r in rows if r.attempts >= queue.max_attempts]  # crashed during its last attempt
        fresh = [r for r in rows if r.attempts < queue.max_attempts]
        if spent:
            manager.filter(pk__in=spent).update(
                status=queue.failed,
                lease_until_ms=0,
                last_error=f"the worker stopped during attempt {queue.max_attempts} (lease expired)",
                **queue.stamp(at, finished=True),
            )
        if fresh:
            manager.filter(pk__in=[r.pk for r in fresh]).update(
                status=queue.running, lease_until_ms=lease, attempts=F("attempts") + 1, **queue.stamp(at)
            )
    for row in fresh:
        row.status, row.lease_until_ms, row.attempts = queue.running, lease, row.attempts + 1
    return fresh, lease, len(rows)


def _run_one(queue: Queue, item: Any, *, at: datetime, lease: int, session: Any) -> None:
    _keep(queue, [_outcome(queue, item, at=at, lease=lease, session=session)])


# A row run: (the row, the fields to store, the lease they are kept under).
Outcome = tuple[Any, dict[str, Any], int]


def _outcome(queue: Queue, item: Any, *, at: datetime, lease: int, session: Any) -> Outcome:
    """Run the handler on ``item``: done with its fields, or the error and the retry (or failed);
    kept under the lease the handler then holds."""
    held = Lease(queue.model, item.pk, lease)
    fields: dict[str, Any]
    try:
        result = queue.handle(item, at=at, session=session, **({"lease": held} if queue.renews else {}))
    except Exception as exc:
        logger.warning("%s %s failed (attempt %d)", queue.name, item.pk, item.attempts, exc_info=True)
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
        if item.attempts >= queue.max_attempts:
            fields = {"status": queue.failed, "last_error": error, **queue.stamp(at, finished=True)}
            fields |= queue.given_up(item) if queue.given_up else {}
        else:
            retry_at = at + BACKOFF[min(item.attempts, len(BACKOFF)) - 1]
            fields = {"status": queue.queued, "last_error": error, "run_at": retry_at, **queue.stamp(at)}
    else:
        fields = {"status": queue.done, **queue.stamp(at, finished=True), **(result or {})}
    return item, fields, held.until


class _Pending:
    """Outcomes not yet kept: kept when ``queue.keep_every`` are waiting or the first has waited
    :data:`KEEP_MS`, and by :meth:`keep`."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.outcomes: list[Outcome] = []
        self.since = 0

    def add(self, outcome: Outcome) -> None:
        if not self.outcomes:
            self.since = clock.epoch_ms()
        self.outcomes.append(outcome)
        if len(self.outcomes) >= self.queue.keep_every or clock.epoch_ms() - self.since >= KEEP_MS:
            self.keep()

    def keep(self) -> None:
        outcomes, self.outcomes = self.outcomes, []
        if outcomes:
            _keep(self.queue, outcomes)


def _keep(queue: Queue, outcomes: Sequence[Outcome]) -> None:
    """Store each row's fields (and no lease) where the row is still under its lease: one UPDATE
    per lease and set of field names (``core.bulk.update_rows``)."""
    groups: dict[tuple[int, tuple[str, ...]], list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome[2], tuple(sorted(outcome[1]))), []).append(outcome)
    for (lease, names), group in groups.items():
        rows = [{"pk": item.pk, "lease_until_ms": 0, **fields} for item, fields, _ in group]
        fields = ["lease_until_ms", *names]
        kept = update_rows(queue.model, rows, fields, where={"lease_until_ms": lease})
        if kept < len(rows):
            logger.warning(
                "%s %s: lease lost before the outcome of %d of them was kept; it may run again",
                queue.name,
                ", ".join(str(item.pk) for item, _, _ in group),
                len(rows) - kept,
            )


def _release(queue: Queue, items: Sequence[Any], *, lease: int) -> None:
    """Give back rows not started before the lease ran short or the worker was stopped (their
    attempt is not counted)."""
    queue.model._default_manager.filter(pk__in=[i.pk for i in items], lease_until_ms=lease).update(
        status=queue.queued, lease_until_ms=0, attempts=F("attempts") - 1
    )
