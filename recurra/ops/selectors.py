"""What the health endpoint and the metrics read from the database: queues and the reconciler's backlog.

Each is one aggregate query per table, over the indexes the worker uses itself (a queue's
``(status, run_at)``, payments' ``(status, lease_until_ms)``, purchases' ``(status, created_at)``), so
they stay cheap however many rows are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from recurra.commerce.models import Purchase, PurchaseStatus
from recurra.commerce.reconcile import STALE_AFTER
from recurra.jobs.runner import queues
from recurra.payments.models import Payment, PaymentStatus

QUEUE_STATES = ("due", "scheduled", "running", "failed")


@dataclass(frozen=True)
class QueueDepth:
    """A queue's rows by state: ``due`` (waiting for a worker now), ``scheduled`` (queued for later:
    a retry's backoff, a future send), ``running`` (leased by a worker; a crashed worker's lease runs
    out and the row is due again), ``failed`` (gave up after its attempts; kept). ``oldest_due_age``:
    seconds since the oldest due row fell due (0 when none), in the business clock's time."""

    due: int
    scheduled: int
    running: int
    failed: int
    oldest_due_age: float

    def by_state(self) -> dict[str, int]:
        return {state: getattr(self, state) for state in QUEUE_STATES}


def queue_depths(*, at: datetime) -> dict[str, QueueDepth]:
    """Every registered queue (emails, jobs, exports) at ``at``, by state: one query each, over the
    rows not done (a range of the queue's index)."""
    found = {}
    for queue in queues():
        groups: dict[str, Any] = {
            row["status"]: row
            for row in queue.model._default_manager.filter(
                status__in=[queue.queued, queue.running, queue.failed]
            )
            .values("status")
            .annotate(
                rows=Count("*"),
                due=Count("run_at", filter=Q(run_at__lte=at)),  # columns of the index: no table reads
                oldest=Min("run_at", filter=Q(run_at__lte=at)),
            )
            .order_by()
        }
        none: dict[str, Any] = {"rows": 0, "due": 0, "oldest": None}
        queued = groups.get(queue.queued, none)
        found[queue.name] = QueueDepth(
            due=queued["due"],
            scheduled=queued["rows"] - queued["due"],
            running=groups.get(queue.running, none)["rows"],
            failed=groups.get(queue.failed, none)["rows"],
            oldest_due_age=_age(at, queued["oldest"]),
        )
    return found


def queues_due(*, at: datetime) -> dict[str, tuple[int, float]]:
    """Every registered queue's due rows at ``at`` and the oldest one's age in seconds: what
    readiness reports, one index range per queue (cheaper than :func:`queue_depths`)."""
    found = {}
    for queue in queues():
        row = queue.model._default_manager.filter(status=queue.queued, run_at__lte=at).aggregate(
            due=Count("*"), oldest=Min("run_at")
        )
        found[queue.name] = (row["due"], _age(at, row["oldest"]))
    return found


def _age(at: datetime, since: datetime | None) -> float:
    return max(0.0, (at - since).total_seconds()) if since else 0.0


def reconcile_backlog(*, at: datetime, now_ms: int) -> dict[str, int]:
    """What the reconcilers have yet to settle: ``payments`` left pending (or awaiting the buyer's
    authentication) past their lease, as ``billing.reconcile`` takes them; ``purchases`` left pending
    longer than ``commerce.reconcile.STALE_AFTER``. Rows settle at the next worker passes; a backlog
    that stays says the gateway does not answer, or no worker runs."""
    open_statuses = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)
    return {
        "payments": Payment.objects.filter(status__in=open_statuses, lease_until_ms__lt=now_ms).count(),
        "purchases": Purchase.objects.filter(
            status=PurchaseStatus.PENDING, created_at__lt=at - STALE_AFTER
        ).count(),
    }
